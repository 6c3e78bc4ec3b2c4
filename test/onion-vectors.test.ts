// The spec's onion vectors replayed against a server holding the vector key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openV4Reply } from '../client';
import { onionDecrypt } from '../src/crypto/onion';
import { ManualClock, startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { loadVectors } from './helpers/vectors';
import { postRaw } from './helpers/onion';

describe('onion.generated vectors replayed against a server holding the vector key', () => {
  const V = loadVectors().onion.generated as Record<string, string>[];
  const AUTH_TIME = 1700000000; // the X-SOGS-Timestamp the vectors were signed at

  /** A server with the vector's key, the clock at signing time, and (optionally) room test-room. */
  async function vectorServer(withRoom: boolean): Promise<TestServer> {
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, 'key_x25519'), Buffer.from(V[0]!['server_privkey']!, 'hex'));
    const t = await startTestServer({}, { dataDir, clock: new ManualClock(AUTH_TIME) });
    assert.equal(t.serverPubkey.toString('hex'), V[0]!['server_pubkey']);
    if (withRoom) await t.s.store.createRoom({ token: 'test-room', name: 'Test room', now: AUTH_TIME });
    return t;
  }

  async function replay(t: TestServer, v: Record<string, string>): Promise<Buffer> {
    const r = await postRaw(t, v['endpoint']!, Buffer.from(v['http_request_body_hex']!, 'hex'));
    assert.equal(r.status, 200, r.body.toString());
    const key = Buffer.from(v['symmetric_key']!, 'hex');
    const encType = v['enc_type'] === 'xchacha20' ? 'xchacha20' : 'aes-gcm';
    const ct = v['endpoint'] === '/oxen/v4/lsrpc' ? r.body : Buffer.from(r.body.toString('ascii'), 'base64');
    const reply = onionDecrypt(encType, key, ct);
    assert.ok(reply, 'reply decrypts with the vector symmetric key');
    return reply;
  }

  const byLabel = (label: string) => {
    const v = V.find((x) => x['label'] === label);
    assert.ok(v, label);
    return v;
  };

  test('v4 GET aes-gcm: signed GET /room/test-room', async () => {
    const t = await vectorServer(true);
    try {
      const r = openV4Reply(await replay(t, byLabel('v4 GET aes-gcm (enc_type omitted)')));
      assert.equal(r.status, 200, r.text());
      assert.equal(r.headers['content-type'], 'application/json');
      const room = r.json<{ token: string; name: string }>();
      assert.equal(room.token, 'test-room');
      assert.equal(room.name, 'Test room');
    } finally {
      await t.close();
    }
  });

  test('v4 POST xchacha20: signed message post lands as the vector user', async () => {
    const t = await vectorServer(true);
    try {
      const r = openV4Reply(await replay(t, byLabel('v4 POST xchacha20')));
      assert.equal(r.status, 201, r.text());
      const { id } = r.json<{ id: number }>();
      const listed = await t.client(null).get('/room/test-room/messages/recent');
      const m = listed.json<{ id: number; data: string; session_id: string }[]>().find((x) => x.id === id);
      assert.ok(m);
      assert.equal(m.data, 'aGVsbG8=');
      assert.equal(m.session_id, '158f705fbc5125ec71d3da9d3078a9464614485b09e17f6d8ca64d60e9ef20ce5a');
    } finally {
      await t.close();
    }
  });

  test('v3 GET aes-gcm: body on success, byte-exact {"status_code": 404} without the room', async () => {
    const v = byLabel('v3 GET aes-gcm');
    const withRoom = await vectorServer(true);
    try {
      const room = JSON.parse((await replay(withRoom, v)).toString());
      assert.equal(room.token, 'test-room');
    } finally {
      await withRoom.close();
    }
    const without = await vectorServer(false);
    try {
      assert.equal((await replay(without, v)).toString(), v['error_response_plaintext_utf8']);
    } finally {
      await without.close();
    }
  });
});
