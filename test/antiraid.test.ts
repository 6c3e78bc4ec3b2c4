// Anti-raid controls under simulated join floods (many fresh identities): per-room rate limits,
// the new-account slow mode (by account age and by reads), raid mode (held posts), and the DM rule.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeSessionMessage, sendDirectMessage, type SogsClient } from '../client';
import { systemActor } from '../src/cli/command-scope';
import { setRoomRateLimit } from '../src/domain/moderation';
import { switchRaidMode } from '../src/domain/raids';
import { createRoom } from '../src/domain/rooms';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import type { Room, User } from '../src/store/types';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

const hello = (): Buffer => encodeSessionMessage({ body: 'hello', displayName: 'raider' });

async function statuses(c: SogsClient, room: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await c.postMessage(room, hello())).status);
  return out;
}

/** Every client posts `n` times, all clients at once: a join flood. */
async function flood(clients: SogsClient[], room: string, n: number): Promise<number[][]> {
  return Promise.all(clients.map((c) => statuses(c, room, n)));
}

async function system(t: TestServer): Promise<User> {
  return systemActor(t.s);
}

describe('per-room rate limits', () => {
  let t: TestServer;
  let busy: Room;
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 5, rateLimitInterval: 16 });
    busy = await t.s.store.createRoom({ token: 'busy', name: 'Busy', now: t.s.clock.now() });
    await setRoomRateLimit(t.s, await system(t), busy, { rateLimitPosts: 2, rateLimitInterval: 60 });
  });
  after(() => t.close());

  it('limits each user of a flood to the room’s own limit; other rooms keep the server default', async () => {
    const raiders = Array.from({ length: 25 }, () => t.client());
    const results = await flood(raiders, 'busy', 3);
    for (const r of results) assert.deepEqual(r, [201, 201, 429]);
    const main = await flood(raiders.slice(0, 5), 'main', 6);
    for (const r of main) assert.deepEqual(r, [201, 201, 201, 201, 201, 429]);
  });

  it('room admins are exempt, moderators are not (docs/protocol/api.md §7.3); "off" removes the limit', async () => {
    const admin = t.client();
    const mod = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), [busy], { moderator: true, admin: true, visible: true });
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [busy], { moderator: true, admin: false, visible: true });
    assert.deepEqual(await statuses(admin, 'busy', 4), [201, 201, 201, 201]);
    assert.deepEqual(await statuses(mod, 'busy', 3), [201, 201, 429]);
    await setRoomRateLimit(t.s, await system(t), busy, { rateLimitPosts: 0, rateLimitInterval: null });
    assert.deepEqual(await statuses(t.client(), 'busy', 7), [201, 201, 201, 201, 201, 201, 201]);
    const log = await t.s.store.auditLog({ roomToken: 'busy', limit: 5 });
    assert.deepEqual(log[0]!.details, { posts: 0, interval: null });
    assert.equal(log[0]!.action, 'room.rate_limit');
  });
});

describe('new-account slow mode (account age)', () => {
  let t: TestServer;
  let clock: ManualClock;
  let veterans: SogsClient[];
  before(async () => {
    clock = new ManualClock(Date.now() / 1000);
    t = await startTestServer({ rateLimitPosts: 0, newAccountMinutes: 10, newAccountPosts: 1, newAccountInterval: 60 }, { clock });
    veterans = Array.from({ length: 3 }, () => t.client());
    for (const v of veterans) await v.get('/room/main');
    clock.advance(11 * 60);
  });
  after(() => t.close());

  it('fresh accounts of a flood post once per interval; established ones are not limited', async () => {
    const raiders = Array.from({ length: 30 }, () => t.client());
    const results = await flood(raiders, 'main', 2);
    for (const r of results) assert.deepEqual(r, [201, 429]);
    for (const v of veterans) assert.deepEqual(await statuses(v, 'main', 3), [201, 201, 201]);
    clock.advance(61);
    assert.deepEqual(await statuses(raiders[0]!, 'main', 2), [201, 429], 'one more after the interval');
    clock.advance(10 * 60);
    assert.deepEqual(await statuses(raiders[0]!, 'main', 3), [201, 201, 201], 'no longer new');
  });

  it('moderators and users given explicit write permission are exempt', async () => {
    const mod = t.client();
    const trusted = t.client();
    const main = (await t.s.store.getRoom('main'))!;
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
    await t.s.store.setPermissionOverrides(main.id, (await resolveTargetUser(t.s, trusted.sessionId)).id, { write: true });
    assert.deepEqual(await statuses(mod, 'main', 3), [201, 201, 201]);
    assert.deepEqual(await statuses(trusted, 'main', 3), [201, 201, 201]);
  });

  it('applies to direct messages too, over HTTP and in /batch', async () => {
    const fresh = t.client();
    const dm = (from: SogsClient, to: SogsClient) => sendDirectMessage(from, to.sessionId, Buffer.from('hi'));
    assert.equal((await dm(fresh, veterans[0]!)).status, 201);
    const second = await dm(fresh, veterans[1]!);
    assert.equal(second.status, 429);
    const batched = await fresh.batch([{ method: 'POST', path: `/inbox/${veterans[2]!.sessionId}`, json: { message: 'aGk=' } }]);
    assert.equal(batched[0]!.code, 429);
    // Established accounts are not limited, also when writing to a new account.
    for (let i = 0; i < 3; i++) assert.equal((await dm(veterans[0]!, fresh)).status, 201);
    clock.advance(61);
    assert.equal((await dm(fresh, veterans[0]!)).status, 201, 'one more after the interval');
    const inbox = (await veterans[0]!.get('/inbox')).json<{ sender: string }[]>();
    assert.equal(inbox.filter((m) => m.sender === fresh.sessionId).length, 2, 'refused DMs are not stored');
  });
});

describe('new-account rules by reads, and blocking', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 0, newAccountMinReads: 3, newAccountPosts: 0 });
  });
  after(() => t.close());

  it('an account that has not read enough may not post (403) until it has', async () => {
    const raiders = Array.from({ length: 10 }, () => t.client());
    for (const r of await flood(raiders, 'main', 1)) assert.deepEqual(r, [403]);
    const lurker = raiders[0]!;
    const r = await lurker.postMessage('main', hello());
    assert.equal(r.text(), 'New accounts may not post yet');
    await lurker.get('/room/main/messages/recent');
    await lurker.get('/room/main/pollInfo/0');
    assert.equal((await lurker.postMessage('main', hello())).status, 403, 'two reads are not enough');
    await lurker.get('/room/main/messages/since/0');
    assert.equal((await lurker.postMessage('main', hello())).status, 201);
    // Reads survive the activity flush.
    await t.s.activity.flush();
    assert.equal(await t.s.store.userReads((await t.s.store.findUser(lurker.sessionId))!.id), 3);
    assert.equal((await lurker.postMessage('main', hello())).status, 201);
    // DMs: blocked (403) until the account has read enough, then allowed.
    const blocked = await sendDirectMessage(raiders[1]!, lurker.sessionId, Buffer.from('hi'));
    assert.equal(blocked.status, 403);
    assert.equal(blocked.text(), 'New accounts may not send direct messages yet');
    assert.deepEqual((await lurker.get('/inbox')).json<unknown[]>(), []);
    assert.equal((await sendDirectMessage(lurker, raiders[1]!.sessionId, Buffer.from('hi'))).status, 201, 'enough reads');
    for (let i = 0; i < 3; i++) await raiders[1]!.get('/room/main/messages/recent');
    assert.equal((await sendDirectMessage(raiders[1]!, lurker.sessionId, Buffer.from('hi'))).status, 201);
  });
});

describe('reads counted per poll', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 0, newAccountMinReads: 2, newAccountPosts: 0 });
    await createRoom(t.s, 'second', 'Second');
  });
  after(() => t.close());

  const poll = (c: SogsClient, rooms: string[]) =>
    c.batch(rooms.flatMap((r) => [{ method: 'GET', path: `/room/${r}/pollInfo/0` }, { method: 'GET', path: `/room/${r}/messages/since/0` }]));

  it('a poll asking a room for its info and its messages is one read of that room', async () => {
    const c = t.client();
    for (const r of await poll(c, ['main'])) assert.equal(r.code, 200);
    const id = (await t.s.store.findUser(c.sessionId))!.id;
    assert.equal(t.s.activity.pendingReads(id), 1);
    assert.equal((await c.postMessage('main', hello())).status, 403, 'one poll is one read, not two');
    await poll(c, ['main']);
    assert.equal((await c.postMessage('main', hello())).status, 201, 'two polls are two reads');
    await t.s.activity.flush();
    assert.equal(await t.s.store.userReads(id), 2);
  });

  it('a poll of two rooms is a read of each', async () => {
    const c = t.client();
    for (const r of await poll(c, ['main', 'second'])) assert.equal(r.code, 200);
    const id = (await t.s.store.findUser(c.sessionId))!.id;
    assert.equal(t.s.activity.pendingReads(id), 2);
    assert.equal((await c.postMessage('main', hello())).status, 201);
  });

  it('a post reads the room\'s limits once, for raid mode and the rate limit both', async () => {
    const c = t.client();
    await poll(c, ['main', 'second']);
    await poll(c, ['main', 'second']);
    const store = t.s.store;
    const roomLimits = store.roomLimits;
    let reads = 0;
    store.roomLimits = async (roomId) => {
      reads++;
      return roomLimits.call(store, roomId);
    };
    try {
      assert.equal((await c.postMessage('main', hello())).status, 201);
    } finally {
      store.roomLimits = roomLimits;
    }
    assert.equal(reads, 1);
  });
});

describe('raid mode', () => {
  let t: TestServer;
  let clock: ManualClock;
  let room: Room;
  let veteran: SogsClient;
  let recent: SogsClient;
  before(async () => {
    clock = new ManualClock(Date.now() / 1000);
    // Raid mode by hand only: the detection (test/raids.test.ts) would see this flood as a raid too.
    t = await startTestServer({ rateLimitPosts: 0, raidAccountAge: 60, raidDetect: false }, { clock });
    room = (await t.s.store.getRoom('main'))!;
    veteran = t.client();
    await veteran.get('/room/main');
    clock.advance(90 * 60);
    recent = t.client();
    await recent.get('/room/main');
    clock.advance(30 * 60);
  });
  after(() => t.close());

  it('while on, posts of accounts first seen shortly before or during the raid are held; off restores posting', async () => {
    await switchRaidMode(t.s, await system(t), room, true);
    const raiders = Array.from({ length: 20 }, () => t.client());
    const shown = async (c: SogsClient): Promise<number> =>
      (await veteran.get('/room/main/messages/recent')).json<{ session_id: string }[]>().filter((m) => m.session_id === c.sessionId).length;
    for (const r of await flood(raiders, 'main', 2)) assert.deepEqual(r, [201, 201], 'answered as accepted');
    assert.equal(await shown(raiders[0]!), 0, 'but held');
    assert.equal(await t.s.store.countHeld(room.id), 40);
    assert.equal((await recent.postMessage('main', hello())).status, 201);
    assert.equal(await shown(recent), 0, 'first seen 30 min before the raid: held');
    assert.equal((await veteran.postMessage('main', hello())).status, 201, 'first seen 2 h before the raid');
    assert.equal(await shown(veteran), 1);
    const mod = raiders[0]!;
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [room], { moderator: true, admin: false, visible: true });
    assert.equal((await mod.postMessage('main', hello())).status, 201, 'moderators are exempt');
    // Other rooms are unaffected.
    await t.s.store.createRoom({ token: 'calm', name: 'Calm', now: clock.now() });
    assert.equal((await raiders[1]!.postMessage('calm', hello())).status, 201);
    await switchRaidMode(t.s, await system(t), room, false);
    for (const r of await flood(raiders.slice(1, 6), 'main', 1)) assert.deepEqual(r, [201]);
    assert.equal(await shown(raiders[1]!), 1, 'published once raid mode is off');
    const log = await t.s.store.auditLog({ roomToken: 'main', limit: 2 });
    assert.deepEqual(log.map((e) => [e.action, e.details['on']]), [['room.raid_mode', false], ['room.raid_mode', true]]);
  });
});
