// Connection-level limits of the listener: timeouts for slow headers, slow requests and idle
// keep-alive connections, a cap on open connections (not per IP: onion requests all come from a
// few service nodes), and quiet handling of clients that break their own connection.
import type http from 'node:http';
import type https from 'node:https';
import type { Config } from '../config';
import type { Duplex } from 'node:stream';
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
  // Connections between two requests (a reply sent, the next request not begun). Node's
  // closeIdleConnections() would also close connections that have not sent their first request
  // yet, among them the newcomer that made the server crowded.
  const idle = new Set<Duplex>();
  const watched = new WeakSet<Duplex>();
  const track = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const socket = req.socket;
    idle.delete(socket);
    if (!watched.has(socket)) {
      watched.add(socket);
      socket.once('close', () => idle.delete(socket));
    }
    res.once('finish', () => {
      if (!socket.destroyed) idle.add(socket);
    });
  };
  server.on('request', track);
  server.on('checkContinue', track);
  let open = 0;
  let lastSweep = 0;
  server.on('connection', (socket: Duplex) => {
    open++;
    socket.once('close', () => open--);
    const now = Date.now();
    if (open >= c.maxConnections * CROWDED && idle.size > 0 && now - lastSweep >= SWEEP_MS) {
      lastSweep = now;
      log.debug({ open, closing: idle.size }, 'near maxConnections: closing idle keep-alive connections');
      for (const s of idle) s.destroy();
      idle.clear();
    }
  });
  server.on('drop', () => log.debug({ maxConnections: c.maxConnections }, 'connection dropped: too many open connections'));
}

/** Connections paused now (a refused request's next one is not read until the pause ends). */
const paused = new WeakSet<Duplex>();

/**
 * After a request refused for overload, nothing more is read from its connection for `ms`. A
 * client that answers a 503 by asking again at once (a flood over keep-alive connections) is
 * slowed to one request a pause, so refusing it eats little of the CPU that admitted work needs;
 * new connections are read at once. Call it when the refusal is written, having let go of the
 * refused request at once (`req.resume()` when it was refused): node then has no body of its own
 * to discard when the reply finishes, which would resume the connection. One pause at a time per
 * connection: pauses never stack their timers or listeners.
 */
export function pauseReading(socket: Duplex, ms: number): void {
  if (socket.destroyed || paused.has(socket)) return;
  paused.add(socket);
  socket.pause();
  const onClose = (): void => clearTimeout(timer);
  const timer = setTimeout(() => {
    socket.off('close', onClose);
    paused.delete(socket);
    if (!socket.destroyed) socket.resume();
  }, ms);
  timer.unref();
  socket.once('close', onClose);
}
