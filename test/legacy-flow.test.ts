// The legacy (v1) open group API client flow (docs/protocol/legacy.md §3/§4/§9) over the three transports (v3
// onion requests without a leading '/', direct /legacy/..., the user document's plain paths), and
// the legacy upload limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Identity, onionRequest, randomContent } from '../client';
import { decodeBase64Strict } from '../src/crypto/base64';
import { decryptLegacyChallenge, legacyChallengeKey } from '../src/crypto/legacy-token';
import { createRoom } from '../src/domain/rooms';
import { startTestServer } from './helpers/server';
import { t, useLegacyServer, call, login, legacyPost, newRoom, grant, J } from './helpers/legacy-server';
import { H, TRANSPORTS } from './helpers/legacy';

useLegacyServer();

describe('legacy client flow', () => {
  for (const tr of TRANSPORTS) {
    it(`runs end to end over ${tr}`, async () => {
      const room = `flow-${tr}`;
      await newRoom(room);
      const alice = Identity.random();
      const bob = Identity.random();
      const mod = Identity.random();
      await grant(mod.sessionId, room, true);

      // Rooms.
      const rooms = await call(tr, 'GET', 'rooms');
      assert.equal(rooms.status, 200);
      assert.ok(rooms.body.rooms.some((x: J) => x.id === room && x.name === `Room ${room}`));
      const one = await call(tr, 'GET', `rooms/${room}`);
      assert.deepEqual(one.body, { status_code: 200, room: { id: room, name: `Room ${room}` } });

      const ta = await login(tr, alice, room);
      const tb = await login(tr, bob, room);
      const tm = await login(tr, mod, room);

      // Posting: integer server_id, the server's timestamp, data/signature as sent, sender = token owner.
      const before = Date.now();
      const p1 = legacyPost(alice);
      const r1 = await call(tr, 'POST', 'messages', H(room, ta), { ...p1, public_key: bob.sessionId, timestamp: 5 });
      assert.equal(r1.status, 200, JSON.stringify(r1.body));
      const m1 = r1.body.message;
      assert.ok(Number.isInteger(m1.server_id));
      assert.equal(m1.public_key, alice.sessionId);
      assert.equal(m1.data, p1.data);
      assert.equal(m1.signature, p1.signature);
      assert.ok(Number.isInteger(m1.timestamp) && m1.timestamp >= before - 1000 && m1.timestamp <= Date.now() + 1000);
      const r2 = await call(tr, 'POST', 'messages', H(room, tb), legacyPost(bob));
      const m2 = r2.body.message;
      assert.ok(m2.server_id > m1.server_id);

      // compact_poll: all five keys, newest first without a cursor, ascending after one.
      const poll = await call(tr, 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: ta }] });
      assert.equal(poll.status, 200);
      const e = poll.body.results[0];
      assert.deepEqual(Object.keys(e).sort(), ['deletions', 'messages', 'moderators', 'room_id', 'status_code']);
      assert.equal(e.status_code, 200);
      assert.deepEqual(e.messages.map((m: J) => m.server_id), [m2.server_id, m1.server_id]);
      assert.deepEqual(e.messages[1], m1);
      assert.deepEqual(e.moderators, [mod.sessionId]);
      const poll2 = await call(tr, 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: tb, from_message_server_id: m1.server_id }] });
      assert.deepEqual(poll2.body.results[0].messages.map((m: J) => m.server_id), [m2.server_id]);

      // GET messages modes.
      const recent = await call(tr, 'GET', 'messages', H(room, ta));
      assert.deepEqual(recent.body.messages.map((m: J) => m.server_id), [m2.server_id, m1.server_id]);
      const r3 = (await call(tr, 'POST', 'messages', H(room, ta), legacyPost(alice))).body.message;
      const since = await call(tr, 'GET', `messages?from_server_id=${m1.server_id}`, H(room, ta));
      assert.deepEqual(since.body.messages.map((m: J) => m.server_id), [m2.server_id, r3.server_id], 'ascending after the cursor');
      // from_server_id=0 is a cursor like any other (legacy server, recorded reference): ascending from the first.
      const zero = await call(tr, 'GET', 'messages?from_server_id=0', H(room, ta));
      assert.deepEqual(zero.body.messages.map((m: J) => m.server_id), [m1.server_id, m2.server_id, r3.server_id]);
      const zeroPoll = await call(tr, 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: ta, from_message_server_id: 0, from_deletion_server_id: null }] });
      assert.deepEqual(zeroPoll.body.results[0].messages.map((m: J) => m.server_id), [m1.server_id, m2.server_id, r3.server_id]);
      assert.equal((await call(tr, 'DELETE', `messages/${r3.server_id}`, H(room, ta))).status, 200);
      const lim = await call(tr, 'GET', 'messages?limit=1', H(room, ta));
      assert.deepEqual(lim.body.messages.map((m: J) => m.server_id), [m2.server_id]);

      // Deleting: not someone else's, one's own yes; the deletion shows up with id + deleted_message_id.
      assert.equal((await call(tr, 'DELETE', `messages/${m1.server_id}`, H(room, tb))).status, 403);
      assert.equal((await call(tr, 'POST', 'delete_messages', H(room, tb), { ids: [m2.server_id, m1.server_id] })).status, 403);
      assert.equal((await call(tr, 'GET', 'messages', H(room, ta))).body.messages.length, 2, 'refused batch deleted nothing');
      const del = await call(tr, 'DELETE', `messages/${m1.server_id}`, H(room, ta));
      assert.deepEqual(del.body, { status_code: 200 });
      const dels = await call(tr, 'GET', 'deleted_messages', H(room, ta));
      assert.equal(dels.body.ids.length, 2);
      assert.deepEqual(Object.keys(dels.body.ids[0]).sort(), ['deleted_message_id', 'id']);
      assert.deepEqual(dels.body.ids.map((d: J) => d.deleted_message_id), [m1.server_id, r3.server_id], 'newest deletion first');
      const delId = dels.body.ids[0].id as number;
      const firstDel = dels.body.ids[1].id as number;
      assert.ok(delId > firstDel);
      const fromZero = await call(tr, 'GET', 'deleted_messages?from_server_id=0', H(room, ta));
      assert.deepEqual(fromZero.body.ids.map((d: J) => d.deleted_message_id), [r3.server_id, m1.server_id], 'ascending from 0');
      const since1 = await call(tr, 'GET', `deleted_messages?from_server_id=${firstDel}`, H(room, ta));
      assert.deepEqual(since1.body.ids, [{ id: delId, deleted_message_id: m1.server_id }]);
      const poll3 = await call(tr, 'POST', 'compact_poll', {}, {
        requests: [{ room_id: room, auth_token: ta, from_message_server_id: r3.server_id, from_deletion_server_id: firstDel }],
      });
      assert.deepEqual(poll3.body.results[0].deletions, [{ id: delId, deleted_message_id: m1.server_id }]);
      assert.deepEqual(poll3.body.results[0].messages, []);
      const poll4 = await call(tr, 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: ta, from_deletion_server_id: delId }] });
      assert.deepEqual(poll4.body.results[0].deletions, []);
      // A moderator deletes others' posts (delete_messages).
      assert.equal((await call(tr, 'POST', 'delete_messages', H(room, tm), { ids: [m2.server_id] })).status, 200);
      assert.deepEqual((await call(tr, 'GET', 'messages', H(room, ta))).body.messages, []);

      // Files.
      const bytes = randomContent(3000);
      const up = await call(tr, 'POST', 'files', H(room, ta), { file: bytes.toString('base64') });
      assert.equal(up.status, 200);
      assert.ok(Number.isInteger(up.body.result));
      const down = await call(tr, 'GET', `files/${up.body.result}`, H(room, tb));
      assert.deepEqual(decodeBase64Strict(down.body.result), bytes);
      assert.equal((await call(tr, 'GET', `files/${up.body.result + 1000}`, H(room, tb))).status, 404);

      // Room image: admins only; anyone reads it.
      const img = randomContent(500);
      assert.equal((await call(tr, 'POST', `rooms/${room}/image`, H(room, ta), { file: img.toString('base64') })).status, 403);
      const set = await call(tr, 'POST', `rooms/${room}/image`, H(room, tm), { file: img.toString('base64') });
      assert.equal(set.status, 200);
      assert.equal(set.body.room_id, room);
      assert.ok(Number.isInteger(set.body.result));
      const got = await call(tr, 'GET', `rooms/${room}/image`);
      assert.deepEqual(decodeBase64Strict(got.body.result), img);
      const imageAudit = (await t.s.store.auditLog({ roomToken: room, limit: 20 })).find((e) => e.action === 'room.update');
      assert.deepEqual(imageAudit?.details, { image: set.body.result }, 'a legacy room image change is audited like PUT /room');

      // Moderation: ban, banned_members, 403 (not 401) for the banned, unban.
      assert.equal((await call(tr, 'POST', 'block_list', H(room, ta), { public_key: bob.sessionId })).status, 403);
      assert.deepEqual((await call(tr, 'POST', 'block_list', H(room, tm), { public_key: bob.sessionId })).body, { status_code: 200 });
      assert.equal((await call(tr, 'GET', 'messages', H(room, tb))).status, 403);
      assert.equal((await call(tr, 'POST', 'messages', H(room, tb), legacyPost(bob))).status, 403);
      const bannedPoll = await call(tr, 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: tb }] });
      assert.deepEqual(bannedPoll.body.results[0], { room_id: room, status_code: 403, deletions: [], messages: [], moderators: [] });
      assert.deepEqual((await call(tr, 'GET', 'block_list', H(room, tm))).body.banned_members, [bob.sessionId]);
      assert.deepEqual((await call(tr, 'GET', 'block_list', H(room, ta))).body.banned_members, []);
      assert.equal((await call(tr, 'DELETE', `block_list/${bob.sessionId}`, H(room, tm))).status, 200);
      assert.equal((await call(tr, 'GET', 'messages', H(room, tb))).status, 200);

      // ban_and_delete_all.
      const b1 = (await call(tr, 'POST', 'messages', H(room, tb), legacyPost(bob))).body.message;
      const a1 = (await call(tr, 'POST', 'messages', H(room, ta), legacyPost(alice))).body.message;
      assert.equal((await call(tr, 'POST', 'ban_and_delete_all', H(room, tm), { public_key: bob.sessionId })).status, 200);
      assert.deepEqual((await call(tr, 'GET', 'messages', H(room, ta))).body.messages.map((m: J) => m.server_id), [a1.server_id]);
      const dl = await call(tr, 'GET', `deleted_messages?from_server_id=${delId}`, H(room, ta));
      assert.ok(dl.body.ids.some((d: J) => d.deleted_message_id === b1.server_id));
      assert.equal((await call(tr, 'GET', 'messages', H(room, tb))).status, 403);

      // Moderators, member count, logout.
      assert.deepEqual((await call(tr, 'GET', 'moderators', H(room, ta))).body, { status_code: 200, moderators: [mod.sessionId] });
      const mc = await call(tr, 'GET', 'member_count', H(room, ta));
      assert.deepEqual(mc.body, { status_code: 200, member_count: 3 });
      assert.deepEqual((await call(tr, 'DELETE', 'auth_token', H(room, ta))).body, { status_code: 200 });
    });
  }
});

describe('legacy upload limit', () => {
  it('answers 413 for a file over filesMaxSize', async () => {
    const small = await startTestServer({ filesMaxSize: 1000 });
    try {
      await createRoom(small.s, 'up', 'Up');
      const who = Identity.random();
      const v3 = async (method: string, endpoint: string, headers: Record<string, string>, json?: unknown): Promise<J> =>
        (await onionRequest(small.client(null), { method, target: endpoint, headers, ...(json === undefined ? {} : { json }) }, { version: 'v3', signed: false })).json();
      const ch = await v3('GET', `auth_token_challenge?public_key=${who.sessionId}`, { Room: 'up' });
      const key = legacyChallengeKey(who.account.xSk, decodeBase64Strict(ch.challenge.ephemeral_public_key)!);
      const tk = decryptLegacyChallenge(key, decodeBase64Strict(ch.challenge.ciphertext)!)!.toString('hex');
      assert.equal((await v3('POST', 'claim_auth_token', H('up', tk), { public_key: who.sessionId })).status_code, 200);
      assert.deepEqual(await v3('POST', 'files', H('up', tk), { file: randomContent(1001).toString('base64') }), { status_code: 413 });
      assert.equal((await v3('POST', 'files', H('up', tk), { file: randomContent(1000).toString('base64') })).status_code, 200);
    } finally {
      await small.close();
    }
  });
});
