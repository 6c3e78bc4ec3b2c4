// v3 onion inner request and reply (docs/protocol/crypto.md §4.6, docs/protocol/api.md §4.11): JSON in; the inner body (2xx)
// or {"status_code": N} out. Deprecated, but old clients and the legacy endpoints still use it.
import { CT_JSON, bodyOf } from '../respond';
import type { ApiRequest, ApiResponse } from '../types';
import { lowerCaseHeaders, parseJsonObject, splitEndpoint } from './inner';

/** The inner request, or null when the plaintext is malformed (answered {"status_code": 400}). */
export function parseV3Request(plaintext: Buffer): ApiRequest | null {
  const req = parseJsonObject(plaintext);
  if (!req) return null;
  const { method, endpoint, body, auth_code: authCode } = req;
  if (typeof method !== 'string' || method === '' || typeof endpoint !== 'string' || endpoint === '') return null;
  const headers = lowerCaseHeaders(req['headers']);
  if (!headers) return null;
  if (body !== undefined && body !== null && typeof body !== 'string') return null;
  if (authCode !== undefined && authCode !== null && typeof authCode !== 'string') return null;

  let bodyText = typeof body === 'string' ? body : '';
  if (method === 'GET' || method === 'DELETE') {
    // Old Android clients send the string "null" on GETs; anything else there is an error.
    if (bodyText === 'null') bodyText = '';
    if (bodyText !== '') return null;
  } else if (method === 'POST' || method === 'PUT') {
    if (typeof body !== 'string') return null;
  }

  // Endpoints without a leading '/' are the pre-v4 ("legacy") API, authenticated by auth_code.
  const legacy = !endpoint.startsWith('/');
  const target = splitEndpoint(legacy ? `/legacy/${endpoint}` : endpoint);
  if (!target) return null;
  if (legacy && typeof authCode === 'string') headers['authorization'] = authCode;
  headers['content-type'] = CT_JSON;
  return { method, path: target.path, query: target.query, headers, body: Buffer.from(bodyText, 'utf8') };
}

/** Spaced exactly like the reference, so replies are byte-identical to PySOGS's. */
export function v3StatusPlaintext(status: number): Buffer {
  return Buffer.from(`{"status_code": ${status}}`, 'utf8');
}

export function v3ReplyPlaintext(r: ApiResponse): Buffer {
  return r.status >= 200 && r.status <= 299 ? bodyOf(r) : v3StatusPlaintext(r.status);
}
