import sodium from 'sodium-native';
import { sha512 } from './hash';
import { parseSessionId, x25519PkToEd25519Positive } from './ids';
import type { Account, BlindedKeys } from './keys';
import { scalarAdd, scalarMulModL, scalarReduce64 } from './scalar';

export function verifyEd25519(sig: Buffer, msg: Buffer, pk: Buffer): boolean {
  if (!Buffer.isBuffer(sig) || !Buffer.isBuffer(msg) || !Buffer.isBuffer(pk)) return false;
  if (sig.length !== 64 || pk.length !== 32) return false;
  try {
    return sodium.crypto_sign_verify_detached(sig, msg, pk);
  } catch {
    return false;
  }
}

export function signEd25519(edSk64: Buffer, msg: Buffer): Buffer {
  if (edSk64.length !== 64) throw new Error('Ed25519 secret key must be 64 bytes (seed || pk)');
  const sig = Buffer.alloc(64);
  sodium.crypto_sign_detached(sig, msg, edSk64);
  return sig;
}

function baseMul(scalar: Buffer): Buffer {
  const point = Buffer.alloc(32);
  sodium.crypto_scalarmult_ed25519_base_noclamp(point, scalar);
  return point;
}

/** Ed25519 signature by scalar `s` for public key `pub`, with caller-chosen nonce scalar `r`. */
function signWithScalar(s: Buffer, pub: Buffer, r: Buffer, msg: Buffer): Buffer {
  const R = baseMul(r);
  const h = scalarReduce64(sha512(R, pub, msg));
  return Buffer.concat([R, scalarAdd(r, scalarMulModL(h, s))]);
}

/**
 * Blinded signature as the desktop client makes it (docs/protocol/crypto.md §1.5): kA goes into the nonce hash, and
 * H_rh is taken from SHA-512 of the 32-byte seed. libsession uses the 64-byte secret key
 * instead, which yields different but equally valid signatures.
 */
export function signBlinded(account: Account, keys: BlindedKeys, msg: Buffer): Buffer {
  const hRh = sha512(account.seed).subarray(32, 64);
  const r = scalarReduce64(sha512(hRh, keys.kA, msg));
  return signWithScalar(keys.ka, keys.kA, r, msg);
}

/**
 * What curve25519-js `sign(xSk, data)` produces for a 05 sender (docs/protocol/crypto.md §3): deterministic nonce
 * from the scalar itself, and the sign bit of A smuggled into the unused top bit of S.
 */
export function signMessage05(account: Account, data: Buffer): Buffer {
  const a = account.xSk;
  const r = scalarReduce64(sha512(a, data));
  const sig = signWithScalar(a, account.edPk, r, data);
  sig[63] |= account.edPk[31] & 0x80;
  return sig;
}

/** Client-side message signature check (docs/protocol/crypto.md §3) for 15/25 (plain Ed25519) and 05 (XEd25519) senders. */
export function verifyMessageSignature(sessionId: string, data: Buffer, sig: Buffer): boolean {
  let parsed: { prefix: string; key: Buffer };
  try {
    parsed = parseSessionId(sessionId);
  } catch {
    return false;
  }
  if (!Buffer.isBuffer(sig) || sig.length !== 64) return false;
  if (parsed.prefix === '15' || parsed.prefix === '25') return verifyEd25519(sig, data, parsed.key);
  if (parsed.prefix !== '05') return false;
  const pub = x25519PkToEd25519Positive(parsed.key);
  pub[31] |= sig[63] & 0x80;
  const plainSig = Buffer.from(sig);
  plainSig[63] &= 0x7f;
  return verifyEd25519(plainSig, data, pub);
}
