// Legacy auth tokens (docs/protocol/legacy.md §3.7–§3.9, §4, §6): stored per room as the legacy server
// stores them, pending for 10 minutes after a challenge, claimed for legacyTokenDays, revoked by
// DELETE auth_token on every device, pruned by the background job. The clock is manual so that
// lifetimes can pass.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity, httpRequest, onionRequest } from '../client';
import { decodeBase64Strict } from '../src/crypto/base64';
import { decryptLegacyChallenge, legacyChallengeKey, makePysogsToken } from '../src/crypto/legacy-token';
import { createRoom } from '../src/domain/rooms';
import { runCleanup } from '../src/jobs';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { H } from './helpers/legacy';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

let t: TestServer;
const clock = new ManualClock(1_800_000_000);

before(async () => {
  t = await startTestServer({ legacyTokenDays: 7 }, { clock });
  await createRoom(t.s, 'a', 'Room A');
  await createRoom(t.s, 'b', 'Room B');
});
after(() => t.close());

/** A legacy call over /legacy/...: the HTTP status is the body's status_code. */
async function call(method: string, endpoint: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: J }> {
  const h: Record<string, string> = { ...headers };
  const buf = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  if (buf) h['content-type'] = 'application/json';
  const r = await httpRequest(`${t.url}/legacy/${endpoint}`, method, h, buf);
  const parsed = JSON.parse(r.body.toString('utf8')) as J;
  assert.equal(parsed.status_code, r.status);
  return { status: r.status, body: parsed };
}

async function challenge(who: Identity, room: string): Promise<{ status: number; token: string; eph: Buffer }> {
  const ch = await call('GET', `auth_token_challenge?public_key=${who.sessionId}`, { Room: room });
  if (ch.status !== 200) return { status: ch.status, token: '', eph: Buffer.alloc(0) };
  const eph = decodeBase64Strict(ch.body.challenge.ephemeral_public_key)!;
  const plain = decryptLegacyChallenge(legacyChallengeKey(who.account.xSk, eph), decodeBase64Strict(ch.body.challenge.ciphertext)!);
  assert.ok(plain, 'the challenge decrypts with the user key');
  return { status: 200, token: plain.toString('hex'), eph };
}

async function claim(who: Identity, room: string, token: string): Promise<number> {
  return (await call('POST', 'claim_auth_token', { Room: room, Authorization: token }, { public_key: who.sessionId })).status;
}

async function login(who: Identity, room: string): Promise<string> {
  const c = await challenge(who, room);
  assert.equal(c.status, 200);
  assert.equal(await claim(who, room, c.token), 200);
  return c.token;
}

const messages = async (room: string, token: string) => (await call('GET', 'messages', H(room, token))).status;

describe('legacy auth tokens', () => {
  it('a challenge re-sends the pending token (48 random bytes) under a fresh ephemeral key until it is claimed', async () => {
    const alice = Identity.random();
    const c1 = await challenge(alice, 'a');
    const c2 = await challenge(alice, 'a');
    assert.match(c1.token, /^[0-9a-f]{96}$/);
    assert.equal(c2.token, c1.token);
    assert.notDeepEqual(c2.eph, c1.eph);
    assert.notDeepEqual(c1.eph, t.serverPubkey);
    assert.notEqual((await challenge(alice, 'b')).token, c1.token, 'another room, another token');
    assert.equal(await claim(alice, 'a', c1.token), 200);
    assert.equal(await claim(alice, 'a', c1.token), 403, 'claiming removed the pending token');
    assert.notEqual((await challenge(alice, 'a')).token, c1.token, 'the next challenge has a new token');
    // Per room: the token of room a is unknown in room b.
    assert.equal(await messages('a', c1.token), 200);
    assert.equal(await messages('b', c1.token), 401);
  });

  it('claim: 401 without a token, 400 for non-hex or a bad body, 403 unless pending for that key in that room', async () => {
    const bob = Identity.random();
    const carol = Identity.random();
    const c = await challenge(bob, 'a');
    assert.equal((await call('POST', 'claim_auth_token', { Room: 'a' }, { public_key: bob.sessionId })).status, 401);
    assert.equal(await claim(bob, 'a', 'xyz'), 400);
    assert.equal(await claim(bob, 'a', c.token.slice(1)), 400, 'odd length');
    assert.equal((await call('POST', 'claim_auth_token', H('a', c.token), 'not json')).status, 400);
    assert.equal((await call('POST', 'claim_auth_token', H('a', c.token), {})).status, 400);
    assert.equal((await call('POST', 'claim_auth_token', H('a', c.token), { public_key: `15${bob.sessionId.slice(2)}` })).status, 400);
    assert.equal((await call('POST', 'claim_auth_token', H('nosuchroom', c.token), { public_key: bob.sessionId })).status, 404);
    assert.equal(await claim(carol, 'a', c.token), 403, "someone else's pending token");
    assert.equal(await claim(bob, 'b', c.token), 403, 'pending in another room');
    assert.equal(await claim(bob, 'a', 'ab'.repeat(48)), 403, 'not the pending token');
    assert.equal(await claim(bob, 'a', c.token), 200, 'failed claims left the pending token');
  });

  it('a pending token can be claimed for 600 s after the latest challenge', async () => {
    const dave = Identity.random();
    const c = await challenge(dave, 'a');
    clock.advance(601);
    assert.equal(await claim(dave, 'a', c.token), 403);
    const fresh = await challenge(dave, 'a');
    assert.notEqual(fresh.token, c.token, 'an expired pending token is not sent again');
    clock.advance(500);
    assert.equal((await challenge(dave, 'a')).token, fresh.token);
    clock.advance(500);
    assert.equal(await claim(dave, 'a', fresh.token), 200, 'within 600 s of the second challenge');
  });

  it('claimed tokens expire after legacyTokenDays; the job prunes them and stale pending ones', async () => {
    await runCleanup(t.s);
    const frank = Identity.random();
    const tok = await login(frank, 'a');
    await challenge(Identity.random(), 'a');
    clock.advance(7 * 86400 - 10);
    assert.equal(await messages('a', tok), 200);
    clock.advance(20);
    assert.equal(await messages('a', tok), 401, 'expired: sign in again');
    const counts = await runCleanup(t.s);
    assert.ok(counts['legacyTokens']! >= 1, JSON.stringify(counts));
    assert.ok(counts['legacyPendingTokens']! >= 1, JSON.stringify(counts));
    const again = await runCleanup(t.s);
    assert.equal(again['legacyTokens'], 0);
    assert.equal(again['legacyPendingTokens'], 0);
    assert.equal(await messages('a', await login(frank, 'a')), 200);
  });

  it('DELETE auth_token logs the key out of that room on every device, nowhere else', async () => {
    const hank = Identity.random();
    const ivy = Identity.random();
    const t1 = await login(hank, 'a');
    const t2 = await login(hank, 'a');
    assert.notEqual(t1, t2, 'one token per device');
    const tb = await login(hank, 'b');
    const other = await login(ivy, 'a');
    assert.deepEqual((await call('DELETE', 'auth_token', H('a', t1))).body, { status_code: 200 });
    assert.equal(await messages('a', t1), 401);
    assert.equal(await messages('a', t2), 401);
    assert.equal(await messages('b', tb), 200);
    assert.equal(await messages('a', other), 200);
    assert.equal((await call('DELETE', 'auth_token', H('a', t1))).status, 401);
    assert.equal((await call('DELETE', 'auth_token', { Room: 'a' })).status, 401);
  });

  it('a banned user gets no challenge and cannot log out (403); elsewhere they sign in as usual', async () => {
    const jack = Identity.random();
    const tok = await login(jack, 'a');
    const room = (await t.s.store.getRoom('a'))!;
    const user = await t.s.store.ensureUser(jack.sessionId, clock.now());
    await t.s.store.banInRooms(user.id, [room.id], null);
    assert.equal((await challenge(jack, 'a')).status, 403);
    assert.equal(await messages('a', tok), 403, 'the token still names him: 403, not 401');
    assert.equal((await call('DELETE', 'auth_token', H('a', tok))).status, 403);
    assert.equal(await messages('b', await login(jack, 'b')), 200);
    assert.equal((await call('GET', `auth_token_challenge?public_key=${jack.sessionId}`, { Room: 'nosuchroom' })).status, 404);
  });

  it('PySOGS stateless tokens and other encodings are not tokens of this server (401)', async () => {
    const kim = Identity.random();
    const tok = await login(kim, 'a');
    assert.equal(await messages('a', makePysogsToken(t.s.keys.secret, kim.sessionId).toString('hex')), 401);
    assert.equal(await messages('a', Buffer.from(tok, 'hex').toString('base64')), 401);
    assert.equal(await messages('a', tok), 200);
  });

  it('per-room tokens in compact_poll entries and over v3 onion requests', async () => {
    const lea = Identity.random();
    const v3 = async (method: string, endpoint: string, headers: Record<string, string>, json?: unknown): Promise<J> =>
      (await onionRequest(t.client(null), { method, target: endpoint, headers, ...(json === undefined ? {} : { json }) }, { version: 'v3', signed: false })).json();
    const ch = await v3('GET', `auth_token_challenge?public_key=${lea.sessionId}`, { Room: 'b' });
    const eph = decodeBase64Strict(ch.challenge.ephemeral_public_key)!;
    const token = decryptLegacyChallenge(legacyChallengeKey(lea.account.xSk, eph), decodeBase64Strict(ch.challenge.ciphertext)!)!.toString('hex');
    assert.deepEqual(await v3('POST', 'claim_auth_token', H('b', token), { public_key: lea.sessionId }), { status_code: 200 });
    const poll = await v3('POST', 'compact_poll', {}, { requests: [{ room_id: 'b', auth_token: token }, { room_id: 'a', auth_token: token }] });
    assert.deepEqual(poll.results.map((e: J) => e.status_code), [200, 401]);
  });
});
