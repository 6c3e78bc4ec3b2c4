// Since-listings rendered once and shared between viewers (src/api/since-cache.ts): what one
// viewer's poll put in the cache never shows another viewer what they may not see, and every
// change to the room's messages is seen at once from a cursor already served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { padMessage, randomContent, react, type SogsClient } from '../client';
import { SINCE_CACHE_MAX_BYTES, SINCE_CACHE_MAX_ENTRIES, SINCE_CACHE_MAX_ENTRY_BYTES, SinceCache, sinceCacheOf } from '../src/api/since-cache';
import { banUser } from '../src/domain/bans';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { post, seq, since } from './helpers/api';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
let alice: SogsClient;
let bob: SogsClient;
let carol: SogsClient;
let mod: SogsClient;

before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
  [alice, bob, carol, mod] = [t.client(), t.client(), t.client(), t.client()];
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
});
after(() => t.close());

describe('shared since-listings', () => {
  it('serve every viewer the same listing from one rendering', async () => {
    const start = await seq(alice);
    const posted = [await post(alice), await post(bob)];
    const before = sinceCacheOf(t.s.store).size;
    const a = await since(alice, start, '?t=r&reactors=5');
    const b = await since(bob, start, '?t=r&reactors=5');
    assert.equal(sinceCacheOf(t.s.store).size, before + 1, 'the second poll of the cursor is served from the cache');
    assert.deepEqual(a, b);
    assert.deepEqual(a.map((m) => m.id), posted.map((m) => m.id));
    // Through /batch the embedded listing is the same JSON value.
    const [sub] = await carol.batch([{ method: 'GET', path: `/room/main/messages/since/${start}?t=r&reactors=5` }]);
    assert.equal(sub!.code, 200);
    assert.deepEqual(sub!.body, a);
  });

  it('keep whispers per viewer, whoever polled the cursor first', async () => {
    const start = await seq(alice);
    const open = await post(alice);
    const toBob = await post(mod, { extra: { whisper_to: bob.sessionId } });
    const toMods = await post(mod, { extra: { whisper_mods: true } });
    // A viewer who sees no whisper polls first, then the recipient, then a moderator, then again.
    const ids = async (c: SogsClient) => (await since(c, start, '?t=r&reactors=5')).map((m) => m.id);
    assert.deepEqual(await ids(carol), [open.id]);
    assert.deepEqual(await ids(bob), [open.id, toBob.id]);
    assert.deepEqual(await ids(mod), [open.id, toBob.id, toMods.id]);
    assert.deepEqual(await ids(carol), [open.id]);
    // And in the other order on a new cursor.
    const next = await seq(alice);
    const later = await post(mod, { extra: { whisper_to: bob.sessionId } });
    assert.deepEqual((await since(bob, next, '?t=r&reactors=5')).map((m) => m.id), [later.id]);
    assert.deepEqual(await since(carol, next, '?t=r&reactors=5'), []);
  });

  it('keep `you` in reactions per viewer', async () => {
    const m = await post(carol);
    const start = await seq(alice);
    assert.equal((await react(alice, 'main', m.id, '👍')).status, 200);
    const rows = async (c: SogsClient) => (await since(c, start, '?t=r&reactors=5')).find((x) => x.id === m.id)!['reactions'] as Record<string, { you?: true; count: number }>;
    const forBob = await rows(bob);
    const forAlice = await rows(alice);
    assert.equal(forBob['👍']!.count, 1);
    assert.equal('you' in forBob['👍']!, false);
    assert.equal(forAlice['👍']!.you, true);
  });

  it('show an edit and a deletion at once from a cursor already served', async () => {
    const start = await seq(alice);
    const m = await post(alice);
    const seen = await seq(alice);
    assert.equal((await since(bob, start, '?t=r&reactors=5'))[0]!.data, (await since(carol, start, '?t=r&reactors=5'))[0]!.data);
    assert.deepEqual(await since(bob, seen, '?t=r&reactors=5'), []);
    const data = padMessage(randomContent());
    const signature = alice.identity!.signBlinded(t.serverPubkey, data).toString('base64');
    assert.equal((await alice.put(`/room/main/message/${m.id}`, { data: data.toString('base64'), signature })).status, 200);
    assert.equal((await since(bob, start, '?t=r&reactors=5')).find((x) => x.id === m.id)!.data, data.toString('base64'));
    assert.equal((await since(carol, seen, '?t=r&reactors=5')).find((x) => x.id === m.id)!.data, data.toString('base64'));
    assert.equal((await alice.delete(`/room/main/message/${m.id}`)).status, 200);
    // Deleted after the cursor `seen`: listed as deleted. Posted after `start` too: not listed at all.
    assert.equal((await since(carol, start, '?t=r&reactors=5')).some((x) => x.id === m.id), false);
    const deleted = (await since(carol, seen, '?t=r&reactors=5')).find((x) => x.id === m.id)!;
    assert.equal(deleted.data, null);
    assert.equal(deleted['deleted'], true);
  });

  it('remember a listing that differs per viewer: later polls of the cursor run one query, not the shared one again', async () => {
    const store = t.s.store;
    const messagesSince = store.messagesSince;
    const asked: string[] = [];
    store.messagesSince = async (roomId, viewer, ...rest) => {
      asked.push(viewer === 'everyone' ? 'everyone' : 'viewer');
      return messagesSince.call(store, roomId, viewer, ...rest);
    };
    try {
      // Whispers: the first poll finds out with the shared query, then runs its own.
      const start = await seq(alice);
      await post(alice);
      await post(mod, { extra: { whisper_to: bob.sessionId } });
      await since(carol, start, '?t=r&reactors=5');
      assert.deepEqual(asked.splice(0), ['everyone', 'viewer']);
      await since(alice, start, '?t=r&reactors=5');
      await since(bob, start, '?t=r&reactors=5');
      assert.deepEqual(asked.splice(0), ['viewer', 'viewer']);
      // Reactions alone: one query for the first poll and for each later one.
      const m = await post(carol);
      const next = await seq(alice);
      assert.equal((await react(alice, 'main', m.id, '👍')).status, 200);
      await since(bob, next, '?t=r&reactors=5');
      await since(carol, next, '?t=r&reactors=5');
      assert.deepEqual(asked.splice(0), ['everyone', 'viewer']);
    } finally {
      store.messagesSince = messagesSince;
    }
  });

  it('check read access before the cache: a banned user gets 403 for a cursor others were served', async () => {
    const dave = t.client();
    const start = await seq(alice);
    await post(alice);
    await since(alice, start, '?t=r&reactors=5');
    await since(dave, start, '?t=r&reactors=5');
    const main = (await t.s.store.getRoom('main'))!;
    const modUser = await resolveTargetUser(t.s, mod.sessionId);
    await banUser(t.s, modUser, await resolveTargetUser(t.s, dave.sessionId), [main], null);
    assert.equal((await dave.get(`/room/main/messages/since/${start}?t=r&reactors=5`)).status, 403);
  });
});

describe('SinceCache', () => {
  it('bounds its entries and skips a listing too large to share', () => {
    const c = new SinceCache();
    c.set('big', 'x'.repeat(SINCE_CACHE_MAX_ENTRY_BYTES + 1));
    assert.equal(c.get('big'), undefined);
    for (let i = 0; i <= SINCE_CACHE_MAX_ENTRIES; i++) c.set(`k${i}`, i % 2 === 0 ? '[]' : null);
    assert.equal(c.size, SINCE_CACHE_MAX_ENTRIES);
    assert.equal(c.get('k0'), undefined, 'the oldest entry went first');
    assert.equal(c.get(`k${SINCE_CACHE_MAX_ENTRIES}`), '[]');
  });

  it('bounds the text it keeps in all', () => {
    const c = new SinceCache();
    const chunk = 'y'.repeat(SINCE_CACHE_MAX_ENTRY_BYTES);
    for (let i = 0; i < 40; i++) c.set(`k${i}`, chunk);
    assert.ok(c.size * SINCE_CACHE_MAX_ENTRY_BYTES <= SINCE_CACHE_MAX_BYTES);
    assert.ok(c.size < 40);
    assert.equal(c.get('k39'), chunk);
    assert.equal(c.get('k0'), undefined);
  });
});
