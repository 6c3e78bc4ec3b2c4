import * as nodeCrypto from 'node:crypto';
import sodium from 'sodium-native';
import { blake2b } from './hash';
import { blindingFactor } from './ids';
import { scalarMulModL } from './scalar';

export function x25519PublicKey(sk: Buffer): Buffer {
  if (sk.length !== 32) throw new Error('X25519 secret key must be 32 bytes');
  const pk = Buffer.alloc(32);
  sodium.crypto_scalarmult_base(pk, sk);
  return pk;
}

export function generateX25519SecretKey(): Buffer {
  return nodeCrypto.randomBytes(32);
}

/** X25519(sk, pk); throws when the result is all-zero (low-order `pk`). */
export function x25519SharedSecret(sk: Buffer, pk: Buffer): Buffer {
  if (sk.length !== 32 || pk.length !== 32) throw new Error('X25519 keys must be 32 bytes');
  const out = Buffer.alloc(32);
  try {
    sodium.crypto_scalarmult(out, sk, pk);
  } catch {
    throw new Error('X25519 failed: low-order public key');
  }
  return out;
}

function ed25519FromSeed(seed: Buffer): { publicKey: Buffer; secretKey: Buffer } {
  if (seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes');
  const publicKey = Buffer.alloc(32);
  const secretKey = Buffer.alloc(64);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
  return { publicKey, secretKey };
}

/**
 * PySOGS reuses the X25519 secret bytes as an Ed25519 seed (legacy tokens, filter bots). The
 * resulting public key is unrelated to the published X25519 key and is never published.
 */
export function serverEd25519FromX25519Secret(sk: Buffer): { publicKey: Buffer; secretKey: Buffer } {
  return ed25519FromSeed(sk);
}

export type Account = {
  seed: Buffer;
  edPk: Buffer;
  /** seed || edPk, libsodium layout */
  edSk: Buffer;
  /** clamped SHA-512(seed)[0:32], i.e. the Ed25519 scalar `a` */
  xSk: Buffer;
  xPk: Buffer;
  /** '05' + hex(xPk) */
  sessionId: string;
};

export function accountFromSeed(seed: Buffer): Account {
  const { publicKey: edPk, secretKey: edSk } = ed25519FromSeed(seed);
  const xSk = Buffer.alloc(32);
  const xPk = Buffer.alloc(32);
  sodium.crypto_sign_ed25519_sk_to_curve25519(xSk, edSk);
  sodium.crypto_sign_ed25519_pk_to_curve25519(xPk, edPk);
  return { seed: Buffer.from(seed), edPk, edSk, xSk, xPk, sessionId: '05' + xPk.toString('hex') };
}

export type BlindedKeys = { ka: Buffer; kA: Buffer; blindedId: string };

/** ka = k·a mod L, kA = ka·B (docs/protocol/crypto.md §1.4); kA carries the account's real sign. */
export function blindedKeys(account: Account, serverPk: Buffer): BlindedKeys {
  const ka = scalarMulModL(blindingFactor(serverPk), account.xSk);
  const kA = Buffer.alloc(32);
  sodium.crypto_scalarmult_ed25519_base_noclamp(kA, ka);
  return { ka, kA, blindedId: '15' + kA.toString('hex') };
}

const FILTER_BOT_KEY = Buffer.from('sogsfiltering', 'utf8');

/** PySOGS content-filter bot identity (docs/protocol/crypto.md §6): posts as 15 + Ed25519 pubkey, unblinded signing. */
export function filterBotKeys(
  profileName: string,
  serverSk: Buffer,
): { seed: Buffer; publicKey: Buffer; secretKey: Buffer; sessionId: string } {
  const seed = blake2b(Buffer.concat([Buffer.from(profileName, 'utf8'), serverSk]), 32, FILTER_BOT_KEY);
  const { publicKey, secretKey } = ed25519FromSeed(seed);
  return { seed, publicKey, secretKey, sessionId: '15' + publicKey.toString('hex') };
}
