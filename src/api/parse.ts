// Parsing request inputs with the spec's rules: integers (absent = default, junk = 400, out of
// range clamped), JSON bodies (400 when malformed), strict base64.
import { decodeBase64Strict } from '../crypto/base64';
import { JsonDepthError, parseJson } from '../crypto/json';
import { DomainError, badRequest } from '../domain/errors';
import { CT_JSON, CT_OCTET } from './respond';
import type { Query } from './router';
import type { ApiRequest } from './types';

export function intQuery(q: Query, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^-?\d{1,15}$/.test(raw)) throw badRequest(`query parameter '${name}' must be an integer`);
  return Math.min(max, Math.max(min, Number(raw)));
}

export type JsonObject = Record<string, unknown>;

export function jsonBody(req: ApiRequest): unknown {
  if (req.body.length === 0) throw badRequest('request body must be JSON');
  requireJsonContentType(req);
  return untrustedJson(req.body, 'request body');
}

// Content types a JSON body may be declared with. No type at all, and application/octet-stream:
// the v4 onion transport and batch `b64`/`bytes` sub-requests give a body without a type that
// one (docs/protocol/api.md §4.11), and some clients send none, so refusing it would break them (the reference
// reads such bodies too, or fails with a 500). Anything declared as clearly something else (a
// form, HTML, text) was not meant for a JSON endpoint: 415, not a confusing "not valid JSON".
const JSON_TYPE = /^application\/(?:json|[\w.-]+\+json)$/;

/** 415 unless the declared content type can be JSON (any parameters, any case). */
export function requireJsonContentType(req: ApiRequest): void {
  const declared = req.headers['content-type'];
  if (declared === undefined) return;
  const semi = declared.indexOf(';');
  const type = (semi < 0 ? declared : declared.slice(0, semi)).trim().toLowerCase();
  if (type === '' || type === CT_JSON || type === CT_OCTET || JSON_TYPE.test(type)) return;
  throw new DomainError('unsupported-media-type', `request body must be JSON (Content-Type: application/json), not ${type.slice(0, 100)}`);
}

/** Parses JSON from a client (nesting limited): 400 naming `what` when it is malformed or too deep. */
export function untrustedJson(text: Buffer | string, what: string): unknown {
  try {
    return parseJson(text);
  } catch (e) {
    if (e instanceof JsonDepthError) throw badRequest(`${what} is refused: ${e.message}`);
    throw badRequest(`${what} is not valid JSON`);
  }
}

export function jsonObject(req: ApiRequest): JsonObject {
  const v = jsonBody(req);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('request body must be a JSON object');
  return v as JsonObject;
}

export function base64Field(obj: JsonObject, name: string, exactBytes?: number): Buffer {
  const v = obj[name];
  if (typeof v !== 'string') throw badRequest(`'${name}' is required and must be a base64 string`);
  const buf = decodeBase64Strict(v);
  if (!buf) throw badRequest(`'${name}' is not valid base64`);
  if (exactBytes !== undefined && buf.length !== exactBytes) throw badRequest(`'${name}' must be ${exactBytes} bytes`);
  return buf;
}

/** An optional flag: absent or null gives null; true/false, or 1/0 as some clients send them. */
export function optionalBool(obj: JsonObject, name: string): boolean | null {
  const v = obj[name];
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw badRequest(`'${name}' must be a boolean or null`);
}
