// What a client does to its own connection (goes away, resets it, is too slow) is not a server
// error: it is logged at debug level, without a stack trace, so that nobody can fill the log.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

const CLIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_DESTROYED',
  'ERR_HTTP_REQUEST_TIMEOUT',
]);

export function isClientAbort(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return (code !== undefined && CLIENT_CODES.has(code)) || e.message === 'aborted';
}

/** The part of an error worth a debug line: its code and message, never its stack. */
export function briefly(e: unknown): { code?: string; reason: string } {
  if (!(e instanceof Error)) return { reason: String(e) };
  const code = (e as NodeJS.ErrnoException).code;
  return code === undefined ? { reason: e.message } : { code, reason: e.message };
}

/**
 * Replaces node's default 'clientError' behaviour (malformed request, timeout, reset before a
 * request was parsed) with the same replies plus a debug line: 431 for oversized headers, 408 for
 * a request that took too long, 400 for anything unparsable; a reset socket is just dropped.
 */
export function onClientError(log: Logger): (err: Error, socket: Duplex) => void {
  return (err, socket) => {
    log.debug({ ...briefly(err) }, 'client connection error');
    const code = (err as NodeJS.ErrnoException).code;
    // As node's own handler decides: a reply may be written unless one is already under way on
    // this socket. (Bytes written before are no reason not to: on a keep-alive connection they
    // belong to earlier, finished replies, and the client waits for an answer to this request.)
    const sock = socket as Duplex & { _httpMessage?: http.ServerResponse | null };
    const replying = sock._httpMessage?.headersSent === true;
    if (code !== 'ECONNRESET' && sock.writable && !replying) {
      const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      sock.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  };
}
