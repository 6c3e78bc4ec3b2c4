// v4 onion inner request and reply (docs/protocol/crypto.md §4.4-4.5, docs/protocol/api.md §4.11): a bencoded list of the
// metadata JSON and an optional body in, a bencoded list of {code, headers} and the body out.
import { bdecodeList, bencodeList } from '../../crypto/bencode';
import { CT_OCTET, CT_TEXT, bodyOf, headersJson } from '../respond';
import type { ApiRequest, ApiResponse } from '../types';
import { lowerCaseHeaders, parseJsonObject, splitEndpoint } from './inner';

export const INVALID_V4 = 'Invalid v4 onion request';

/** The inner request, or null when the plaintext is not a well-formed v4 request. */
export function parseV4Request(plaintext: Buffer): ApiRequest | null {
  const parts = bdecodeList(plaintext, 2);
  if (!parts || parts.length === 0) return null;
  const meta = parseJsonObject(parts[0]!);
  if (!meta) return null;
  const { method, endpoint } = meta;
  if (typeof method !== 'string' || method === '') return null;
  if (typeof endpoint !== 'string' || !endpoint.startsWith('/')) return null;
  const target = splitEndpoint(endpoint);
  const headers = lowerCaseHeaders(meta['headers']);
  if (!target || !headers) return null;
  // Copied out so that the request does not pin the whole decrypted buffer.
  const body = Buffer.from(parts[1] ?? Buffer.alloc(0));
  // docs/protocol/api.md §4.11: a body without a declared type is bytes, never implicitly JSON.
  if (body.length > 0) headers['content-type'] ??= CT_OCTET;
  return { method, path: target.path, query: target.query, headers, body };
}

/** l<meta><body>e with every response header lower-cased except content-length. */
export function v4ReplyPlaintext(r: ApiResponse): Buffer {
  const headers: Record<string, string> = {};
  for (const k in r.headers) {
    const name = k.toLowerCase();
    if (name !== 'content-length') headers[name] = r.headers[k]!;
  }
  const meta = Buffer.from(`{"code":${r.status},"headers":${headersJson(headers)}}`, 'utf8');
  return bencodeList([meta, bodyOf(r)]);
}

/** What a malformed (but decryptable) v4 request gets back, still encrypted. */
export function invalidV4Plaintext(): Buffer {
  return v4ReplyPlaintext({ status: 400, headers: { 'content-type': CT_TEXT }, body: Buffer.from(INVALID_V4, 'utf8') });
}
