// Onion requests (docs/protocol/crypto.md §4, docs/protocol/api.md §4.11) through the real HTTP server: round trips for every
// version/cipher, the desktop poll, inner errors, malformed payloads, limits and the spec vectors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildV4Plaintext,
  httpRequest,
  onionRequest,
  openV3Reply,
  openV4Reply,
  type OnionOptions,
  type OnionResponse,
  type RawResponse,
  type SogsClient,
} from '../client';
import { signedMessage } from '../client/messages';
import { bencodeList } from '../src/crypto/bencode';
import { buildOnionRequestBody, onionDecrypt, type EncType } from '../src/crypto/onion';
import { ManualClock, startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { loadVectors } from './helpers/vectors';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const CT_TEXT = 'text/plain; charset=utf-8';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

/** Every transport variant a client can pick; v3 is reachable at two paths. */
const VARIANTS: { name: string; opts: OnionOptions }[] = [
  { name: 'v4 aes-gcm', opts: { version: 'v4', encType: 'aes-gcm' } },
  { name: 'v4 xchacha20', opts: { version: 'v4', encType: 'xchacha20' } },
  { name: 'v3 aes-gcm /oxen/v3/lsrpc', opts: { version: 'v3', encType: 'aes-gcm', endpointPath: '/oxen/v3/lsrpc' } },
  { name: 'v3 aes-gcm /loki/v3/lsrpc', opts: { version: 'v3', encType: 'aes-gcm', endpointPath: '/loki/v3/lsrpc' } },
  { name: 'v3 xchacha20', opts: { version: 'v3', encType: 'xchacha20' } },
];

function post(t: TestServer, target: string, body: Buffer): Promise<RawResponse> {
  return httpRequest(t.url + target, 'POST', {}, body);
}

/** uint32-LE length || ciphertext || trailing JSON text, with the length overridable for lies. */
function frame(ciphertext: Buffer, meta: string, declared = ciphertext.length): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(declared, 0);
  return Buffer.concat([len, ciphertext, utf8(meta)]);
}

/** Encrypts an arbitrary v4 plaintext, sends it, and opens the encrypted reply. */
async function sendV4Plaintext(t: TestServer, plaintext: Buffer, encType: EncType = 'aes-gcm'): Promise<OnionResponse> {
  const { body, key } = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext, encType });
  const res = await post(t, '/oxen/v4/lsrpc', body);
  assert.equal(res.status, 200, `outer status: ${res.body.toString()}`);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  const reply = onionDecrypt(encType, key, res.body);
  assert.ok(reply, 'reply decrypts with the request key');
  return openV4Reply(reply);
}

async function sendV3Plaintext(t: TestServer, plaintext: Buffer): Promise<Buffer> {
  const { body, key } = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext });
  const res = await post(t, '/loki/v3/lsrpc', body);
  assert.equal(res.status, 200);
  const reply = onionDecrypt('aes-gcm', key, Buffer.from(res.body.toString('ascii'), 'base64'));
  assert.ok(reply);
  return reply;
}

async function assertStillServing(t: TestServer): Promise<void> {
  const r = await t.client(null).get('/capabilities');
  assert.equal(r.status, 200);
}

function postMessageViaOnion(c: SogsClient, content: Buffer, opts: OnionOptions) {
  const m = signedMessage(c.identity!, c.serverPubkey, content);
  const json = { data: m.data.toString('base64'), signature: m.signature.toString('base64') };
  return { m, res: onionRequest(c, { method: 'POST', target: '/room/main/message', json }, opts) };
}

describe('round trips', () => {
  for (const { name, opts } of VARIANTS) {
    test(`${name}: anonymous GET /capabilities`, async () => {
      const direct = await srv.client(null).get('/capabilities');
      const r = await onionRequest(srv.client(null), { method: 'GET', target: '/capabilities' }, opts);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), direct.json());
      assert.ok(r.json<{ capabilities: string[] }>().capabilities.includes('sogs'));
      if (opts.version === 'v4') assert.equal(r.headers['content-type'], 'application/json');
    });

    test(`${name}: signed post, then read back`, async () => {
      const c = srv.client();
      const content = crypto.randomBytes(50);
      const { m, res } = postMessageViaOnion(c, content, opts);
      const posted = await res;
      // v3 replies carry no status for successes: the client reads any 2xx body as 200.
      assert.equal(posted.status, opts.version === 'v4' ? 201 : 200, posted.text());
      const { id, session_id } = posted.json<{ id: number; session_id: string }>();
      assert.equal(session_id, c.sessionId);

      const recent = await onionRequest(c, { method: 'GET', target: '/room/main/messages/recent?limit=256' }, opts);
      assert.equal(recent.status, 200);
      const mine = recent.json<{ id: number; data: string; signature: string }[]>().find((x) => x.id === id);
      assert.ok(mine, 'posted message is listed');
      assert.deepEqual(Buffer.from(mine.data, 'base64'), m.data);
      assert.deepEqual(Buffer.from(mine.signature, 'base64'), m.signature);
    });
  }

  test('percent-encoded inner endpoints are decoded before routing and signature checks', async () => {
    const c = srv.client();
    const r = await onionRequest(c, { method: 'GET', target: '/room/m%61in/messages/recent?limit=1' });
    assert.equal(r.status, 200, r.text());
    assert.ok(Array.isArray(r.json()));
  });
});

describe('the desktop poll: v4 aes-gcm onion wrapping a signed /batch', () => {
  test('positional results, run as the signing user', async () => {
    const c = srv.client();
    const posted = await c.postMessage('main', utf8('poll me'));
    assert.equal(posted.status, 201);
    const postedId = posted.json<{ id: number }>().id;

    const subs = [
      { method: 'GET', path: '/capabilities' },
      { method: 'GET', path: '/room/main/pollInfo/0' },
      { method: 'GET', path: '/room/main/messages/recent?reactors=5' },
    ];
    const r = await onionRequest(c, { method: 'POST', target: '/batch', json: subs }, { version: 'v4', encType: 'aes-gcm' });
    assert.equal(r.status, 200, r.text());
    assert.equal(r.headers['content-type'], 'application/json');
    const [caps, poll, recent, ...rest] = r.json<{ code: number; headers: Record<string, string>; body: any }[]>();
    assert.equal(rest.length, 0);
    assert.equal(caps!.code, 200);
    assert.ok(caps!.body.capabilities.includes('sogs'));
    assert.equal(poll!.code, 200);
    assert.equal(poll!.body.token, 'main');
    assert.equal(poll!.body.read, true);
    assert.equal(recent!.code, 200);
    assert.equal(recent!.headers['content-type'], 'application/json');
    const mine = recent!.body.find((x: { id: number }) => x.id === postedId);
    assert.equal(mine.session_id, c.sessionId);
  });

  test('the signed batch vivifies the user (proof the inner signature verified)', async () => {
    const c = srv.client();
    assert.equal(await srv.s.store.findUser(c.sessionId), null);
    const r = await onionRequest(c, { method: 'POST', target: '/batch', json: [{ method: 'GET', path: '/capabilities' }] });
    assert.equal(r.status, 200);
    assert.ok(await srv.s.store.findUser(c.sessionId));
  });
});

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
        const r = await post(srv, endpoint, make());
        assert.equal(r.status, 400, r.body.toString());
        assert.equal(r.headers['content-type'], CT_TEXT);
        await assertStillServing(srv);
      });
    }
  }

  test('a correctly built body is accepted (the cases above fail for their stated reason)', async () => {
    const { body, key } = valid();
    const r = await post(srv, '/oxen/v4/lsrpc', body);
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

describe('nesting', () => {
  test('an onion endpoint inside a v4 onion request is refused inside the encryption', async () => {
    const innerOnion = buildOnionRequestBody({ serverPk: srv.serverPubkey, plaintext: buildV4Plaintext('GET', '/capabilities', {}) }).body;
    for (const endpoint of ['/oxen/v4/lsrpc', '/loki/v3/lsrpc', '/oxen/v3/lsrpc']) {
      const r = await onionRequest(srv.client(null), { method: 'POST', target: endpoint, body: innerOnion });
      assert.equal(r.status, 400, endpoint);
      assert.equal(r.text(), 'nested onion requests are not allowed');
    }
  });

  test('an onion endpoint inside a batch inside an onion request fails batch validation', async () => {
    const r = await onionRequest(srv.client(), { method: 'POST', target: '/batch', json: [{ method: 'POST', path: '/oxen/v4/lsrpc', b64: 'AAAA' }] });
    assert.equal(r.status, 400);
  });
});

describe('size limit', () => {
  test('bodies over maxOnionBodyBytes get a plain 413; smaller ones still work', async () => {
    const t = await startTestServer({ maxOnionBodyBytes: 1000 });
    try {
      const big = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext: buildV4Plaintext('POST', '/batch', {}, Buffer.alloc(1200, 0x20)) });
      const r = await post(t, '/oxen/v4/lsrpc', big.body);
      assert.equal(r.status, 413);
      assert.equal(r.headers['content-type'], CT_TEXT);
      const ok = await onionRequest(t.client(null), { method: 'GET', target: '/capabilities' });
      assert.equal(ok.status, 200);
    } finally {
      await t.close();
    }
  });
});

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
    const r = await post(t, v['endpoint']!, Buffer.from(v['http_request_body_hex']!, 'hex'));
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


describe("the desktop client's 10-second poll", () => {
  test('onion v4 wrapping /batch: first poll with recent, then since with t=r&reactors=5, inbox/outbox 304 when empty', async () => {
    const c = srv.client();
    const poster = srv.client();
    const rooms = ['main'];
    const batch = (first: boolean, since: Record<string, number>, dm: { inbox: number; outbox: number }) => [
      { method: 'GET', path: '/capabilities' },
      ...rooms.flatMap((r) => [
        { method: 'GET', path: `/room/${r}/pollInfo/0` },
        first
          ? { method: 'GET', path: `/room/${r}/messages/recent?reactors=5` }
          : { method: 'GET', path: `/room/${r}/messages/since/${since[r]}?t=r&reactors=5` },
      ]),
      { method: 'GET', path: `/inbox/since/${dm.inbox}` },
      { method: 'GET', path: `/outbox/since/${dm.outbox}` },
    ];
    type Sub = { code: number; headers: Record<string, string>; body: unknown };
    const poll = async (subs: unknown[]): Promise<Sub[]> => {
      const r = await onionRequest(c, { method: 'POST', target: '/batch', json: subs }, { version: 'v4' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json');
      return r.json<Sub[]>();
    };

    assert.equal((await poster.postMessage('main', crypto.randomBytes(30))).status, 201);
    const first = await poll(batch(true, {}, { inbox: 0, outbox: 0 }));
    assert.deepEqual(first.map((x) => x.code), [200, 200, 200, 304, 304], 'matched by position');
    assert.ok((first[0]!.body as { capabilities: string[] }).capabilities.includes('blind'));
    assert.equal((first[1]!.body as { token: string }).token, 'main');
    const recent = first[2]!.body as { seqno: number }[];
    assert.ok(recent.length > 0);
    const seq = Math.max(...recent.map((m) => m.seqno));

    // Caught up: nothing new.
    const idle = await poll(batch(false, { main: seq }, { inbox: 0, outbox: 0 }));
    assert.deepEqual(idle.map((x) => x.code), [200, 200, 200, 304, 304]);
    assert.deepEqual(idle[2]!.body, []);

    // A new post and a reaction to it: the next poll returns both, the reaction as part of the post.
    const posted = (await poster.postMessage('main', crypto.randomBytes(30))).json<{ id: number }>();
    assert.equal((await poster.put(`/room/main/reaction/${posted.id}/👍`, {})).status, 200);
    const next = await poll(batch(false, { main: seq }, { inbox: 0, outbox: 0 }));
    const msgs = next[2]!.body as { id: number; reactions?: Record<string, { count: number; reactors?: string[] }> }[];
    assert.deepEqual(msgs.map((m) => m.id), [posted.id]);
    assert.equal(msgs[0]!.reactions?.['👍']?.count, 1);
    assert.deepEqual(msgs[0]!.reactions?.['👍']?.reactors, [poster.sessionId]);

    // A DM to the poller: its inbox answers 200 with the message, its outbox stays 304.
    assert.equal((await poster.post(`/inbox/${c.sessionId}`, { message: crypto.randomBytes(40).toString('base64') })).status, 201);
    const withDm = await poll(batch(false, { main: seq }, { inbox: 0, outbox: 0 }));
    assert.equal(withDm[3]!.code, 200);
    assert.equal((withDm[3]!.body as unknown[]).length, 1);
    assert.equal(withDm[4]!.code, 304);
  });
});
