// The request handler of the HTTP listener: admits a request from its head alone (admission.ts),
// reads its body within limits (read-body.ts), turns it into an ApiRequest, calls the router and
// writes the reply. It owns transport limits and nothing else; every rule lives below it.
import type http from 'node:http';
import { decodePath, splitTarget } from '../api/paths';
import { bodyOf, text } from '../api/respond';
import type { Router } from '../api/router';
import type { ApiRequest, ApiResponse } from '../api/types';
import type { Services } from '../domain/services';
import { health } from '../ops/health';
import { hstsHeader, withSecurityHeaders } from '../ops/headers';
import { metricsAllowed, type Metrics } from '../ops/metrics';
import { routeLabel } from '../ops/route-label';
import { afterIo } from './after-io';
import { admit, tooLarge, unavailable, type AdmissionState } from './admission';
import { briefly, isClientAbort } from './client-errors';
import { pauseReading } from './connections';
import { readBody } from './read-body';
import type { WorkSlices } from './work-slices';

/** Listener state shared by the handler and close(). */
export interface ListenerState extends AdmissionState {
  metrics?: Metrics;
  /** Admitted work starts in slices between rounds of I/O. */
  slices: WorkSlices;
  /** Set once shutdown begins: replies then close their connection instead of keeping it alive. */
  closing: boolean;
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Writes a reply of the HTTP listener. Only here are the security headers added: batch
 * sub-responses and onion inner responses never pass through it, so theirs stay minimal. Node
 * leaves out the body of a reply to HEAD by itself (the Content-Length stays that of GET).
 */
function sendReply(res: http.ServerResponse, r: ApiResponse, s: Services, st: ListenerState, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const body = bodyOf(r);
  const headers: Record<string, string | number> = { ...withSecurityHeaders(r.headers, { hsts: hstsHeader(s.config) }), 'content-length': body.length };
  if (close || st.closing) headers['connection'] = 'close';
  res.writeHead(r.status, headers);
  res.end(body);
}

function headersOf(req: http.IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return headers;
}

/** /healthz and /metrics belong to the HTTP listener only (not reachable through batch or onion). */
async function opsRoute(s: Services, req: http.IncomingMessage, apiReq: ApiRequest, st: ListenerState): Promise<ApiResponse | null> {
  if (apiReq.path === '/healthz') {
    return apiReq.method === 'GET' || apiReq.method === 'HEAD' ? health(s) : text(405, 'Method not allowed');
  }
  if (apiReq.path === '/metrics' && st.metrics && s.config.metrics !== 'off') {
    if (!metricsAllowed(s.config.metrics, req.socket.remoteAddress)) return text(403, 'Forbidden');
    if (apiReq.method !== 'GET') return text(405, 'Method not allowed');
    const m = await st.metrics.render();
    return { status: 200, headers: { 'content-type': m.contentType, 'cache-control': 'no-store' }, body: Buffer.from(m.body, 'utf8') };
  }
  return null;
}

export function createHandler(s: Services, router: Router, st: ListenerState): http.RequestListener {
  const send = (res: http.ServerResponse, r: ApiResponse, close?: boolean): void => sendReply(res, r, s, st, close);
  const consolePrefix = s.config.consoleEnabled ? s.config.consolePath : null;
  return (req, res) => {
    const started = process.hrtime.bigint();
    let pathForLog = '/';
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(pathForLog, res.statusCode, consolePrefix);
      st.metrics?.observe(req.method ?? 'GET', route, res.statusCode, seconds);
      if (s.config.logRequests) {
        s.log.info({ method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1e5) / 100 }, 'request');
      }
    });
    const method = req.method ?? 'GET';
    const { rawPath, query } = splitTarget(req.url ?? '/');
    const path = decodePath(rawPath);
    if (path === null) {
      send(res, text(400, 'Invalid percent-encoding in request path'), req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined);
      return;
    }
    pathForLog = path;
    const a = admit(st, req, method, path);
    if (!a.admit) {
      // Written once this round of I/O is over (after-io.ts): a client that asks again at once is
      // read in a later round, not this one; one refused for overload not before its pause ends.
      const pause = a.overload && !a.close && s.config.shedPauseMs > 0;
      if (pause) req.resume();
      afterIo(() => {
        if (pause) pauseReading(req.socket, s.config.shedPauseMs);
        send(res, a.response, a.close);
      });
      return;
    }
    st.shedder.admitted(a.heavy);
    const held = { bytes: a.held };
    // Service time, from the body's arrival to the reply: what the shedder steers by (an upload's
    // own slowness is the client's, not the server's).
    let bodyAt = 0;
    res.once('close', () => {
      st.shedder.finished(a.heavy, bodyAt > 0 && res.writableFinished ? performance.now() - bodyAt : null);
      st.budget.give(held.bytes);
    });
    void (async () => {
      try {
        let body = EMPTY;
        if (a.read) {
          // The client waits for this before it sends the body (see server.ts 'checkContinue'):
          // only an admitted body is asked for.
          if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
          const r = await readBody(req, {
            limit: a.limit, declared: a.declared, budget: st.budget, held, small: s.config.maxJsonBodyBytes,
            minBytesPerSecond: s.config.bodyMinBytesPerSecond, stallMs: s.config.bodyStallMs,
          });
          if ('aborted' in r) {
            s.log.debug({ route: routeLabel(path, 0), ...(r.aborted ? briefly(r.aborted) : {}) }, 'client went away before its request body arrived');
            return;
          }
          if ('fail' in r) {
            s.log.debug({ route: routeLabel(path, 0), status: r.fail }, 'request body stopped');
            const reply = r.fail === 413 ? tooLarge(a.limit) : r.fail === 503 ? unavailable(s.config, 'too many large request bodies in progress') : text(408, 'Request body too slow');
            send(res, reply, true);
            return;
          }
          body = r.body;
        }
        bodyAt = performance.now();
        await st.slices.turn(a.heavy);
        // A client that went away while its request waited for a slice gets no work done for it.
        if (res.destroyed) return;
        const apiReq: ApiRequest = { method, path, query, headers: headersOf(req), body };
        send(res, (await opsRoute(s, req, apiReq, st)) ?? (await router.dispatch(s, apiReq)), a.close);
      } catch (e) {
        if (isClientAbort(e)) s.log.debug({ ...briefly(e) }, 'client went away mid-request');
        else s.log.error({ err: e }, 'request failed');
        if (!res.headersSent) send(res, text(500, 'Internal server error'));
        else res.destroy();
      }
    })();
  };
}
