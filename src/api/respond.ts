// Building responses, and mapping rule violations to statuses and plain-text error bodies.
import { DomainError, type ErrorKind } from '../domain/errors';
import type { ApiResponse } from './types';

/** Content types exactly as the desktop client compares them. */
export const CT_JSON = 'application/json';
export const CT_TEXT = 'text/plain; charset=utf-8';
export const CT_OCTET = 'application/octet-stream';

export function json(value: unknown, status = 200): ApiResponse {
  return { status, headers: { 'content-type': CT_JSON }, json: value };
}

/**
 * A JSON response whose body is already serialised; `bytes` gives its UTF-8 encoding when one is
 * kept (a shared rendering), asked for only when the reply is sent as is rather than embedded.
 */
export function jsonText(serialised: string, status = 200, bytes?: () => Buffer): ApiResponse {
  return bytes ? { status, headers: { 'content-type': CT_JSON }, jsonText: serialised, bodyBytes: bytes } : { status, headers: { 'content-type': CT_JSON }, jsonText: serialised };
}

export function text(status: number, message: string): ApiResponse {
  return { status, headers: { 'content-type': CT_TEXT }, body: Buffer.from(message, 'utf8') };
}

export function bytes(body: Buffer, headers: Record<string, string> = {}, status = 200): ApiResponse {
  return { status, headers: { 'content-type': CT_OCTET, ...headers }, body };
}

export function bodyOf(r: ApiResponse): Buffer {
  if (r.body) return r.body;
  if (r.jsonText !== undefined) {
    r.body = r.bodyBytes ? r.bodyBytes() : Buffer.from(r.jsonText, 'utf8');
    return r.body;
  }
  if (r.json !== undefined) {
    r.body = Buffer.from(JSON.stringify(r.json), 'utf8');
    return r.body;
  }
  return Buffer.alloc(0);
}

// JSON.stringify costs some 2,000 instructions a call whatever the size of what it serialises,
// and a poll's batch reply asked it for each sub-response's header object: the one-header
// objects nearly every response carries are serialised once per content type.
const ONE_HEADER_MAX = 64;
const oneHeaderJson = new Map<string, string>();

/** A header object as JSON text, in its own key order. */
export function headersJson(headers: Record<string, string>): string {
  let keys = 0;
  for (const k in headers) if (++keys > 1 || k !== 'content-type') return JSON.stringify(headers);
  if (keys === 0) return '{}';
  const type = headers['content-type']!;
  let text = oneHeaderJson.get(type);
  if (text === undefined) {
    text = JSON.stringify(headers);
    if (oneHeaderJson.size < ONE_HEADER_MAX) oneHeaderJson.set(type, text);
  }
  return text;
}

/** The body as JSON text, for embedding in a larger JSON document without parsing it again. */
export function jsonTextOf(r: ApiResponse): string {
  if (r.jsonText !== undefined) return r.jsonText;
  if (r.json !== undefined) return JSON.stringify(r.json);
  return bodyOf(r).toString('utf8');
}

const STATUS: Record<ErrorKind, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'not-acceptable': 406,
  conflict: 409,
  unsupported: 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  'too-early': 425,
  'rate-limited': 429,
};

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

export function errorResponse(e: DomainError): ApiResponse {
  return text(statusOf(e.kind), e.message);
}
