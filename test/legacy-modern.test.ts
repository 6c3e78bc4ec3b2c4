// Legacy (v1) and modern clients sharing messages, deletions, bans and moderators in one room, and
// the seed CLI's effects in legacy replies.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Identity, randomContent, type SogsClient } from '../client';
import { runCli } from './helpers/cli';
import { t, useLegacyServer, call, login, legacyPost, newRoom, grant, J } from './helpers/legacy-server';
import { H, TRANSPORTS } from './helpers/legacy';

useLegacyServer();

describe('legacy and modern clients share one room', () => {
  const room = 'mixed';
  before(() => newRoom(room));

  it('shows posts and deletions both ways', async () => {
    const acct = Identity.random();
    const legacyTok = await login('direct', acct, room);
    const modern: SogsClient = t.client(Identity.random());
    const mp = await modern.postMessage(room, randomContent());
    assert.equal(mp.status, 201, mp.text());
    const modernMsg = mp.json<J>();
    const lp = (await call('direct', 'POST', 'messages', H(room, legacyTok), legacyPost(acct))).body.message;

    const seenByLegacy = (await call('onion', 'GET', 'messages', H(room, legacyTok))).body.messages as J[];
    assert.deepEqual(seenByLegacy.map((m) => m.server_id), [lp.server_id, modernMsg.id]);
    assert.equal(seenByLegacy[1].public_key, modern.sessionId);
    assert.equal(seenByLegacy[1].data, modernMsg.data);
    assert.equal(seenByLegacy[1].signature, modernMsg.signature);

    const seenByModern = (await modern.get(`/room/${room}/messages/recent`)).json<J[]>();
    const mine = seenByModern.find((m) => m.id === lp.server_id);
    assert.ok(mine, 'legacy post visible to the modern client');
    assert.equal(mine.session_id, acct.sessionId);
    assert.equal(mine.data, lp.data);
    assert.equal(mine.signature, lp.signature);

    // A modern deletion is a legacy deletion, and the other way round.
    assert.equal((await modern.delete(`/room/${room}/message/${modernMsg.id}`)).status, 200);
    assert.equal((await call('plain', 'DELETE', `messages/${lp.server_id}`, H(room, legacyTok))).status, 200);
    const dels = (await call('plain', 'GET', 'deleted_messages', H(room, legacyTok))).body.ids as J[];
    assert.deepEqual(dels.map((d) => d.deleted_message_id), [lp.server_id, modernMsg.id], 'newest deletion first');
    assert.ok(dels[0].id > dels[1].id);
    const after = (await modern.get(`/room/${room}/messages/recent`)).json<J[]>();
    assert.equal(after.length, 0);
  });

  it('shares moderators and bans between a legacy 05 id and its blinded identity', async () => {
    const modAcct = Identity.random();
    const modModern = t.client(modAcct);
    // The blinded identity becomes known, then is made moderator (as a modern admin would).
    assert.equal((await modModern.get(`/room/${room}`)).status, 200);
    await grant(modModern.sessionId, room, false);
    const modTok = await login('direct', modAcct, room);
    // Legacy GET moderators lists the moderator under the id it was appointed with.
    assert.ok((await call('direct', 'GET', 'moderators', H(room, modTok))).body.moderators.includes(modModern.sessionId));

    // The victim uses both APIs with one account.
    const victim = Identity.random();
    const victimModern = t.client(victim);
    assert.equal((await victimModern.get(`/room/${room}/messages/recent`)).status, 200);
    const victimTok = await login('direct', victim, room);
    assert.equal((await call('direct', 'GET', 'messages', H(room, victimTok))).status, 200);

    // The legacy moderator (whose powers are on the blinded row) bans the victim's 05 id.
    assert.equal((await call('onion', 'POST', 'block_list', H(room, modTok), { public_key: victim.sessionId })).status, 200);
    assert.equal((await victimModern.get(`/room/${room}/messages/recent`)).status, 403, 'modern identity banned too');
    assert.equal((await call('direct', 'GET', 'messages', H(room, victimTok))).status, 403);
    // Unban through legacy, then ban through the modern API: the legacy client is banned again.
    assert.equal((await call('direct', 'DELETE', `block_list/${victim.sessionId}`, H(room, modTok))).status, 200);
    assert.equal((await victimModern.get(`/room/${room}/messages/recent`)).status, 200);
    assert.equal((await call('direct', 'GET', 'messages', H(room, victimTok))).status, 200);
    const ban = await modModern.post(`/user/${victimModern.sessionId}/ban`, { rooms: [room] });
    assert.equal(ban.status, 200, ban.text());
    assert.equal((await call('plain', 'GET', 'messages', H(room, victimTok))).status, 403);
    const entry = (await call('plain', 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: victimTok }] })).body.results[0];
    assert.equal(entry.status_code, 403);
  });
});

describe('seed CLI effects in legacy replies', () => {
  it('--add-room and --add-moderator show up in rooms, moderators and permissions', async () => {
    const r = await runCli(t.dataDir, '--add-room', 'seeded', 'Seeded Room');
    assert.equal(r.code, 0, r.err);
    const mod = Identity.random();
    const m = await runCli(t.dataDir, '--add-moderator', mod.sessionId, 'seeded');
    assert.equal(m.code, 0, m.err);
    for (const tr of TRANSPORTS) {
      const rooms = await call(tr, 'GET', 'rooms');
      assert.ok(rooms.body.rooms.some((x: J) => x.id === 'seeded' && x.name === 'Seeded Room'), tr);
      assert.deepEqual((await call(tr, 'GET', 'rooms/seeded')).body.room, { id: 'seeded', name: 'Seeded Room' });
    }
    const tok = await login('onion', mod, 'seeded');
    const user = Identity.random();
    const ut = await login('onion', user, 'seeded');
    assert.deepEqual((await call('onion', 'GET', 'moderators', H('seeded', ut))).body.moderators, [mod.sessionId]);
    const post = (await call('onion', 'POST', 'messages', H('seeded', ut), legacyPost(user))).body.message;
    assert.equal((await call('onion', 'DELETE', `messages/${post.server_id}`, H('seeded', tok))).status, 200, 'seeded moderator may delete');
    assert.equal((await call('onion', 'POST', 'block_list', H('seeded', tok), { public_key: user.sessionId })).status, 200);
    assert.equal((await call('onion', 'GET', 'messages', H('seeded', ut))).status, 403);
    const d = await runCli(t.dataDir, '--delete-moderator', mod.sessionId, 'seeded');
    assert.equal(d.code, 0, d.err);
    assert.deepEqual((await call('onion', 'GET', 'moderators', H('seeded', tok))).body.moderators, []);
    assert.equal((await call('onion', 'DELETE', `block_list/${user.sessionId}`, H('seeded', tok))).status, 403);
  });
});
