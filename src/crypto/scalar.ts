import sodium from 'sodium-native';

// sodium-native does not export crypto_core_ed25519_scalar_mul, and there is no libsodium
// function for the Montgomery→Edwards map (1.3), so those two operations use BigInt.
// BigInt arithmetic is not constant-time: the scalar products only ever involve secrets on the
// client side (test clients, the client library); the server only maps public keys.

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const P = (1n << 255n) - 19n;

function leToBigInt(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}

function bigIntToLe32(x: bigint): Buffer {
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return result;
}

/** (x · y) mod L for 32-byte little-endian scalars (unreduced inputs allowed, e.g. clamped `a`). */
export function scalarMulModL(x: Uint8Array, y: Uint8Array): Buffer {
  return bigIntToLe32((leToBigInt(x) * leToBigInt(y)) % L);
}

/** reduce(x64): 64-byte little-endian integer mod L. */
export function scalarReduce64(x64: Buffer): Buffer {
  const out = Buffer.alloc(32);
  sodium.crypto_core_ed25519_scalar_reduce(out, x64);
  return out;
}

export function scalarAdd(x: Buffer, y: Buffer): Buffer {
  const out = Buffer.alloc(32);
  sodium.crypto_core_ed25519_scalar_add(out, x, y);
  return out;
}

/** y = (u − 1)/(u + 1) mod p, with bit 255 of u ignored; the result has bit 255 clear. */
export function edwardsYFromMontgomeryU(u32: Buffer): Buffer {
  const u = leToBigInt(u32) & ((1n << 255n) - 1n);
  const num = (u - 1n + P) % P;
  const den = (u + 1n) % P;
  return bigIntToLe32((num * modPow(den, P - 2n, P)) % P);
}
