// /batch and /sequence (docs/protocol/api.md §4.1) over real HTTP: positional results, failure handling, body
// kinds, response encoding, auth inheritance and all-or-nothing validation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { signedMessage, type SogsClient } from '../client';
import { createRoom } from '../src/domain/rooms';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { startTestServer, type TestServer } from './helpers/server';

interface Sub {
  code: number;
  headers: Record<string, string>;
  body: any;
}

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.close();
});

/** A fresh padded+signed message body for `c`, plus its data bytes to look it up later. */
function newMessage(c: SogsClient): { data: Buffer; json: { data: string; signature: string } } {
  const m = signedMessage(c.identity!, c.serverPubkey, crypto.randomBytes(32));
  return { data: m.data, json: { data: m.data.toString('base64'), signature: m.signature.toString('base64') } };
}

async function isPosted(data: Buffer): Promise<boolean> {
  const r = await srv.client(null).get('/room/main/messages/recent?limit=256');
  assert.equal(r.status, 200);
  return r.json<{ data: string }[]>().some((m) => m.data === data.toString('base64'));
}

async function batchRaw(c: SogsClient, list: unknown, endpoint = '/batch'): Promise<{ status: number; subs: Sub[] }> {
  const r = await c.post(endpoint, list);
  return { status: r.status, subs: r.status === 200 ? r.json<Sub[]>() : [] };
}

describe('results', () => {
  test('one positional result per sub-request, in order; failures do not stop /batch', async () => {
    const c = srv.client();
    const msg = newMessage(c);
    const { status, subs } = await batchRaw(c, [
      { method: 'GET', path: '/capabilities' },
      { method: 'GET', path: '/room/no-such-room' },
      { method: 'POST', path: '/room/main/message', json: msg.json },
      { method: 'GET', path: '/room/main' },
    ]);
    assert.equal(status, 200);
    assert.deepEqual(subs.map((s) => s.code), [200, 404, 201, 200]);
    assert.ok(subs[0]!.body.capabilities.includes('sogs'));
    assert.equal(subs[2]!.body.session_id, c.sessionId);
    assert.equal(subs[3]!.body.token, 'main');
    assert.ok(await isPosted(msg.data));
  });

  test('/sequence stops after the first failure, includes it last, keeps earlier effects', async () => {
    const c = srv.client();
    const first = newMessage(c);
    const never = newMessage(c);
    const { status, subs } = await batchRaw(c, [
      { method: 'POST', path: '/room/main/message', json: first.json },
      { method: 'GET', path: '/room/no-such-room' },
      { method: 'POST', path: '/room/main/message', json: never.json },
    ], '/sequence');
    assert.equal(status, 200);
    assert.deepEqual(subs.map((s) => s.code), [201, 404]);
    assert.ok(await isPosted(first.data));
    assert.equal(await isPosted(never.data), false);
  });

  test('/sequence runs everything when nothing fails', async () => {
    const subs = await srv.client().sequence([
      { method: 'GET', path: '/capabilities' },
      { method: 'GET', path: '/room/main' },
    ]);
    assert.deepEqual(subs.map((s) => s.code), [200, 200]);
  });

  test('GET sub-requests after a write see it: the batch forgets the rooms it read before', async () => {
    const admin = srv.client();
    const room = await createRoom(srv.s, 'renamed', 'Before');
    await setModerator(srv.s, await resolveTargetUser(srv.s, admin.sessionId), [room], { moderator: true, admin: true, visible: true });
    const subs = await admin.batch([
      { method: 'GET', path: '/room/renamed' },
      { method: 'PUT', path: '/room/renamed', json: { name: 'After' } },
      { method: 'GET', path: '/room/renamed' },
      { method: 'GET', path: '/room/renamed/pollInfo/0' },
    ]);
    assert.deepEqual(subs.map((s) => s.code), [200, 200, 200, 200]);
    const [first, , second, poll] = subs.map((s) => s.body as { name: string; info_updates: number; details: { name: string } });
    assert.equal(first!.name, 'Before');
    assert.equal(second!.name, 'After');
    assert.equal(second!.info_updates, first!.info_updates + 1);
    assert.equal(poll!.details.name, 'After');
  });

  test('an empty array returns []', async () => {
    for (const endpoint of ['/batch', '/sequence']) {
      const r = await srv.client().post(endpoint, []);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), []);
    }
  });

  test('non-JSON sub-responses come back base64 with their content-type', async () => {
    const direct = await srv.client(null).get('/room/no-such-room');
    const [sub] = await srv.client().batch([{ method: 'GET', path: '/room/no-such-room' }]);
    assert.equal(sub!.code, 404);
    assert.equal(sub!.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(typeof sub!.body, 'string');
    assert.equal(Buffer.from(sub!.body as string, 'base64').toString('utf8'), direct.text());
  });

  test('sub-response headers are lower-case without content-length', async () => {
    const subs = await srv.client().batch([{ method: 'GET', path: '/capabilities' }, { method: 'GET', path: '/nope' }]);
    for (const s of subs) {
      assert.ok(Object.keys(s.headers).length > 0);
      for (const k of Object.keys(s.headers)) assert.equal(k, k.toLowerCase());
      assert.equal(s.headers['content-length'], undefined);
    }
    assert.equal(subs[0]!.headers['content-type'], 'application/json');
  });

  test('percent-escapes in sub-request paths are decoded; the query is kept', async () => {
    const [sub] = await srv.client().batch([{ method: 'GET', path: '/room/m%61in/messages/recent?limit=1' }]);
    assert.equal(sub!.code, 200);
    assert.ok(Array.isArray(sub!.body) && sub!.body.length <= 1);
  });
});

describe('body kinds', () => {
  test('json, b64 (with an explicit JSON content-type) and bytes bodies all reach the handler', async () => {
    const c = srv.client();
    const [a, b, d] = [newMessage(c), newMessage(c), newMessage(c)];
    const subs = await c.batch([
      { method: 'POST', path: '/room/main/message', json: a.json },
      { method: 'POST', path: '/room/main/message', headers: { 'Content-Type': 'application/json' }, b64: Buffer.from(JSON.stringify(b.json)).toString('base64') },
      { method: 'POST', path: '/room/main/message', headers: { 'content-type': 'application/json' }, bytes: JSON.stringify(d.json) },
    ]);
    assert.deepEqual(subs.map((s) => s.code), [201, 201, 201]);
    for (const m of [a, b, d]) assert.ok(await isPosted(m.data));
  });

  test('a b64 body that is not JSON reaches a JSON endpoint and gets its 400', async () => {
    const [sub] = await srv.client().batch([{ method: 'POST', path: '/room/main/message', b64: Buffer.from('not json').toString('base64') }]);
    assert.equal(sub!.code, 400);
  });
});

describe('auth inheritance', () => {
  test('sub-requests run as the outer user even with their own bogus X-SOGS-* headers', async () => {
    const c = srv.client();
    const m = newMessage(c);
    const bogus = { 'X-SOGS-Pubkey': 'garbage', 'X-SOGS-Nonce': 'x', 'X-SOGS-Timestamp': 'y', 'X-SOGS-Signature': 'z' };
    const [sub] = await c.batch([{ method: 'POST', path: '/room/main/message', headers: bogus, json: m.json }]);
    assert.equal(sub!.code, 201);
    assert.equal((sub!.body as { session_id: string }).session_id, c.sessionId);
  });

  test('an anonymous batch cannot borrow a signed user through sub-request headers', async () => {
    const user = srv.client();
    const m = newMessage(user);
    const body = Buffer.from(JSON.stringify(m.json));
    const signed = user.authHeaders('POST', '/room/main/message', body);
    const [sub] = await srv.client(null).batch([{ method: 'POST', path: '/room/main/message', headers: signed, json: m.json }]);
    assert.equal(sub!.code, 401);
    assert.equal(await isPosted(m.data), false);
  });
});

describe('validation rejects the whole batch with 400 and runs nothing', () => {
  const cases: [string, (post: unknown) => unknown][] = [
    ['body is an object, not an array', (p) => ({ requests: [p] })],
    ['an element is not an object', (p) => [p, 'GET /capabilities']],
    ['lower-case method', (p) => [p, { method: 'get', path: '/capabilities' }]],
    ['unknown method', (p) => [p, { method: 'PATCH', path: '/capabilities', json: {} }]],
    ['path without a leading /', (p) => [p, { method: 'GET', path: 'capabilities' }]],
    ['path missing', (p) => [p, { method: 'GET' }]],
    ['bad percent-escape in the path', (p) => [p, { method: 'GET', path: '/room/%zz' }]],
    ['body on a GET', (p) => [p, { method: 'GET', path: '/capabilities', json: {} }]],
    ['body on a DELETE', (p) => [p, { method: 'DELETE', path: '/room/main/message/1', bytes: '' }]],
    ['POST without a body', (p) => [p, { method: 'POST', path: '/room/main/message' }]],
    ['two body kinds', (p) => [p, { method: 'POST', path: '/room/main/message', json: {}, bytes: '{}' }]],
    ['invalid b64', (p) => [p, { method: 'POST', path: '/room/main/message', b64: 'not*base64!' }]],
    ['bytes not a string', (p) => [p, { method: 'POST', path: '/room/main/message', bytes: 12 }]],
    ['headers not an object', (p) => [p, { method: 'GET', path: '/capabilities', headers: ['a'] }]],
    ['a header value not a string', (p) => [p, { method: 'GET', path: '/capabilities', headers: { a: 1 } }]],
    ['/batch nested in a batch', (p) => [p, { method: 'POST', path: '/batch', json: [] }]],
    ['/sequence nested in a batch', (p) => [p, { method: 'POST', path: '/sequence', json: [] }]],
    ['an onion endpoint in a batch', (p) => [p, { method: 'POST', path: '/oxen/v4/lsrpc', b64: 'AAAA' }]],
  ];

  for (const endpoint of ['/batch', '/sequence']) {
    for (const [name, make] of cases) {
      test(`${endpoint}: ${name}`, async () => {
        const c = srv.client();
        const m = newMessage(c);
        const validPost = { method: 'POST', path: '/room/main/message', json: m.json };
        const r = await c.post(endpoint, make(validPost));
        assert.equal(r.status, 400, r.text());
        assert.equal(await isPosted(m.data), false, 'the valid element before the bad one must not run');
      });
    }
  }

  test('the same valid element alone does post (the cases above are not vacuous)', async () => {
    const c = srv.client();
    const m = newMessage(c);
    const { status, subs } = await batchRaw(c, [{ method: 'POST', path: '/room/main/message', json: m.json }]);
    assert.equal(status, 200);
    assert.equal(subs[0]!.code, 201);
    assert.ok(await isPosted(m.data));
  });

  test('a body that is not JSON at all', async () => {
    const r = await srv.client().request('POST', '/batch', { body: Buffer.from('[{'), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400);
  });
});

describe('maxBatchRequests', () => {
  test('more sub-requests than the limit is a 400; exactly the limit works', async () => {
    const t = await startTestServer({ maxBatchRequests: 3 });
    try {
      const caps = { method: 'GET', path: '/capabilities' };
      const over = await t.client().post('/batch', [caps, caps, caps, caps]);
      assert.equal(over.status, 400);
      const at = await t.client().post('/sequence', [caps, caps, caps]);
      assert.equal(at.status, 200);
      assert.equal(at.json<Sub[]>().length, 3);
    } finally {
      await t.close();
    }
  });
});
