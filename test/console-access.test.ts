// The console's sign-in rules without a browser, on the test database (SQLite or PostgreSQL):
// links work once and expire, sessions expire, end and are pruned, a moderator who is removed
// loses the console at once; consolePath is checked, and a path the API owns is refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildRouter } from '../src/api';
import { defaultConfig, validate } from '../src/config';
import { consoleIdentity, mayUseConsole, mintConsoleLink, signInWithLink } from '../src/domain/console-access';
import { runCleanup } from '../src/jobs';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { systemUserId } from '../src/crypto/ids';
import type { User } from '../src/store/types';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
let clock: ManualClock;
let system: User;

before(async () => {
  clock = new ManualClock(1_800_000_000);
  t = await startTestServer({ consoleLinkMinutes: 10, consoleSessionHours: 2 }, { clock });
  system = await t.s.store.ensureUser(systemUserId(t.s.keys.publicKey), clock.now());
});
after(() => t.close());

async function moderator(): Promise<{ user: User; id: string }> {
  const c = t.client();
  assert.equal((await c.get('/room/main')).status, 200);
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, c.sessionId), [main], { moderator: true, admin: false, visible: true });
  return { user: (await t.s.store.findUser(c.sessionId))!, id: c.sessionId };
}

describe('console sign-in', () => {
  it('a link works once, only within consoleLinkMinutes, and only for moderators', async () => {
    const { id } = await moderator();
    const once = await mintConsoleLink(t.s, system, id);
    assert.ok(await signInWithLink(t.s, once.token));
    assert.equal(await signInWithLink(t.s, once.token), null, 'used twice');
    const late = await mintConsoleLink(t.s, system, id);
    clock.advance(10 * 60);
    assert.equal(await signInWithLink(t.s, late.token), null, 'expired');
    assert.equal(await signInWithLink(t.s, 'x'.repeat(43)), null, 'unknown');
    const plain = t.client();
    assert.equal((await plain.get('/room/main')).status, 200);
    await assert.rejects(mintConsoleLink(t.s, system, plain.sessionId), /not a moderator or admin/);
    await assert.rejects(mintConsoleLink(t.s, system, '05'.padEnd(66, '1')), /not a user of this server|not a valid Session id/);
    // Only hashes are stored: the token itself is nowhere in the database.
    const fresh = await mintConsoleLink(t.s, system, id);
    assert.equal(await t.s.store.takeConsoleLink(fresh.token, clock.now()), null);
  });

  it("a session expires, ends from the CLI side, is pruned, and follows its user's roles", async () => {
    const { user, id } = await moderator();
    const a = (await signInWithLink(t.s, (await mintConsoleLink(t.s, system, id)).token))!;
    const b = (await signInWithLink(t.s, (await mintConsoleLink(t.s, system, id)).token))!;
    assert.equal((await consoleIdentity(t.s, a.token))?.user.id, user.id);
    assert.equal((await t.s.store.consoleSessions(clock.now())).filter((x) => x.sessionId === id).length, 2);
    assert.equal(await t.s.store.endConsoleSessions({ id: a.session.id }), 1);
    assert.equal(await consoleIdentity(t.s, a.token), null, 'ended');
    assert.ok(await consoleIdentity(t.s, b.token));
    // Removed as a moderator: the session no longer opens anything.
    const main = (await t.s.store.getRoom('main'))!;
    await setModerator(t.s, user, [main], { moderator: false, admin: false, visible: true });
    assert.equal(await mayUseConsole(t.s, user), false);
    assert.equal(await consoleIdentity(t.s, b.token), null, 'no longer a moderator');
    await setModerator(t.s, user, [main], { moderator: true, admin: false, visible: true });
    assert.ok(await consoleIdentity(t.s, b.token));
    clock.advance(2 * 3600);
    assert.equal(await consoleIdentity(t.s, b.token), null, 'expired');
    const counts = await runCleanup(t.s);
    assert.ok((counts['consoleSessions'] ?? 0) >= 1, JSON.stringify(counts));
    assert.equal((await t.s.store.consoleSessions(clock.now() - 86400 * 365)).length, 0, 'pruned');
  });

  it('consolePath is checked, and a path the API owns is refused', () => {
    const c = defaultConfig();
    assert.doesNotThrow(() => validate({ ...c, consolePath: '/mod/console/' }));
    for (const bad of ['admin', '/admin', '/Admin/', '/ad min/', '//', '/a/../b/']) assert.throws(() => validate({ ...c, consolePath: bad }), /consolePath/, bad);
    assert.throws(() => validate({ ...c, consoleLinkMinutes: 0 }), /consoleLinkMinutes/);
    assert.throws(() => buildRouter({ console: '/room/' }), /collides with the API route/);
    assert.throws(() => buildRouter({ console: '/legacy/' }), /collides/);
    assert.doesNotThrow(() => buildRouter({ console: '/admin/' }));
  });
});
