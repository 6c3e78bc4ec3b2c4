// What a route's body may hold, declared where the route is registered, and the byte limit each
// kind has under a configuration. The HTTP listener decides from it before it reads a byte of the
// body (413, or 401 for large anonymous bodies); the router checks it again for sub-requests and
// onion inner requests, whose bodies arrived inside another one.
import { BODY_SLACK_BYTES, base64Length, type Config } from '../config';

/**
 * - `none`: the route never reads a body (it is not read: catch-all error endpoints).
 * - `json`: plain JSON (maxJsonBodyBytes); the default.
 * - `message`: JSON carrying a message or DM base64-encoded.
 * - `file`: a raw upload (filesMaxSize).
 * - `file-base64`: JSON carrying a file base64-encoded (/batch, legacy uploads).
 * - `onion`: an onion request (maxOnionBodyBytes).
 */
export type BodyKind = 'none' | 'json' | 'message' | 'file' | 'file-base64' | 'onion';

/** Who may send a body over maxJsonBodyBytes: the route refuses larger bodies without these headers. */
export type BodyCredentials = 'sogs' | 'legacy-token' | 'console';

export interface RouteLimits {
  body?: BodyKind;
  /** Set on routes that only act for an authenticated user: a large body without credentials is refused unread. */
  credentials?: BodyCredentials;
}

/** Byte limit of a kind of body, never above maxBodyBytes. */
export function bodyLimit(kind: BodyKind, c: Config): number {
  let n: number;
  switch (kind) {
    case 'none':
      return 0;
    case 'json':
      n = c.maxJsonBodyBytes;
      break;
    case 'message':
      n = base64Length(Math.max(c.maxMessageBytes, c.maxDmBytes)) + BODY_SLACK_BYTES;
      break;
    case 'file':
      n = c.filesMaxSize;
      break;
    case 'file-base64':
      n = base64Length(c.filesMaxSize) + BODY_SLACK_BYTES;
      break;
    case 'onion':
      n = c.maxOnionBodyBytes;
      break;
  }
  return Math.min(n, c.maxBodyBytes);
}

/** The web console's session cookie (src/web/console/http.ts), named here for the check below. */
export const CONSOLE_COOKIE = 'sogs_console';
const CONSOLE_COOKIE_SENT = new RegExp(`(?:^|;\\s*)${CONSOLE_COOKIE}=`);

/** Whether a request carries the credentials a route needs for a body over maxJsonBodyBytes. */
export function hasCredentials(kind: BodyCredentials, headers: Record<string, string | string[] | undefined>): boolean {
  if (kind === 'legacy-token') return Boolean(headers['authorization']);
  // The console's cookie is only looked for here; the route checks the session for real.
  if (kind === 'console') return CONSOLE_COOKIE_SENT.test(String(headers['cookie'] ?? ''));
  return Boolean(headers['x-sogs-pubkey'] && headers['x-sogs-signature'] && headers['x-sogs-nonce'] && headers['x-sogs-timestamp']);
}
