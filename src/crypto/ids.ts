import sodium from 'sodium-native';
import { blake2b } from './hash';
import { decodeHex } from './hex';
import { edwardsYFromMontgomeryU, scalarReduce64 } from './scalar';

export const SESSION_ID_RE = /^[0-9a-fA-F]{66}$/;

/** Splits a 66-hex id into its prefix (lower-case hex) and 32 key bytes. */
export function parseSessionId(id: string): { prefix: string; key: Buffer } {
  if (typeof id !== 'string' || id.length !== 66) {
    throw new Error(`invalid session id: expected 66 hex digits, got ${typeof id === 'string' ? id.length : typeof id}`);
  }
  const bytes = decodeHex(id);
  if (!bytes) throw new Error('invalid session id: not hexadecimal');
  return { prefix: bytes.subarray(0, 1).toString('hex'), key: bytes.subarray(1) };
}

/** Canonical, on the curve, prime-order subgroup, not small order (libsodium's definition). */
export function isValidEd25519Point(pk: Buffer): boolean {
  return Buffer.isBuffer(pk) && pk.length === 32 && sodium.crypto_core_ed25519_is_valid_point(pk);
}

export function ed25519PkToX25519(edPk: Buffer): Buffer | null {
  if (!Buffer.isBuffer(edPk) || edPk.length !== 32) return null;
  const out = Buffer.alloc(32);
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(out, edPk);
  } catch {
    return null;
  }
  return out;
}

/** XEd25519 "positive" Ed25519 key for an X25519 key (docs/protocol/crypto.md §1.3); the real key may be its negation. */
export function x25519PkToEd25519Positive(xPk: Buffer): Buffer {
  if (xPk.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  return edwardsYFromMontgomeryU(xPk);
}

// The server asks for k with its own key on every blinded lookup; a handful of entries covers
// every real caller (one server key, plus tests) without letting the cache grow unbounded.
const BLINDING_CACHE_MAX = 16;
const blindingCache = new Map<string, Buffer>();

/** k = reduce(BLAKE2b-64(server X25519 pubkey)) (docs/protocol/crypto.md §1.4). */
export function blindingFactor(serverPk: Buffer): Buffer {
  if (serverPk.length !== 32) throw new Error('server public key must be 32 bytes');
  const cacheKey = serverPk.toString('hex');
  let k = blindingCache.get(cacheKey);
  if (!k) {
    k = scalarReduce64(blake2b(serverPk, 64));
    if (blindingCache.size >= BLINDING_CACHE_MAX) blindingCache.clear();
    blindingCache.set(cacheKey, k);
  }
  return Buffer.from(k);
}

/** A key that is not a usable Ed25519 point: callers holding untrusted ids turn it into a 400. */
export class InvalidPointError extends Error {}

/** n·P without clamping; throws InvalidPointError on small-order/invalid points (as PySOGS does). */
export function scalarMultNoClamp(n: Buffer, point: Buffer): Buffer {
  const out = Buffer.alloc(32);
  try {
    sodium.crypto_scalarmult_ed25519_noclamp(out, n, point);
  } catch {
    throw new InvalidPointError('invalid Ed25519 point for scalar multiplication');
  }
  return out;
}

function unblindedXKey(sessionId05: string): Buffer {
  const { prefix, key } = parseSessionId(sessionId05);
  if (prefix !== '05') throw new Error(`expected a 05-prefixed session id, got prefix ${prefix}`);
  return key;
}

/** Both possible 15-ids of a 05 account on this server; pos has bit 255 clear, neg has it set. */
export function blindedIdCandidates(sessionId05: string, serverPk: Buffer): { pos: string; neg: string } {
  const aPlus = x25519PkToEd25519Positive(unblindedXKey(sessionId05));
  const p = scalarMultNoClamp(blindingFactor(serverPk), aPlus);
  p[31] &= 0x7f;
  const pos = '15' + p.toString('hex');
  p[31] |= 0x80;
  const neg = '15' + p.toString('hex');
  return { pos, neg };
}

/** The "abs" form of a blinded id: sign bit (high bit of hex digit 64) cleared, lower-cased. */
export function blindedAbs(blindedId: string): string {
  if (!SESSION_ID_RE.test(blindedId)) throw new Error('invalid blinded id: expected 66 hex digits');
  const id = blindedId.toLowerCase();
  const d = parseInt(id[64], 16) & 7;
  return id.slice(0, 64) + d.toString(16) + id.slice(65);
}

export function systemUserId(serverPk: Buffer): string {
  if (serverPk.length !== 32) throw new Error('server public key must be 32 bytes');
  return 'ff' + serverPk.toString('hex');
}

/** k25 = reduce(BLAKE2b-64(0x05 || X25519 pub || server pubkey)) (docs/protocol/crypto.md §1.6). */
export function blind25Factor(sessionId05: string, serverPk: Buffer): Buffer {
  const xPk = unblindedXKey(sessionId05);
  if (serverPk.length !== 32) throw new Error('server public key must be 32 bytes');
  return scalarReduce64(blake2b(Buffer.concat([Buffer.from([0x05]), xPk, serverPk]), 64));
}

/** 25 || k25·A+ — built from the positive key, so there is no sign ambiguity. */
export function blind25Id(sessionId05: string, serverPk: Buffer): string {
  const aPlus = x25519PkToEd25519Positive(unblindedXKey(sessionId05));
  return '25' + scalarMultNoClamp(blind25Factor(sessionId05, serverPk), aPlus).toString('hex');
}
