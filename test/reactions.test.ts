// Reactions over real HTTP and inside /batch: add/remove/clear/reactors, the reactions object in
// messages, seqno and `since` interplay (reaction-only rows with t=r, none without), limits and
// permission failures.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { padMessage, randomContent, react, reactors, unreact, type SogsClient } from '../client';
import { createRoom } from '../src/domain/rooms';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { ok, post, seq, since, type Msg } from './helpers/api';
import { startTestServer, type TestServer } from './helpers/server';

type Reactions = Record<string, { index: number; count: number; reactors?: string[]; you?: true }>;

let t: TestServer;
let alice: SogsClient;
let bob: SogsClient;
let carol: SogsClient;
let mod: SogsClient;
let admin: SogsClient;
let anon: SogsClient;

async function get(c: SogsClient, id: number, query = ''): Promise<Msg> {
  const r = await c.get(`/room/main/message/${id}${query}`);
  assert.equal(r.status, 200, r.text());
  return r.json<Msg>();
}

before(async () => {
  // Strictly increasing time, so that "oldest first" orders are exact.
  let last = 0;
  const clock = { now: () => (last = Math.max(Date.now() / 1000, last + 0.001)) };
  t = await startTestServer({ rateLimitPosts: 0 }, { clock });
  [alice, bob, carol, mod, admin] = [t.client(), t.client(), t.client(), t.client(), t.client()];
  anon = t.client(null);
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
  await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), [main], { moderator: true, admin: true, visible: true });
});
after(() => t.close());

describe('adding and removing', () => {
  it('adds once, reports seqno, and shows counts, reactors and you', async () => {
    const m = await post(alice);
    const s0 = await seq(anon);
    const r1 = await ok<{ added: boolean; seqno: number }>(react(bob, 'main', m.id, '👍'));
    assert.deepEqual(r1, { added: true, seqno: s0 + 1 });
    const again = await ok<{ added: boolean; seqno: number }>(react(bob, 'main', m.id, '👍'));
    assert.deepEqual(again, { added: false, seqno: s0 + 1 }, 'second add is not an error and no event');
    assert.equal(await seq(anon), s0 + 1);
    await ok(react(carol, 'main', m.id, '👍'));
    await ok(react(carol, 'main', m.id, '❤️'));

    const asBob = await get(bob, m.id);
    assert.deepEqual(asBob['reactions'], {
      '👍': { index: 0, count: 2, reactors: [bob.sessionId, carol.sessionId], you: true },
      '❤️': { index: 1, count: 1, reactors: [carol.sessionId] },
    });
    assert.equal(asBob.seqno, s0 + 3);
    const asAnon = await get(anon, m.id, '?reactors=0');
    assert.deepEqual(asAnon['reactions'], { '👍': { index: 0, count: 2 }, '❤️': { index: 1, count: 1 } });
    const one = await get(anon, m.id, '?reactors=1');
    assert.deepEqual((one['reactions'] as Reactions)['👍']!.reactors, [bob.sessionId]);
    const recent = (await anon.get('/room/main/messages/recent?limit=1')).json<Msg[]>();
    assert.equal((recent[0]!['reactions'] as Reactions)['👍']!.count, 2);
  });

  it('removes only the own reaction; the kind row goes with its last user (index changes)', async () => {
    const m = await post(alice);
    await ok(react(bob, 'main', m.id, 'a'));
    await ok(react(bob, 'main', m.id, 'b'));
    const s0 = await seq(anon);
    assert.deepEqual(await ok(unreact(carol, 'main', m.id, 'a')), { removed: false, seqno: m.seqno + 2 });
    assert.equal(await seq(anon), s0, 'removing nothing is no event');
    assert.deepEqual(await ok(unreact(bob, 'main', m.id, 'a')), { removed: true, seqno: s0 + 1 });
    assert.deepEqual((await get(bob, m.id))['reactions'], { b: { index: 0, count: 1, reactors: [bob.sessionId], you: true } });
    await ok(react(carol, 'main', m.id, 'a'));
    const rs = (await get(bob, m.id))['reactions'] as Reactions;
    assert.equal(rs['a']!.index, 1, 're-added kind is ordered after b');
    assert.equal(rs['a']!.you, undefined);
  });

  it('accepts 1-12 code points (multi-code-point emoji, slashes), rejects 13 with 400', async () => {
    const m = await post(alice);
    const family = '👨‍👩‍👧‍👦'; // 7 code points, one grapheme
    for (const r of [family, 'x', 'a/b', '123456789012', '🇺🇦']) {
      assert.equal((await react(bob, 'main', m.id, r)).status, 200, r);
    }
    const rs = (await get(bob, m.id))['reactions'] as Reactions;
    assert.deepEqual(Object.keys(rs), [family, 'x', 'a/b', '123456789012', '🇺🇦']);
    const before = await seq(anon);
    assert.equal((await react(bob, 'main', m.id, '1234567890123')).status, 400);
    assert.equal((await react(bob, 'main', m.id, '👍'.repeat(13))).status, 400);
    assert.equal((await unreact(bob, 'main', m.id, 'x'.repeat(13))).status, 400);
    assert.equal((await reactors(anon, 'main', m.id, 'x'.repeat(13))).status, 400);
    assert.equal((await bob.put(`/room/main/reaction/${m.id}/`, {})).status, 404, 'empty reaction does not name a route');
    assert.equal(await seq(anon), before);
  });

  it('rejects a reaction holding NUL with 400 on every store (PostgreSQL text cannot hold it; found by the fuzzer)', async () => {
    const m = await post(alice);
    const before = await seq(anon);
    for (const r of ['\0', 'a\0b']) {
      const res = await react(bob, 'main', m.id, r);
      assert.equal(res.status, 400, r);
      assert.match(res.text(), /must not contain NUL/);
      assert.equal((await unreact(bob, 'main', m.id, r)).status, 400);
      assert.equal((await reactors(anon, 'main', m.id, r)).status, 400);
    }
    assert.equal((await mod.delete(`/room/main/reactions/${m.id}/%00`)).status, 400);
    assert.equal(await seq(anon), before);
  });

  it('404s for missing, deleted, whispered and other-room messages; 401 anonymous; 403 without read', async () => {
    const m = await post(alice);
    assert.equal((await react(anon, 'main', m.id, '👍')).status, 401);
    assert.equal((await unreact(anon, 'main', m.id, '👍')).status, 401);
    assert.equal((await react(bob, 'main', 999999, '👍')).status, 404);
    assert.equal((await react(bob, 'nosuchroom', m.id, '👍')).status, 404);
    const w = (await mod.postMessage('main', randomContent(), { whisper_to: bob.sessionId })).json<Msg>();
    assert.equal((await react(bob, 'main', w.id, '👍')).status, 404, 'whispers cannot be reacted to');
    const gone = await post(alice);
    assert.equal((await alice.delete(`/room/main/message/${gone.id}`)).status, 200);
    assert.equal((await react(bob, 'main', gone.id, '👍')).status, 404);
    assert.equal((await reactors(bob, 'main', gone.id, '👍')).status, 404);

    await createRoom(t.s, 'secret', 'Secret');
    const sm = await post(alice, { room: 'secret' });
    assert.equal((await react(bob, 'main', sm.id, '👍')).status, 404, 'message of another room');
    const sadmin = await resolveTargetUser(t.s, admin.sessionId);
    await setModerator(t.s, sadmin, [(await t.s.store.getRoom('secret'))!], { moderator: true, admin: true, visible: true });
    assert.equal((await admin.put('/room/secret', { default_read: false })).status, 200);
    assert.equal((await react(bob, 'secret', sm.id, '👍')).status, 403, 'no read permission');
    assert.equal((await reactors(anon, 'secret', sm.id, '👍')).status, 403);
    assert.equal((await react(admin, 'secret', sm.id, '👍')).status, 200, 'admins always read');
  });
});

describe('moderator clearing and the reactors list', () => {
  it('clears one kind or all; each removal is one event; only moderators', async () => {
    const m = await post(alice);
    for (const c of [alice, bob, carol]) await ok(react(c, 'main', m.id, '👍'));
    await ok(react(bob, 'main', m.id, '😂'));
    assert.equal((await anon.delete(`/room/main/reactions/${m.id}`)).status, 401);
    assert.equal((await bob.delete(`/room/main/reactions/${m.id}`)).status, 403);
    assert.equal((await bob.delete(`/room/main/reactions/${m.id}/👍`)).status, 403);
    const s0 = await seq(anon);
    const one = await ok<{ removed: number; seqno: number }>(mod.delete(`/room/main/reactions/${m.id}/${encodeURIComponent('👍')}`));
    assert.deepEqual(one, { removed: 3, seqno: s0 + 3 });
    assert.deepEqual(Object.keys((await get(bob, m.id))['reactions'] as Reactions), ['😂']);
    await ok(react(carol, 'main', m.id, '🎉'));
    const all = await ok<{ removed: number; seqno: number }>(admin.delete(`/room/main/reactions/${m.id}`));
    assert.deepEqual(all, { removed: 2, seqno: s0 + 6 });
    assert.deepEqual((await get(bob, m.id))['reactions'], {});
    assert.deepEqual(await ok(mod.delete(`/room/main/reactions/${m.id}`)), { removed: 0, seqno: s0 + 6 });
    assert.equal((await mod.delete(`/room/main/reactions/999999`)).status, 404);
    assert.equal((await mod.delete(`/room/main/reactions/${m.id}/${'x'.repeat(13)}`)).status, 400);
  });

  it('lists reactors oldest first with times; limit <= 0 is unlimited; junk limit is 400', async () => {
    const m = await post(alice);
    for (const c of [carol, alice, bob]) await ok(react(c, 'main', m.id, '🔥'));
    const list = await ok<[string, number][]>(reactors(anon, 'main', m.id, '🔥'));
    assert.deepEqual(list.map((x) => x[0]), [carol.sessionId, alice.sessionId, bob.sessionId]);
    for (const [, at] of list) assert.equal(typeof at, 'number');
    assert.ok(list[0]![1] <= list[1]![1] && list[1]![1] <= list[2]![1]);
    assert.deepEqual((await ok<[string, number][]>(reactors(anon, 'main', m.id, '🔥', 2))).map((x) => x[0]), [carol.sessionId, alice.sessionId]);
    assert.equal((await ok<unknown[]>(reactors(anon, 'main', m.id, '🔥', 0))).length, 3);
    assert.equal((await ok<unknown[]>(reactors(anon, 'main', m.id, '🔥', -5))).length, 3);
    assert.deepEqual(await ok(reactors(anon, 'main', m.id, 'none')), []);
    assert.equal((await anon.get(`/room/main/reactors/${m.id}/x?limit=abc`)).status, 400);
  });
});

describe('reactors in message objects', () => {
  it('lists at most 20 first reactors however many are asked for (docs/protocol/api.md §4.4); the count stays exact', async () => {
    const m = await post(alice);
    const crowd = Array.from({ length: 25 }, () => t.client());
    for (const c of crowd) await ok(react(c, 'main', m.id, '👏'));
    const r = async (q: string) => ((await get(bob, m.id, q))['reactions'] as Reactions)['👏']!;
    const many = await r('?reactors=50');
    assert.equal(many.count, 25);
    assert.deepEqual(many.reactors, crowd.slice(0, 20).map((c) => c.sessionId), 'the first 20, oldest first');
    assert.equal((await r('?reactors=20')).reactors!.length, 20);
    assert.equal((await r('')).reactors!.length, 4, 'default 4');
    assert.equal((await r('?reactors=0')).reactors, undefined);
  });
});

describe('sequence numbers and since', () => {
  it('reaction changes appear only with t=r, as {id, seqno, reactions} rows', async () => {
    const m = await post(alice);
    const s = m.seqno;
    assert.equal(await seq(anon), s);
    await ok(react(bob, 'main', m.id, '👍'));
    await ok(react(carol, 'main', m.id, '👍'));
    await ok(unreact(bob, 'main', m.id, '👍'));
    assert.equal(await seq(anon), s + 3, 'one event per single change');

    assert.deepEqual(await since(alice, s), [], 'without t=r a pure reaction change is not reported');
    const rows = await since(alice, s, '?t=r');
    assert.deepEqual(rows, [{ id: m.id, seqno: s + 3, reactions: { '👍': { index: 0, count: 1, reactors: [carol.sessionId] } } }]);
    assert.deepEqual(await since(carol, s, '?t=r&reactors=0'), [{ id: m.id, seqno: s + 3, reactions: { '👍': { index: 0, count: 1, you: true } } }]);
    assert.deepEqual(await since(alice, s + 3, '?t=r'), [], 'caught up');
    assert.deepEqual(await since(alice, s, '?t=xyz'), [], 'unknown flags are ignored');

    // Seen before the message existed (or from 0): the full message, with its reactions.
    const full = await since(alice, s - 1, '?t=r');
    assert.equal(full.find((r) => r.id === m.id)!['data'] !== undefined, true);
    const fromZero = (await since(alice, 0, '?t=r&limit=256')).find((r) => r.id === m.id);
    assert.ok(fromZero === undefined || 'data' in fromZero, 'S = 0 never yields reaction-only rows');

    // An edit after the reactions makes it a full row again.
    const data = padMessage(randomContent());
    const sig = alice.identity!.signBlinded(t.serverPubkey, data);
    assert.equal((await alice.put(`/room/main/message/${m.id}`, { data: data.toString('base64'), signature: sig.toString('base64') })).status, 200);
    const after = await since(alice, s, '?t=r');
    assert.equal(after.length, 1);
    assert.equal(after[0]!['data'], data.toString('base64'));
    assert.equal(after[0]!.seqno, s + 4);
  });

  it('deleting a reacted message bumps once for the data and once per reaction', async () => {
    const m = await post(alice);
    await ok(react(bob, 'main', m.id, '👍'));
    await ok(react(carol, 'main', m.id, '👍'));
    await ok(react(carol, 'main', m.id, '👎'));
    const s0 = await seq(anon);
    assert.equal((await alice.delete(`/room/main/message/${m.id}`)).status, 200);
    assert.equal(await seq(anon), s0 + 4, 'tombstone + 3 reaction removals');
    const rows = await since(bob, s0, '?t=r');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!['deleted'], true);
    assert.equal(rows[0]!.seqno, s0 + 4);
    assert.equal('reactions' in rows[0]!, false);
    // A client that saw the deletion but not the reaction wipes gets an empty reaction-only row.
    const mid = await since(bob, s0 + 1, '?t=r');
    assert.deepEqual(mid, [{ id: m.id, seqno: s0 + 4, reactions: {} }]);
    assert.deepEqual(await since(bob, s0 + 1), [], 'without t=r: nothing');
  });
});

describe('through /batch', () => {
  it('adds, lists and removes reactions inside one batch', async () => {
    const m = await post(alice);
    const r = await bob.batch([
      { method: 'PUT', path: `/room/main/reaction/${m.id}/${encodeURIComponent('🦄')}`, json: {} },
      { method: 'PUT', path: `/room/main/reaction/${m.id}/🐝`, bytes: '' },
      { method: 'GET', path: `/room/main/reactors/${m.id}/🦄` },
      { method: 'GET', path: `/room/main/message/${m.id}?reactors=2` },
      { method: 'DELETE', path: `/room/main/reaction/${m.id}/🦄` },
      { method: 'PUT', path: `/room/main/reaction/${m.id}/${'z'.repeat(13)}`, json: {} },
      { method: 'DELETE', path: `/room/main/reactions/${m.id}` },
    ]);
    assert.deepEqual(r.map((x) => x.code), [200, 200, 200, 200, 200, 400, 403]);
    assert.deepEqual(r[0]!.body, { added: true, seqno: m.seqno + 1 });
    assert.deepEqual(r[1]!.body, { added: true, seqno: m.seqno + 2 });
    assert.deepEqual((r[2]!.body as [string, number][]).map((x) => x[0]), [bob.sessionId]);
    assert.deepEqual((r[3]!.body as Msg)['reactions'], {
      '🦄': { index: 0, count: 1, reactors: [bob.sessionId], you: true },
      '🐝': { index: 1, count: 1, reactors: [bob.sessionId], you: true },
    });
    assert.deepEqual(r[4]!.body, { removed: true, seqno: m.seqno + 3 });
    const modBatch = await mod.batch([{ method: 'DELETE', path: `/room/main/reactions/${m.id}` }]);
    assert.deepEqual(modBatch[0]!.body, { removed: 1, seqno: m.seqno + 4 });
  });
});
