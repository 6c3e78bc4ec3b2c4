// The single dispatch path: authenticate (unless a batch/onion parent already did), match a route,
// run its handler, turn rule violations into plain-text errors. Every transport calls dispatch().
import { DomainError } from '../domain/errors';
import { RequestContext } from '../domain/request-context';
import type { Services } from '../domain/services';
import type { User } from '../store/types';
import { authenticate } from './auth';
import { bodyLimit, type RouteLimits } from './body-limits';
import { errorResponse, text } from './respond';
import type { ApiRequest, ApiResponse } from './types';

export interface Ctx {
  s: Services;
  req: ApiRequest;
  /** What the request has read (user, rooms, overrides, limits): handed to the domain rules. */
  rc: RequestContext;
  /** The request's user (`rc.user` as the handler started). */
  user: User | null;
  params: Record<string, string>;
  query: Query;
  /** Calls back into the router (for /batch and /sequence), inheriting this request's user. */
  dispatchSub(sub: ApiRequest): Promise<ApiResponse>;
  /** Calls back into the router for a request that authenticates itself (onion requests). */
  dispatchInner(inner: ApiRequest): Promise<ApiResponse>;
  /** How deep in nested transports this request is (batch in onion, etc.). */
  depth: number;
}

export type Handler = (ctx: Ctx) => Promise<ApiResponse>;

/** A request's query parameters, to read (one empty instance serves every request without any). */
export type Query = Pick<URLSearchParams, 'get' | 'getAll' | 'has'>;

// Most of a poll's eleven dispatches have no query: parsing '' cost as much as a short query.
const NO_QUERY: Query = new URLSearchParams();

interface Route {
  /** Literal first path segment, or null when the pattern starts with a parameter. */
  first: string | null;
  /** Segments ('/') in the pattern: a path with another count cannot match, unless `rest`. */
  segments: number;
  /** Ends in a `(*)` parameter, which also matches '/': paths of at least `segments` segments. */
  rest: boolean;
  method: string;
  re: RegExp;
  names: string[];
  handler: Handler;
  pattern: string;
  limits: RouteLimits;
}

/** What a method and path reach, decided without the body: the route with its limits, or 404/405. */
export type RouteMatch = { route: { pattern: string; limits: RouteLimits } } | { status: 404 | 405 };

/** The answer to a path no route serves (404) or serves with other methods (405). */
export function routeMissResponse(status: 404 | 405): ApiResponse {
  return status === 405 ? text(405, 'Method not allowed') : text(404, 'Not found');
}

/** HEAD runs the GET route of its path (a HEAD route registered first would win); the listener drops the body. */
function methodMatches(route: string, req: string): boolean {
  return route === req || (req === 'HEAD' && route === 'GET');
}

// Parameter kinds in route patterns: `:name` one segment, `:name(int)` unsigned decimal,
// `:name(fileid)` an unsigned decimal of up to 20 digits,
// `:name(sid)` a 05/15 session id, `:name(*)` the rest of the path (may contain '/').
const KINDS: Record<string, string> = {
  '': '[^/]+',
  int: '\\d{1,15}',
  // File ids: imported legacy ids can be 19-digit nanosecond timestamps (parse them as bigint).
  fileid: '\\d{1,20}',
  sid: '[01]5[0-9a-fA-F]{64}',
  '*': '.+',
};

function compile(pattern: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const src = pattern.replace(/[.]/g, '\\.').replace(/:(\w+)(?:\(([^)]*)\))?/g, (_m, name: string, kind: string | undefined) => {
    names.push(name);
    const k = KINDS[kind ?? ''];
    if (k === undefined) throw new Error(`unknown route parameter kind ${kind}`);
    return `(${k})`;
  });
  return { re: new RegExp(`^${src}$`), names };
}

/** Paths with more segments than any route are tested against their whole group, unindexed. */
const MAX_INDEXED_SEGMENTS = 16;

function segmentCount(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}

export class Router {
  private readonly routes: Route[] = [];
  // Routes grouped by literal first segment (each group also holds, in registration order, the
  // routes that start with a parameter), so a request tests a handful of patterns, not all.
  private groups: Map<string, Route[]> | null = null;
  private wild: Route[] = [];
  // Within a group, the routes a path of n segments can match (most of a group's patterns have
  // another length): a poll's room sub-request tested some twenty patterns before, now a few.
  private bySegments = new Map<Route[], Map<number, Route[]>>();

  add(method: string, pattern: string, handler: Handler, limits: RouteLimits = {}): this {
    const seg = pattern.split('/')[1] ?? '';
    const segments = segmentCount(pattern);
    this.routes.push({ first: seg.startsWith(':') ? null : seg, segments, rest: pattern.endsWith('(*)'), method, ...compile(pattern), handler, pattern, limits });
    this.groups = null;
    this.bySegments.clear();
    return this;
  }

  private candidates(path: string): Route[] {
    if (!this.groups) {
      this.groups = new Map();
      this.wild = this.routes.filter((r) => r.first === null);
      for (const r of this.routes) {
        if (r.first !== null && !this.groups.has(r.first)) {
          const first = r.first;
          this.groups.set(first, this.routes.filter((x) => x.first === first || x.first === null));
        }
      }
    }
    const end = path.indexOf('/', 1);
    const group = this.groups.get(path.slice(1, end < 0 ? undefined : end)) ?? this.wild;
    const n = segmentCount(path);
    if (n > MAX_INDEXED_SEGMENTS) return group;
    let byCount = this.bySegments.get(group);
    if (!byCount) this.bySegments.set(group, (byCount = new Map()));
    let list = byCount.get(n);
    if (!list) byCount.set(n, (list = group.filter((r) => r.segments === n || (r.rest && n >= r.segments))));
    return list;
  }

  get(p: string, h: Handler, limits?: RouteLimits): this {
    return this.add('GET', p, h, limits);
  }
  post(p: string, h: Handler, limits?: RouteLimits): this {
    return this.add('POST', p, h, limits);
  }
  put(p: string, h: Handler, limits?: RouteLimits): this {
    return this.add('PUT', p, h, limits);
  }
  delete(p: string, h: Handler, limits?: RouteLimits): this {
    return this.add('DELETE', p, h, limits);
  }

  /** The route `method path` runs, with its match; the one lookup dispatch() and the listener share. */
  private find(method: string, path: string): { route: Route; m: RegExpExecArray } | { status: 404 | 405 } {
    let methodMismatch = false;
    for (const r of this.candidates(path)) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (methodMatches(r.method, method)) return { route: r, m };
      methodMismatch = true;
    }
    return { status: methodMismatch ? 405 : 404 };
  }

  /** Which route a request reaches and what body it accepts, before the body is read. */
  match(method: string, path: string): RouteMatch {
    const f = this.find(method, path);
    return 'route' in f ? { route: { pattern: f.route.pattern, limits: f.route.limits } } : f;
  }

  /**
   * Runs one request. `rc` is given for sub-requests, which run as their parent's user and must
   * not re-authenticate (their own X-SOGS-* headers are ignored); otherwise the request is
   * authenticated into a new context.
   */
  async dispatch(s: Services, req: ApiRequest, rc?: RequestContext, depth = 0): Promise<ApiResponse> {
    try {
      const found = this.find(req.method, req.path);
      let ctx = rc;
      if (ctx === undefined) {
        ctx = new RequestContext(null);
        // A route that takes no body (the catch-all error endpoints) has none read by the listener,
        // so a signature over the client's body could not be checked: it answers without a user.
        if (!('route' in found && found.route.limits.body === 'none')) await authenticate(s, req, ctx);
      }
      if ('route' in found) {
        const { route: r, m } = found;
        // The listener checked this before reading; bodies that came inside a batch or an onion
        // request are checked here.
        const kind = r.limits.body ?? 'json';
        if (req.body.length > 0 && kind !== 'none') {
          const limit = bodyLimit(kind, s.config);
          if (req.body.length > limit) return text(413, `Request body too large (limit ${limit} bytes)`);
        }
        const params: Record<string, string> = {};
        for (let i = 0; i < r.names.length; i++) params[r.names[i]!] = m[i + 1]!;
        const tree = ctx;
        return await r.handler({
          s,
          req,
          rc: tree,
          user: tree.user,
          params,
          query: req.query === '' ? NO_QUERY : new URLSearchParams(req.query),
          depth,
          dispatchSub: async (sub) => {
            // GET sub-requests share what the tree has read. Anything else reads afresh in a
            // context of its own, and what the tree read before may be stale after it: forgotten,
            // and the user row (bans, roles, last DM ids) read again for later sub-requests.
            if (sub.method === 'GET') return await this.dispatch(s, sub, tree, depth + 1);
            const res = await this.dispatch(s, sub, new RequestContext(tree.user), depth + 1);
            tree.invalidate();
            if (tree.user) tree.user = (await s.store.findUserById(tree.user.id)) ?? tree.user;
            return res;
          },
          dispatchInner: (inner) => this.dispatch(s, inner, undefined, depth + 1),
        });
      }
      return routeMissResponse(found.status);
    } catch (e) {
      if (e instanceof DomainError) return errorResponse(e);
      s.log.error({ err: e, method: req.method, path: req.path }, 'unhandled error');
      return text(500, 'Internal server error');
    }
  }
}
