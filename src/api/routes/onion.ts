// Onion request endpoints (docs/protocol/crypto.md §4, docs/protocol/api.md §4.11). The last service node POSTs the encrypted
// blob; we decrypt it, dispatch the inner request through the same router (it authenticates with
// its own X-SOGS-* headers) and encrypt the inner response with the same key and cipher.
import { onionDecrypt, onionEncrypt, onionSymmetricKey, parseOnionRequest, type OnionCipher } from '../../crypto/onion';
import { invalidV4Plaintext, parseV4Request, v4ReplyPlaintext } from '../onion/v4';
import { parseV3Request, v3ReplyPlaintext, v3StatusPlaintext } from '../onion/v3';
import { CT_TEXT, bytes, text } from '../respond';
import type { Ctx, Router } from '../router';
import type { ApiResponse } from '../types';

type Version = 'v3' | 'v4';

/** Decrypts the outer blob; a plain-text error response when no reply key can be had (docs/protocol/crypto.md §4.7). */
function open(c: Ctx): { encType: OnionCipher; key: Buffer; plaintext: Buffer } | ApiResponse {
  const parsed = parseOnionRequest(c.req.body);
  if (!parsed) return text(400, 'Invalid onion request: bad framing, JSON, ephemeral_key or enc_type');
  let key: Buffer;
  try {
    key = onionSymmetricKey(parsed.encType, c.s.keys.secret, c.s.keys.publicKey, parsed.ephemeralPk);
  } catch {
    // A low-order ephemeral key has no shared secret.
    return text(400, 'Invalid onion request: unusable ephemeral_key');
  }
  const plaintext = onionDecrypt(parsed.encType, key, parsed.ciphertext);
  if (!plaintext) return text(400, 'Invalid onion request: decryption failed');
  return { encType: parsed.encType, key, plaintext };
}

async function v4(c: Ctx, plaintext: Buffer): Promise<Buffer> {
  const inner = parseV4Request(plaintext);
  if (!inner) return invalidV4Plaintext();
  return v4ReplyPlaintext(await c.dispatchInner(inner));
}

async function v3(c: Ctx, plaintext: Buffer): Promise<Buffer> {
  const inner = parseV3Request(plaintext);
  if (!inner) return v3StatusPlaintext(400);
  return v3ReplyPlaintext(await c.dispatchInner(inner));
}

function handler(version: Version) {
  return async (c: Ctx): Promise<ApiResponse> => {
    // An onion request is always the outermost transport. Reaching this handler below the top
    // (an onion endpoint named inside an onion request, or any future path that forgets the
    // batch NESTED check) answers 400; inside an onion request that 400 travels encrypted.
    if (c.depth > 0) return text(400, 'nested onion requests are not allowed');
    const opened = open(c);
    if (!('plaintext' in opened)) return opened;
    const { encType, key, plaintext } = opened;
    const reply = version === 'v4' ? await v4(c, plaintext) : await v3(c, plaintext);
    const ciphertext = onionEncrypt(encType, key, reply);
    // v4 returns raw bytes; v3 base64-encodes them. Either way the outer status is 200.
    if (version === 'v4') return bytes(ciphertext);
    return { status: 200, headers: { 'content-type': CT_TEXT }, body: Buffer.from(ciphertext.toString('base64'), 'ascii') };
  };
}

export function onionRoutes(r: Router): void {
  // The body limit (maxOnionBodyBytes) is the route's: the listener answers 413 before reading.
  const limits = { body: 'onion' } as const;
  r.post('/oxen/v4/lsrpc', handler('v4'), limits);
  r.post('/oxen/v3/lsrpc', handler('v3'), limits);
  r.post('/loki/v3/lsrpc', handler('v3'), limits);
}
