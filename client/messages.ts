// Message bodies as Session clients produce them: padded bytes and a signature over them.
import crypto from 'node:crypto';
import type { Identity } from './identity';

/** Session pads message bodies with 0x80 then 0x00s to a multiple of 160 bytes. */
export function padMessage(content: Buffer, block = 160): Buffer {
  const size = Math.ceil((content.length + 1) / block) * block;
  const out = Buffer.alloc(size);
  content.copy(out);
  out[content.length] = 0x80;
  return out;
}

export interface SignedMessage {
  data: Buffer;
  signature: Buffer;
}

/** Pads `content` and signs the padded bytes with the blinded key for this server. */
export function signedMessage(identity: Identity, serverPk: Buffer, content: Buffer): SignedMessage {
  const data = padMessage(content);
  return { data, signature: identity.signBlinded(serverPk, data) };
}

export function randomContent(bytes = 40): Buffer {
  return crypto.randomBytes(bytes);
}
