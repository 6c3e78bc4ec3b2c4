// Direct messages between blinded ids over real HTTP and /batch: send, inbox/outbox listings,
// since polls (304), deletion, size limit, expiry with a manual clock, and who may send/receive.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Identity, sendDirectMessage, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { sqlGet } from './helpers/store-sql';

const DAY = 86400;

interface Dm {
  id: number;
  posted_at: number;
  expires_at: number;
  sender: string;
  recipient: string;
  message?: string;
}

let t: TestServer;
let clock: ManualClock;
let alice: SogsClient;
let bob: SogsClient;
let anon: SogsClient;

/** A client that has made a signed request, so the server knows it. */
async function known(): Promise<SogsClient> {
  const c = t.client();
  assert.equal((await c.get('/capabilities')).status, 200);
  return c;
}

async function send(from: SogsClient, to: SogsClient, body = crypto.randomBytes(100)): Promise<Dm> {
  const r = await sendDirectMessage(from, to.sessionId, body);
  assert.equal(r.status, 201, r.text());
  return r.json<Dm>();
}

async function list(c: SogsClient, target: string): Promise<Dm[]> {
  const r = await c.get(target);
  assert.equal(r.status, 200, r.text());
  return r.json<Dm[]>();
}

async function inboxRows(): Promise<number> {
  return (await sqlGet<{ n: number }>(t.s.store, 'SELECT count(*) AS n FROM inbox'))!.n;
}

before(async () => {
  clock = new ManualClock(Math.floor(Date.now() / 1000));
  t = await startTestServer({ maxDmBytes: 2000 }, { clock });
  alice = await known();
  bob = await known();
  anon = t.client(null);
});
after(() => t.close());

describe('sending and listing', () => {
  it('201 with the DM object minus the message; recipient sees it in inbox, sender in outbox', async () => {
    const body = crypto.randomBytes(300);
    const dm = await send(alice, bob, body);
    assert.deepEqual(Object.keys(dm).sort(), ['expires_at', 'id', 'posted_at', 'recipient', 'sender']);
    assert.equal(dm.sender, alice.sessionId);
    assert.equal(dm.recipient, bob.sessionId);
    assert.equal(dm.posted_at, clock.now());
    assert.equal(dm.expires_at, clock.now() + 15 * DAY);
    const inbox = await list(bob, '/inbox');
    assert.deepEqual(inbox, [{ ...dm, message: body.toString('base64') }]);
    assert.deepEqual(await list(alice, '/outbox'), inbox);
    assert.deepEqual(await list(alice, '/inbox'), [], 'plain listings answer [] when empty');
    assert.deepEqual(await list(bob, '/outbox'), []);
  });

  it('since polls: only newer ids; 304 with an empty body when nothing is new', async () => {
    const carol = await known();
    const dave = await known();
    const a = await send(carol, dave);
    const b = await send(carol, dave);
    assert.deepEqual((await list(dave, '/inbox/since/0')).map((d) => d.id), [a.id, b.id]);
    assert.deepEqual((await list(dave, `/inbox/since/${a.id}`)).map((d) => d.id), [b.id]);
    assert.deepEqual((await list(carol, `/outbox/since/${a.id}`)).map((d) => d.id), [b.id]);
    for (const [c, p] of [[dave, `/inbox/since/${b.id}`], [carol, `/outbox/since/${b.id}`], [carol, '/inbox/since/0']] as const) {
      const r = await c.get(p);
      assert.equal(r.status, 304, p);
      assert.equal(r.body.length, 0);
    }
  });

  it('lists oldest first, at most `limit` (1-256, clamped; junk is 400)', async () => {
    const s = await known();
    const r = await known();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await send(s, r)).id);
    assert.deepEqual((await list(r, '/inbox?limit=2')).map((d) => d.id), ids.slice(0, 2));
    assert.deepEqual((await list(r, '/inbox?limit=0')).map((d) => d.id), ids.slice(0, 1), 'clamped to 1');
    assert.equal((await list(r, '/inbox?limit=9999')).length, 5);
    assert.deepEqual((await list(r, `/inbox/since/${ids[1]}?limit=2`)).map((d) => d.id), ids.slice(2, 4));
    assert.equal((await r.get('/inbox?limit=x')).status, 400);
  });

  it('DELETE /inbox removes received messages only', async () => {
    const s = await known();
    const r = await known();
    await send(s, r);
    await send(s, r);
    await send(r, s);
    assert.deepEqual((await r.delete('/inbox')).json(), { deleted: 2 });
    assert.deepEqual(await list(r, '/inbox'), []);
    assert.equal((await list(r, '/outbox')).length, 1);
    assert.equal((await list(s, '/inbox')).length, 1);
    assert.deepEqual((await r.delete('/inbox')).json(), { deleted: 0 });
  });
});

describe('who may send and receive', () => {
  it('404 for unknown, non-blinded or globally banned recipients', async () => {
    const stranger = t.client(); // never made a request
    assert.equal((await sendDirectMessage(alice, stranger.sessionId, Buffer.from('hi'))).status, 404);
    assert.equal((await sendDirectMessage(alice, Identity.random().sessionId, Buffer.from('hi'))).status, 404, '05 id');
    assert.equal((await alice.post('/inbox/15abc', { message: 'aGk=' })).status, 404);
    const banned = await known();
    const u = (await t.s.store.findUser(banned.sessionId))!;
    await t.s.store.setGlobalBan(u.id, true);
    assert.equal((await sendDirectMessage(alice, banned.sessionId, Buffer.from('hi'))).status, 404);
    await t.s.store.setGlobalBan(u.id, false);
    assert.equal((await sendDirectMessage(alice, banned.sessionId, Buffer.from('hi'))).status, 201);
    assert.equal((await sendDirectMessage(alice, banned.sessionId.toUpperCase().replace(/^15/, '15'), Buffer.from('hi'))).status, 201, 'hex case-insensitive');
  });

  it('a globally banned sender gets 403 for every signed request, DMs included', async () => {
    const spammer = await known();
    const u = (await t.s.store.findUser(spammer.sessionId))!;
    await t.s.store.setGlobalBan(u.id, true);
    const before = (await inboxRows());
    const r = await sendDirectMessage(spammer, bob.sessionId, Buffer.from('buy now'));
    assert.equal(r.status, 403);
    assert.equal((await spammer.get('/inbox')).status, 403);
    assert.equal((await inboxRows()), before);
    await t.s.store.setGlobalBan(u.id, false);
  });

  it('401 anonymous; inbox and outbox need a blinded id', async () => {
    assert.equal((await sendDirectMessage(anon, bob.sessionId, Buffer.from('x'))).status, 401);
    for (const p of ['/inbox', '/outbox', '/inbox/since/0', '/outbox/since/0']) assert.equal((await anon.get(p)).status, 401, p);
    assert.equal((await anon.delete('/inbox')).status, 401);
  });

  it('400 for a missing, null or invalid message; 413 above maxDmBytes; nothing stored', async () => {
    const before = (await inboxRows());
    for (const body of [{}, { message: null }, { message: 'not base64!' }, { message: 5 }, [1]]) {
      assert.equal((await alice.post(`/inbox/${bob.sessionId}`, body)).status, 400, JSON.stringify(body));
    }
    const raw = await alice.request('POST', `/inbox/${bob.sessionId}`, { body: Buffer.from('{'), headers: { 'content-type': 'application/json' } });
    assert.equal(raw.status, 400);
    assert.equal((await sendDirectMessage(alice, bob.sessionId, Buffer.alloc(2001))).status, 413);
    assert.equal((await inboxRows()), before);
    assert.equal((await sendDirectMessage(alice, bob.sessionId, Buffer.alloc(2000))).status, 201);
  });
});

describe('unblinded server', () => {
  it('05 users may send but have no inbox (401)', async () => {
    const srv = await startTestServer({ requireBlindKeys: false });
    try {
      const plain = srv.client(Identity.random(), { blinded: false });
      const blind = srv.client();
      assert.equal((await blind.get('/capabilities')).status, 200);
      assert.equal((await sendDirectMessage(plain, blind.sessionId, Buffer.from('hello'))).status, 201);
      assert.equal((await plain.get('/outbox')).status, 401);
      assert.equal((await plain.get('/inbox')).status, 401);
      assert.equal((await blind.get('/inbox')).json<Dm[]>()[0]!.sender, plain.sessionId);
    } finally {
      await srv.close();
    }
  });
});

describe('expiry', () => {
  it('expired DMs vanish from listings at once and cleanup deletes them', async () => {
    const s = await known();
    const r = await known();
    const old = await send(s, r);
    clock.advance(10 * DAY);
    const newer = await send(s, r);
    clock.advance(5 * DAY);
    assert.deepEqual((await list(r, '/inbox')).map((d) => d.id), [old.id, newer.id], 'exactly at expiry: still there');
    clock.advance(1);
    assert.deepEqual((await list(r, '/inbox')).map((d) => d.id), [newer.id]);
    assert.deepEqual((await list(s, '/outbox')).map((d) => d.id), [newer.id]);
    const before = (await inboxRows());
    const counts = await runCleanup(t.s);
    assert.ok((counts['dms'] ?? 0) >= 1);
    assert.ok((await inboxRows()) < before);
    clock.advance(10 * DAY);
    assert.equal((await r.get(`/inbox/since/0`)).status, 304);
  });
});

describe('through /batch', () => {
  it('a poll batch carries 304s as code 304 with an empty body; sends work too', async () => {
    const s = await known();
    const r = await known();
    const res = await s.batch([
      { method: 'POST', path: `/inbox/${r.sessionId}`, json: { message: Buffer.from('via batch').toString('base64') } },
      { method: 'GET', path: '/outbox/since/0' },
      { method: 'GET', path: '/inbox/since/0' },
      { method: 'POST', path: `/inbox/${r.sessionId}`, json: {} },
    ]);
    assert.deepEqual(res.map((x) => x.code), [201, 200, 304, 400]);
    const sent = res[0]!.body as Dm;
    assert.equal(sent.recipient, r.sessionId);
    assert.equal((res[1]!.body as Dm[])[0]!.message, Buffer.from('via batch').toString('base64'));
    assert.equal(res[2]!.body, '');
    const poll = await r.batch([
      { method: 'GET', path: '/inbox/since/0' },
      { method: 'GET', path: `/inbox/since/${sent.id}` },
      { method: 'DELETE', path: '/inbox' },
    ]);
    assert.deepEqual(poll.map((x) => x.code), [200, 304, 200]);
    assert.deepEqual(poll[2]!.body, { deleted: 1 });
  });
});
