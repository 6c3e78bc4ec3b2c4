// Automatic raid detection, held posts and the cleanup of a raid's accounts, at small scale with a
// controlled clock: fresh identities post through the real server; regulars were first seen
// hours before. Thresholds are lowered per test so that a handful of posts make a raid.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeSessionMessage, react, type SogsClient } from '../client';
import { systemActor } from '../src/cli/command-scope';
import { switchRaidMode } from '../src/domain/raids';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCleanup } from '../src/jobs';
import type { Config } from '../src/config';
import type { Room } from '../src/store/types';
import { runCli } from './helpers/cli';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

const say = (body: string): Buffer => encodeSessionMessage({ body, displayName: 'someone' });

/** A clock one second into a minute, so that "the last 60 seconds" are this minute's counts. */
function minuteClock(): ManualClock {
  return new ManualClock(Math.floor(Date.now() / 60_000) * 60 + 1);
}

type Listed = { id: number; session_id: string; seqno: number; data?: string | null };

async function visibleTo(c: SogsClient, room = 'main'): Promise<Listed[]> {
  return (await c.get(`/room/${room}/messages/recent?limit=256`)).json<Listed[]>();
}

async function moderator(t: TestServer, room: Room): Promise<SogsClient> {
  const mod = t.client();
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [room], { moderator: true, admin: false, visible: true });
  return mod;
}

/** A server on a minute clock whose room `main` has a member and a moderator first seen 3 hours ago. */
async function establishedRoom(overrides: Partial<Config>): Promise<{ t: TestServer; clock: ManualClock; room: Room; member: SogsClient; mod: SogsClient }> {
  const clock = minuteClock();
  const t = await startTestServer({ rateLimitPosts: 0, ...overrides }, { clock });
  const room = (await t.s.store.getRoom('main'))!;
  const member = t.client();
  await member.get('/room/main');
  const mod = await moderator(t, room);
  clock.advance(3 * 3600);
  return { t, clock, room, member, mod };
}

describe('raid detection', () => {
  let t: TestServer;
  let clock: ManualClock;
  let room: Room;
  let regular: SogsClient;
  let mod: SogsClient;
  before(async () => {
    ({ t, clock, room, member: regular, mod } = await establishedRoom({ raidMinPosters: 5, raidBaselineFactor: 4, raidQuietMinutes: 10 }));
  });
  after(() => t.close());

  it('more new-account posts in a minute than the floor put the room in raid mode; later ones are held', async () => {
    const fresh = Array.from({ length: 8 }, () => t.client());
    for (const c of fresh.slice(0, 5)) assert.equal((await c.postMessage('main', say('hi'))).status, 201);
    assert.equal((await mod.get('/room/main/raid')).json<{ raid: boolean }>().raid, false, 'five is the floor, not above it');
    const early = (await visibleTo(regular)).filter((m) => fresh.some((c) => c.sessionId === m.session_id));
    assert.equal(early.length, 5, 'published until the floor is passed');
    const seq = (await regular.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    for (const c of fresh.slice(5)) assert.equal((await c.postMessage('main', say('hi'))).status, 201, 'held posts look accepted');
    const st = (await mod.get('/room/main/raid')).json<{ raid: boolean; automatic: boolean; held: number }>();
    assert.deepEqual([st.raid, st.automatic, st.held], [true, true, 8], 'the five published before are held too');
    const seen = await visibleTo(regular);
    assert.equal(seen.filter((m) => fresh.some((c) => c.sessionId === m.session_id)).length, 0, 'held posts are not shown');
    const since = (await regular.get(`/room/main/messages/since/${seq}`)).json<Listed[]>();
    assert.deepEqual(since.map((m) => [m.id, m.data]), early.map((m) => [m.id, null]).reverse(), 'a poller that saw the five sees them deleted');
    const held = (await mod.get('/room/main/held')).json<Listed[]>();
    assert.deepEqual(held.map((m) => m.session_id), fresh.map((c) => c.sessionId), 'held in the order they were posted');
    assert.deepEqual(held.map((m) => (m as Listed & { held_from?: number }).held_from), [...early.map((m) => m.id).reverse(), undefined, undefined, undefined]);
    assert.equal((await regular.postMessage('main', say('still here'))).status, 201);
    assert.ok((await visibleTo(regular)).some((m) => m.session_id === regular.sessionId), 'regulars post as usual');
    const log = await t.s.store.auditLog({ roomToken: 'main', limit: 5 });
    assert.ok(log.some((e) => e.action === 'room.raid_detected' && e.actor === null));
  });

  it('the raid mode it entered ends by itself after the quiet period; one switched on by hand does not', async () => {
    clock.advance(5 * 60);
    await runCleanup(t.s);
    assert.notEqual((await t.s.store.roomLimits(room.id)).raidSince, null, 'not quiet long enough yet');
    clock.advance(6 * 60);
    await runCleanup(t.s);
    assert.equal((await t.s.store.roomLimits(room.id)).raidSince, null);
    assert.equal((await t.s.store.auditLog({ roomToken: 'main', limit: 1 }))[0]!.action, 'room.raid_ended');
    assert.equal((await t.client().postMessage('main', say('after'))).status, 201);
    await switchRaidMode(t.s, await systemActor(t.s), room, true);
    clock.advance(60 * 60);
    await runCleanup(t.s);
    assert.notEqual((await t.s.store.roomLimits(room.id)).raidSince, null);
    const r = await mod.post('/room/main/raid', { on: false });
    assert.equal(r.json<{ raid: boolean }>().raid, false);
  });

  it('only moderators see and switch the raid state', async () => {
    const member = t.client();
    assert.equal((await member.get('/room/main/raid')).status, 403);
    assert.equal((await member.post('/room/main/raid', { on: true })).status, 403);
    assert.equal((await t.client(null).get('/room/main/raid')).status, 401);
    assert.equal((await mod.post('/room/main/raid', { on: 'yes' })).status, 400);
  });
});

describe('raid detection against the room baseline', () => {
  let t: TestServer;
  let clock: ManualClock;
  let room: Room;
  before(async () => {
    clock = minuteClock();
    t = await startTestServer({ rateLimitPosts: 0, raidMinPosters: 5, raidBaselineFactor: 2 }, { clock });
    room = (await t.s.store.getRoom('main'))!;
  });
  after(() => t.close());

  it('a room used to ten newcomers’ posts a minute needs more than twice that', async () => {
    const minute = Math.floor(clock.now() / 60);
    for (let i = 0; i < 10; i++) await t.s.store.countNewPost(room.id, minute - 120, false);
    const fresh = Array.from({ length: 21 }, () => t.client());
    for (const c of fresh.slice(0, 20)) assert.equal((await c.postMessage('main', say('welcome'))).status, 201);
    assert.equal((await t.s.store.roomLimits(room.id)).raidSince, null, 'twenty is not above 2 × 10');
    await fresh[20]!.postMessage('main', say('welcome'));
    assert.notEqual((await t.s.store.roomLimits(room.id)).raidSince, null);
  });
});

describe('steady growth', () => {
  let t: TestServer;
  let clock: ManualClock;
  before(async () => {
    clock = minuteClock();
    // Default settings: what a normal community runs with.
    t = await startTestServer({ rateLimitPosts: 0 }, { clock });
  });
  after(() => t.close());

  it('120 new members joining over a day and chatting never trigger raid mode', async () => {
    const room = (await t.s.store.getRoom('main'))!;
    for (let i = 0; i < 120; i++) {
      const c = t.client();
      for (let k = 0; k < 3; k++) {
        assert.equal((await c.postMessage('main', say(`hello ${i}.${k}`))).status, 201);
        clock.advance(20);
      }
      clock.advance(12 * 60 - 60);
    }
    assert.equal((await t.s.store.roomLimits(room.id)).raidSince, null);
    assert.equal(await t.s.store.countHeld(room.id), 0);
  });
});

describe('held posts', () => {
  let t: TestServer;
  let clock: ManualClock;
  let room: Room;
  let member: SogsClient;
  let mod: SogsClient;
  let raiders: SogsClient[];
  let raidStart: number;
  before(async () => {
    ({ t, clock, room, member, mod } = await establishedRoom({ raidHeldDays: 1 }));
    await switchRaidMode(t.s, await systemActor(t.s), room, true);
    raidStart = clock.now();
    raiders = Array.from({ length: 6 }, () => t.client());
    for (const [i, c] of raiders.entries()) {
      const r = await c.postMessage('main', say(`raid ${i}`));
      assert.equal(r.status, 201);
      assert.ok(r.json<{ id: number }>().id > 0);
    }
  });
  after(() => t.close());

  it('moderators list held posts; members cannot', async () => {
    assert.equal((await member.get('/room/main/held')).status, 403);
    const held = (await mod.get('/room/main/held')).json<Listed[]>();
    assert.deepEqual(held.map((m) => m.session_id), raiders.map((c) => c.sessionId));
    assert.equal((await mod.get('/room/main/held?limit=2')).json<Listed[]>().length, 2);
    assert.equal((await mod.get(`/room/main/held?after=${held[3]!.id}`)).json<Listed[]>().length, 2);
  });

  it('released posts reach pollers as new posts (fresh id and seqno past the poller\'s)', async () => {
    const seq = (await member.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    const before = (await member.get(`/room/main/messages/since/${seq}`)).json<Listed[]>();
    assert.deepEqual(before, [], 'holding posts does not wake pollers');
    const held = (await mod.get('/room/main/held')).json<Listed[]>();
    const r = await mod.post('/room/main/held/release', { ids: [held[0]!.id, held[1]!.id] });
    assert.equal(r.status, 200);
    const { released, ids } = r.json<{ released: number; ids: number[] }>();
    assert.equal(released, 2);
    const since = (await member.get(`/room/main/messages/since/${seq}`)).json<Listed[]>();
    assert.deepEqual(since.map((m) => m.session_id), [raiders[0]!.sessionId, raiders[1]!.sessionId]);
    assert.deepEqual(since.map((m) => m.id), ids);
    assert.ok(since.every((m) => m.seqno > seq && m.id > held[5]!.id));
    assert.equal((await mod.get('/room/main/held')).json<Listed[]>().length, 4);
    assert.equal((await mod.post('/room/main/held/release', { ids: 'some' })).status, 400);
  });

  it('deleting all of a user\'s posts takes their held ones too', async () => {
    const r = await mod.delete(`/room/main/all/${raiders[2]!.sessionId}`);
    assert.equal(r.status, 200);
    const left = (await mod.get('/room/main/held')).json<Listed[]>();
    assert.deepEqual(left.map((m) => m.session_id), raiders.slice(3).map((c) => c.sessionId));
  });

  it('dropped posts are gone; unreleased ones expire after raidHeldDays', async () => {
    const held = (await mod.get('/room/main/held')).json<Listed[]>();
    assert.deepEqual((await mod.post('/room/main/held/drop', { ids: [held[0]!.id] })).json(), { dropped: 1 });
    clock.advance(86400 + 1);
    const counts = await runCleanup(t.s);
    assert.equal(counts['heldExpired'], 2);
    assert.deepEqual((await mod.get('/room/main/held')).json<Listed[]>(), []);
    const actions = (await t.s.store.auditLog({ roomToken: 'main', limit: 3 })).map((e) => e.action);
    assert.ok(actions.includes('held.release') && actions.includes('held.drop'));
  });

  it('a cleanup of the raid\'s window still reaches accounts whose held posts were dropped, deleted or expired', async () => {
    const window = { since: raidStart - 1, until: raidStart + 60, ban: 'room' };
    const dry = (await mod.post('/room/main/raid/cleanup', { ...window, dry_run: true })).json<{ accounts: number; posts: number; held: number }>();
    assert.deepEqual(dry, { ...dry, accounts: raiders.length, posts: 2, held: 0 }, 'two released, the rest long gone');
    assert.equal((await mod.post('/room/main/raid/cleanup', window)).status, 200);
    for (const c of raiders) assert.equal((await c.postMessage('main', say('again'))).status, 403, 'banned in the room');
    assert.equal((await member.postMessage('main', say('still here'))).status, 201);
  });
});

describe('raid cleanup', () => {
  let t: TestServer;
  let clock: ManualClock;
  let room: Room;
  let member: SogsClient;
  let mod: SogsClient;
  let early: SogsClient[];
  let held: SogsClient[];
  let raidStart: number;
  before(async () => {
    // Raid mode by hand after three posts: the detection would have held those too.
    ({ t, clock, room, member, mod } = await establishedRoom({ raidDetect: false }));
    await member.postMessage('main', say('regular'));
    raidStart = clock.now();
    early = Array.from({ length: 3 }, () => t.client());
    held = Array.from({ length: 4 }, () => t.client());
    for (const c of early) await c.postMessage('main', say('spam'));
    await switchRaidMode(t.s, await systemActor(t.s), room, true);
    for (const c of held) await c.postMessage('main', say('spam'));
    // A moderator first seen during the raid is never cleaned up.
    await (await moderator(t, room)).postMessage('main', say('mod here'));
  });
  after(() => t.close());

  it('a dry run counts the accounts, posts and held posts; it changes nothing', async () => {
    const r = await mod.post('/room/main/raid/cleanup', { current: true, dry_run: true });
    assert.deepEqual(r.json(), { accounts: 7, posts: 3, held: 4, since: r.json<{ since: number }>().since, until: r.json<{ until: number }>().until, dry_run: true });
    const byWindow = await mod.post('/room/main/raid/cleanup', { since: raidStart - 1, until: raidStart + 10, dry_run: true });
    assert.equal(byWindow.json<{ accounts: number }>().accounts, 7);
    assert.equal((await visibleTo(member)).length, 5);
    assert.equal((await mod.post('/room/main/raid/cleanup', { dry_run: true })).status, 400);
    const badBan = await mod.post('/room/main/raid/cleanup', { current: true, ban: 'everyone', dry_run: true });
    assert.deepEqual([badBan.status, badBan.text()], [400, 'the ban must be "room", "global" or "none", not "everyone"']);
    assert.equal((await mod.post('/room/main/raid/cleanup', { current: true, ban: 'global' })).status, 403, 'a room moderator cannot ban globally');
    assert.equal((await member.post('/room/main/raid/cleanup', { current: true, dry_run: true })).status, 403);
  });

  it('bans and deletes every post of the window\'s accounts; regulars and moderators keep theirs', async () => {
    // One raid post with a reaction and a pin: those take the one-by-one path, the rest the bulk one.
    const target = (await visibleTo(member)).find((m) => m.session_id === early[0]!.sessionId)!;
    assert.equal((await react(member, 'main', target.id, '👍')).status, 200);
    const admin = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), [room], { moderator: true, admin: true, visible: true });
    assert.equal((await admin.post(`/room/main/pin/${target.id}`, {})).status, 200);
    const seq = (await member.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    const r = await mod.post('/room/main/raid/cleanup', { current: true });
    assert.deepEqual([r.json<{ accounts: number }>().accounts, r.json<{ posts: number }>().posts, r.json<{ held: number }>().held], [7, 3, 4]);
    const left = await visibleTo(member);
    assert.deepEqual(left.map((m) => m.session_id).sort(), [member.sessionId, left.find((m) => m.session_id !== member.sessionId)!.session_id].sort());
    assert.equal(left.length, 2);
    const deletions = (await member.get(`/room/main/messages/since/${seq}`)).json<Listed[]>();
    const deleted = deletions.filter((m) => m.data === null);
    assert.equal(deleted.length, 3, 'pollers learn of the deletions');
    assert.ok(deleted.some((m) => m.id === target.id));
    assert.equal(new Set(deleted.map((m) => m.seqno)).size, 3, 'each deletion is an event of its own');
    assert.deepEqual((await member.get('/room/main')).json<{ pinned_messages?: unknown[] }>().pinned_messages ?? [], []);
    const history = await t.s.store.getMessage(room.id, deleted.find((m) => m.id !== target.id)!.id);
    assert.equal(history!.data, null);
    assert.equal(await t.s.store.countHeld(room.id), 0);
    for (const c of [...early, ...held]) assert.equal((await c.postMessage('main', say('again'))).status, 403);
    const log = (await t.s.store.auditLog({ roomToken: 'main', limit: 1 }))[0]!;
    assert.equal(log.action, 'raid.cleanup');
    assert.equal(log.details['accounts'], 7);
  });

  it('the CLI does the same, with a dry run, for a time window', async () => {
    const later = Array.from({ length: 2 }, () => t.client());
    clock.advance(3600);
    const from = clock.now() - 1;
    for (const c of later) await c.postMessage('main', say('second wave'));
    const dry = await runCli(t.dataDir, '--rooms', 'main', '--raid-cleanup', '--since', String(from), '--until', String(clock.now() + 5), '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /dry run.*2 accounts.*0 posts, 2 held posts/, 'raid mode is still on: held');
    const real = await runCli(t.dataDir, '--rooms', 'main', '--raid-cleanup', '--since', String(from), '--until', String(clock.now() + 5), '--cleanup-ban', 'global');
    assert.equal(real.code, 0, real.err);
    assert.match(real.out, /banned \(global\).*2 accounts/);
    for (const c of later) assert.equal((await c.get('/room/main')).status, 403);
    assert.equal((await runCli(t.dataDir, '--rooms', 'main', '--raid-cleanup', '--since', 'yesterday-ish')).code, 1);
    const badBan = await runCli(t.dataDir, '--rooms', 'main', '--raid-cleanup', '--since', String(from), '--cleanup-ban', 'everyone', '--dry-run');
    assert.equal(badBan.code, 1);
    assert.match(badBan.err, /the ban must be "room", "global" or "none", not "everyone"/);
  });
});

describe('several processes on one database', () => {
  let a: TestServer;
  let b: TestServer;
  let clock: ManualClock;
  before(async () => {
    clock = minuteClock();
    a = await startTestServer({ rateLimitPosts: 0, raidMinPosters: 6 }, { clock });
    b = await startTestServer({ rateLimitPosts: 0, raidMinPosters: 6 }, { clock, dataDir: a.dataDir });
  });
  after(async () => {
    await b.close({ keepData: true });
    await a.close();
  });

  it('count the posts of both toward one detection, and both hold once it tripped', async () => {
    for (let i = 0; i < 6; i++) await (i % 2 ? a : b).client().postMessage('main', say('x'));
    const room = (await a.s.store.getRoom('main'))!;
    assert.equal((await a.s.store.roomLimits(room.id)).raidSince, null);
    await a.client().postMessage('main', say('x'));
    assert.notEqual((await b.s.store.roomLimits(room.id)).raidSince, null);
    await b.client().postMessage('main', say('x'));
    assert.equal(await a.s.store.countHeld(room.id), 8, 'the six published before, the one that tripped it, the one after');
  });
});
