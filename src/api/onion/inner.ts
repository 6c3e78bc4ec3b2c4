// Pieces shared by the v3 and v4 inner-request parsers: turning a client-supplied endpoint and
// header object into the ApiRequest the router dispatches.
import { parseJson } from '../../crypto/json';
import { decodePath, splitTarget } from '../paths';

/** `endpoint` split at the first '?', the path percent-decoded; null when the escapes are bad. */
export function splitEndpoint(endpoint: string): { path: string; query: string } | null {
  const { rawPath, query } = splitTarget(endpoint);
  const path = decodePath(rawPath);
  return path === null ? null : { path, query };
}

/**
 * Header names lower-cased (the router and auth look them up that way), without Content-Length:
 * the inner body's length is its own, and deleting the key afterwards would turn the object into
 * a slow dictionary for every later lookup. Values must be strings; numbers are tolerated and
 * stringified because the reference hands the object to its framework, which does the same.
 * Anything else (nested objects, arrays, null) makes the request invalid.
 */
export function lowerCaseHeaders(v: unknown): Record<string, string> | null {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return null;
  const given = v as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k in given) {
    if (!Object.hasOwn(given, k)) continue;
    const val = given[k];
    let text: string;
    if (typeof val === 'string') text = val;
    else if (typeof val === 'number' && Number.isFinite(val)) text = String(val);
    else return null;
    const name = k.toLowerCase();
    if (name !== 'content-length') out[name] = text;
  }
  return out;
}

/** Parses a JSON object, or null for anything else (bad UTF-8 becomes U+FFFD and then bad JSON; too deep). */
export function parseJsonObject(b: Buffer): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = parseJson(b);
  } catch {
    return null;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
