// Seeded random values for the fuzzer (test/fuzz.test.ts, scripts/fuzz.ts): a small PRNG (the
// seed must reproduce a case on any machine, which Math.random cannot), and hostile strings,
// numbers, ids, JSON values and byte mutations.
import crypto from 'node:crypto';

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough to drive a fuzzer; the same seed gives the same cases. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The generator of case `index` of a run: each case reproducible on its own. */
export function caseRng(seed: number, index: number): Rng {
  const r = mulberry32((seed * 0x9e3779b1) ^ index);
  r();
  return r;
}

export const int = (r: Rng, n: number): number => Math.floor(r() * n);
export const chance = (r: Rng, p: number): boolean => r() < p;
export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
export const bytes = (r: Rng, n: number): Buffer => {
  if (n > 32) {
    // Long runs: expanded from one seeded draw with SHAKE-256 (as reproducible, far cheaper).
    return crypto.createHash('shake256', { outputLength: n }).update(String(r())).digest();
  }
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
};
export const hex = (r: Rng, n: number): string => bytes(r, Math.ceil(n / 2)).toString('hex').slice(0, n);

const ODD_STRINGS = [
  '', ' ', 'null', 'true', '0', '-1', 'NaN', 'Infinity', '1e999', '__proto__', 'constructor', 'toString',
  '..', '../..', '/', '//', '\\', '%', '%%', '%ZZ', '%00', '%C0%AF', '%E0%80', '%F0%9F%98', '%2F', '%2e%2e',
  '\u0000', '\u0007', '\n', '\r\n', '\u202e', '\ud800', '\udfff', '😀', '🏳️‍🌈', 'ü', '日本語', '\u200b',
  '<script>alert(1)</script>', "'; DROP TABLE rooms; --", '${x}', '{{x}}', '"', "'", '`', '\\u0000',
];

/** A short hostile string. */
export function junk(r: Rng): string {
  switch (int(r, 6)) {
    case 0:
      return pick(r, ODD_STRINGS);
    case 1:
      return pick(r, ODD_STRINGS) + pick(r, ODD_STRINGS);
    case 2:
      return 'x'.repeat(pick(r, [1, 64, 65, 255, 256, 1000, 5000]));
    case 3:
      return hex(r, pick(r, [1, 2, 63, 64, 65, 66, 67, 128]));
    case 4:
      return bytes(r, int(r, 40)).toString('base64');
    default:
      return String.fromCharCode(...Array.from({ length: int(r, 12) }, () => int(r, 0x3000)));
  }
}

const ODD_INTS = [
  '0', '1', '-1', '2', '42', '255', '256', '65535', '2147483647', '2147483648', '4294967296', '9007199254740991',
  '9007199254740992', '999999999999999', '9999999999999999', '18446744073709551615', '18446744073709551616',
  '99999999999999999999999999', '00001', '+1', ' 1', '1 ', '1.5', '1e3', '0x10', '-0', '', 'NaN', 'abc',
];

/** A path or query integer: mostly odd, sometimes one of `known`. */
export function fuzzInt(r: Rng, known: readonly number[] = []): string {
  if (known.length > 0 && chance(r, 0.4)) return String(pick(r, known));
  return pick(r, ODD_INTS);
}

/** A JSON number that a handler may not expect. */
export function oddNumber(r: Rng): number {
  return pick(r, [0, -1, 1, 0.5, -0.5, 1e300, -1e300, 2 ** 53, 2 ** 64, -(2 ** 63), Number.MAX_VALUE, Number.MIN_VALUE, 1e-7, 3600, 86400 * 400]);
}

/** Any JSON value, `depth` levels at most; sometimes one nested far past the server's limit. */
export function fuzzJson(r: Rng, depth = 3): unknown {
  const k = int(r, depth > 0 ? 9 : 6);
  switch (k) {
    case 0:
      return null;
    case 1:
      return chance(r, 0.5);
    case 2:
      return oddNumber(r);
    case 3:
    case 4:
      return junk(r);
    case 5:
      return int(r, 1000);
    case 6:
    case 7:
      return Array.from({ length: int(r, 4) }, () => fuzzJson(r, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 4); i > 0; i--) o[chance(r, 0.7) ? pick(r, FIELD_NAMES) : junk(r)] = fuzzJson(r, depth - 1);
      return o;
    }
  }
}

/** Field names the handlers read, so that random objects reach past the first check. */
export const FIELD_NAMES = [
  'data', 'signature', 'whisper_to', 'whisper_mods', 'files', 'rooms', 'global', 'timeout', 'in', 'read', 'write',
  'upload', 'moderator', 'admin', 'visible', 'unschedule', 'name', 'description', 'image', 'public_key', 'ids', 'id',
  'requests', 'room_id', 'auth_token', 'from_message_server_id', 'from_deletion_server_id', 'timestamp', 'message',
  'method', 'path', 'headers', 'json', 'b64', 'bytes', 'endpoint', 'body', 'auth_code', 'reactors', 'limit',
];

/** Deeply nested JSON text (arrays or objects), well past any sane depth. */
export function deepJsonText(r: Rng): string {
  const n = pick(r, [65, 100, 1000, 5000, 20000]);
  return chance(r, 0.5) ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

/** A byte-level mutation: flip, truncate, insert, duplicate or splice junk. */
export function mutateBytes(r: Rng, b: Buffer): Buffer {
  if (b.length === 0) return bytes(r, int(r, 16));
  const out = Buffer.from(b);
  switch (int(r, 6)) {
    case 0:
      for (let i = 1 + int(r, 4); i > 0; i--) out[int(r, out.length)] ^= 1 << int(r, 8);
      return out;
    case 1:
      return out.subarray(0, int(r, out.length));
    case 2: {
      const at = int(r, out.length);
      return Buffer.concat([out.subarray(0, at), bytes(r, 1 + int(r, 8)), out.subarray(at)]);
    }
    case 3:
      return Buffer.concat([out, out]);
    case 4: {
      const at = int(r, out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.from(junk(r)), out.subarray(at + int(r, 8))]);
    }
    default:
      out[int(r, out.length)] = pick(r, [0x22, 0x5c, 0x7b, 0x5b, 0x7d, 0x5d, 0x2c, 0x3a, 0x00, 0xff]);
      return out;
  }
}
