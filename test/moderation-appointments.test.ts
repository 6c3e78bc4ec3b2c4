// Moderator appointments over real HTTP: moderator lists and their visibility, the moderator-change
// combinations, and unblinded (05) ids named before their owner shows up.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Identity, randomContent, type SogsClient } from '../client';
import { Json, t, other, clients, users, freshUser, isRoomBanned, useRoleServer } from './helpers/moderation-roles';

useRoleServer();

describe('moderator appointments (docs/protocol/api.md §4.8)', () => {
  type RoomJson = Json & { moderators: string[]; admins: string[]; info_updates: number };
  const roomAs = async (c: SogsClient, token = 'other'): Promise<RoomJson> => (await c.get(`/room/${token}`)).json<RoomJson>();

  it('follows the moderator/admin combination table and reports info_updates', async () => {
    const admin = clients.globalAdmin;
    const { client, user } = await freshUser();
    const sid = user.sessionId;
    const set = async (b: Json) => {
      const r = await admin.post(`/user/${sid}/moderator`, { rooms: ['other'], ...b });
      assert.equal(r.status, 200, r.text());
      return r.json<{ info_updates: Record<string, number> }>();
    };
    const role = async () => {
      const ov = await t.s.store.getOverride(other.id, user.id);
      return ov ? `${ov.moderator ? 'M' : '-'}${ov.admin ? 'A' : '-'}${ov.visibleMod ? 'v' : 'h'}` : 'none';
    };
    const before = (await roomAs(clients.anonymous)).info_updates;
    const r1 = await set({ moderator: true });
    assert.equal(r1.info_updates['other'], before + 1);
    assert.equal(await role(), 'M-v');
    await set({ admin: true, visible: false });
    assert.equal(await role(), 'MAh');
    await set({ moderator: true }); // an existing admin flag stays
    assert.equal(await role(), 'MAv');
    await set({ admin: false }); // admin -> moderator
    assert.equal(await role(), 'M-v');
    await set({ admin: true });
    await set({ admin: false, moderator: true });
    assert.equal(await role(), 'M-v');
    await set({ moderator: false });
    assert.equal(await role(), 'none');
    await set({ admin: false }); // a non-moderator is unaffected
    assert.equal(await role(), 'none');
    const seen = await roomAs(client);
    assert.equal('moderator' in seen, false);
    const g = await admin.post(`/user/${sid}/moderator`, { global: true, admin: true });
    assert.equal(g.status, 200);
    const all = g.json<{ info_updates: Record<string, number> }>().info_updates;
    assert.deepEqual(Object.keys(all).sort(), ['main', 'other']);
    const asGlobal = await roomAs(client);
    assert.equal(asGlobal['global_admin'], true);
    assert.equal(asGlobal['moderator'], true);
    await admin.post(`/user/${sid}/moderator`, { global: true, moderator: false });
    assert.equal('moderator' in (await roomAs(client)), false);
  });

  it('a visibility-only change bumps info_updates, unlike the reference (docs/protocol/api.md §12.13): the public lists change', async () => {
    const admin = clients.globalAdmin;
    const { user } = await freshUser();
    assert.equal((await admin.post(`/user/${user.sessionId}/moderator`, { rooms: ['other'], moderator: true })).status, 200);
    const before = await roomAs(clients.anonymous);
    assert.ok(before.moderators.includes(user.sessionId));
    const r = await admin.post(`/user/${user.sessionId}/moderator`, { rooms: ['other'], moderator: true, visible: false });
    assert.equal(r.status, 200);
    const after = await roomAs(clients.anonymous);
    assert.equal(after.info_updates, before.info_updates + 1);
    assert.equal(r.json<{ info_updates: Record<string, number> }>().info_updates['other'], after.info_updates);
    assert.ok(!after.moderators.includes(user.sessionId));
    // Clients polling with the old counter learn of it.
    const poll = (await clients.user.get(`/room/other/pollInfo/${before.info_updates}`)).json<Json & { details?: RoomJson }>();
    assert.ok(poll.details && !poll.details.moderators.includes(user.sessionId));
  });

  it('appointing a banned user lifts the ban (docs/protocol/api.md §12.11), in a room and globally', async () => {
    const admin = clients.globalAdmin;
    const { client, user } = await freshUser();
    await t.s.store.banInRooms(user.id, [other.id], null);
    assert.equal((await client.get('/room/other')).status, 404);
    assert.equal((await admin.post(`/user/${user.sessionId}/moderator`, { rooms: ['other'], moderator: true })).status, 200);
    assert.equal(await isRoomBanned(user, other), false);
    assert.equal((await client.get('/room/other')).json<Json>()['moderator'], true);
    assert.equal((await client.postMessage('other', randomContent())).status, 201);
    const g = await freshUser();
    await t.s.store.banGlobally(g.user.id, null);
    assert.equal((await g.client.get('/capabilities')).status, 403);
    assert.equal((await admin.post(`/user/${g.user.sessionId}/moderator`, { global: true, moderator: true })).status, 200);
    assert.equal((await t.s.store.findUserById(g.user.id))!.banned, false);
    assert.equal((await g.client.get('/capabilities')).status, 200);
  });

  it('lists visible moderators to everyone and hidden ones only to moderators, in rooms and pollInfo', async () => {
    const room = await t.s.store.createRoom({ token: 'lists', name: 'Lists', now: t.s.clock.now() });
    const admin = clients.globalAdmin;
    const vm = (await freshUser()).user;
    const hm = (await freshUser()).user;
    const va = (await freshUser()).user;
    const ha = (await freshUser()).user;
    for (const [u, b] of [[vm, { moderator: true }], [hm, { moderator: true, visible: false }], [va, { admin: true }], [ha, { admin: true, visible: false }]] as const) {
      assert.equal((await admin.post(`/user/${u.sessionId}/moderator`, { rooms: ['lists'], ...b })).status, 200);
    }
    const anonView = (await clients.anonymous.get('/room/lists')).json<RoomJson>();
    assert.deepEqual(anonView.moderators, [vm.sessionId]);
    assert.deepEqual(anonView.admins, [va.sessionId]);
    assert.equal('hidden_moderators' in anonView, false);
    const modView = (await clients.globalMod.get('/room/lists')).json<RoomJson>();
    // (Earlier tests appointed more hidden global moderators, so check membership.)
    const hiddenMods = modView['hidden_moderators'] as string[];
    const hiddenAdmins = modView['hidden_admins'] as string[];
    assert.ok(hiddenMods.includes(hm.sessionId) && hiddenMods.includes(users.globalMod!.sessionId));
    assert.ok(!hiddenMods.includes(vm.sessionId) && !hiddenMods.includes(ha.sessionId));
    assert.ok(hiddenAdmins.includes(ha.sessionId) && hiddenAdmins.includes(users.globalAdmin!.sessionId));
    assert.deepEqual([...hiddenMods].sort(), hiddenMods, 'sorted by session id');
    assert.equal(modView['default_write'], true);
    // pollInfo carries the same lists in details, and the role flags.
    const poll = (await clients.globalMod.get('/room/lists/pollInfo/0')).json<Json & { details: RoomJson }>();
    assert.equal(poll['moderator'], true);
    assert.equal(poll['global_moderator'], true);
    assert.deepEqual(poll.details.moderators, [vm.sessionId]);
    assert.ok(Array.isArray(poll.details['hidden_moderators']));
    const userPoll = (await clients.user.get('/room/lists/pollInfo/0')).json<Json & { details: RoomJson }>();
    assert.equal('hidden_moderators' in userPoll.details, false);
    assert.equal('moderator' in userPoll, false);
    // A room-level visible row wins over a hidden global flag (docs/protocol/api.md §6.6).
    await admin.post(`/user/${users.globalMod!.sessionId}/moderator`, { rooms: ['lists'], moderator: true });
    assert.ok((await clients.anonymous.get('/room/lists')).json<RoomJson>().moderators.includes(users.globalMod!.sessionId));
    assert.ok(room.id > 0);
  });

  it('a 05 id appointed, banned or restricted before its owner shows up applies on first blinded sight', async () => {
    const admin = clients.globalAdmin;
    const mod = Identity.random();
    const banned = Identity.random();
    const muted = Identity.random();
    assert.equal((await admin.post(`/user/${mod.sessionId}/moderator`, { rooms: ['other'], moderator: true })).status, 200);
    assert.equal((await admin.post(`/user/${banned.sessionId}/ban`, { rooms: ['other'], timeout: 600 })).status, 200);
    assert.equal((await admin.post(`/room/other/permissions/${muted.sessionId}`, { write: false })).status, 200);
    // The 05 moderator is listed under its 05 id until it appears blinded.
    assert.ok((await clients.anonymous.get('/room/other')).json<RoomJson>().moderators.includes(mod.sessionId));
    const modClient = t.client(mod);
    const seen = (await modClient.get('/room/other')).json<RoomJson>();
    assert.equal(seen['moderator'], true);
    assert.ok(seen.moderators.includes(modClient.sessionId));
    assert.ok(!seen.moderators.includes(mod.sessionId));
    const bannedClient = t.client(banned);
    assert.equal((await bannedClient.get('/room/other')).status, 404);
    assert.equal((await bannedClient.postMessage('other', randomContent())).status, 403);
    const migrated = (await t.s.store.findUser(bannedClient.sessionId))!;
    assert.equal((await t.s.store.futurePermissions(other.id, migrated.id)).length, 1, 'the scheduled unban moved too');
    const mutedClient = t.client(muted);
    assert.equal((await mutedClient.postMessage('other', randomContent())).status, 403);
    assert.equal((await mutedClient.get('/room/other/messages/recent')).status, 200);
    // Once known, the 05 id maps to the blinded user directly.
    assert.equal((await admin.post(`/room/other/permissions/${muted.sessionId}`, { default_write: true })).status, 200);
    assert.equal((await mutedClient.postMessage('other', randomContent())).status, 201);
  });
});
