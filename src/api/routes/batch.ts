// POST /batch and POST /sequence (docs/protocol/api.md §4.1): sub-requests run in order through the same router,
// inheriting the outer request's user. Every element is validated before any of them runs; the
// reply is held to a budget (api/batch-budget.ts).
import { decodeBase64Strict } from '../../crypto/base64';
import { badRequest } from '../../domain/errors';
import { decodePath, splitTarget } from '../paths';
import { BatchBudget, carriedOutResponse, overBudgetResponse } from '../batch-budget';
import { jsonBody } from '../parse';
import { CT_JSON, CT_OCTET, bodyOf, headersJson, jsonText, jsonTextOf } from '../respond';
import type { Ctx, Router } from '../router';
import type { ApiRequest, ApiResponse } from '../types';

const METHODS = new Set(['GET', 'DELETE', 'POST', 'PUT']);
// Transports must not nest: a batch inside a batch, or an onion request inside anything.
const NESTED = /^\/(batch|sequence|oxen\/v\d\/lsrpc|loki\/v\d\/lsrpc)$/;

/** The body of every GET and DELETE sub-request: a zero-length buffer has nothing to change. */
const NO_BODY = Buffer.alloc(0);

function invalid(i: number, why: string): Error {
  return badRequest(`Invalid batch request #${i}: ${why}`);
}

export function parseSubRequests(c: Ctx): ApiRequest[] {
  const list = jsonBody(c.req);
  if (!Array.isArray(list)) throw badRequest('Invalid batch request: body must be a JSON array');
  if (c.s.config.maxBatchRequests > 0 && list.length > c.s.config.maxBatchRequests) {
    throw badRequest(`Invalid batch request: ${list.length} sub-requests; the limit is ${c.s.config.maxBatchRequests}`);
  }
  return list.map((e: unknown, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw invalid(i, 'not an object');
    const el = e as Record<string, unknown>;
    const method = el['method'];
    if (typeof method !== 'string' || !METHODS.has(method)) throw invalid(i, 'method must be GET, POST, PUT or DELETE');
    const target = el['path'];
    if (typeof target !== 'string' || !target.startsWith('/')) throw invalid(i, "path must start with '/'");
    const { rawPath, query } = splitTarget(target);
    const path = decodePath(rawPath);
    if (path === null) throw invalid(i, 'path has invalid percent-encoding');
    if (NESTED.test(path)) throw invalid(i, `${path} cannot be nested inside a batch`);
    const headers: Record<string, string> = {};
    const h = el['headers'];
    if (h !== undefined && h !== null) {
      if (typeof h !== 'object' || Array.isArray(h)) throw invalid(i, 'headers must be an object');
      for (const [k, v] of Object.entries(h)) {
        if (typeof v !== 'string') throw invalid(i, `header ${k} must be a string`);
        headers[k.toLowerCase()] = v;
      }
    }
    let body: Buffer = NO_BODY;
    if (method === 'GET' || method === 'DELETE') {
      if (el['json'] !== undefined || el['b64'] !== undefined || el['bytes'] !== undefined) throw invalid(i, `${method} cannot have a body`);
    } else {
      const kinds = (['json', 'b64', 'bytes'] as const).filter((k) => el[k] !== undefined);
      if (kinds.length !== 1) throw invalid(i, `${method} needs exactly one of json, b64 or bytes`);
      const kind = kinds[0]!;
      if (kind === 'json') {
        body = Buffer.from(JSON.stringify(el['json']), 'utf8');
        headers['content-type'] ??= CT_JSON;
      } else if (kind === 'b64') {
        const decoded = typeof el['b64'] === 'string' ? decodeBase64Strict(el['b64']) : null;
        if (!decoded) throw invalid(i, 'b64 is not valid base64');
        body = decoded;
        headers['content-type'] ??= CT_OCTET;
      } else {
        if (typeof el['bytes'] !== 'string') throw invalid(i, 'bytes must be a string');
        body = Buffer.from(el['bytes'], 'utf8');
        headers['content-type'] ??= CT_OCTET;
      }
    }
    return { method, path, query, headers, body };
  });
}

/**
 * One element of a batch reply as JSON text: JSON bodies inline, anything else base64. The
 * reply is assembled as text so that a body already serialised (a shared rendering) is embedded
 * without being parsed and serialised again.
 */
export function subResponseText(r: ApiResponse): string {
  let headers = r.headers;
  if ('content-length' in headers) {
    headers = {};
    for (const k in r.headers) if (k !== 'content-length') headers[k] = r.headers[k]!;
  }
  let body: string;
  // Base64 needs no escaping inside a JSON string.
  if (r.headers['content-type'] !== CT_JSON) body = `"${bodyOf(r).toString('base64')}"`;
  else if (r.jsonText !== undefined || r.json !== undefined) body = jsonTextOf(r);
  // A JSON body given as bytes is parsed, so that what is embedded is certainly JSON.
  else body = JSON.stringify(JSON.parse(bodyOf(r).toString('utf8')));
  return `{"code":${r.status},"headers":${headersJson(headers)},"body":${body}}`;
}

async function run(c: Ctx, stopOnFailure: boolean): Promise<ApiResponse> {
  const subs = parseSubRequests(c);
  const { batchReplyBytes, batchRequestCost } = c.s.config;
  const budget = new BatchBudget(batchReplyBytes, batchRequestCost, subs.length);
  const results: string[] = [];
  for (const sub of subs) {
    const r = budget.open ? await c.dispatchSub(sub) : null;
    let element = r === null ? '' : subResponseText(r);
    let status = r === null ? 0 : r.status;
    if (r === null || !budget.take(element)) {
      // See batch-budget.ts: a read (or anything not run) is a 429; a write done keeps its status.
      const stand = r === null || sub.method === 'GET' ? overBudgetResponse(batchReplyBytes) : carriedOutResponse(r.status, batchReplyBytes);
      element = subResponseText(stand);
      status = stand.status;
      budget.fill(element);
    }
    results.push(element);
    if (stopOnFailure && (status < 200 || status > 299)) break;
  }
  return jsonText(`[${results.join(',')}]`);
}

export function batchRoutes(r: Router): void {
  // Enough for a filesMaxSize upload base64-encoded in a `b64` sub-request (how Android uploads);
  // only writes carry bodies that large, and writes need a signed user.
  const limits = { body: 'file-base64', credentials: 'sogs' } as const;
  r.post('/batch', (c) => run(c, false), limits);
  r.post('/sequence', (c) => run(c, true), limits);
}
