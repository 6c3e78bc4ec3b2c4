// The HTTP listener: turns node's request into an ApiRequest, calls the router, writes the reply.
// It owns transport limits (body size) and nothing else; every rule lives below it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildRouter } from './api';
import { decodePath, splitTarget } from './api/paths';
import { bodyOf, text } from './api/respond';
import type { Router } from './api/router';
import type { ApiRequest, ApiResponse } from './api/types';
import type { Services } from './domain/services';
import { startJobs, type Jobs } from './jobs';

export interface RunningServer {
  server: http.Server;
  port: number;
  router: Router;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

function toApiRequest(req: http.IncomingMessage, body: Buffer): ApiRequest | null {
  const { rawPath, query } = splitTarget(req.url ?? '/');
  const path = decodePath(rawPath);
  if (path === null) return null;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return { method: req.method ?? 'GET', path, query, headers, body };
}

function send(res: http.ServerResponse, r: ApiResponse): void {
  const body = bodyOf(r);
  res.writeHead(r.status, { ...r.headers, 'content-length': body.length });
  res.end(body);
}

export function createHandler(s: Services, router: Router): http.RequestListener {
  return (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req, s.config.maxBodyBytes);
        if (body === 'too-large') {
          send(res, text(413, `Request body too large (limit ${s.config.maxBodyBytes} bytes)`));
          return;
        }
        const apiReq = toApiRequest(req, body);
        if (!apiReq) {
          send(res, text(400, 'Invalid percent-encoding in request path'));
          return;
        }
        send(res, await router.dispatch(s, apiReq));
      } catch (e) {
        s.log.error({ err: e }, 'request failed');
        if (!res.headersSent) send(res, text(500, 'Internal server error'));
        else res.destroy();
      }
    })();
  };
}

export async function startServer(s: Services, opts: { port?: number; host?: string; jobs?: boolean } = {}): Promise<RunningServer> {
  const router = buildRouter();
  const server = http.createServer(createHandler(s, router));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? s.config.port, opts.host ?? s.config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const jobs: Jobs | null = opts.jobs === false ? null : startJobs(s);
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    router,
    close: async () => {
      jobs?.stop();
      // Stop accepting, let in-flight requests finish, then drop idle keep-alive sockets.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await s.activity.flush();
    },
  };
}
