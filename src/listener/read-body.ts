// Reads a request body within its limits: a declared length was admitted (and taken from the
// budget) before reading, so it is read into one buffer of that size; a chunked body is counted
// and taken from the budget as it arrives, and reading stops at the first byte over a limit.
// A body arriving slower than the minimum rate is cut: a slow client must not hold a connection.
import type http from 'node:http';
import type { BodyBudget } from './budget';

export type BodyResult =
  | { body: Buffer }
  /** Stopped: 413 over the limit, 503 over the budget, 408 too slow. Reply and close. */
  | { fail: 413 | 503 | 408 }
  /** The client went away; nothing to answer. */
  | { aborted: Error | null };

export interface BodyOptions {
  limit: number;
  /** Content-Length, or null for a chunked body. */
  declared: number | null;
  budget: BodyBudget;
  /** Bytes this request holds in the budget; the caller gives them back when the request ends. */
  held: { bytes: number };
  /** A chunked body up to this size may pass a full budget (a poll is never refused for memory). */
  small: number;
  minBytesPerSecond: number;
  stallMs: number;
}

const EMPTY: Buffer = Buffer.alloc(0);

export function readBody(req: http.IncomingMessage, o: BodyOptions): Promise<BodyResult> {
  if (o.declared === 0) return Promise.resolve({ body: EMPTY });
  return new Promise((resolve) => {
    const fixed = o.declared === null ? null : Buffer.allocUnsafe(o.declared);
    const chunks: Buffer[] = [];
    let size = 0;
    let sinceCheck = 0;
    let watchdog: NodeJS.Timeout | null = null;
    const finish = (r: BodyResult): void => {
      if (watchdog) clearInterval(watchdog);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      // What is still coming is discarded until the connection closes after the reply.
      if (!('body' in r)) req.resume();
      resolve(r);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      sinceCheck += c.length;
      if (size > o.limit) return finish({ fail: 413 });
      if (fixed) {
        c.copy(fixed, size - c.length);
        return;
      }
      if (!o.budget.take(c.length, size <= o.small)) return finish({ fail: 503 });
      o.held.bytes += c.length;
      chunks.push(c);
    };
    const onEnd = (): void => finish({ body: fixed ? fixed.subarray(0, size) : Buffer.concat(chunks, size) });
    const onError = (e: Error): void => finish({ aborted: e });
    const onClose = (): void => finish({ aborted: null });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    if (o.minBytesPerSecond > 0) {
      const least = (o.minBytesPerSecond * o.stallMs) / 1000;
      watchdog = setInterval(() => {
        if (sinceCheck < least) finish({ fail: 408 });
        sinceCheck = 0;
      }, o.stallMs);
      watchdog.unref();
    }
  });
}
