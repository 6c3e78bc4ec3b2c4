import * as nodeCrypto from 'node:crypto';
import sodium from 'sodium-native';
import { decodeBase64Strict } from './base64';
import { blake2b, hmacSha256 } from './hash';
import { decodeHex } from './hex';
import { x25519PublicKey, x25519SharedSecret } from './keys';
import { parseJson } from './json';

export { bencodeList, bdecodeList } from './bencode';

export type EncType = 'aes-gcm' | 'xchacha20';
/** aes-cbc is unauthenticated and unused by clients; kept only because the reference accepts it. */
export type OnionCipher = EncType | 'aes-cbc';

const GCM_IV = 12;
const XCHACHA_NONCE = 24;
const CBC_IV = 16;
const TAG = 16;
const LOKI = Buffer.from('LOKI', 'ascii');

/** enc_type from the outer JSON; absent means aes-gcm (what the desktop client relies on). */
export function parseEncType(v: unknown): OnionCipher | null {
  switch (v) {
    case undefined:
    case 'aes-gcm':
    case 'gcm':
      return 'aes-gcm';
    case 'xchacha20':
    case 'xchacha20-poly1305':
      return 'xchacha20';
    case 'aes-cbc':
    case 'cbc':
      return 'aes-cbc';
    default:
      return null;
  }
}

/** uint32-LE N || ciphertext(N) || JSON(rest). */
export function parseOnionFrame(body: Buffer): { ciphertext: Buffer; meta: Buffer } | null {
  if (!Buffer.isBuffer(body) || body.length < 4) return null;
  const n = body.readUInt32LE(0);
  if (n > body.length - 4) return null;
  return { ciphertext: body.subarray(4, 4 + n), meta: body.subarray(4 + n) };
}

/**
 * `ephemeral_key` as 64 hex (what clients send) or 43/44-char base64. The reference also takes
 * 32 raw bytes and base32z; raw bytes cannot survive a JSON string in practice and no client
 * sends base32z, so those are rejected. A 32-byte Buffer (already decoded) is accepted.
 */
export function parseEphemeralKey(v: unknown): Buffer | null {
  if (Buffer.isBuffer(v)) return v.length === 32 ? Buffer.from(v) : null;
  if (typeof v !== 'string') return null;
  if (v.length === 64) return decodeHex(v);
  if (v.length === 43 || v.length === 44) {
    const b = decodeBase64Strict(v);
    return b && b.length === 32 ? b : null;
  }
  return null;
}

/** Symmetric key from the X25519 shared secret; the same key encrypts the reply. */
export function onionKeyFromShared(encType: OnionCipher, shared: Buffer, ephemeralPk: Buffer, serverPk: Buffer): Buffer {
  switch (encType) {
    case 'aes-gcm':
      // Salt "LOKI" is the HMAC key and the shared secret the message, not the other way round.
      return hmacSha256(LOKI, shared);
    case 'xchacha20':
      return blake2b(Buffer.concat([shared, ephemeralPk, serverPk]), 32);
    case 'aes-cbc':
      return Buffer.from(shared);
  }
}

/** Server side of docs/protocol/crypto.md §4.3; throws if the ephemeral key is low-order (no shared secret exists). */
export function onionSymmetricKey(encType: OnionCipher, serverSk: Buffer, serverPk: Buffer, ephemeralPk: Buffer): Buffer {
  return onionKeyFromShared(encType, x25519SharedSecret(serverSk, ephemeralPk), ephemeralPk, serverPk);
}

function requireKey(key: Buffer): void {
  if (key.length !== 32) throw new Error('onion symmetric key must be 32 bytes');
}

/** IV/nonce || ciphertext || tag (CBC: IV || ciphertext); null on any malformed or forged input. */
export function onionDecrypt(encType: OnionCipher, key: Buffer, data: Buffer): Buffer | null {
  requireKey(key);
  try {
    switch (encType) {
      case 'aes-gcm': {
        if (data.length < GCM_IV + TAG) return null;
        const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, GCM_IV));
        d.setAuthTag(data.subarray(data.length - TAG));
        return Buffer.concat([d.update(data.subarray(GCM_IV, data.length - TAG)), d.final()]);
      }
      case 'xchacha20': {
        if (data.length < XCHACHA_NONCE + TAG) return null;
        const out = Buffer.alloc(data.length - XCHACHA_NONCE - TAG);
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
          out, null, data.subarray(XCHACHA_NONCE), null, data.subarray(0, XCHACHA_NONCE), key,
        );
        return out;
      }
      case 'aes-cbc': {
        if (data.length < 2 * CBC_IV || data.length % CBC_IV !== 0) return null;
        const d = nodeCrypto.createDecipheriv('aes-256-cbc', key, data.subarray(0, CBC_IV));
        return Buffer.concat([d.update(data.subarray(CBC_IV)), d.final()]);
      }
    }
  } catch {
    return null;
  }
}

function ivLength(encType: OnionCipher): number {
  return encType === 'aes-gcm' ? GCM_IV : encType === 'xchacha20' ? XCHACHA_NONCE : CBC_IV;
}

/** libsodium's generator: half the cost of node's randomBytes() for a 12-byte IV (0.9 vs 1.8 us here). */
function randomIv(length: number): Buffer {
  const iv = Buffer.alloc(length);
  sodium.randombytes_buf(iv);
  return iv;
}

/** Inverse of onionDecrypt. Pass `ivOrNonce` only for reproducible tests; default is random. */
export function onionEncrypt(encType: OnionCipher, key: Buffer, plaintext: Buffer, ivOrNonce?: Buffer): Buffer {
  requireKey(key);
  const iv = ivOrNonce ?? randomIv(ivLength(encType));
  if (iv.length !== ivLength(encType)) throw new Error(`${encType} needs a ${ivLength(encType)}-byte IV/nonce`);
  switch (encType) {
    case 'aes-gcm': {
      const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv);
      return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
    }
    case 'xchacha20': {
      const ct = Buffer.alloc(plaintext.length + TAG);
      sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(ct, plaintext, null, null, iv, key);
      return Buffer.concat([iv, ct]);
    }
    case 'aes-cbc': {
      const c = nodeCrypto.createCipheriv('aes-256-cbc', key, iv);
      return Buffer.concat([iv, c.update(plaintext), c.final()]);
    }
  }
}

export type ParsedOnionRequest = {
  ciphertext: Buffer;
  ephemeralPk: Buffer;
  encType: OnionCipher;
  /** the whole outer JSON object (routing fields are for the service node and are ignored) */
  meta: Record<string, unknown>;
};

/** Outer framing + JSON + ephemeral_key + enc_type (docs/protocol/crypto.md §4.2); null means plain HTTP 400 (§4.7). */
export function parseOnionRequest(body: Buffer): ParsedOnionRequest | null {
  const frame = parseOnionFrame(body);
  if (!frame) return null;
  let meta: unknown;
  try {
    meta = parseJson(frame.meta);
  } catch {
    return null;
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return null;
  const fields = meta as Record<string, unknown>;
  const ephemeralPk = parseEphemeralKey(fields['ephemeral_key']);
  const encType = parseEncType(fields['enc_type']);
  if (!ephemeralPk || !encType) return null;
  return { ciphertext: frame.ciphertext, ephemeralPk, encType, meta: fields };
}

export type BuildOnionRequestOptions = {
  serverPk: Buffer;
  plaintext: Buffer;
  encType?: EncType;
  ephemeralSk?: Buffer;
  iv?: Buffer;
  /** default: only when encType is not aes-gcm (the server's default) */
  includeEncType?: boolean;
  /** routing fields placed before ephemeral_key, e.g. {host, target, method} as the desktop sends */
  outerFields?: Record<string, unknown>;
  /** emit the outer JSON's keys in sorted order, as libsession-util's builder (nlohmann::json) does */
  sortKeys?: boolean;
};

/** Client side: the body the last service node would POST to the server, plus the reply key. */
export function buildOnionRequestBody(opts: BuildOnionRequestOptions): { body: Buffer; key: Buffer } {
  const encType = opts.encType ?? 'aes-gcm';
  const ephemeralSk = opts.ephemeralSk ?? nodeCrypto.randomBytes(32);
  const ephemeralPk = x25519PublicKey(ephemeralSk);
  const key = onionKeyFromShared(encType, x25519SharedSecret(ephemeralSk, opts.serverPk), ephemeralPk, opts.serverPk);
  const ciphertext = onionEncrypt(encType, key, opts.plaintext, opts.iv);
  const meta: Record<string, unknown> = { ...opts.outerFields, ephemeral_key: ephemeralPk.toString('hex') };
  if (opts.includeEncType ?? encType !== 'aes-gcm') meta['enc_type'] = encType;
  const outerJson = opts.sortKeys ? Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : meta;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(ciphertext.length, 0);
  return { body: Buffer.concat([len, ciphertext, Buffer.from(JSON.stringify(outerJson), 'utf8')]), key };
}
