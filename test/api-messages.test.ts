// Rooms and messages over real HTTP: shapes, since/recent/before semantics, edits, deletions,
// whispers, rate limits and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomContent, padMessage, type SogsClient } from '../client';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCleanup } from '../src/jobs';
import { post, since, type Msg } from './helpers/api';
import { TEST_DB, startTestServer, type TestServer } from './helpers/server';
import { sqlAll } from './helpers/store-sql';

let t: TestServer;
let alice: SogsClient;
let bob: SogsClient;
let anon: SogsClient;
let mod: SogsClient;

before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
  alice = t.client();
  bob = t.client();
  anon = t.client(null);
  mod = t.client();
  const modUser = await resolveTargetUser(t.s, mod.sessionId);
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, modUser, [main], { moderator: true, admin: false, visible: true });
});
after(() => t.close());

describe('rooms', () => {
  it('lists the default room with the spec shape and no false flags', async () => {
    const rooms = (await anon.get('/rooms')).json<Record<string, unknown>[]>();
    const main = rooms.find((r) => r['token'] === 'main')!;
    assert.equal(main['name'], 'Main');
    for (const k of ['info_updates', 'message_sequence', 'created', 'active_users', 'active_users_cutoff']) assert.equal(typeof main[k], 'number', k);
    assert.equal(main['active_users_cutoff'], 604800);
    assert.deepEqual([main['read'], main['write'], main['upload']], [true, true, true]);
    assert.equal('moderator' in main, false);
    assert.equal('description' in main, false);
    assert.deepEqual(main['moderators'], [mod.sessionId]);
  });

  it('lists rooms in one order on both stores: ASCII case folded, then byte order', async () => {
    for (const token of ['Zeta', 'alpha', '_x', 'aB', 'a_b', 'Beta']) await t.s.store.createRoom({ token, name: token, now: 1 });
    const tokens = (await t.s.store.listRooms()).map((r) => r.token).filter((x) => x !== 'main');
    assert.deepEqual(tokens, ['_x', 'a_b', 'aB', 'alpha', 'Beta', 'Zeta']);
    for (const token of ['Zeta', 'alpha', '_x', 'aB', 'a_b', 'Beta']) assert.ok(await t.s.store.deleteRoom(token));
  });

  it('an idle cleanup writes no room row (rooms_version, which every poll checks, stands still)', async () => {
    const version = async () => (await sqlAll<{ version: number }>(t.s.store, 'SELECT version FROM rooms_version'))[0]!.version;
    await runCleanup(t.s);
    const before = await version();
    await runCleanup(t.s);
    assert.equal(await version(), before);
  });

  it('on PostgreSQL a post moves no rooms_version (posts in all rooms would queue on that row), and polls still see it', { skip: TEST_DB !== 'postgres' && 'PostgreSQL pass only' }, async () => {
    const version = async () => (await sqlAll<{ version: number }>(t.s.store, 'SELECT version FROM rooms_version'))[0]!.version;
    const seq = (await alice.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    const v = await version();
    const m = await post(alice);
    assert.equal(await version(), v);
    const [info, listed] = await bob.batch([
      { method: 'GET', path: '/room/main/pollInfo/0' },
      { method: 'GET', path: `/room/main/messages/since/${seq}` },
    ]);
    assert.equal((info!.body as { details?: unknown; token: string }).token, 'main');
    assert.deepEqual((listed!.body as Msg[]).map((x) => x.id), [m.id]);
    assert.equal((await bob.get('/room/main')).json<{ message_sequence: number }>().message_sequence, m.seqno);
  });

  it('shows moderators their flags and defaults', async () => {
    const r = (await mod.get('/room/main')).json<Record<string, unknown>>();
    assert.equal(r['moderator'], true);
    assert.equal(r['default_write'], true);
    assert.equal('admin' in r, false);
  });

  it('finds rooms case-insensitively and 404s unknown ones', async () => {
    assert.equal((await anon.get('/room/MAIN')).json<{ token: string }>().token, 'main');
    const r = await anon.get('/room/nonexistent');
    assert.equal(r.status, 404);
    assert.equal((await anon.get('/room/bad.token')).status, 404);
  });

  it('pollInfo includes details only when info_updates differs', async () => {
    const room = (await alice.get('/room/main')).json<{ info_updates: number }>();
    const same = (await alice.get(`/room/main/pollInfo/${room.info_updates}`)).json<Record<string, unknown>>();
    assert.equal('details' in same, false);
    assert.equal(same['token'], 'main');
    assert.equal(typeof same['active_users'], 'number');
    const stale = (await alice.get(`/room/main/pollInfo/${room.info_updates + 1}`)).json<Record<string, unknown>>();
    assert.equal((stale['details'] as { token: string }).token, 'main');
    assert.equal((await alice.get('/room/main/pollInfo/-1')).status, 404);
  });

  it('answers /capabilities and 412 for missing required ones', async () => {
    assert.deepEqual((await anon.get('/capabilities')).json(), { capabilities: ['blind', 'reactions', 'sogs'] });
    const r = await anon.get('/capabilities?required=sogs,nope,blind,zz');
    assert.equal(r.status, 412);
    assert.deepEqual(r.json(), { capabilities: ['blind', 'reactions', 'sogs'], missing: ['nope', 'zz'] });
  });
});

describe('posting and reading', () => {
  it('returns 201 with the exact padded bytes and reads them back', async () => {
    const content = Buffer.from('hello world, padded');
    const m = await post(alice, { content });
    assert.equal(m['session_id'], alice.sessionId);
    assert.deepEqual(Buffer.from(m.data as string, 'base64'), padMessage(content));
    assert.deepEqual(m['reactions'], {});
    assert.ok(m.seqno >= 1);
    const one = (await bob.get(`/room/main/message/${m.id}`)).json<Msg>();
    assert.equal(one.data, m.data);
    assert.equal(one['signature'], m['signature']);
    assert.equal(one['posted'], m['posted']);
  });

  it('keeps unpadded and oddly padded data byte-exact', async () => {
    for (const raw of [Buffer.from([1, 2, 3]), Buffer.from([1, 0, 0]), Buffer.from([0x80]), Buffer.from([5, 0x80, 0, 0, 0])]) {
      const sig = Buffer.alloc(64, 7);
      const r = await alice.post('/room/main/message', { data: raw.toString('base64'), signature: sig.toString('base64') });
      assert.equal(r.status, 201);
      const got = (await alice.get(`/room/main/message/${r.json<Msg>().id}`)).json<Msg>();
      assert.deepEqual(Buffer.from(got.data as string, 'base64'), raw);
    }
  });

  it('recent is newest first, before pages backwards, limit is clamped', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await post(bob)).id);
    const recent = (await anon.get('/room/main/messages/recent?limit=2')).json<Msg[]>();
    assert.deepEqual(recent.map((m) => m.id), [ids[2], ids[1]]);
    const beforeIds = (await anon.get(`/room/main/messages/before/${ids[2]}?limit=1`)).json<Msg[]>().map((m) => m.id);
    assert.deepEqual(beforeIds, [ids[1]]);
    assert.equal((await anon.get('/room/main/messages/recent?limit=0')).json<Msg[]>().length, 1);
    assert.equal((await anon.get('/room/main/messages/recent?limit=abc')).status, 400);
  });

  it('since reports edits once with the latest content and tombstones only for seen messages', async () => {
    const start = (await alice.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    const a = await post(alice);
    const b = await post(alice);
    const edited = randomContent();
    const newData = padMessage(edited);
    const sig = alice.identity!.signBlinded(t.serverPubkey, newData);
    let r = await alice.put(`/room/main/message/${a.id}`, { data: newData.toString('base64'), signature: sig.toString('base64') });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {});
    r = await alice.put(`/room/main/message/${a.id}`, { data: newData.toString('base64'), signature: sig.toString('base64') });
    assert.equal(r.status, 200, 'identical edit is accepted');
    const rows = await since(bob, start);
    assert.deepEqual(rows.map((m) => m.id), [b.id, a.id], 'ordered by seqno: the edit moved a after b');
    const aRow = rows[1]!;
    assert.equal(aRow.data, newData.toString('base64'));
    assert.equal(typeof aRow['edited'], 'number');
    assert.equal(aRow.seqno, start + 3, 'one bump for the edit, none for the identical re-edit');

    const c = await post(alice);
    assert.equal((await alice.delete(`/room/main/message/${c.id}`)).status, 200);
    assert.equal((await alice.delete(`/room/main/message/${b.id}`)).status, 200);
    const afterB = await since(bob, b.seqno);
    const tomb = afterB.find((m) => m.id === b.id)!;
    assert.equal(tomb.data, null);
    assert.equal(tomb['deleted'], true);
    assert.equal('signature' in tomb, false);
    assert.equal('reactions' in tomb, false);
    assert.equal(typeof tomb['edited'], 'number');
    assert.equal(afterB.some((m) => m.id === c.id), false, 'created and deleted after S: skipped');
    const cAfterSeen = await since(bob, c.seqno);
    assert.ok(cAfterSeen.some((m) => m.id === c.id && m['deleted'] === true), 'created before S: tombstone shown');
    assert.equal((await bob.get(`/room/main/message/${b.id}`)).status, 404);
    assert.equal((await anon.get('/room/main/messages/recent?limit=256')).json<Msg[]>().some((m) => m.id === b.id), false);
  });

  it('since honours limit and returns rows in ascending seqno', async () => {
    const start = (await alice.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    for (let i = 0; i < 4; i++) await post(bob);
    const page = await since(alice, start, '?limit=3');
    assert.equal(page.length, 3);
    const rest = await since(alice, page[2]!.seqno, '?t=r&reactors=5');
    assert.equal(rest.length, 1);
    assert.ok(page[0]!.seqno < page[1]!.seqno && page[1]!.seqno < page[2]!.seqno && page[2]!.seqno < rest[0]!.seqno);
  });

  it('only the author edits; only the author or a moderator deletes', async () => {
    const m = await post(alice);
    const data = padMessage(randomContent());
    const sig = bob.identity!.signBlinded(t.serverPubkey, data).toString('base64');
    assert.equal((await bob.put(`/room/main/message/${m.id}`, { data: data.toString('base64'), signature: sig })).status, 403);
    assert.equal((await bob.delete(`/room/main/message/${m.id}`)).status, 403);
    assert.equal((await mod.delete(`/room/main/message/${m.id}`)).status, 200);
    assert.equal((await mod.delete(`/room/main/message/${m.id}`)).status, 404, 'already deleted');
    assert.equal((await alice.put(`/room/main/message/${m.id}`, { data: data.toString('base64'), signature: sig })).status, 404);
    assert.equal((await alice.delete('/room/main/message/999999')).status, 404);
  });

  it('whispers reach only their recipient and moderators; users cannot whisper', async () => {
    const start = (await alice.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    const w = await mod.postMessage('main', randomContent(), { whisper_to: alice.sessionId });
    assert.equal(w.status, 201);
    const wm = w.json<Msg>();
    assert.equal(wm['whisper'], true);
    assert.equal(wm['whisper_to'], alice.sessionId);
    assert.ok((await since(alice, start)).some((m) => m.id === wm.id));
    assert.equal((await since(bob, start)).some((m) => m.id === wm.id), false);
    assert.equal((await anon.get(`/room/main/message/${wm.id}`)).status, 404);
    assert.equal((await alice.get(`/room/main/message/${wm.id}`)).status, 200);
    const modsOnly = (await mod.postMessage('main', randomContent(), { whisper_mods: true })).json<Msg>();
    assert.equal((await bob.get(`/room/main/message/${modsOnly.id}`)).status, 404);
    assert.equal((await mod.get(`/room/main/message/${modsOnly.id}`)).status, 200);
    assert.equal((await bob.postMessage('main', randomContent(), { whisper_mods: true })).status, 403);
    assert.equal((await bob.postMessage('main', randomContent(), { whisper_to: 'nonsense' })).status, 400);
  });
});

describe('bad input', () => {
  async function count(): Promise<number> {
    return (await alice.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
  }

  it('rejects malformed posts with 400 and stores nothing', async () => {
    const n = await count();
    const sig = Buffer.alloc(64).toString('base64');
    const cases: [unknown, string][] = [
      [{ signature: sig }, 'missing data'],
      [{ data: 'AAAA' }, 'missing signature'],
      [{ data: 'not base64!!', signature: sig }, 'bad base64'],
      [{ data: 'AAAA', signature: Buffer.alloc(63).toString('base64') }, 'short signature'],
      [{ data: 12, signature: sig }, 'data not a string'],
      [[1, 2], 'not an object'],
    ];
    for (const [body, why] of cases) assert.equal((await alice.post('/room/main/message', body)).status, 400, why);
    const raw = await alice.request('POST', '/room/main/message', { body: Buffer.from('{"data":'), headers: { 'content-type': 'application/json' } });
    assert.equal(raw.status, 400);
    assert.match(raw.headers['content-type']!, /^text\/plain/);
    assert.equal(await count(), n);
  });

  it('requires a user to post and 404s unknown rooms', async () => {
    assert.equal((await anon.post('/room/main/message', { data: 'AAAA', signature: Buffer.alloc(64).toString('base64') })).status, 401);
    assert.equal((await alice.postMessage('nosuchroom', randomContent())).status, 404);
    assert.equal((await anon.get('/room/main/message/abc')).status, 404);
    assert.equal((await anon.request('PATCH', '/room/main')).status, 405);
  });
});

describe('limits', () => {
  let small: TestServer;
  before(async () => {
    small = await startTestServer({ maxBodyBytes: 4000, maxMessageBytes: 500, rateLimitPosts: 3, rateLimitInterval: 60 });
  });
  after(() => small.close());

  it('413 for oversized bodies and messages, nothing stored', async () => {
    const c = small.client();
    assert.equal((await c.postMessage('main', randomContent(600))).status, 413);
    assert.equal((await c.postMessage('main', randomContent(5000))).status, 413);
    assert.equal((await c.get('/room/main')).json<{ message_sequence: number }>().message_sequence, 0);
  });

  it('rate limits posts per user and room, admins exempt', async () => {
    const c = small.client();
    for (let i = 0; i < 3; i++) assert.equal((await c.postMessage('main', randomContent())).status, 201);
    const limited = await c.postMessage('main', randomContent());
    assert.equal(limited.status, 429);
    assert.equal(limited.text(), 'Rate limited');
    assert.equal((await small.client().postMessage('main', randomContent())).status, 201, 'another user is not limited');
    const admin = small.client();
    const u = await resolveTargetUser(small.s, admin.sessionId);
    await setModerator(small.s, u, [(await small.s.store.getRoom('main'))!], { moderator: true, admin: true, visible: true });
    for (let i = 0; i < 5; i++) assert.equal((await admin.postMessage('main', randomContent())).status, 201);
  });
});
