const B64_BODY_RE = /^[A-Za-z0-9+/]*$/;

/**
 * RFC 4648 standard-alphabet decoding. Missing `=` padding is tolerated; present padding may be
 * incomplete ("...A=" where "==" is due) because the reference server completes padding itself
 * before decoding (22–24 char nonces), but it may never exceed what the length requires.
 * Non-zero unused trailing bits are accepted, as by the reference (Python's b64decode).
 */
export function decodeBase64Strict(s: string): Buffer | null {
  if (typeof s !== 'string') return null;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d /* = */) end--;
  const body = s.slice(0, end);
  const pad = s.length - end;
  if (!B64_BODY_RE.test(body)) return null;
  const rem = body.length % 4;
  if (rem === 1) return null;
  const padDue = rem === 0 ? 0 : 4 - rem;
  if (pad > padDue) return null;
  return Buffer.from(body, 'base64');
}

export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}
