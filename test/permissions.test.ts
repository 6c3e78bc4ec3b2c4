// Per-user permissions, room defaults and scheduled changes (docs/protocol/api.md §4.7, §6.1–§6.4, §6.8):
// shapes, validation, effects on what users may do, and timed bans / future permissions applied
// by the background job under a hand-moved clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomContent, type SogsClient } from '../client';
import { allows, effectivePermissions, type Check, type Permissions } from '../src/domain/permissions';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCleanup } from '../src/jobs';
import type { PermissionOverride, Room, User } from '../src/store/types';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

type Json = Record<string, unknown>;

describe('permission evaluation order (docs/protocol/api.md §6.4)', () => {
  const room: Room = {
    id: 1, token: 'r', name: 'R', description: null, image: null, created: 0, messageSequence: 0, infoUpdates: 0, activeUsers: 0,
    read: true, accessible: true, write: true, upload: false,
  };
  const user = (flags: Partial<User> = {}): User => ({
    id: 2, sessionId: '15' + '0'.repeat(64), created: 0, lastActive: 0, banned: false, moderator: false, admin: false, visibleMod: false,
    lastInboxId: 0, lastOutboxId: 0, ...flags,
  });
  const ov = (o: Partial<PermissionOverride>): PermissionOverride => ({
    banned: false, read: null, accessible: null, write: null, upload: null, moderator: false, admin: false, visibleMod: true, ...o,
  });
  const checks: Check[] = ['accessible', 'read', 'write', 'upload', 'moderator', 'admin'];
  const row = (p: Permissions): string => checks.map((c) => (allows(p, c) ? c[0]!.toUpperCase() : '-')).join('');

  it('admins pass everything even when banned; moderators everything but admin checks', () => {
    assert.equal(row(effectivePermissions(room, user(), ov({ admin: true, moderator: true, banned: true }))), 'ARWUMA');
    assert.equal(row(effectivePermissions(room, user(), ov({ moderator: true, write: false, read: false }))), 'ARWUM-');
    assert.equal(row(effectivePermissions(room, user({ moderator: true }), null)), 'ARWUM-');
    assert.equal(row(effectivePermissions(room, user({ admin: true, moderator: true }), null)), 'ARWUMA');
  });

  it('banned fails every user check; flags come from overrides, else room defaults', () => {
    assert.equal(row(effectivePermissions(room, user(), ov({ banned: true, read: true, write: true }))), '------');
    assert.equal(row(effectivePermissions(room, user({ banned: true }), null)), '------');
    assert.equal(row(effectivePermissions(room, user(), null)), 'ARW---', 'upload needs the upload default too');
    assert.equal(row(effectivePermissions(room, user(), ov({ upload: true }))), 'ARWU--');
    assert.equal(row(effectivePermissions(room, user(), ov({ upload: true, write: false }))), 'AR----', 'upload needs write');
    assert.equal(row(effectivePermissions(room, user(), ov({ read: false }))), 'A-W---', 'accessible by default');
    assert.equal(row(effectivePermissions(room, user(), ov({ read: false, accessible: false }))), '--W---');
    assert.equal(row(effectivePermissions({ ...room, read: false, accessible: false }, user(), ov({ read: true }))), 'ARW---', 'read implies accessible');
    assert.equal(row(effectivePermissions(room, null, null)), 'ARW---', 'anonymous: room defaults');
  });
});

describe('per-user permissions over HTTP', () => {
  let t: TestServer;
  let mod: SogsClient;
  let alice: SogsClient;
  let aliceUser: User;
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 0 });
    mod = t.client();
    alice = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [(await t.s.store.getRoom('main'))!], { moderator: true, admin: false, visible: true });
    aliceUser = await resolveTargetUser(t.s, alice.sessionId);
  });
  after(() => t.close());

  const perms = async (sid: string): Promise<Json> => (await mod.get(`/room/main/permissions/${sid}`)).json<Json>();

  it('GET for a user without overrides is {} (docs/protocol/api.md §12.4), and the room listing maps ids to overrides', async () => {
    assert.deepEqual(await perms(t.client().sessionId), {});
    const r = await mod.post(`/room/main/permissions/${alice.sessionId}`, { write: false, upload: true });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { write: false, upload: true });
    assert.deepEqual(await perms(alice.sessionId), { write: false, upload: true });
    const all = (await mod.get('/room/main/permissions')).json<Record<string, Json>>();
    assert.deepEqual(all[alice.sessionId], { write: false, upload: true });
    assert.deepEqual(all[mod.sessionId], { moderator: true });
  });

  it('an override takes effect at once; default_* removes it', async () => {
    assert.equal((await alice.postMessage('main', randomContent())).status, 403);
    const room = (await alice.get('/room/main')).json<Json>();
    assert.deepEqual([room['read'], room['write'], room['upload']], [true, false, false]);
    const r = await mod.post(`/room/main/permissions/${alice.sessionId}`, { default_write: true, default_upload: true });
    assert.deepEqual(r.json(), {});
    assert.equal((await alice.postMessage('main', randomContent())).status, 201);
    assert.equal((await t.s.store.getOverride(1, aliceUser.id)), null, 'an empty override row is deleted');
  });

  it('read and accessible overrides hide the room: 403 for reads, 404 for the room itself', async () => {
    await mod.post(`/room/main/permissions/${alice.sessionId}`, { read: false });
    assert.equal((await alice.get('/room/main/messages/recent')).status, 403);
    assert.equal((await alice.get('/room/main')).status, 200, 'still accessible');
    await mod.post(`/room/main/permissions/${alice.sessionId}`, { accessible: false });
    assert.equal((await alice.get('/room/main')).status, 404);
    assert.ok(!(await alice.get('/rooms')).json<Json[]>().some((r) => r['token'] === 'main'));
    await mod.post(`/room/main/permissions/${alice.sessionId}`, { default_read: true, default_accessible: true });
    assert.equal((await alice.get('/room/main/messages/recent')).status, 200);
  });

  it('rejects bad bodies with 400 and changes nothing', async () => {
    for (const b of [{}, { read: null }, { write: 'no' }, { write: 1 }, { write: false, default_write: true }, { default_read: 'yes' }, [1]]) {
      assert.equal((await mod.post(`/room/main/permissions/${alice.sessionId}`, b)).status, 400, JSON.stringify(b));
    }
    assert.deepEqual(await perms(alice.sessionId), {});
    assert.equal((await mod.post(`/room/nosuch/permissions/${alice.sessionId}`, { write: false })).status, 404);
    assert.equal((await t.client(null).get('/room/main/permissions')).status, 401);
    assert.equal((await alice.get('/room/main/permissions')).status, 403);
    assert.equal((await alice.get('/room/main/futurePermissions')).status, 403);
  });

  it('shows moderator flags and visibility in the override object (docs/protocol/api.md §3.7)', async () => {
    const admin = t.client();
    const hidden = t.client();
    const main = (await t.s.store.getRoom('main'))!;
    await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), [main], { moderator: true, admin: true, visible: true });
    await setModerator(t.s, await resolveTargetUser(t.s, hidden.sessionId), [main], { moderator: true, admin: false, visible: false });
    assert.deepEqual(await perms(admin.sessionId), { admin: true });
    assert.deepEqual(await perms(hidden.sessionId), { moderator: true, hidden: true });
    const banned = t.client();
    await mod.post(`/user/${banned.sessionId}/ban`, { rooms: ['main'] });
    assert.deepEqual(await perms(banned.sessionId), { banned: true });
  });

  it('room defaults make read-only broadcast rooms; moderators still post', async () => {
    const main = (await t.s.store.getRoom('main'))!;
    await t.s.store.setRoomDefaults(main.id, { write: false });
    const bob = t.client();
    assert.equal((await bob.postMessage('main', randomContent())).status, 403);
    assert.equal((await bob.get('/room/main')).json<Json>()['write'], false);
    assert.equal((await mod.postMessage('main', randomContent())).status, 201);
    assert.equal((await mod.get('/room/main')).json<Json>()['default_write'], false);
    // An explicit per-user grant beats the default.
    await mod.post(`/room/main/permissions/${bob.sessionId}`, { write: true });
    assert.equal((await bob.postMessage('main', randomContent())).status, 201);
    await t.s.store.setRoomDefaults(main.id, { write: true });
  });
});

describe('scheduled changes with a controllable clock (docs/protocol/api.md §6.8)', () => {
  let t: TestServer;
  let clock: ManualClock;
  let mod: SogsClient;
  let gmod: SogsClient;
  before(async () => {
    clock = new ManualClock(Date.now() / 1000);
    t = await startTestServer({ rateLimitPosts: 0 }, { clock });
    mod = t.client();
    gmod = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [(await t.s.store.getRoom('main'))!], { moderator: true, admin: false, visible: true });
    await setModerator(t.s, await resolveTargetUser(t.s, gmod.sessionId), 'global', { moderator: true, admin: false, visible: false });
  });
  after(() => t.close());

  it('a timed mute, as clients send it (/sequence), lifts itself', async () => {
    const u = t.client();
    await u.get('/room/main');
    const seq = await mod.sequence([
      { method: 'POST', path: `/room/main/permissions/${u.sessionId}`, json: { write: false } },
      { method: 'POST', path: `/room/main/futurePermissions/${u.sessionId}`, json: { write: true, in: 3600 } },
    ]);
    assert.deepEqual(seq.map((r) => r.code), [200, 200]);
    const list = seq[1]!.body as Json[];
    assert.equal(list.length, 1);
    assert.deepEqual(Object.keys(list[0]!).sort(), ['at', 'write']);
    assert.equal(list[0]!['write'], true);
    const roomList = (await mod.get('/room/main/futurePermissions')).json<Json[]>();
    assert.ok(roomList.some((f) => f['session_id'] === u.sessionId && f['write'] === true));
    assert.equal((await u.postMessage('main', randomContent())).status, 403);
    clock.advance(3600 - 10);
    await runCleanup(t.s);
    assert.equal((await u.postMessage('main', randomContent())).status, 403, 'not yet');
    clock.advance(11);
    const counts = await runCleanup(t.s);
    assert.ok(counts['scheduled']! >= 1);
    assert.equal((await u.postMessage('main', randomContent())).status, 201);
    // A scheduled value equal to the room default is stored as "no override".
    assert.deepEqual((await mod.get(`/room/main/permissions/${u.sessionId}`)).json(), {});
    assert.deepEqual((await mod.get(`/room/main/futurePermissions/${u.sessionId}`)).json(), []);
    const audit = await t.s.store.auditLog({ roomToken: 'main', limit: 10 });
    assert.ok(audit.some((e) => e.action === 'permissions.apply' && e.actor === null && e.target === u.sessionId));
    // (Requests are signed with the real time, which must stay within ±24 h of the server clock.)
    clock.set(Date.now() / 1000);
  });

  it('setting a permission clears its scheduled changes unless unschedule is false', async () => {
    const u = t.client();
    await mod.post(`/room/main/futurePermissions/${u.sessionId}`, { write: true, read: false, in: 100 });
    await mod.post(`/room/main/permissions/${u.sessionId}`, { write: false, unschedule: false });
    assert.equal((await mod.get(`/room/main/futurePermissions/${u.sessionId}`)).json<Json[]>().length, 1);
    await mod.post(`/room/main/permissions/${u.sessionId}`, { write: false });
    assert.deepEqual((await mod.get(`/room/main/futurePermissions/${u.sessionId}`)).json(), [{ at: clock.now() + 100, read: false }]);
    await mod.post(`/room/main/permissions/${u.sessionId}`, { default_read: true });
    assert.deepEqual((await mod.get(`/room/main/futurePermissions/${u.sessionId}`)).json(), [], 'emptied rows are deleted (docs/protocol/api.md §12.7)');
  });

  it('validates future permission bodies', async () => {
    const u = t.client().sessionId;
    for (const b of [{ in: 10 }, { write: true }, { write: true, in: 0 }, { write: true, in: 1e9 }, { write: true, in: 'soon' }, { write: 'x', in: 5 }]) {
      assert.equal((await mod.post(`/room/main/futurePermissions/${u}`, b)).status, 400, JSON.stringify(b));
    }
  });

  it('a timed room ban expires; the listing shows the scheduled unban', async () => {
    const u = t.client();
    await u.get('/room/main');
    assert.equal((await mod.post(`/user/${u.sessionId}/ban`, { rooms: ['main'], timeout: 3600 })).status, 200);
    const f = (await mod.get(`/room/main/futurePermissions/${u.sessionId}`)).json<Json[]>();
    assert.deepEqual(f, [{ at: clock.now() + 3600, banned: false }]);
    assert.equal((await u.get('/room/main')).status, 404);
    clock.advance(3599);
    await runCleanup(t.s);
    assert.equal((await u.get('/room/main')).status, 404);
    clock.advance(2);
    await runCleanup(t.s);
    assert.equal((await u.get('/room/main')).status, 200);
    assert.equal((await u.postMessage('main', randomContent())).status, 201);
    assert.deepEqual((await mod.get(`/room/main/permissions/${u.sessionId}`)).json(), {});
    const audit = await t.s.store.auditLog({ roomToken: 'main', limit: 5 });
    assert.ok(audit.some((e) => e.action === 'ban.apply' && e.target === u.sessionId && e.details['banned'] === false));
  });

  it('a timed global ban expires', async () => {
    const u = t.client();
    await u.get('/capabilities');
    assert.equal((await gmod.post(`/user/${u.sessionId}/ban`, { global: true, timeout: 120 })).status, 200);
    assert.equal((await u.get('/capabilities')).status, 403);
    const bans = await t.s.store.listBans();
    assert.ok(bans.some((b) => b.sessionId === u.sessionId && b.roomToken === null && Math.abs(b.unbanAt! - (clock.now() + 120)) < 1e-6));
    clock.advance(121);
    await runCleanup(t.s);
    assert.equal((await u.get('/capabilities')).status, 200);
  });

  it('a negative timeout bans until the next cleanup run', async () => {
    const u = t.client();
    await mod.post(`/user/${u.sessionId}/ban`, { rooms: ['main'], timeout: -1 });
    assert.equal((await u.get('/room/main')).status, 404);
    await runCleanup(t.s);
    assert.equal((await u.get('/room/main')).status, 200);
  });
});
