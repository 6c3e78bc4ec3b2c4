// Buffer.from(s, 'hex') silently stops at the first bad digit, which would let malformed ids
// through as shorter keys; every hex input goes through this strict check instead.
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

export function decodeHex(s: string, expectedBytes?: number): Buffer | null {
  if (typeof s !== 'string' || !HEX_RE.test(s)) return null;
  if (expectedBytes !== undefined && s.length !== expectedBytes * 2) return null;
  return Buffer.from(s, 'hex');
}
