// Admission before work: from the method, path and headers alone (nothing of the body read yet)
// decide whether a request is served, how much body it may send, and what it is refused with.
// The route and its body limit come from the router's own match, so there is one route table.
import type http from 'node:http';
import { bodyLimit, hasCredentials, type BodyKind, type RouteLimits } from '../api/body-limits';
import { json, text } from '../api/respond';
import { routeMissResponse, type Router } from '../api/router';
import type { ApiResponse } from '../api/types';
import type { Config } from '../config';
import type { BodyBudget } from './budget';
import type { LoadShedder } from './shedder';

export interface Admitted {
  admit: true;
  /** Onion, batch, uploads, large or anonymous requests: the shedder's heavy share. */
  heavy: boolean;
  kind: BodyKind;
  /** Whether the body is read at all (never for 404/405 and catch-all endpoints). */
  read: boolean;
  limit: number;
  /** Content-Length, or null for a chunked body. */
  declared: number | null;
  /** Bytes taken from the budget for the declared body. */
  held: number;
  /** Close the connection after the reply: a large body left unread must not be drained. */
  close: boolean;
}

export interface Refused {
  admit: false;
  response: ApiResponse;
  /** Refused by load shedding (the connection is then paused: see pauseReading). */
  overload?: true;
  /** Close the connection after the reply: the rest of a large or chunked body is not read. */
  close: boolean;
}

export interface AdmissionState {
  config: Config;
  router: Router;
  budget: BodyBudget;
  shedder: LoadShedder;
}

/** The listener's own endpoints (ops/): cheap, bodiless, and never shed for being anonymous. */
const OPS_PATHS = new Set(['/healthz', '/metrics']);

/** A 503 that tells the client when to come back. */
export function unavailable(c: Config, why: string): ApiResponse {
  const r = text(503, `Service unavailable: ${why}; retry later`);
  r.headers['retry-after'] = String(c.shedRetryAfter);
  return r;
}

export function tooLarge(limit: number): ApiResponse {
  return text(413, `Request body too large (limit ${limit} bytes)`);
}

function declaredLength(req: http.IncomingMessage): number | null {
  // Node's parser has already refused a malformed Content-Length and a request with both headers.
  if (req.headers['transfer-encoding'] !== undefined) return null;
  return Number(req.headers['content-length'] ?? 0);
}

/** The route's limits, or the router's own 404/405 for a path no route serves. */
function routeOf(st: AdmissionState, method: string, path: string): RouteLimits | { miss: 404 | 405 } {
  if (OPS_PATHS.has(path)) return { body: 'none' };
  const m = st.router.match(method, path);
  return 'route' in m ? m.route.limits : { miss: m.status };
}

/** Heavy work is shed first: decryption, many sub-requests, large bodies, the anonymous. */
function isHeavy(kind: BodyKind, path: string, declared: number | null, small: number, headers: http.IncomingHttpHeaders): boolean {
  if (OPS_PATHS.has(path)) return false;
  if (kind === 'onion' || kind === 'file-base64' || kind === 'file') return true;
  if (declared === null || declared > small) return true;
  return !hasCredentials('sogs', headers);
}

export function admit(st: AdmissionState, req: http.IncomingMessage, method: string, path: string): Admitted | Refused {
  const c = st.config;
  const small = c.maxJsonBodyBytes;
  const declared = declaredLength(req);
  const big = declared === null || declared > small;
  const route = routeOf(st, method, path);
  // An unknown route or method never has its body read, nor its signature checked: nothing would
  // run for it. (Checking the signature would need the body it covers.)
  if ('miss' in route) return { admit: false, response: routeMissResponse(route.miss), close: big };
  const limits = route;
  const kind = limits.body ?? 'json';

  const heavy = isHeavy(kind, path, declared, small, req.headers);
  const overload = st.shedder.refuse(heavy);
  if (overload) return { admit: false, response: unavailable(c, overload), close: big, overload: true };

  if (kind === 'none') return { admit: true, heavy, kind, read: false, limit: 0, declared, held: 0, close: big };

  let limit = bodyLimit(kind, c);
  if (limits.credentials && !hasCredentials(limits.credentials, req.headers)) {
    // Only an authenticated user can use a large body here: an anonymous one is refused unread.
    if (declared !== null && declared > small) {
      const response =
        limits.credentials === 'legacy-token'
          ? json({ status_code: 401 }, 401)
          : text(401, limits.credentials === 'console' ? 'A body this large needs a console session' : 'A body this large needs X-SOGS-* authentication');
      return { admit: false, response, close: true };
    }
    limit = Math.min(limit, small);
  }
  if (declared !== null && declared > limit) return { admit: false, response: tooLarge(limit), close: big };
  if (declared !== null && declared > 0 && !st.budget.take(declared, !big)) {
    return { admit: false, response: unavailable(c, 'too many large request bodies in progress'), close: true };
  }
  return { admit: true, heavy, kind, read: true, limit, declared, held: declared ?? 0, close: false };
}
