// Flood signals by content (domain/flood.ts): the same text, or nearly, from many accounts in a
// room, or again and again from one account, is refused; short texts and everyday repetition are
// not. Through the real server and our client library, with the server's clock moved by hand.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeSessionMessage, signedMessage, type SogsClient } from '../client';
import { defaultConfig, type Config } from '../src/config';
import { floodDecision, normaliseText, postFingerprint } from '../src/domain/flood';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCleanup } from '../src/jobs';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { sqlAll } from './helpers/store-sql';

const text = (body: string): Buffer => encodeSessionMessage({ body, displayName: 'someone' });
/** A server on a clock moved by hand, with a second room. */
async function floodServer(overrides: Partial<Config>): Promise<{ t: TestServer; clock: ManualClock }> {
  const clock = new ManualClock(Date.now() / 1000);
  const t = await startTestServer({ rateLimitPosts: 0, floodMinChars: 10, ...overrides }, { clock });
  await t.s.store.createRoom({ token: 'other', name: 'Other', now: clock.now() });
  return { t, clock };
}

const post = async (c: SogsClient, room: string, body: string): Promise<number> => (await c.postMessage(room, text(body))).status;

describe('flood: what counts as the same text', () => {
  it('ignores case, accents, look-alike characters, digits, spacing, punctuation and stretched letters', () => {
    const same = ['Free crypto at example org', 'FREE  crypto at example.org!!! 123', 'ƒrée ｃｒｙｐｔｏ at eXample ORG 456', 'freeee crypto\u200b at example org 🎉'];
    const norm = same.map(normaliseText);
    assert.equal(new Set(norm).size, 1, norm.join(' | '));
    assert.notEqual(normaliseText('Free crypto at example net'), norm[0]);
  });

  it('fingerprints only texts of at least floodMinChars letters, from Session messages only', () => {
    const c = { ...defaultConfig(), floodMinChars: 16 };
    assert.equal(postFingerprint(c, text('good morning!')), null, 'short');
    assert.equal(postFingerprint(c, text('12345678901234567890')), null, 'no letters');
    assert.equal(postFingerprint(c, Buffer.from('not a protobuf at all, just bytes')), null);
    const a = postFingerprint(c, text('Good morning everyone, how are you?'));
    assert.ok(a);
    assert.deepEqual(postFingerprint(c, text('good morning everyone how are you')), a, 'one text, whatever the protobuf bytes');
  });

  it('repeating oneself is refused; many accounts posting one text is held', () => {
    const c = { ...defaultConfig(), floodRepeats: 2, floodAccounts: 3 };
    assert.equal(floodDecision(c, { accounts: 2, repeats: 1 }, true), 'allow');
    assert.equal(floodDecision(c, { accounts: 0, repeats: 2 }, true), 'reject');
    assert.equal(floodDecision(c, { accounts: 0, repeats: 2 }, false), 'reject', 'whoever repeats');
    assert.equal(floodDecision(c, { accounts: 3, repeats: 0 }, true), 'hold');
    assert.equal(floodDecision(c, { accounts: 3, repeats: 0 }, false), 'allow', 'an established member joining in');
    assert.equal(floodDecision(c, { accounts: 3, repeats: 2 }, true), 'reject');
    assert.equal(floodDecision({ ...c, floodRepeats: 0, floodAccounts: 0 }, { accounts: 99, repeats: 99 }, true), 'allow', '0 = off');
  });
});

describe('flood: many accounts posting one text', () => {
  let t: TestServer;
  let clock: ManualClock;
  const spam = (i: number) => `Join my channel for FREE crypto!!! ${i}`;
  before(async () => {
    ({ t, clock } = await floodServer({ floodAccounts: 3, floodAccountsWindow: 60, floodRepeats: 0 }));
  });
  after(() => t.close());

  it('lets floodAccounts accounts post it in a room, holds new accounts\' further copies until the window moves on', async () => {
    const raiders = Array.from({ length: 6 }, () => t.client());
    for (let i = 0; i < 3; i++) assert.equal(await post(raiders[i]!, 'main', spam(i)), 201);
    // Held: the poster sees it accepted; nobody else sees it; moderators find it among held posts.
    assert.equal(await post(raiders[3]!, 'main', spam(3)), 201);
    assert.equal(await post(raiders[4]!, 'main', 'join my channel for free CRYPTO'), 201, 'nearly the same text');
    const listed = (await raiders[0]!.get('/room/main/messages/recent')).json<{ session_id: string }[]>();
    assert.equal(listed.length, 3);
    const main = (await t.s.store.getRoom('main'))!;
    const held = await t.s.store.heldMessages(main.id, 10, 0);
    assert.deepEqual(held.map((m) => m.sessionId).sort(), [raiders[3]!.sessionId, raiders[4]!.sessionId].sort());
    assert.equal(await post(raiders[0]!, 'main', spam(9)), 201, 'one of the first accounts may post it again');
    assert.equal(await post(raiders[4]!, 'other', spam(4)), 201, 'other rooms count their own copies');
    assert.equal(await post(raiders[4]!, 'main', 'Something else entirely, said by many'), 201, 'other texts pass');
    clock.advance(61);
    assert.equal(await post(raiders[5]!, 'main', spam(5)), 201, 'after the window');
  });

  it('short texts are never counted', async () => {
    const many = Array.from({ length: 8 }, () => t.client());
    for (const c of many) assert.equal(await post(c, 'main', 'hello there!'), 201);
  });

  it('exempts moderators and users given an explicit write permission; through /batch as well', async () => {
    clock.advance(61);
    const text2 = 'Everybody go check out the new announcement';
    for (const c of [t.client(), t.client(), t.client()]) assert.equal(await post(c, 'main', text2), 201);
    const main = (await t.s.store.getRoom('main'))!;
    const mod = t.client();
    const trusted = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
    await t.s.store.setPermissionOverrides(main.id, (await resolveTargetUser(t.s, trusted.sessionId)).id, { write: true });
    assert.equal(await post(mod, 'main', text2), 201);
    assert.equal(await post(trusted, 'main', text2), 201);
    const other = t.client();
    const m = signedMessage(other.identity!, t.serverPubkey, text(text2));
    const batched = await other.batch([{ method: 'POST', path: '/room/main/message', json: { data: m.data.toString('base64'), signature: m.signature.toString('base64') } }]);
    assert.equal(batched[0]!.code, 201);
    assert.ok((await t.s.store.heldMessages(main.id, 50, 0)).some((m) => m.sessionId === other.sessionId), 'held, through /batch too');
  });

  it('established members\' copies pass: only new accounts\' copies are held', async () => {
    clock.advance(61);
    const members = [t.client(), t.client(), t.client(), t.client()];
    for (const m of members) await m.get('/capabilities');
    clock.advance(t.s.config.raidAccountAge * 60 + 1);
    const wish = 'Happy new year everyone, all the best';
    for (const m of members) assert.equal(await post(m, 'main', wish), 201);
    const listed = (await members[0]!.get('/room/main/messages/recent')).json<{ session_id: string }[]>();
    assert.equal(listed.filter((m) => members.some((x) => x.sessionId === m.session_id)).length, 4, 'all four visible');
  });

  it('cleanup forgets fingerprints older than the longest window', async () => {
    const [before] = await sqlAll<{ n: number }>(t.s.store, 'SELECT count(*) AS n FROM post_fingerprints');
    assert.ok(Number(before!.n) > 0);
    clock.advance(600 + 1);
    const counts = await runCleanup(t.s);
    assert.equal(counts['fingerprints'], Number(before!.n));
    const [left] = await sqlAll<{ n: number }>(t.s.store, 'SELECT count(*) AS n FROM post_fingerprints');
    assert.equal(Number(left!.n), 0);
  });
});

describe('flood: one account repeating itself', () => {
  let t: TestServer;
  let clock: ManualClock;
  before(async () => {
    ({ t, clock } = await floodServer({ floodAccounts: 0, floodRepeats: 2, floodRepeatsWindow: 600 }));
  });
  after(() => t.close());

  it('refuses a copy past floodRepeats in any room, until the window moves on', async () => {
    const c = t.client();
    const ad = 'Cheap followers, message me now';
    assert.equal(await post(c, 'main', ad), 201);
    clock.advance(60);
    assert.equal(await post(c, 'main', ad.toUpperCase() + '!!'), 201);
    clock.advance(60);
    const r = await c.postMessage('main', text(ad));
    assert.equal(r.status, 429);
    assert.equal(r.text(), 'You posted this text too often; wait before posting it again');
    assert.equal(await post(c, 'other', ad), 429, 'cross-posting counts too');
    assert.equal(await post(c, 'main', 'A different message altogether'), 201);
    assert.equal(await post(t.client(), 'main', ad), 201, 'another account is not limited by this rule');
    clock.advance(600 - 120 + 1);
    assert.equal(await post(c, 'main', ad), 201, 'the first copy left the window');
  });
});

describe('flood: the defaults in a normal community', () => {
  let t: TestServer;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock(Date.now() / 1000);
    t = await startTestServer({}, { clock });
  });
  after(() => t.close());

  it('a person saying "hi" twice a day, and the same longer greeting daily, is never refused', async () => {
    const c = t.client();
    for (let day = 0; day < 4; day++) {
      assert.equal(await post(c, 'main', 'hi'), 201);
      clock.advance(20);
      assert.equal(await post(c, 'main', 'hi'), 201, 'hi again, right away');
      clock.advance(6 * 3600);
      assert.equal(await post(c, 'main', 'hi'), 201);
      assert.equal(await post(c, 'main', 'Good morning everyone, have a nice day!'), 201);
      clock.advance(18 * 3600);
    }
  });

  it('a room greeting a newcomer with the same words is not refused; a raid of one text is held', async () => {
    // One after another: the threshold is exact for posts that do not arrive at the same moment.
    for (let i = 0; i < 8; i++) assert.equal(await post(t.client(), 'main', 'welcome!'), 201);
    const raid = 'This community is dead, come to our group instead';
    const raiders = Array.from({ length: 12 }, () => t.client());
    const results: number[] = [];
    for (const r of raiders) results.push(await post(r, 'main', raid));
    assert.deepEqual(results, Array(12).fill(201), 'every poster sees their post accepted');
    const listed = (await t.client().get('/room/main/messages/recent?limit=256')).json<{ session_id: string }[]>();
    const shown = listed.filter((m) => raiders.some((r) => r.sessionId === m.session_id));
    assert.equal(shown.length, t.config.floodAccounts, 'members see only the first floodAccounts');
    const main = (await t.s.store.getRoom('main'))!;
    assert.equal(await t.s.store.countHeld(main.id), 12 - t.config.floodAccounts);
  });
});
