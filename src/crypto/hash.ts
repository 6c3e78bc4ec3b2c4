import * as nodeCrypto from 'node:crypto';
import sodium from 'sodium-native';

// crypto_generichash() in sodium-native insists on keys of at least 16 bytes, but PySOGS keys
// BLAKE2b with the 13-byte "sogsfiltering"; the init/update/final API has no such limit.
// @types/sodium-native does not declare these three, hence the local signature.
type GenerichashStateApi = {
  crypto_generichash_STATEBYTES: number;
  crypto_generichash_init(state: Buffer, key: Buffer | null, outLen: number): void;
  crypto_generichash_update(state: Buffer, input: Buffer): void;
  crypto_generichash_final(state: Buffer, out: Buffer): void;
};
const gh = sodium as unknown as GenerichashStateApi;

function asBuffer(b: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** BLAKE2b with an `outLen`-byte digest (1–64); the length is a parameter, not a truncation. */
export function blake2b(data: Buffer | Uint8Array, outLen: number, key?: Buffer): Buffer {
  if (!Number.isInteger(outLen) || outLen < 1 || outLen > 64) {
    throw new RangeError(`blake2b output length must be 1..64, got ${outLen}`);
  }
  if (key !== undefined && key.length > 64) throw new RangeError('blake2b key longer than 64 bytes');
  const state = Buffer.alloc(gh.crypto_generichash_STATEBYTES);
  gh.crypto_generichash_init(state, key && key.length > 0 ? key : null, outLen);
  gh.crypto_generichash_update(state, asBuffer(data));
  const out = Buffer.alloc(outLen);
  gh.crypto_generichash_final(state, out);
  return out;
}

export function hmacSha256(key: Buffer, msg: Buffer): Buffer {
  return nodeCrypto.createHmac('sha256', key).update(msg).digest();
}

export function sha512(...parts: Uint8Array[]): Buffer {
  const h = nodeCrypto.createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}
