// The unavoidable cryptography of one onion poll, measured with the fastest libraries at hand:
// one X25519 (onion key agreement), one AES-GCM open and one seal (request and reply), one
// Ed25519 verify (the X-SOGS signature). Its inverse is the most polls one core could ever serve.
import crypto from 'node:crypto';
import sodium from 'sodium-native';

function timeUs(iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e3 / iterations;
}

export interface CryptoFloor {
  x25519Us: number;
  aesGcmUs: number;
  ed25519VerifyUs: number;
  perPollUs: number;
}

export function measureCryptoFloor(requestBytes = 1500, replyBytes = 3000): CryptoFloor {
  const sk = crypto.randomBytes(32);
  const pk = Buffer.alloc(32);
  sodium.crypto_scalarmult_base(pk, crypto.randomBytes(32));
  const shared = Buffer.alloc(32);
  const x25519Us = timeUs(3000, () => sodium.crypto_scalarmult(shared, sk, pk));

  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(12);
  const reqPlain = crypto.randomBytes(requestBytes);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  const reqCt = Buffer.concat([c.update(reqPlain), c.final()]);
  const tag = c.getAuthTag();
  const reply = crypto.randomBytes(replyBytes);
  const aesGcmUs = timeUs(5000, () => {
    const d = crypto.createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    d.update(reqCt);
    d.final();
    const e = crypto.createCipheriv('aes-256-gcm', key, crypto.randomBytes(12));
    e.update(reply);
    e.final();
    e.getAuthTag();
  });

  const edPk = Buffer.alloc(32);
  const edSk = Buffer.alloc(64);
  sodium.crypto_sign_keypair(edPk, edSk);
  const msg = crypto.randomBytes(200);
  const sig = Buffer.alloc(64);
  sodium.crypto_sign_detached(sig, msg, edSk);
  const ed25519VerifyUs = timeUs(3000, () => sodium.crypto_sign_verify_detached(sig, msg, edPk));

  return { x25519Us, aesGcmUs, ed25519VerifyUs, perPollUs: x25519Us + aesGcmUs + ed25519VerifyUs };
}
