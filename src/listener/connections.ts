// Connection-level limits of the listener: timeouts for slow headers, slow requests and idle
// keep-alive connections, a cap on open connections (not per IP: onion requests all come from a
// few service nodes), and quiet handling of clients that break their own connection.
import type http from 'node:http';
import type https from 'node:https';
import type { Config } from '../config';
import type { Logger } from 'pino';
import { onClientError } from './client-errors';

/** Options only settable when the server is created. */
export function serverOptions(c: Config): http.ServerOptions {
  const shortest = Math.min(c.headersTimeoutMs, c.requestTimeoutMs > 0 ? c.requestTimeoutMs : Infinity);
  // Node checks its header and request timeouts on this interval (30 s by default, which let a
  // slow request live that much past its timeout).
  return { connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(shortest / 4))) };
}

/** Share of maxConnections past which idle keep-alive connections are closed to make room. */
const CROWDED = 0.9;
/** At most one sweep of idle connections this often. */
const SWEEP_MS = 1000;

export function limitConnections(server: http.Server | https.Server, c: Config, log: Logger): void {
  server.headersTimeout = c.headersTimeoutMs;
  server.requestTimeout = c.requestTimeoutMs;
  server.keepAliveTimeout = c.keepAliveTimeoutMs;
  server.on('clientError', onClientError(log));
  if (c.maxConnections <= 0) return;
  server.maxConnections = c.maxConnections;
  let open = 0;
  let lastSweep = 0;
  server.on('connection', (socket: import('node:net').Socket) => {
    open++;
    socket.once('close', () => open--);
    const now = Date.now();
    if (open >= c.maxConnections * CROWDED && now - lastSweep >= SWEEP_MS) {
      lastSweep = now;
      server.closeIdleConnections();
    }
  });
  server.on('drop', () => log.debug({ maxConnections: c.maxConnections }, 'connection dropped: too many open connections'));
}
