// The legacy (v1) API's error statuses (docs/protocol/legacy.md §2/§3), its lists and limits, and the order of
// its checks.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Identity, httpRequest, onionRequest, padMessage, randomContent } from '../client';
import { decodeBase64Strict } from '../src/crypto/base64';
import { buildOnionRequestBody, onionDecrypt } from '../src/crypto/onion';
import { makePysogsToken } from '../src/crypto/legacy-token';
import { t, useLegacyServer, call, login, legacyPost, newRoom, grant, J } from './helpers/legacy-server';
import { H, TRANSPORTS } from './helpers/legacy';

useLegacyServer();

describe('legacy errors (docs/protocol/legacy.md §2, §3)', () => {
  const room = 'errs';
  let alice: Identity;
  let ta: string;
  before(async () => {
    await newRoom(room);
    alice = Identity.random();
    ta = await login('direct', alice, room);
  });

  for (const tr of TRANSPORTS) {
    it(`answers 400/401/403/404 as specified over ${tr}`, async () => {
      // Room header: missing 400, unknown 404, malformed 404.
      assert.equal((await call(tr, 'GET', 'messages', { Authorization: ta })).status, 400);
      assert.equal((await call(tr, 'GET', 'messages', H('nosuchroom', ta))).status, 404);
      assert.equal((await call(tr, 'GET', 'messages', H('bad room!', ta))).status, 404);
      assert.equal((await call(tr, 'GET', 'rooms/nosuchroom')).status, 404);
      assert.equal((await call(tr, 'GET', 'rooms/nosuchroom/image')).status, 404);
      assert.equal((await call(tr, 'GET', `rooms/${room}/image`)).status, 404, 'no image yet');
      // Tokens: missing, garbage, tampered, another server's → 401.
      assert.equal((await call(tr, 'GET', 'messages', { Room: room })).status, 401);
      assert.equal((await call(tr, 'GET', 'messages', H(room, 'abcd'))).status, 401);
      const tampered = Buffer.from(ta, 'hex');
      tampered[3]! ^= 1;
      assert.equal((await call(tr, 'GET', 'messages', H(room, tampered.toString('hex')))).status, 401);
      const foreign = makePysogsToken(Buffer.alloc(32, 7), alice.sessionId).toString('hex');
      assert.equal((await call(tr, 'GET', 'messages', H(room, foreign))).status, 401);
      assert.equal((await call(tr, 'GET', 'member_count', H(room, foreign))).status, 401);
      assert.equal((await call(tr, 'POST', 'files', H(room, foreign), { file: 'AAAA' })).status, 401);
      // Tokens are looked up as the hex the claim stored: base64 of it is no token.
      assert.equal((await call(tr, 'GET', 'messages', H(room, Buffer.from(ta, 'hex').toString('base64')))).status, 401);
      // Challenge: Room required, public_key required and 05.
      assert.equal((await call(tr, 'GET', `auth_token_challenge?public_key=${alice.sessionId}`)).status, 400);
      assert.equal((await call(tr, 'GET', 'auth_token_challenge', { Room: room })).status, 400);
      assert.equal((await call(tr, 'GET', `auth_token_challenge?public_key=15${alice.sessionId.slice(2)}`, { Room: room })).status, 400);
      assert.equal((await call(tr, 'GET', 'auth_token_challenge?public_key=05abcd', { Room: room })).status, 400);
      // Claiming: no token 401, someone else's token 403.
      assert.equal((await call(tr, 'POST', 'claim_auth_token', { Room: room }, { public_key: alice.sessionId })).status, 401);
      const other = Identity.random();
      assert.equal((await call(tr, 'POST', 'claim_auth_token', H(room, ta), { public_key: other.sessionId })).status, 403);
      // Bodies and parameters.
      assert.equal((await call(tr, 'POST', 'messages', H(room, ta), { data: 'AAAA' })).status, 400);
      assert.equal((await call(tr, 'POST', 'messages', H(room, ta), { ...legacyPost(alice), signature: 'AAAA' })).status, 400);
      assert.equal((await call(tr, 'POST', 'messages', H(room, ta), { ...legacyPost(alice), data: '***' })).status, 400);
      assert.equal((await call(tr, 'DELETE', 'messages/abc', H(room, ta))).status, 400);
      assert.equal((await call(tr, 'POST', 'delete_messages', H(room, ta), { ids: 'x' })).status, 400);
      assert.equal((await call(tr, 'GET', 'messages?limit=x', H(room, ta))).status, 400);
      assert.equal((await call(tr, 'POST', 'block_list', H(room, ta), { public_key: 'nope' })).status, 400);
      assert.equal((await call(tr, 'DELETE', 'block_list/nope', H(room, ta))).status, 400);
      assert.equal((await call(tr, 'POST', 'files', H(room, ta), { file: 5 })).status, 400);
      assert.equal((await call(tr, 'GET', 'files/xyz', H(room, ta))).status, 400);
      // File ids are unsigned 64-bit (old ids reach 19 digits): an unknown one is 404, beyond 64 bits 400.
      assert.equal((await call(tr, 'GET', 'files/1637000000123456789', H(room, ta))).status, 404);
      assert.equal((await call(tr, 'GET', 'files/18446744073709551615', H(room, ta))).status, 404);
      assert.equal((await call(tr, 'GET', 'files/18446744073709551616', H(room, ta))).status, 400);
      // Moderator-only endpoints: 403 for plain users.
      assert.equal((await call(tr, 'POST', 'block_list', H(room, ta), { public_key: other.sessionId })).status, 403);
      assert.equal((await call(tr, 'POST', 'ban_and_delete_all', H(room, ta), { public_key: other.sessionId })).status, 403);
      assert.equal((await call(tr, 'DELETE', `block_list/${other.sessionId}`, H(room, ta))).status, 403);
      // Deleting an unknown message is a no-op (reference behaviour).
      assert.equal((await call(tr, 'DELETE', 'messages/999999', H(room, ta))).status, 200);
      // compact_poll: per-entry 404 and 401 with all five keys; a malformed entry fails the call.
      const poll = await call(tr, 'POST', 'compact_poll', {}, {
        requests: [{ room_id: 'nosuchroom', auth_token: ta }, { room_id: room, auth_token: 'ff' }, { room_id: room, auth_token: ta }],
      });
      assert.equal(poll.status, 200);
      assert.deepEqual(poll.body.results.slice(0, 2), [
        { room_id: 'nosuchroom', status_code: 404, deletions: [], messages: [], moderators: [] },
        { room_id: room, status_code: 401, deletions: [], messages: [], moderators: [] },
      ]);
      assert.equal(poll.body.results[2].status_code, 200);
      assert.equal((await call(tr, 'POST', 'compact_poll', {}, { requests: [{ room_id: room }] })).status, 400);
      assert.equal((await call(tr, 'POST', 'compact_poll', {}, { nope: 1 })).status, 400);
    });
  }

  it('rate-limits legacy posts with the room limit (429) and hides whispers from others', async () => {
    const rl = 'ratelimited';
    await newRoom(rl);
    const r = (await t.s.store.getRoom(rl))!;
    await t.s.store.setRoomLimits(r.id, { rateLimitPosts: 2, rateLimitInterval: 16 });
    const who = Identity.random();
    const tok = await login('plain', who, rl);
    assert.equal((await call('plain', 'POST', 'messages', H(rl, tok), legacyPost(who))).status, 200);
    assert.equal((await call('plain', 'POST', 'messages', H(rl, tok), legacyPost(who))).status, 200);
    assert.deepEqual((await call('onion', 'POST', 'messages', H(rl, tok), legacyPost(who))).body, { status_code: 429 });
    // A moderator's whisper to `who` reaches `who` but not a bystander.
    const modAcct = Identity.random();
    const mod = t.client(modAcct);
    assert.equal((await mod.get(`/room/${rl}`)).status, 200);
    await grant(mod.sessionId, rl, false);
    const w = await mod.postMessage(rl, randomContent(), { whisper_to: who.sessionId });
    assert.equal(w.status, 201, w.text());
    const bystander = Identity.random();
    const bt = await login('direct', bystander, rl);
    const ids = async (tk: string) => ((await call('direct', 'GET', 'messages', H(rl, tk))).body.messages as J[]).map((m) => m.server_id);
    assert.ok((await ids(tok)).includes(w.json<J>().id));
    assert.ok(!(await ids(bt)).includes(w.json<J>().id));
  });

  it('takes the token from auth_code of a v3 onion request, and sends "/..." endpoints to the modern API', async () => {
    const client = t.client(null);
    async function v3(inner: unknown): Promise<J> {
      const { body, key } = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext: Buffer.from(JSON.stringify(inner), 'utf8') });
      const r = await httpRequest(`${t.url}/loki/v3/lsrpc`, 'POST', {}, body);
      assert.equal(r.status, 200);
      return JSON.parse(onionDecrypt('aes-gcm', key, decodeBase64Strict(r.body.toString('ascii'))!)!.toString('utf8'));
    }
    const ok = await v3({ method: 'GET', endpoint: 'messages', headers: { Room: room }, auth_code: ta, body: 'null' });
    assert.equal(ok.status_code, 200);
    assert.ok(Array.isArray(ok.messages));
    assert.deepEqual(await v3({ method: 'GET', endpoint: 'messages', headers: { Room: room }, body: '' }), { status_code: 401 });
    // Header names case-insensitively.
    assert.equal((await v3({ method: 'GET', endpoint: 'moderators', headers: { room, authorization: ta } })).status_code, 200);
    // A leading '/' is the modern API: GET /rooms is the modern room list (an array).
    const modern = await onionRequest(client, { method: 'GET', target: '/rooms' }, { version: 'v3', signed: false });
    assert.ok(Array.isArray(modern.json()));
    const legacyRooms = await onionRequest(client, { method: 'GET', target: 'rooms' }, { version: 'v3', signed: false });
    assert.equal(legacyRooms.json<J>().status_code, 200);
    assert.ok(Array.isArray(legacyRooms.json<J>().rooms));
  });

  it('keeps plain-path aliases from shadowing the modern API and the web pages', async () => {
    const modern = await httpRequest(`${t.url}/rooms`, 'GET', {});
    assert.ok(Array.isArray(JSON.parse(modern.body.toString('utf8'))), 'GET /rooms stays modern');
    const poll = await httpRequest(`${t.url}/compact_poll`, 'GET', {});
    assert.notEqual(poll.headers['content-type']?.startsWith('text/html'), true, 'not a room page');
    assert.notEqual(poll.status, 200);
    const page = await httpRequest(`${t.url}/${room}`, 'GET', {});
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
  });
});

describe('legacy lists, limits and the order of checks', () => {
  const room = 'caps';
  let reader: Identity;
  let tok: string;
  let ids: number[];
  before(async () => {
    await newRoom(room);
    const r = (await t.s.store.getRoom(room))!;
    const poster = await t.s.store.ensureUser(Identity.random().sessionId, t.s.clock.now());
    ids = [];
    for (let i = 0; i < 300; i++) {
      const m = await t.s.store.insertMessage({
        roomId: r.id, userId: poster.id, data: padMessage(randomContent()), signature: Buffer.alloc(64, 1),
        whisperTo: null, whisperMods: false, filtered: false, now: t.s.clock.now(),
      });
      ids.push(m.id);
    }
    reader = Identity.random();
    tok = await login('direct', reader, room);
  });

  it('caps every list at 256: newest first without a cursor, ascending after one', async () => {
    const sid = (list: J[]) => list.map((m: J) => m.server_id as number);
    const newest = [...ids].reverse().slice(0, 256);
    assert.deepEqual(sid((await call('direct', 'GET', 'messages', H(room, tok))).body.messages), newest);
    assert.deepEqual(sid((await call('direct', 'GET', 'messages?limit=1000', H(room, tok))).body.messages), newest);
    assert.deepEqual(sid((await call('direct', 'GET', 'messages?limit=0', H(room, tok))).body.messages), newest.slice(0, 1), 'clamped to 1..256');
    assert.deepEqual(sid((await call('direct', 'GET', `messages?from_server_id=${ids[9]}&limit=1000`, H(room, tok))).body.messages), ids.slice(10, 266));
    const poll = (await call('direct', 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: tok }] })).body.results[0];
    assert.deepEqual(sid(poll.messages), newest);
    const pollAfter = (await call('direct', 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: tok, from_message_server_id: ids[0] }] })).body.results[0];
    assert.deepEqual(sid(pollAfter.messages), ids.slice(1, 257));

    const mod = Identity.random();
    await grant(mod.sessionId, room, false);
    const mt = await login('direct', mod, room);
    assert.equal((await call('direct', 'POST', 'delete_messages', H(room, mt), { ids })).status, 200);
    const dels = (await call('direct', 'GET', 'deleted_messages?limit=1000', H(room, tok))).body.ids as J[];
    assert.equal(dels.length, 256);
    assert.deepEqual(dels.map((d) => d.deleted_message_id), [...ids].reverse().slice(0, 256), 'newest deletion first');
    const delsAfter = (await call('direct', 'GET', `deleted_messages?from_server_id=${dels[255].id - 1}`, H(room, tok))).body.ids as J[];
    assert.equal(delsAfter.length, 256);
    assert.ok(delsAfter.every((d, i) => i === 0 || d.id > delsAfter[i - 1].id), 'ascending after the cursor');
    const pollDels = (await call('direct', 'POST', 'compact_poll', {}, { requests: [{ room_id: room, auth_token: tok }] })).body.results[0];
    assert.equal(pollDels.deletions.length, 256);
  });

  it('checks a body of the wrong shape (400) before the token (401)', async () => {
    for (const tr of TRANSPORTS) {
      const none = { Room: room };
      assert.equal((await call(tr, 'POST', 'messages', none, { data: 'AAAA' })).status, 400, tr);
      assert.equal((await call(tr, 'POST', 'block_list', none, { public_key: 'nope' })).status, 400, tr);
      assert.equal((await call(tr, 'POST', 'ban_and_delete_all', none, {})).status, 400, tr);
      assert.equal((await call(tr, 'POST', 'files', none, { file: 5 })).status, 400, tr);
      assert.equal((await call(tr, 'POST', `rooms/${room}/image`, none, {})).status, 400, tr);
      assert.equal((await call(tr, 'POST', 'delete_messages', none, { ids: 'x' })).status, 400, tr);
      assert.equal((await call(tr, 'POST', 'messages', none, legacyPost(reader))).status, 401, tr);
      // A well-formed body with bad base64 is checked after the token.
      assert.equal((await call(tr, 'POST', 'files', none, { file: '***' })).status, 401, tr);
      assert.equal((await call(tr, 'POST', 'files', H(room, tok), { file: '***' })).status, 400, tr);
      // The image path room must be the Room header's.
      assert.equal((await call(tr, 'POST', 'rooms/errs/image', H(room, tok), { file: 'AAAA' })).status, 400, tr);
    }
  });

  it('answers unknown endpoints (404) and methods (405) with JSON on every transport', async () => {
    for (const tr of TRANSPORTS) {
      for (const [method, endpoint, code] of [['GET', 'nope', 404], ['GET', 'session_version', 404], ['GET', 'files/1/', 404], ['GET', 'files', 405], ['DELETE', 'moderators', 405], ['GET', 'auth_token', 405]] as const) {
        // (Plain /nope and /session_version are no legacy paths at all: they are room web pages.)
        if (tr === 'plain' && (endpoint === 'nope' || endpoint === 'session_version')) continue;
        const r = await call(tr, method, endpoint, H(room, tok));
        assert.deepEqual(r.body, { status_code: code }, `${tr} ${method} ${endpoint}`);
      }
    }
    // /rooms/... stays the modern API's.
    assert.equal((await httpRequest(`${t.url}/rooms/nope/x`, 'GET', {})).status, 404);
  });
});
