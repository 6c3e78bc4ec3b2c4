// What the onion request tests share: the server most of them use, every transport variant a client
// can pick, raw POSTs of hand-made onion bodies and their replies, and a message posted over onion.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  httpRequest,
  onionRequest,
  openV4Reply,
  type OnionOptions,
  type OnionResponse,
  type RawResponse,
  type SogsClient,
} from '../../client';
import { signedMessage } from '../../client/messages';
import { buildOnionRequestBody, onionDecrypt, type EncType } from '../../src/crypto/onion';
import { startTestServer, type TestServer } from './server';
import { utf8 } from './vectors';

export const CT_TEXT = 'text/plain; charset=utf-8';

export let srv: TestServer;

/** Starts the server most onion tests use (one per test file) before the file's tests. */
export function useOnionServer(): void {
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.close();
  });
}

/** Every transport variant a client can pick; v3 is reachable at two paths. */
export const VARIANTS: { name: string; opts: OnionOptions }[] = [
  { name: 'v4 aes-gcm', opts: { version: 'v4', encType: 'aes-gcm' } },
  { name: 'v4 xchacha20', opts: { version: 'v4', encType: 'xchacha20' } },
  { name: 'v3 aes-gcm /oxen/v3/lsrpc', opts: { version: 'v3', encType: 'aes-gcm', endpointPath: '/oxen/v3/lsrpc' } },
  { name: 'v3 aes-gcm /loki/v3/lsrpc', opts: { version: 'v3', encType: 'aes-gcm', endpointPath: '/loki/v3/lsrpc' } },
  { name: 'v3 xchacha20', opts: { version: 'v3', encType: 'xchacha20' } },
];

export function postRaw(t: TestServer, target: string, body: Buffer): Promise<RawResponse> {
  return httpRequest(t.url + target, 'POST', {}, body);
}

/** uint32-LE length || ciphertext || trailing JSON text, with the length overridable for lies. */
export function frame(ciphertext: Buffer, meta: string, declared = ciphertext.length): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(declared, 0);
  return Buffer.concat([len, ciphertext, utf8(meta)]);
}

/** Encrypts an arbitrary v4 plaintext, sends it, and opens the encrypted reply. */
export async function sendV4Plaintext(t: TestServer, plaintext: Buffer, encType: EncType = 'aes-gcm'): Promise<OnionResponse> {
  const { body, key } = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext, encType });
  const res = await postRaw(t, '/oxen/v4/lsrpc', body);
  assert.equal(res.status, 200, `outer status: ${res.body.toString()}`);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  const reply = onionDecrypt(encType, key, res.body);
  assert.ok(reply, 'reply decrypts with the request key');
  return openV4Reply(reply);
}

export async function sendV3Plaintext(t: TestServer, plaintext: Buffer): Promise<Buffer> {
  const { body, key } = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext });
  const res = await postRaw(t, '/loki/v3/lsrpc', body);
  assert.equal(res.status, 200);
  const reply = onionDecrypt('aes-gcm', key, Buffer.from(res.body.toString('ascii'), 'base64'));
  assert.ok(reply);
  return reply;
}

export async function assertStillServing(t: TestServer): Promise<void> {
  const r = await t.client(null).get('/capabilities');
  assert.equal(r.status, 200);
}

export function postMessageViaOnion(c: SogsClient, content: Buffer, opts: OnionOptions) {
  const m = signedMessage(c.identity!, c.serverPubkey, content);
  const json = { data: m.data.toString('base64'), signature: m.signature.toString('base64') };
  return { m, res: onionRequest(c, { method: 'POST', target: '/room/main/message', json }, opts) };
}
