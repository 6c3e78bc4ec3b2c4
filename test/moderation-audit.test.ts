// The moderation audit log of API and CLI actions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomContent, react, uploadFileId } from '../client';
import { setModerator } from '../src/domain/users';
import { runCli } from './helpers/cli';
import { Json, t, clients, freshUser, insertPost, useRoleServer } from './helpers/moderation-roles';

useRoleServer();

describe('audit log', () => {
  it('records API moderation actions with actor, target, room and details', async () => {
    const { user } = await freshUser();
    const id = await insertPost(user.id);
    await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['main'], timeout: 60 });
    await clients.roomMod.post(`/user/${user.sessionId}/unban`, { rooms: ['main'] });
    await clients.roomMod.post(`/room/main/permissions/${user.sessionId}`, { upload: false });
    await clients.roomMod.delete(`/room/main/message/${id}`);
    await clients.roomAdmin.post(`/user/${user.sessionId}/moderator`, { rooms: ['main'], moderator: true });
    const log = (await t.s.store.auditLog({ roomToken: 'main', limit: 500 })).filter((e) => e.target === user.sessionId).reverse();
    assert.deepEqual(log.map((e) => e.action), ['ban', 'unban', 'permissions.set', 'message.delete', 'moderator.add']);
    assert.equal(log[0]!.actor, clients.roomMod.sessionId);
    assert.equal(log[0]!.details['timeout'], 60);
    assert.equal(log[3]!.details['message'], id);
    assert.equal(log[4]!.actor, clients.roomAdmin.sessionId);
    assert.ok(log.every((e) => e.roomToken === 'main' && Math.abs(e.at - Date.now() / 1000) < 60));
    // Deleting one's own message is not a moderation action.
    const own = (await clients.user.postMessage('main', randomContent())).json<{ id: number }>().id;
    await clients.user.delete(`/room/main/message/${own}`);
    assert.equal((await t.s.store.auditLog({ limit: 1000 })).some((e) => e.actor === clients.user.sessionId), false);
  });
  it('records room updates, pins and cleared reactions, readable with sogs --audit-log', async () => {
    const room = await t.s.store.createRoom({ token: 'audited', name: 'Audited', now: t.s.clock.now() });
    const { client: admin, user: adminUser } = await freshUser();
    await setModerator(t.s, adminUser, [room], { moderator: true, admin: true, visible: true });
    const { client: author, user: authorUser } = await freshUser();
    const m1 = (await author.postMessage('audited', randomContent())).json<{ id: number }>().id;
    const m2 = (await author.postMessage('audited', randomContent())).json<{ id: number }>().id;
    const image = await uploadFileId(admin, 'audited', Buffer.from('png, honest'));
    const put = async (b: Json) => assert.equal((await admin.put('/room/audited', b)).status, 200);
    await put({ name: 'Renamed', description: 'About' });
    await put({ image });
    await put({ default_write: false, default_upload: 0 });
    await put({ name: 'Both', default_read: true });
    for (const path of [`/room/audited/pin/${m1}`, `/room/audited/pin/${m2}`, `/room/audited/unpin/${m1}`, `/room/audited/unpin/${m1}`, '/room/audited/unpin/all']) {
      assert.equal((await admin.post(path, {})).status, 200, path);
    }
    await react(author, 'audited', m2, '👍');
    await react(admin, 'audited', m2, '👍');
    await react(author, 'audited', m2, '🎉');
    assert.equal((await admin.delete(`/room/audited/reactions/${m2}/${encodeURIComponent('👍')}`)).status, 200);
    assert.equal((await admin.delete(`/room/audited/reactions/${m2}`)).status, 200);
    // Refused requests change nothing and are not logged.
    assert.equal((await author.put('/room/audited', { name: 'Mine' })).status, 403);
    assert.equal((await author.post(`/room/audited/pin/${m1}`, {})).status, 403);
    assert.equal((await author.delete(`/room/audited/reactions/${m2}`)).status, 403);

    const log = (await t.s.store.auditLog({ roomToken: 'audited', limit: 100 })).reverse();
    const rows = log.map((e) => [e.action, e.target, e.details]);
    assert.deepEqual(rows, [
      ['room.update', null, { name: 'Renamed', description: 'About' }],
      ['room.update', null, { image }],
      ['room.defaults', null, { write: false, upload: false }],
      ['room.update', null, { name: 'Both' }],
      ['room.defaults', null, { read: true }],
      ['message.pin', authorUser.sessionId, { message: m1 }],
      ['message.pin', authorUser.sessionId, { message: m2 }],
      ['message.unpin', authorUser.sessionId, { message: m1, unpinned: true }],
      ['message.unpin', authorUser.sessionId, { message: m1, unpinned: false }],
      ['messages.unpin_all', null, { unpinned: 1 }],
      ['reactions.clear', authorUser.sessionId, { message: m2, reaction: '👍', removed: 2 }],
      ['reactions.clear', authorUser.sessionId, { message: m2, removed: 1 }],
    ]);
    assert.ok(log.every((e) => e.actor === adminUser.sessionId && e.roomToken === 'audited' && Math.abs(e.at - Date.now() / 1000) < 60));

    const cli = await runCli(t.dataDir, '--audit-log', '--rooms', 'audited');
    assert.equal(cli.code, 0, cli.err);
    const lines = cli.out.trim().split('\n');
    assert.equal(lines.length, rows.length);
    assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z ${adminUser.sessionId} room\\.update room=audited \\{"name":"Renamed","description":"About"\\}$`));
    assert.match(lines[5]!, new RegExp(` message\\.pin room=audited target=${authorUser.sessionId} \\{"message":${m1}\\}$`));
    assert.match(lines[11]!, / reactions\.clear room=audited target=\S+ \{"message":\d+,"removed":1\}$/);
  });
});
