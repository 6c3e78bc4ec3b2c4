// Bans over real HTTP: request validation, what banned users see (§6.7), and ban-and-delete-all.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Identity, downloadFile, randomContent, react, reactors, uploadFileId, type SubRequest } from '../client';
import { Json, t, main, other, clients, freshUser, insertPost, isRoomBanned, useRoleServer } from './helpers/moderation-roles';
import { THUMBS } from './helpers/moderation-actions';

useRoleServer();

describe('moderation request validation', () => {
  it('rejects malformed scope and role bodies with 400', async () => {
    const sid = (await freshUser()).user.sessionId;
    const admin = clients.globalAdmin;
    const cases: [string, Json][] = [
      ['moderator', { moderator: true }],
      ['moderator', { rooms: ['main'], global: true, moderator: true }],
      ['moderator', { rooms: 'main', moderator: true }],
      ['moderator', { rooms: ['main'] }],
      ['moderator', { rooms: ['main'], admin: true, moderator: false }],
      ['moderator', { rooms: ['*', 'main'], moderator: true }],
      ['ban', { rooms: ['main'], timeout: 'soon' }],
      ['ban', {}],
      ['unban', { rooms: [] }],
    ];
    for (const [what, b] of cases) assert.equal((await admin.post(`/user/${sid}/${what}`, b)).status, 400, JSON.stringify(b));
    assert.equal((await admin.post(`/user/nonsense/ban`, { rooms: ['main'] })).status, 404);
  });

  it('unknown rooms are 403, and ["*"] means every room the caller moderates', async () => {
    const { user } = await freshUser();
    assert.equal((await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['nosuchroom'] })).status, 403);
    assert.equal((await clients.user.post(`/user/${user.sessionId}/ban`, { rooms: ['*'] })).status, 403);
    assert.equal((await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['*'] })).status, 200);
    assert.equal(await isRoomBanned(user, main), true);
    assert.equal(await isRoomBanned(user, other), false, 'roomMod does not moderate "other"');
  });

  it('a ban timeout of 0 or null is permanent; a positive one schedules the unban', async () => {
    const a = (await freshUser()).user;
    await clients.roomMod.post(`/user/${a.sessionId}/ban`, { rooms: ['main'], timeout: 0 });
    assert.deepEqual((await t.s.store.futurePermissions(main.id, a.id)).length, 0);
    await clients.roomMod.post(`/user/${a.sessionId}/ban`, { rooms: ['main'], timeout: 3600 });
    const f = await t.s.store.futurePermissions(main.id, a.id);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.banned, false);
    assert.ok(Math.abs(f[0]!.at - (t.s.clock.now() + 3600)) < 5);
    // Banning again replaces the scheduled unban: permanent again.
    await clients.roomMod.post(`/user/${a.sessionId}/ban`, { rooms: ['main'] });
    assert.equal((await t.s.store.futurePermissions(main.id, a.id)).length, 0);
  });
});

describe('what banned users see (docs/protocol/api.md §6.7)', () => {
  it('a room ban hides the room and forbids reading and posting there only', async () => {
    const c = clients.banned;
    const rooms = (await c.get('/rooms')).json<Json[]>().map((r) => r['token']);
    assert.ok(!rooms.includes('main'));
    assert.ok(rooms.includes('other'));
    assert.equal((await c.get('/room/main')).status, 404);
    assert.equal((await c.get('/room/main/pollInfo/0')).status, 403);
    assert.equal((await c.get('/room/main/messages/recent')).status, 403);
    assert.equal((await c.get('/room/main/messages/since/0')).status, 403);
    assert.equal((await c.postMessage('main', randomContent())).status, 403);
    assert.equal((await c.postMessage('other', randomContent())).status, 201);
    // Nor files or the reactors list of the room.
    const poster = (await freshUser()).client;
    const file = await uploadFileId(poster, 'main', Buffer.from('for members'));
    const reacted = (await poster.postMessage('main', randomContent(), { files: [file] })).json<{ id: number }>().id;
    await react(poster, 'main', reacted, THUMBS);
    assert.equal((await downloadFile(c, 'main', file)).status, 403);
    assert.equal((await downloadFile(c, 'main', file, 'name.bin')).status, 403);
    assert.equal((await reactors(c, 'main', reacted, THUMBS)).status, 403);
    assert.equal((await downloadFile(clients.user, 'main', file)).status, 200);
    assert.equal((await reactors(clients.user, 'main', reacted, THUMBS)).status, 200);
    // Messages of a banned user stay.
    const { client, user } = await freshUser();
    const id = (await client.postMessage('main', randomContent())).json<{ id: number }>().id;
    await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['main'] });
    assert.equal((await clients.anonymous.get(`/room/main/message/${id}`)).status, 200);
    // The banned user's room activity row is removed.
    assert.equal((await client.get('/room/main/pollInfo/0')).status, 403);
  });

  it('a global ban makes every signed request 403 Banned; unsigned requests still work', async () => {
    const { client, user } = await freshUser();
    assert.equal((await clients.globalMod.post(`/user/${user.sessionId}/ban`, { global: true })).status, 200);
    for (const path of ['/capabilities', '/rooms', '/room/other', '/room/other/messages/recent']) {
      const r = await client.get(path);
      assert.equal(r.status, 403, path);
      assert.equal(r.text(), 'Banned');
    }
    assert.equal((await client.postMessage('other', randomContent())).status, 403);
    assert.equal((await client.get('/room/other', { signed: false })).status, 200);
    assert.equal((await clients.globalMod.post(`/user/${user.sessionId}/unban`, { global: true })).status, 200);
    assert.equal((await client.get('/room/other')).status, 200);
    // Room and global bans are independent.
    await clients.globalMod.post(`/user/${user.sessionId}/ban`, { global: true });
    await clients.globalMod.post(`/user/${user.sessionId}/ban`, { rooms: ['other'] });
    await clients.globalMod.post(`/user/${user.sessionId}/unban`, { global: true });
    assert.equal((await client.get('/room/other')).status, 404, 'still room-banned');
    assert.equal((await client.get('/room/main')).status, 200);
  });
});

describe('ban and delete all (the desktop client’s /sequence)', () => {
  it('bans and deletes in one sequence; a non-moderator’s sequence stops at the ban', async () => {
    const { user } = await freshUser();
    const ids = [await insertPost(user.id), await insertPost(user.id), await insertPost(user.id)];
    const seq: SubRequest[] = [
      { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main'] } },
      { method: 'DELETE', path: `/room/main/all/${user.sessionId}` },
    ];
    const refused = await clients.user.sequence(seq);
    assert.deepEqual(refused.map((r) => r.code), [403]);
    assert.equal(await isRoomBanned(user), false);
    const done = await clients.roomMod.sequence(seq);
    assert.deepEqual(done.map((r) => r.code), [200, 200]);
    assert.equal(await isRoomBanned(user), true);
    for (const id of ids) assert.equal((await t.s.store.getMessage(main.id, id))!.data, null);
    const since = (await clients.user.get(`/room/main/messages/since/0?limit=256`)).json<Json[]>();
    assert.ok(!since.some((m) => ids.includes(m['id'] as number) && m['data'] !== null));
    // Nothing left to delete: 200 {} (the reference answers 404, which Session Android reports as
    // a failed "ban and delete all"); an unknown user is still 404.
    const again = await clients.roomMod.delete(`/room/main/all/${user.sessionId}`);
    assert.deepEqual([again.status, again.json()], [200, {}]);
    assert.equal((await clients.roomMod.delete(`/room/main/all/${Identity.random().blindedId(t.serverPubkey)}`)).status, 404);
    assert.equal((await clients.roomMod.delete(`/room/main/all/${Identity.random().sessionId}`)).status, 404, '05 ids do not match SessionID routes');
  });
});

describe('ban and delete all of a user without posts', () => {
  it('answers [200, 200]: the delete-all finding nothing is not a failure', async () => {
    const { user } = await freshUser();
    const done = await clients.roomMod.sequence([
      { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main'] } },
      { method: 'DELETE', path: `/room/main/all/${user.sessionId}` },
    ]);
    assert.deepEqual(done.map((r) => [r.code, r.body]), [[200, {}], [200, {}]]);
    assert.equal(await isRoomBanned(user), true);
  });
});
