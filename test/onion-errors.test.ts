// Onion request failures through the real HTTP server: inner errors, failures before a reply key
// exists, malformed v4 and v3 payloads, and the size limit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { buildV4Plaintext, onionRequest, openV3Reply, openV4Reply } from '../client';
import { bencodeList } from '../src/crypto/bencode';
import { buildOnionRequestBody, onionDecrypt } from '../src/crypto/onion';
import { startTestServer } from './helpers/server';
import { utf8 } from './helpers/vectors';
import {
  CT_TEXT,
  srv,
  useOnionServer,
  postRaw,
  frame,
  sendV4Plaintext,
  sendV3Plaintext,
  assertStillServing,
} from './helpers/onion';

useOnionServer();

describe('inner errors travel encrypted with outer HTTP 200', () => {
  test('404 for an unknown room (v4 keeps headers and body, v3 says status_code)', async () => {
    const v4 = await onionRequest(srv.client(), { method: 'GET', target: '/room/no-such-room' });
    assert.equal(v4.status, 404);
    assert.equal(v4.headers['content-type'], CT_TEXT);
    assert.ok(v4.body.length > 0);
    const v3 = await onionRequest(srv.client(), { method: 'GET', target: '/room/no-such-room' }, { version: 'v3' });
    assert.equal(v3.status, 404);
    assert.equal(v3.text(), '{"status_code": 404}');
  });

  test('401 for a signature over a different request', async () => {
    const c = srv.client();
    const headers = c.authHeaders('GET', '/room/main/pollInfo/0');
    const r = await onionRequest(c, { method: 'GET', target: '/room/main/messages/recent', headers }, { signed: false });
    assert.equal(r.status, 401);
    assert.equal(r.headers['content-type'], CT_TEXT);
  });

  test('401 when an anonymous inner request posts', async () => {
    const r = await onionRequest(srv.client(null), { method: 'POST', target: '/room/main/message', json: { data: 'AA==', signature: 'AA==' } });
    assert.equal(r.status, 401);
  });

  test('reply header names are lower-case and content-length is dropped', async () => {
    const r = await onionRequest(srv.client(null), { method: 'GET', target: '/capabilities' });
    assert.ok(Object.keys(r.headers).length > 0);
    for (const k of Object.keys(r.headers)) assert.equal(k, k.toLowerCase());
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['content-type'], 'application/json');
  });
});

describe('failures before a reply key exists: plain 400', () => {
  const eph = crypto.randomBytes(32).toString('hex');
  const valid = () => buildOnionRequestBody({ serverPk: srv.serverPubkey, plaintext: buildV4Plaintext('GET', '/capabilities', {}) });

  const cases: [string, () => Buffer][] = [
    ['body shorter than 4 bytes', () => Buffer.from([1, 0, 0])],
    ['empty body', () => Buffer.alloc(0)],
    ['declared length larger than the body', () => frame(crypto.randomBytes(10), '{}', 1000)],
    ['declared length near 2^32', () => frame(crypto.randomBytes(10), '{}', 0xffffffff)],
    ['truncated ciphertext', () => {
      const b = valid().body;
      const n = b.readUInt32LE(0);
      return frame(b.subarray(4, 4 + n - 5), b.subarray(4 + n).toString());
    }],
    ['ciphertext shorter than IV + tag', () => frame(crypto.randomBytes(5), JSON.stringify({ ephemeral_key: eph }))],
    ['garbage after the ciphertext', () => {
      const b = valid().body;
      return frame(b.subarray(4, 4 + b.readUInt32LE(0)), 'not json at all');
    }],
    ['outer JSON is an array', () => frame(crypto.randomBytes(40), `["${eph}"]`)],
    ['missing ephemeral_key', () => frame(crypto.randomBytes(40), '{"enc_type":"aes-gcm"}')],
    ['ephemeral_key of the wrong length', () => frame(crypto.randomBytes(40), JSON.stringify({ ephemeral_key: 'abcd' }))],
    ['low-order ephemeral_key (all zeros)', () => frame(crypto.randomBytes(40), JSON.stringify({ ephemeral_key: '00'.repeat(32) }))],
    ['unknown enc_type', () => {
      const b = valid().body;
      const meta = JSON.parse(b.subarray(4 + b.readUInt32LE(0)).toString());
      return frame(b.subarray(4, 4 + b.readUInt32LE(0)), JSON.stringify({ ...meta, enc_type: 'rot13' }));
    }],
    ['encrypted to a different server key', () =>
      buildOnionRequestBody({ serverPk: crypto.randomBytes(32), plaintext: buildV4Plaintext('GET', '/capabilities', {}) }).body],
    ['tampered tag', () => {
      const b = Buffer.from(valid().body);
      const lastTagByte = 4 + b.readUInt32LE(0) - 1;
      b[lastTagByte] = b[lastTagByte]! ^ 0x01;
      return b;
    }],
    ['aes-gcm ciphertext labelled xchacha20', () => {
      const b = valid().body;
      const meta = JSON.parse(b.subarray(4 + b.readUInt32LE(0)).toString());
      return frame(b.subarray(4, 4 + b.readUInt32LE(0)), JSON.stringify({ ...meta, enc_type: 'xchacha20' }));
    }],
  ];

  for (const [name, make] of cases) {
    for (const endpoint of ['/oxen/v4/lsrpc', '/loki/v3/lsrpc']) {
      test(`${endpoint}: ${name}`, async () => {
        const r = await postRaw(srv, endpoint, make());
        assert.equal(r.status, 400, r.body.toString());
        assert.equal(r.headers['content-type'], CT_TEXT);
        await assertStillServing(srv);
      });
    }
  }

  test('a correctly built body is accepted (the cases above fail for their stated reason)', async () => {
    const { body, key } = valid();
    const r = await postRaw(srv, '/oxen/v4/lsrpc', body);
    assert.equal(r.status, 200);
    assert.equal(openV4Reply(onionDecrypt('aes-gcm', key, r.body)!).status, 200);
  });
});

describe('malformed v4 plaintext: encrypted 400 "Invalid v4 onion request"', () => {
  const meta = (m: unknown) => utf8(JSON.stringify(m));
  const cases: [string, Buffer][] = [
    ['not bencoded', utf8('{"method":"GET","endpoint":"/capabilities"}')],
    ['declared string length past the end', utf8('l500:{"method":"GET"}e')],
    ['huge declared bencode length', utf8('l99999999999999999999999:xe')],
    ['missing the closing e', utf8('l2:{}')],
    ['bytes after the list', Buffer.concat([bencodeList([meta({ method: 'GET', endpoint: '/capabilities' })]), utf8('x')])],
    ['empty list', utf8('le')],
    ['a third element', bencodeList([meta({ method: 'POST', endpoint: '/batch' }), utf8('[]'), utf8('x')])],
    ['an integer element', utf8('li42ee')],
    ['metadata is not JSON', bencodeList([utf8('{method: GET}')])],
    ['metadata is a JSON array', bencodeList([meta(['GET', '/capabilities'])])],
    ['endpoint without a leading /', bencodeList([meta({ method: 'GET', endpoint: 'capabilities' })])],
    ['endpoint missing', bencodeList([meta({ method: 'GET' })])],
    ['method missing', bencodeList([meta({ endpoint: '/capabilities' })])],
    ['headers not an object', bencodeList([meta({ method: 'GET', endpoint: '/capabilities', headers: 'x' })])],
    ['header value an object', bencodeList([meta({ method: 'GET', endpoint: '/capabilities', headers: { a: {} } })])],
    ['bad percent-escape in the endpoint', bencodeList([meta({ method: 'GET', endpoint: '/room/%ZZ' })])],
    ['percent-escape that is not UTF-8', bencodeList([meta({ method: 'GET', endpoint: '/room/%ff' })])],
  ];

  for (const [name, plaintext] of cases) {
    test(name, async () => {
      const r = await sendV4Plaintext(srv, plaintext);
      assert.equal(r.status, 400);
      assert.deepEqual(r.headers, { 'content-type': CT_TEXT });
      assert.equal(r.text(), 'Invalid v4 onion request');
    });
  }

  test('headers may be absent; a minimal list with only metadata works', async () => {
    const r = await sendV4Plaintext(srv, bencodeList([meta({ method: 'GET', endpoint: '/capabilities' })]), 'xchacha20');
    assert.equal(r.status, 200);
  });
});

describe('malformed v3 plaintext: encrypted {"status_code": 400}', () => {
  const cases: [string, unknown][] = [
    ['not JSON', 'not json'],
    ['endpoint missing', { method: 'GET' }],
    ['method missing', { endpoint: '/capabilities' }],
    ['body on a GET', { method: 'GET', endpoint: '/capabilities', body: 'x' }],
    ['body on a DELETE', { method: 'DELETE', endpoint: '/room/main/message/1', body: '{}' }],
    ['body not a string', { method: 'POST', endpoint: '/batch', body: [] }],
    ['POST without a body', { method: 'POST', endpoint: '/batch' }],
    ['headers not an object', { method: 'GET', endpoint: '/capabilities', headers: [] }],
  ];
  for (const [name, req] of cases) {
    test(name, async () => {
      const reply = await sendV3Plaintext(srv, utf8(typeof req === 'string' ? req : JSON.stringify(req)));
      assert.equal(reply.toString(), '{"status_code": 400}');
    });
  }

  test('the literal body "null" on a GET is ignored (old Android clients)', async () => {
    const reply = await sendV3Plaintext(srv, utf8(JSON.stringify({ method: 'GET', endpoint: '/capabilities', body: 'null' })));
    assert.ok(JSON.parse(reply.toString()).capabilities.includes('sogs'));
  });

  test('v3 forces application/json: a POST /batch declared as text still parses', async () => {
    const req = { method: 'POST', endpoint: '/batch', headers: { 'Content-Type': 'text/plain' }, body: '[{"method":"GET","path":"/capabilities"}]' };
    const reply = JSON.parse((await sendV3Plaintext(srv, utf8(JSON.stringify(req)))).toString());
    assert.equal(reply[0].code, 200);
  });

  test('an endpoint without a leading / goes to /legacy/ (the legacy API; unknown ones 404)', async () => {
    const reply = await sendV3Plaintext(srv, utf8(JSON.stringify({ method: 'GET', endpoint: 'rooms', auth_code: 'x' })));
    const legacy = JSON.parse(reply.toString()) as { status_code: number; rooms: unknown };
    assert.equal(legacy.status_code, 200);
    assert.ok(Array.isArray(legacy.rooms));
    const unknown = await sendV3Plaintext(srv, utf8(JSON.stringify({ method: 'GET', endpoint: 'no_such_legacy_endpoint' })));
    assert.equal(unknown.toString(), '{"status_code": 404}');
    assert.equal(openV3Reply(unknown).status, 404);
  });
});

describe('size limit', () => {
  test('bodies over maxOnionBodyBytes get a plain 413; smaller ones still work', async () => {
    const t = await startTestServer({ maxOnionBodyBytes: 1000 });
    try {
      const big = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext: buildV4Plaintext('POST', '/batch', {}, Buffer.alloc(1200, 0x20)) });
      const r = await postRaw(t, '/oxen/v4/lsrpc', big.body);
      assert.equal(r.status, 413);
      assert.equal(r.headers['content-type'], CT_TEXT);
      const ok = await onionRequest(t.client(null), { method: 'GET', target: '/capabilities' });
      assert.equal(ok.status, 200);
    } finally {
      await t.close();
    }
  });
});
