// Listings rendered once and shared between viewers (src/api/listing-cache.ts): messages/since,
// messages/recent and messages/before. What one viewer's request put in the cache never shows
// another viewer what they may not see, and every change to the room's messages is seen at once
// in a listing already served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { padMessage, randomContent, react, unreact, type SogsClient } from '../client';
import { LISTING_CACHE_MAX_BYTES, LISTING_CACHE_MAX_ENTRIES, LISTING_CACHE_MAX_ENTRY_BYTES, ListingCache, listingCacheOf } from '../src/api/listing-cache';
import { banUser } from '../src/domain/bans';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { ok, post, post as postTo, seq, since, type Msg, type PostOptions } from './helpers/api';
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
  const hist = await t.s.store.createRoom({ token: 'hist', name: 'History', now: t.s.clock.now() });
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main, hist], { moderator: true, admin: false, visible: true });
});
after(() => t.close());

describe('shared since-listings', () => {
  it('serve every viewer the same listing from one rendering', async () => {
    const start = await seq(alice);
    const posted = [await post(alice), await post(bob)];
    const before = listingCacheOf(t.s.store).size;
    const a = await since(alice, start, '?t=r&reactors=5');
    const b = await since(bob, start, '?t=r&reactors=5');
    assert.equal(listingCacheOf(t.s.store).size, before + 1, 'the second poll of the cursor is served from the cache');
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
      // Reactions alone: shared with every viewer but the one who reacted, who runs their own query.
      const m = await post(carol);
      const next = await seq(alice);
      assert.equal((await react(alice, 'main', m.id, '👍')).status, 200);
      await since(bob, next, '?t=r&reactors=5');
      await since(carol, next, '?t=r&reactors=5');
      assert.deepEqual(asked.splice(0), ['everyone']);
      await since(alice, next, '?t=r&reactors=5');
      assert.deepEqual(asked.splice(0), ['viewer']);
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

describe('shared history listings (messages/recent and messages/before)', () => {
  // A room of its own: the whispers posted above would make main's recent listings per viewer.
  const recent = (c: SogsClient, path = 'recent?limit=20') => ok<Msg[]>(c.get(`/room/hist/messages/${path}`));
  const post = (c: SogsClient, opts: PostOptions = {}) => postTo(c, { room: 'hist', ...opts });
  const ids = (list: Msg[]) => list.map((m) => m.id);
  type Reactions = Record<string, { you?: true; count: number; reactors?: string[] }>;

  it('serve every viewer the same listing from one rendering, directly and through /batch', async () => {
    const posted = [await post(alice), await post(bob)];
    const size = listingCacheOf(t.s.store).size;
    const a = await recent(alice);
    const b = await recent(bob);
    assert.equal(listingCacheOf(t.s.store).size, size + 1, 'the second listing is served from the cache');
    assert.deepEqual(a, b);
    assert.deepEqual(ids(a).slice(0, 2), ids(posted).reverse());
    const [sub] = await t.client().batch([{ method: 'GET', path: '/room/hist/messages/recent?limit=20' }]);
    assert.equal(sub!.code, 200);
    assert.deepEqual(sub!.body, a);
    const older = await recent(carol, `before/${posted[1]!.id}?limit=20`);
    assert.deepEqual(older.slice(0, a.length - 1), a.slice(1));
  });

  it('keep whispers per viewer, whoever listed first', async () => {
    const open = await post(alice);
    const toBob = await post(mod, { extra: { whisper_to: bob.sessionId } });
    const toMods = await post(mod, { extra: { whisper_mods: true } });
    const top = async (c: SogsClient) => ids(await recent(c)).filter((id) => id >= open.id);
    assert.deepEqual(await top(carol), [open.id]);
    assert.deepEqual(await top(bob), [toBob.id, open.id]);
    assert.deepEqual(await top(mod), [toMods.id, toBob.id, open.id]);
    assert.deepEqual(await top(carol), [open.id]);
    const unsigned = await ok<Msg[]>(t.client(null).get('/room/hist/messages/recent?limit=20'));
    assert.deepEqual(ids(unsigned).filter((id) => id >= open.id), [open.id]);
  });

  it('keep `you` in reactions per viewer, in either order', async () => {
    const m = await post(carol);
    await post(carol);
    assert.equal((await react(alice, 'hist', m.id, '👍')).status, 200);
    // Short listings: the whispers above are kept out of them, so they are shared.
    const of = async (c: SogsClient, path = 'recent?limit=2') => (await recent(c, path)).find((x) => x.id === m.id)!['reactions'] as Reactions;
    assert.equal('you' in (await of(bob))['👍']!, false);
    assert.equal((await of(alice))['👍']!.you, true);
    assert.equal('you' in (await of(bob))['👍']!, false);
    const before = `before/${m.id + 1}?limit=1`;
    assert.equal((await of(alice, before))['👍']!.you, true);
    assert.equal('you' in (await of(bob, before))['👍']!, false);
  });

  it("show every change to the room's messages in the next listing", async () => {
    const m = await post(alice);
    const listed = async (c: SogsClient, path = 'recent?limit=2') => (await recent(c, path)).find((x) => x.id === m.id);
    const before = `before/${m.id + 1}?limit=1`;
    // Each step: list from two viewers (the second from the cache), change, list again.
    const step = async (change: () => Promise<unknown>, check: (x: Msg | undefined) => void) => {
      await listed(bob);
      await listed(carol, before);
      await change();
      check(await listed(carol));
      check(await listed(bob, before));
    };
    const newer = await post(bob);
    assert.deepEqual(ids(await recent(carol)).slice(0, 2), [newer.id, m.id]);
    await step(
      () => react(bob, 'hist', m.id, '❤️'),
      (x) => assert.equal((x!['reactions'] as Reactions)['❤️']!.count, 1),
    );
    await step(
      () => react(carol, 'hist', m.id, '❤️'),
      (x) => assert.deepEqual((x!['reactions'] as Reactions)['❤️']!.reactors, [bob.sessionId, carol.sessionId]),
    );
    await step(
      () => unreact(bob, 'hist', m.id, '❤️'),
      (x) => assert.equal((x!['reactions'] as Reactions)['❤️']!.count, 1),
    );
    const data = padMessage(randomContent());
    const signature = alice.identity!.signBlinded(t.serverPubkey, data).toString('base64');
    await step(
      () => ok(alice.put(`/room/hist/message/${m.id}`, { data: data.toString('base64'), signature })),
      (x) => assert.equal(x!.data, data.toString('base64')),
    );
    await step(() => ok(mod.delete(`/room/hist/message/${m.id}`)), (x) => assert.equal(x, undefined));
  });
});

describe('ListingCache', () => {
  const shared = (text: string) => ({ text, reactors: new Set<number>() });

  it('bounds its entries and skips a listing too large to share', () => {
    const c = new ListingCache();
    c.set('big', shared('x'.repeat(LISTING_CACHE_MAX_ENTRY_BYTES + 1)));
    assert.equal(c.get('big'), undefined);
    const last = shared('[]');
    for (let i = 0; i < LISTING_CACHE_MAX_ENTRIES; i++) c.set(`k${i}`, i % 2 === 0 ? shared('[]') : null);
    c.set(`k${LISTING_CACHE_MAX_ENTRIES}`, last);
    assert.equal(c.size, LISTING_CACHE_MAX_ENTRIES);
    assert.equal(c.get('k0'), undefined, 'the oldest entry went first');
    assert.equal(c.get(`k${LISTING_CACHE_MAX_ENTRIES}`), last);
  });

  it('bounds the text it keeps in all, and counts the bytes made for direct replies', () => {
    const c = new ListingCache();
    const chunk = 'y'.repeat(LISTING_CACHE_MAX_ENTRY_BYTES / 2);
    const n = Math.ceil((2 * LISTING_CACHE_MAX_BYTES) / chunk.length);
    const entries = Array.from({ length: n }, () => shared(chunk));
    for (let i = 0; i < n; i++) c.set(`k${i}`, entries[i]!);
    assert.ok(c.size * chunk.length <= LISTING_CACHE_MAX_BYTES);
    assert.ok(c.size < n);
    assert.equal(c.get(`k${n - 1}`), entries[n - 1]);
    assert.equal(c.get('k0'), undefined);
    const kept = c.size;
    for (let i = n - kept; i < n; i++) assert.equal(c.bodyOf(`k${i}`, entries[i]!).toString(), chunk);
    assert.ok(c.size <= Math.ceil(kept / 2) + 1, `the bytes made for replies count: ${c.size} of ${kept} kept`);
  });
});
