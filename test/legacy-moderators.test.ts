// Legacy POST moderators and DELETE moderators/:public_key (docs/protocol/legacy.md §3.16/§3.17) over the three
// transports: a room admin appoints a visible room admin and removes moderators and admins (the
// reference's rules); the checks answer 400/401/403/404 in the legacy order; a grant is seen by
// the legacy moderator list and by the modern API (same domain rules and store).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity } from '../client';
import { createRoom, permissionsIn } from '../src/domain/rooms';
import { resolveTargetUser } from '../src/domain/users';
import { H, TRANSPORTS, grantIn, legacyCall, legacyLogin } from './helpers/legacy';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

async function roleOf(sessionId: string, room: string): Promise<{ moderator: boolean; admin: boolean }> {
  const p = await permissionsIn(t.s, (await t.s.store.getRoom(room))!, await resolveTargetUser(t.s, sessionId));
  return { moderator: p.moderator, admin: p.admin };
}

describe('legacy moderators', () => {
  for (const tr of TRANSPORTS) {
    it(`appoints and removes over ${tr}`, async () => {
      const room = `lm${tr}`;
      await createRoom(t.s, room, `Room ${room}`);
      const [admin, mod, user, newbie] = [Identity.random(), Identity.random(), Identity.random(), Identity.random()];
      await grantIn(t, admin.sessionId, room, true);
      await grantIn(t, mod.sessionId, room, false);
      const [ta, tm, tu] = [await legacyLogin(t, tr, admin, room), await legacyLogin(t, tr, mod, room), await legacyLogin(t, tr, user, room)];
      const add = (tok: string, body: unknown) => legacyCall(t, tr, 'POST', 'moderators', H(room, tok), body);

      // Only a room admin may appoint (the reference's rule): a user and a moderator get 403.
      assert.equal((await add(tu, { public_key: newbie.sessionId, room_id: room })).status, 403);
      assert.equal((await add(tm, { public_key: newbie.sessionId, room_id: room })).status, 403);
      assert.deepEqual((await roleOf(newbie.sessionId, room)), { moderator: false, admin: false });
      assert.deepEqual((await add(ta, { public_key: newbie.sessionId, room_id: room })).body, { status_code: 200 });
      assert.deepEqual(await roleOf(newbie.sessionId, room), { moderator: true, admin: true }, 'a visible room admin');
      assert.equal((await add(ta, { public_key: newbie.sessionId })).status, 200, 'room_id may be left out; again is no error');
      const list = (await legacyCall(t, tr, 'GET', 'moderators', H(room, tu))).body!['moderators'] as string[];
      assert.ok(list.includes(newbie.sessionId), 'listed by GET moderators');
      const modern = (await t.client().get(`/room/${room}`)).json<{ admins: string[] }>();
      assert.ok(modern.admins.includes(newbie.sessionId), 'and in the modern room object');

      // The new admin's token works for admin actions in the room.
      const tn = await legacyLogin(t, tr, newbie, room);
      assert.equal((await legacyCall(t, tr, 'POST', 'block_list', H(room, tn), { public_key: user.sessionId })).status, 200);

      const del = (tok: string, pk: string) => legacyCall(t, tr, 'DELETE', `moderators/${pk}`, H(room, tok));
      assert.equal((await del(tm, newbie.sessionId)).status, 403, 'a moderator cannot remove an admin');
      assert.deepEqual((await del(ta, newbie.sessionId)).body, { status_code: 200 });
      assert.deepEqual(await roleOf(newbie.sessionId, room), { moderator: false, admin: false }, 'both powers removed');
      assert.deepEqual((await del(ta, mod.sessionId)).body, { status_code: 200 });
      assert.deepEqual(await roleOf(mod.sessionId, room), { moderator: false, admin: false });
      assert.equal((await del(ta, Identity.random().sessionId)).status, 200, 'not a moderator: nothing to do, 200');
      assert.equal((await del(tn, user.sessionId)).status, 403, 'the removed admin lost the power');
    });

    it(`checks in the legacy order over ${tr}: room 400/404, body and key 400, token 401`, async () => {
      const room = `lme${tr}`;
      await createRoom(t.s, room, `Room ${room}`);
      const admin = Identity.random();
      await grantIn(t, admin.sessionId, room, true);
      const ta = await legacyLogin(t, tr, admin, room);
      const pk = Identity.random().sessionId;
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', { Authorization: ta }, { public_key: pk })).status, 400, 'no Room header');
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', H('nosuchroom', ta), { public_key: pk })).status, 404);
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', H(room, ta), { public_key: 'nope' })).status, 400);
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', H(room, ta), { public_key: Identity.random().blindedId(t.serverPubkey) })).status, 400, '05 ids only');
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', H(room, ta), { public_key: pk, room_id: 'main' })).status, 400, 'room_id of another room');
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', { Room: room }, { public_key: 'nope' })).status, 400, 'body before token');
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', { Room: room }, { public_key: pk })).status, 401);
      assert.equal((await legacyCall(t, tr, 'POST', 'moderators', H(room, 'ab'.repeat(48)), { public_key: pk })).status, 401);
      assert.equal((await legacyCall(t, tr, 'DELETE', 'moderators/nope', H(room, ta))).status, 400);
      assert.equal((await legacyCall(t, tr, 'DELETE', `moderators/${pk}`, { Room: room })).status, 401);
      assert.deepEqual(await roleOf(pk, room), { moderator: false, admin: false }, 'nothing was applied');
    });
  }
});
