// X-SOGS-* authentication over real HTTP: every failure of docs/protocol/crypto.md §2.5 with its exact status
// and text, replay protection across restarts, and no writes for unverified requests.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Identity, httpRequest, type SogsClient } from '../client';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { runCleanup } from '../src/jobs';
import { sqlAll, sqlGet } from './helpers/store-sql';

let t: TestServer;

async function send(headers: Record<string, string>, target = '/room/main', method = 'GET', body?: Buffer) {
  const r = await httpRequest(t.url + target, method, headers, body);
  return { status: r.status, text: r.body.toString('utf8'), type: r.headers['content-type'] };
}

function signed(c: SogsClient, target = '/room/main', extra?: { timestamp?: number; nonce?: Buffer }, method = 'GET', body?: Buffer) {
  return c.authHeaders(method, target, body, extra);
}

async function userCount(): Promise<number> {
  return (await sqlGet<{ n: number }>(t.s.store, 'SELECT count(*) AS n FROM users'))!.n;
}

before(async () => {
  t = await startTestServer();
});
after(() => t.close());

describe('header format', () => {
  it('is anonymous with no headers and 400 with some missing', async () => {
    assert.equal((await send({})).status, 200);
    const h = signed(t.client());
    const partial = await send({ 'X-SOGS-Pubkey': h['X-SOGS-Pubkey']!, 'X-SOGS-Nonce': h['X-SOGS-Nonce']! });
    assert.equal(partial.status, 400);
    assert.equal(partial.text, 'Invalid authentication headers: missing 2/4 required X-SOGS-* headers');
    assert.match(partial.type!, /^text\/plain/);
    const emptyOne = await send({ ...h, 'X-SOGS-Signature': '' });
    assert.equal(emptyOne.text, 'Invalid authentication headers: missing 1/4 required X-SOGS-* headers');
  });

  it('rejects bad pubkeys with the reference texts', async () => {
    const h = signed(t.client());
    const key = h['X-SOGS-Pubkey']!;
    const cases: [string, string][] = [
      ['15abc', 'Invalid authentication: X-SOGS-Pubkey is not a valid 66-hex digit id'],
      ['25' + key.slice(2), 'Invalid authentication: X-SOGS-Pubkey must be 00- or 15- prefixed'],
      ['05' + key.slice(2), 'Invalid authentication: X-SOGS-Pubkey must be 00- or 15- prefixed'],
      ['15' + '00'.repeat(32), 'Invalid authentication: given X-SOGS-Pubkey is not a valid Ed25519 pubkey'],
      ['15' + 'ff'.repeat(32), 'Invalid authentication: given X-SOGS-Pubkey is not a valid Ed25519 pubkey'],
    ];
    for (const [pubkey, text] of cases) {
      const r = await send({ ...h, 'X-SOGS-Pubkey': pubkey });
      assert.equal(r.status, 400, pubkey);
      assert.equal(r.text, text, pubkey);
    }
  });

  it('requires blinded ids by default, with the text the desktop client compares', async () => {
    const c = t.client(Identity.random(), { blinded: false });
    const r = await send(signed(c));
    assert.equal(r.status, 400);
    assert.equal(r.text, 'Invalid authentication: this server requires the use of blinded ids');
  });

  it('rejects malformed nonces, signatures and timestamps', async () => {
    const c = t.client();
    const h = signed(c);
    const bad: [Record<string, string>, string][] = [
      [{ 'X-SOGS-Nonce': 'A'.repeat(25) }, 'Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)'],
      [{ 'X-SOGS-Nonce': 'ab'.repeat(15) + 'a' }, 'Invalid authentication: X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)'],
      [{ 'X-SOGS-Signature': 'abc' }, 'Invalid authentication: X-SOGS-Signature is not base64[88]'],
      [{ 'X-SOGS-Timestamp': '12x' }, 'Invalid authentication: X-SOGS-Timestamp is not a valid timestamp'],
    ];
    for (const [patch, text] of bad) {
      const r = await send({ ...h, ...patch });
      assert.equal(r.status, 400, JSON.stringify(patch));
      assert.equal(r.text, text);
    }
  });

  it('accepts hex nonces and hex signatures', async () => {
    const c = t.client();
    const h = signed(c, '/room/main', { nonce: crypto.randomBytes(16) });
    const hexNonce = Buffer.from(h['X-SOGS-Nonce']!, 'base64').toString('hex');
    const hexSig = Buffer.from(h['X-SOGS-Signature']!, 'base64').toString('hex');
    const r = await send({ ...h, 'X-SOGS-Nonce': hexNonce, 'X-SOGS-Signature': hexSig });
    assert.equal(r.status, 200, r.text);
  });
});

describe('verification', () => {
  it('425 for timestamps more than 24 h away, inclusive bounds accepted', async () => {
    const c = t.client();
    const now = Math.floor(Date.now() / 1000);
    for (const off of [-86400 - 60, 86400 + 60]) {
      const r = await send(signed(c, '/room/main', { timestamp: now + off }));
      assert.equal(r.status, 425);
      assert.equal(r.text, 'Invalid authentication: X-SOGS-Timestamp is too far from current time');
    }
    assert.equal((await send(signed(c, '/room/main', { timestamp: now - 86000 }))).status, 200);
  });

  it('401 for a wrong signature, without creating a user or burning the nonce', async () => {
    const c = t.client();
    const nonce = crypto.randomBytes(16);
    const users = await userCount();
    const h = signed(c, '/room/other', { nonce });
    const r = await send(h, '/room/main');
    assert.equal(r.status, 401);
    assert.equal(r.text, 'Invalid authentication: X-SOGS-Signature verification failed');
    assert.equal(await userCount(), users, 'no user row for an unverified request');
    assert.equal(await t.s.store.findUser(c.sessionId), null);
    assert.equal((await send(signed(c, '/room/main', { nonce }))).status, 200, 'the nonce was not consumed');
    assert.notEqual(await t.s.store.findUser(c.sessionId), null);
  });

  it('signs the decoded path plus the raw query, and the body hash', async () => {
    const c = t.client();
    const target = '/room/%6dain/messages/recent?limit=2';
    assert.equal((await c.get(target)).status, 200);
    const body = Buffer.from(JSON.stringify([{ method: 'GET', path: '/capabilities' }]));
    const h = signed(c, '/batch', undefined, 'POST', body);
    assert.equal((await send({ ...h, 'content-type': 'application/json' }, '/batch', 'POST', body)).status, 200);
    const tampered = Buffer.from(JSON.stringify([{ method: 'GET', path: '/rooms' }]));
    const h2 = signed(c, '/batch', undefined, 'POST', body);
    assert.equal((await send({ ...h2, 'content-type': 'application/json' }, '/batch', 'POST', tampered)).status, 401);
  });

  it('425 for a reused nonce', async () => {
    const c = t.client();
    const h = signed(c);
    assert.equal((await send(h)).status, 200);
    const again = await send(h);
    assert.equal(again.status, 425);
    assert.equal(again.text, 'Invalid authentication: X-SOGS-Nonce cannot be reused');
    const other = t.client();
    const nonce = Buffer.from(h['X-SOGS-Nonce']!, 'base64');
    const timestamp = Number(h['X-SOGS-Timestamp']);
    assert.equal((await send(signed(other, '/room/main', { nonce, timestamp }))).status, 425, 'nonces are unique across users');
    assert.equal(await t.s.store.findUser(other.sessionId), null, 'a refused request creates no user');
    // A nonce is remembered with the timestamp it was signed with (a replay repeats both): the
    // same nonce under another timestamp is a different request, which no client ever sends.
    assert.equal((await send(signed(other, '/room/main', { nonce, timestamp: timestamp - 1 }))).status, 200);
  });

  it('lets exactly one of simultaneous copies of a request through', async () => {
    // They arrive in one turn of the event loop: on SQLite their nonces are committed together.
    const users = await userCount();
    const c = t.client();
    for (const known of [false, true]) {
      const h = signed(c);
      const replies = await Promise.all(Array.from({ length: 8 }, () => send(h)));
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 425, 425, 425, 425, 425, 425, 425], known ? 'a known user' : 'a new user');
    }
    const h = signed(t.client());
    const replies = await Promise.all(Array.from({ length: 8 }, () => send(h)));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 425, 425, 425, 425, 425, 425, 425]);
    const fresh = [t.client(), t.client(), t.client()].map((c) => signed(c));
    assert.deepEqual((await Promise.all(fresh.map((f) => send(f)))).map((r) => r.status), [200, 200, 200], 'different nonces in one turn all pass');
    assert.equal(await userCount(), users + 5);
  });

  it('forgets a nonce nonceRetention seconds after its timestamp, not before', async () => {
    const c = t.client();
    assert.equal((await c.get('/capabilities')).status, 200);
    const u = (await t.s.store.findUser(c.sessionId))!;
    const now = Math.floor(t.s.clock.now());
    const [old, recent] = [crypto.randomBytes(16), crypto.randomBytes(16)];
    assert.ok(await t.s.store.recordNonce(u.id, old, now - t.s.config.nonceRetention - 1));
    assert.ok(await t.s.store.recordNonce(u.id, recent, now - t.s.config.nonceRetention + 60));
    const counts = await runCleanup(t.s);
    assert.ok(counts['nonces']! >= 1);
    const left = await sqlAll<{ nonce: Buffer }>(t.s.store, 'SELECT nonce FROM request_nonces WHERE nonce IN (?, ?)', old, recent);
    assert.deepEqual(left.map((r) => Buffer.from(r.nonce).toString('hex')), [recent.toString('hex')]);
  });

  it('still refuses nonces recorded before nonces were keyed by timestamp (schema 7)', async () => {
    const c = t.client();
    assert.equal((await c.get('/capabilities')).status, 200);
    const u = (await t.s.store.findUser(c.sessionId))!;
    const nonce = crypto.randomBytes(16);
    await sqlAll(t.s.store, 'INSERT INTO user_request_nonces ("user", nonce, expiry) VALUES (?, ?, ?)', u.id, nonce, t.s.clock.now() + 3600);
    assert.equal((await send(signed(c, '/room/main', { nonce }))).status, 425);
  });

  it('checks a global ban before the signature', async () => {
    const c = t.client();
    assert.equal((await c.get('/room/main')).status, 200);
    const u = (await t.s.store.findUser(c.sessionId))!;
    await t.s.store.setGlobalBan(u.id, true);
    const bad = await send({ ...signed(c), 'X-SOGS-Signature': Buffer.alloc(64).toString('base64') });
    assert.equal(bad.status, 403);
    assert.equal(bad.text, 'Banned');
    assert.equal((await c.get('/capabilities')).status, 403);
    assert.equal((await t.client(null).get('/capabilities')).status, 200, 'unsigned requests still work');
    await t.s.store.setGlobalBan(u.id, false);
    assert.equal((await c.get('/capabilities')).status, 200);
  });

  it('requires a user where the endpoint needs one', async () => {
    const r = await send({}, '/room/main/message', 'POST', Buffer.from('{}'));
    assert.equal(r.status, 401);
    assert.equal(r.text, 'X-SOGS-* request authentication required');
  });
});

describe('replay across restarts and unblinded mode', () => {
  it('remembers nonces after a restart', async () => {
    const dataDir = tempDataDir();
    let srv = await startTestServer({}, { dataDir });
    const c = srv.client();
    const h = c.authHeaders('GET', '/room/main');
    assert.equal((await httpRequest(srv.url + '/room/main', 'GET', h)).status, 200);
    await srv.close({ keepData: true });
    srv = await startTestServer({}, { dataDir });
    const replay = await httpRequest(srv.url + '/room/main', 'GET', { ...h });
    // The new server has the same key (same data folder), so only the nonce store can stop this.
    assert.equal(replay.status, 425);
    await srv.close();
  });

  it('accepts 00 keys as their 05 id when blinding is not required', async () => {
    const srv = await startTestServer({ requireBlindKeys: false });
    const id = Identity.random();
    const c = srv.client(id, { blinded: false });
    const r = await c.postMessage('main', Buffer.from('unblinded'));
    assert.equal(r.status, 201, r.text());
    assert.equal(r.json<{ session_id: string }>().session_id, id.sessionId);
    assert.deepEqual((await c.get('/capabilities')).json(), { capabilities: ['reactions', 'sogs'] });
    await srv.close();
  });
});
