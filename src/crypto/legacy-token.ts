import { encodeBase64 } from './base64';
import { decodeHexOrBase64Exact } from './hex-or-base64';
import { hmacSha256 } from './hash';
import { parseSessionId } from './ids';
import { serverEd25519FromX25519Secret, x25519SharedSecret } from './keys';
import { onionDecrypt, onionEncrypt } from './onion';
import { signEd25519, verifyEd25519 } from './sign';

const LOKI = Buffer.from('LOKI', 'ascii');

/** HMAC-SHA256(key="LOKI", X25519(sk, pk)); both sides of the challenge derive the same key. */
export function legacyChallengeKey(sk: Buffer, userXPk: Buffer): Buffer {
  return hmacSha256(LOKI, x25519SharedSecret(sk, userXPk));
}

/** IV(12) || AES-256-GCM(token) || tag(16). */
export function encryptLegacyChallenge(key: Buffer, token: Buffer, iv?: Buffer): Buffer {
  return onionEncrypt('aes-gcm', key, token, iv);
}

/** Client side of the challenge; null if the ciphertext does not authenticate. */
export function decryptLegacyChallenge(key: Buffer, ciphertext: Buffer): Buffer | null {
  return onionDecrypt('aes-gcm', key, ciphertext);
}

/** Body of GET auth_token_challenge (docs/protocol/crypto.md §5.1). */
export function legacyChallengeJson(
  ciphertext: Buffer,
  ephemeralPk: Buffer,
): { status_code: 200; challenge: { ciphertext: string; ephemeral_public_key: string } } {
  return {
    status_code: 200,
    challenge: { ciphertext: encodeBase64(ciphertext), ephemeral_public_key: encodeBase64(ephemeralPk) },
  };
}

const TOKEN_LEN = 64 + 33;

function sessionIdBytes05(sessionId05: string): Buffer {
  const { prefix, key } = parseSessionId(sessionId05);
  if (prefix !== '05') throw new Error(`legacy tokens are for 05 session ids, got prefix ${prefix}`);
  return Buffer.concat([Buffer.from([0x05]), key]);
}

/** The Ed25519 key that PySOGS tokens verify under (server X25519 secret used as a seed). */
export function pysogsTokenPublicKey(serverSk: Buffer): Buffer {
  return serverEd25519FromX25519Secret(serverSk).publicKey;
}

/** Stateless PySOGS token: signature(64) || session id(33), signed with the server secret as seed. */
export function makePysogsToken(serverSk: Buffer, sessionId05: string): Buffer {
  const id = sessionIdBytes05(sessionId05);
  const { secretKey } = serverEd25519FromX25519Secret(serverSk);
  return Buffer.concat([signEd25519(secretKey, id), id]);
}

/**
 * Returns the token's 05 id if it carries the server's signature, else null. Takes the server's
 * Ed25519 public key (pysogsTokenPublicKey): both it and the X25519 secret are 32 bytes, so a
 * parameter accepting either could not tell them apart.
 */
export function verifyPysogsToken(serverEdPk: Buffer, token: Buffer): string | null {
  if (!Buffer.isBuffer(token) || token.length !== TOKEN_LEN) return null;
  const id = token.subarray(64);
  if (id[0] !== 0x05) return null;
  return verifyEd25519(token.subarray(0, 64), id, serverEdPk) ? id.toString('hex') : null;
}

/** `Authorization` value of a PySOGS token: 194 hex or base64 of 97 bytes. */
export function decodePysogsAuthorization(value: string): Buffer | null {
  return decodeHexOrBase64Exact(value, TOKEN_LEN);
}
