// The legacy (v1) open group API (docs/protocol/legacy.md §3/§4/§9): the whole client flow over the
// three transports (v3 onion requests without a leading '/', direct /legacy/..., the user
// document's plain paths), legacy and modern clients sharing messages, deletions, bans and
// moderators, the error statuses of docs/protocol/legacy.md §2/§3, and the seed CLI's effects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity, httpRequest, onionRequest, padMessage, randomContent, type SogsClient } from '../client';
import { decodeBase64Strict } from '../src/crypto/base64';
import { buildOnionRequestBody, onionDecrypt } from '../src/crypto/onion';
import { decryptLegacyChallenge, legacyChallengeKey, makePysogsToken } from '../src/crypto/legacy-token';
import { createRoom } from '../src/domain/rooms';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCli } from './helpers/cli';
import { startTestServer, type TestServer } from './helpers/server';

type Transport = 'onion' | 'direct' | 'plain';
const TRANSPORTS: Transport[] = ['onion', 'direct', 'plain'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;
interface Reply {
  /** The status the client learns: status_code of the body (onion) or the HTTP status. */
  status: number;
  body: J;
}

let t: TestServer;

before(async () => {
  t = await startTestServer({ rateLimitPosts: 1000 });
});
after(() => t.close());

async function call(tr: Transport, method: string, endpoint: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
  if (tr === 'onion') {
    const r = await onionRequest(t.client(null), { method, target: endpoint, headers, ...(body === undefined ? {} : { json: body }) }, { version: 'v3', signed: false });
    const parsed = r.body.length > 0 ? (r.json() as J) : null;
    return { status: parsed?.status_code ?? r.status, body: parsed };
  }
  const path = tr === 'direct' ? `/legacy/${endpoint}` : endpoint.split('?')[0] === 'rooms' ? `/legacy/${endpoint}` : `/${endpoint}`;
  const h: Record<string, string> = { ...headers };
  const buf = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  if (buf) h['content-type'] = 'application/json';
  const r = await httpRequest(t.url + path, method, h, buf);
  const parsed = JSON.parse(r.body.toString('utf8')) as J;
  // Every legacy body carries the status (docs/protocol/legacy.md §11.3).
  assert.equal(parsed.status_code, r.status, `${method} ${path}: body status ${parsed.status_code} vs HTTP ${r.status}`);
  return { status: r.status, body: parsed };
}

/** challenge → decrypt with the account's X25519 key → claim (docs/protocol/legacy.md §4). Returns the hex token. */
async function login(tr: Transport, who: Identity, room: string): Promise<string> {
  const ch = await call(tr, 'GET', `auth_token_challenge?public_key=${who.sessionId}`, { Room: room });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const eph = decodeBase64Strict(ch.body.challenge.ephemeral_public_key)!;
  assert.equal(eph.length, 32);
  const key = legacyChallengeKey(who.account.xSk, eph);
  const token = decryptLegacyChallenge(key, decodeBase64Strict(ch.body.challenge.ciphertext)!);
  assert.ok(token, 'challenge decrypts with the user key');
  const hex = token.toString('hex');
  const claim = await call(tr, 'POST', 'claim_auth_token', { Room: room, Authorization: hex }, { public_key: who.sessionId });
  assert.equal(claim.status, 200);
  assert.deepEqual(claim.body, { status_code: 200 });
  return hex;
}

function legacyPost(who: Identity, content = randomContent()): { data: string; signature: string; public_key: string; timestamp: number } {
  const data = padMessage(content);
  return { data: data.toString('base64'), signature: who.signUnblinded(data).toString('base64'), public_key: who.sessionId, timestamp: Date.now() };
}

const H = (room: string, token: string) => ({ Room: room, Authorization: token });

async function newRoom(token: string): Promise<void> {
  await createRoom(t.s, token, `Room ${token}`);
}

async function grant(sessionId: string, room: string, admin: boolean): Promise<void> {
  const r = (await t.s.store.getRoom(room))!;
  await setModerator(t.s, await resolveTargetUser(t.s, sessionId), [r], { moderator: true, admin, visible: true });
}

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
