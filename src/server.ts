// The HTTP listener: turns node's request into an ApiRequest, calls the router, writes the reply.
// It owns transport limits (body size) and nothing else; every rule lives below it.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { health } from './ops/health';
import { hstsHeader, withSecurityHeaders } from './ops/headers';
import { hardenTls, startHttpRedirect, tlsOptions } from './ops/tls';
import { createMetrics, metricsAllowed, type Metrics } from './ops/metrics';
import { routeLabel } from './ops/route-label';
import { buildRouter } from './api';
import { decodePath, splitTarget } from './api/paths';
import { bodyOf, text } from './api/respond';
import type { Router } from './api/router';
import type { ApiRequest, ApiResponse } from './api/types';
import type { Services } from './domain/services';
import { startJobs, type Jobs } from './jobs';

export interface RunningServer {
  server: http.Server | https.Server;
  /** Prometheus metrics of this server (rendered at /metrics when the `metrics` option allows). */
  metrics: Metrics;
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

/** Listener state shared by the handler and close(). */
interface ListenerState {
  metrics?: Metrics;
  /** Set once shutdown begins: replies then close their connection instead of keeping it alive. */
  closing: boolean;
}

/**
 * Writes a reply of the HTTP listener. Only here are the security headers added: batch
 * sub-responses and onion inner responses never pass through send(), so theirs stay minimal.
 */
function sendReply(res: http.ServerResponse, r: ApiResponse, s: Services, st?: ListenerState): void {
  const body = bodyOf(r);
  const headers: Record<string, string | number> = { ...withSecurityHeaders(r.headers, { hsts: hstsHeader(s.config) }), 'content-length': body.length };
  if (st?.closing) headers['connection'] = 'close';
  res.writeHead(r.status, headers);
  res.end(body);
}

/** /healthz and /metrics belong to the HTTP listener only (not reachable through batch or onion). */
async function opsRoute(s: Services, req: http.IncomingMessage, apiReq: ApiRequest, st?: ListenerState): Promise<ApiResponse | null> {
  if (apiReq.path === '/healthz') {
    return apiReq.method === 'GET' || apiReq.method === 'HEAD' ? health(s) : text(405, 'Method not allowed');
  }
  if (apiReq.path === '/metrics' && st?.metrics && s.config.metrics !== 'off') {
    if (!metricsAllowed(s.config.metrics, req.socket.remoteAddress)) return text(403, 'Forbidden');
    if (apiReq.method !== 'GET') return text(405, 'Method not allowed');
    const m = await st.metrics.render();
    return { status: 200, headers: { 'content-type': m.contentType, 'cache-control': 'no-store' }, body: Buffer.from(m.body, 'utf8') };
  }
  return null;
}

export function createHandler(s: Services, router: Router, st?: ListenerState): http.RequestListener {
  return (req, res) => {
    const started = process.hrtime.bigint();
    let pathForLog = '/';
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(pathForLog, res.statusCode);
      st?.metrics?.observe(req.method ?? 'GET', route, res.statusCode, seconds);
      if (s.config.logRequests) {
        s.log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e5) / 100 }, 'request');
      }
    });
    const send = (res: http.ServerResponse, r: ApiResponse): void => sendReply(res, r, s, st);
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
        pathForLog = apiReq.path;
        send(res, (await opsRoute(s, req, apiReq, st)) ?? (await router.dispatch(s, apiReq)));
      } catch (e) {
        s.log.error({ err: e }, 'request failed');
        if (!res.headersSent) send(res, text(500, 'Internal server error'));
        else res.destroy();
      }
    })();
  };
}

/** How long shutdown waits for in-flight requests before cutting their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(s: Services, opts: { port?: number; host?: string; jobs?: boolean } = {}): Promise<RunningServer> {
  const router = buildRouter();
  const st: ListenerState = { metrics: createMetrics(s), closing: false };
  const handler = createHandler(s, router, st);
  const tls = s.config.tls ? tlsOptions(s.config) : null;
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  if (tls) hardenTls(server as https.Server, s, tls.cert as Buffer);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? s.config.port, opts.host ?? s.config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const redirect = await startHttpRedirect(s, opts.host ?? s.config.host, (server.address() as AddressInfo).port);
  s.store.startUpkeep((e) => s.log.error({ err: e }, 'database upkeep failed'));
  const jobs: Jobs | null = opts.jobs === false ? null : startJobs(s);
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    metrics: st.metrics!,
    port,
    router,
    close: async () => {
      jobs?.stop();
      redirect?.close();
      redirect?.closeAllConnections();
      // Stop accepting, let in-flight requests finish (their replies carry `connection: close`),
      // drop idle keep-alive sockets now, and any connection still open after the grace period.
      st.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      force.unref();
      await closed;
      clearTimeout(force);
      await s.activity.flush();
    },
  };
}
