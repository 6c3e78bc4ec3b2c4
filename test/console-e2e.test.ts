// The web moderation console in a real headless Chromium (helpers/chromium.ts, playwright-core):
// a global admin and a room moderator sign in with minted one-time links, act on every page, and
// the effect is checked through the API. Refused: a used or expired link, a form without its CSRF
// token, a room moderator reaching into another room, and every console route without a session.
// Screenshots of each page go to test-artifacts/console/ (git-ignored).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { Browser, BrowserContext } from 'playwright-core';
import { PNG } from 'pngjs';
import { encodeSessionMessage } from '../client/protobuf';
import type { SogsClient } from '../client';
import { mintConsoleLink } from '../src/domain/console-access';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { locateChromium } from './helpers/chromium';
import { launchChromium, openPage, rawConsole, sessionCookieOf, shot } from './helpers/console-browser';
import { runCli } from './helpers/cli';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = locateChromium();
const BASE = '/admin/';

let t: TestServer;
let clock: ManualClock;
let browser: Browser;
/** Everything the server logged (every request, with logRequests), to check no link or session token is in it. */
const logged: string[] = [];
const tokens: string[] = [];
let admin: SogsClient, mod: SogsClient, alice: SogsClient, bob: SogsClient, carol: SogsClient;

async function post(c: SogsClient, room: string, body: string): Promise<number> {
  const r = await c.postMessage(room, encodeSessionMessage({ body, displayName: 'Someone' }));
  assert.equal(r.status, 201, r.text());
  return r.json<{ id: number }>().id;
}

async function link(c: SogsClient): Promise<string> {
  const { token } = await mintConsoleLink(t.s, (await t.s.store.findUser(admin.sessionId))!, c.sessionId);
  tokens.push(token);
  return `${t.url}${BASE}login#${token}`;
}

function raw(method: string, p: string, opts: { cookie?: string; form?: Record<string, string> } = {}): Promise<Response> {
  return rawConsole(t.url, method, p, opts);
}

async function cookieOf(context: BrowserContext): Promise<string> {
  const c = await sessionCookieOf(context, BASE);
  tokens.push(c);
  return c;
}

before(async () => {
  if (!CHROMIUM.source) return;
  clock = new ManualClock(Math.floor(Date.now() / 1000));
  t = await startTestServer({ rateLimitPosts: 0, consoleEnabled: true, consolePath: BASE, logRequests: true }, { clock });
  t.s.log = pino({ level: 'debug' }, new Writable({ write: (c: Buffer, _e, cb) => (logged.push(c.toString('utf8')), cb()) }));
  await t.s.store.createRoom({ token: 'other', name: 'Other room', now: clock.now() });
  [admin, mod, alice, bob, carol] = [t.client(), t.client(), t.client(), t.client(), t.client()];
  for (const c of [admin, mod, alice, bob, carol]) assert.equal((await c.get('/room/main')).status, 200);
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), 'global', { moderator: true, admin: true, visible: false });
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
  browser = await launchChromium(CHROMIUM.source);
});

after(async () => {
  if (t) {
    assert.ok(logged.filter((l) => l.includes('"msg":"request"')).length > 20, 'requests were logged');
    for (const token of tokens) assert.equal(logged.some((l) => l.includes(token)), false, 'a console token was logged');
  }
  await browser?.close();
  await t?.close();
});

describe('web moderation console', { skip: CHROMIUM.source ? false : CHROMIUM.none }, () => {
  it('answers nothing without a valid session, and no link means no session', async () => {
    const gets = ['', 'room/main', 'room/main/settings', 'user/' + alice.sessionId, 'user?id=' + alice.sessionId, 'moderators', 'audit', 'status'];
    for (const p of gets) {
      for (const cookie of [undefined, 'A'.repeat(43)]) {
        const r = await raw('GET', BASE + p, { cookie });
        assert.equal(r.status, 401, `GET ${p}`);
        assert.doesNotMatch(await r.text(), /Overview|Someone/);
      }
    }
    const posts = ['logout', 'room/main/delete', 'room/main/pin', 'room/main/ban', 'room/main/unban', 'room/main/delete-all', 'room/main/defaults', 'room/main/settings', 'room/main/image', 'rooms',
      `user/${bob.sessionId}/ban`, `user/${bob.sessionId}/unban`, `user/${bob.sessionId}/delete-all`, 'moderators/role', 'moderators/permissions'];
    for (const p of posts) assert.equal((await raw('POST', BASE + p, { form: { user: bob.sessionId, scope: '+' } })).status, 401, `POST ${p}`);
    assert.equal((await raw('GET', BASE + 'login')).status, 200);
    assert.equal((await raw('POST', BASE + 'login', { form: { token: 'x'.repeat(43) } })).status, 403);
  });

  it('a global admin signs in, moderates on every page, and the API sees it', async () => {
    const keep = await post(alice, 'main', 'Hello from Alice');
    const doomed = await post(alice, 'main', 'Delete me please');
    await post(bob, 'main', 'Bob was here <b>not bold</b>');
    await post(alice, 'other', 'Alice in the other room');
    const mainRoom = (await t.s.store.getRoom('main'))!;
    const bobUser = (await t.s.store.findUser(bob.sessionId))!;
    await t.s.store.insertMessage({ roomId: mainRoom.id, userId: bobUser.id, data: encodeSessionMessage({ body: 'filtered spam', displayName: 'Bob' }), signature: Buffer.alloc(64), whisperTo: null, whisperMods: false, filtered: true, now: clock.now() });

    const context = await browser.newContext();
    const page = await openPage(context);
    const url = await link(admin);
    await page.goto(url);
    await page.waitForURL(t.url + BASE);
    assert.equal(await page.locator('h1').textContent(), 'Overview');
    assert.equal(new URL(page.url()).hash, '');
    const cookie = await cookieOf(context);
    assert.equal(await page.locator('section.card').count(), 2);
    assert.equal(await page.locator('section.card svg.chart').count(), 2);
    await shot(page, 'overview.png');

    // The link worked once.
    const again = await openPage(await browser.newContext());
    await again.goto(url);
    await again.waitForSelector('text=This link cannot be used');
    await again.context().close();

    // A room: posts decoded, the filtered one marked; delete, pin, timed ban.
    await page.goto(`${t.url}${BASE}room/main`);
    await page.waitForSelector(`tr[data-id="${keep}"]`);
    assert.match((await page.locator(`tr[data-id="${keep}"]`).textContent())!, /Hello from Alice/);
    assert.match((await page.locator('tr.filtered').textContent())!, /filtered spam/);
    assert.equal(await page.locator('tr.filtered .tag.filtered').count(), 1);
    assert.equal(await page.locator('b', { hasText: 'not bold' }).count(), 0, 'post text is escaped');
    await shot(page, 'room.png');
    await page.locator(`tr[data-id="${doomed}"] button`, { hasText: 'Delete' }).first().click();
    await page.waitForSelector('text=Post deleted.');
    assert.equal((await alice.get(`/room/main/message/${doomed}`)).status, 404);
    await page.locator(`tr[data-id="${keep}"] button`, { hasText: 'Pin' }).click();
    await page.waitForSelector('text=Post pinned.');
    assert.deepEqual((await alice.get('/room/main')).json<{ pinned_messages: { id: number }[] }>().pinned_messages.map((p) => p.id), [keep]);
    const bobRow = page.locator('tr', { hasText: 'Bob was here' });
    await bobRow.locator('input[name=minutes]').fill('30');
    await bobRow.locator('button', { hasText: 'Ban' }).click();
    await page.waitForSelector('text=User banned.');
    assert.equal((await bob.postMessage('main', encodeSessionMessage({ body: 'let me in' }))).status, 403);
    const bans = await t.s.store.listBans(mainRoom.id);
    assert.ok(bans[0]!.unbanAt !== null && Math.abs(bans[0]!.unbanAt - (clock.now() + 1800)) < 5, 'a timed ban');

    // A user: posts across rooms; unban, then delete all their posts everywhere.
    await page.goto(`${t.url}${BASE}user/${alice.sessionId}`);
    await page.waitForSelector('text=Alice in the other room');
    await shot(page, 'user.png');
    await page.goto(`${t.url}${BASE}user/${bob.sessionId}`);
    await page.locator('#user-unban select').selectOption('main');
    await page.locator('#user-unban button').click();
    await page.waitForSelector('text=Ban lifted.');
    assert.equal((await bob.postMessage('main', encodeSessionMessage({ body: 'back again' }))).status, 201);
    await page.locator('#user-delete-all select').selectOption('*');
    await page.locator('#user-delete-all button').click();
    await page.waitForSelector("text=The user's posts were deleted.");
    const left = (await alice.get('/room/main/messages/recent')).json<{ session_id: string }[]>();
    assert.equal(left.some((m) => m.session_id === bob.sessionId), false);

    // Moderators: appoint a hidden moderator, then deny a user's write.
    await page.goto(`${t.url}${BASE}moderators`);
    await page.locator('#appoint input[name=user]').fill(carol.sessionId);
    await page.locator('#appoint select[name=scope]').selectOption('main');
    await page.locator('#appoint input[name=hidden]').check();
    await page.locator('#appoint button').click();
    await page.waitForSelector('text=Moderators changed.');
    const info = (await admin.get('/room/main')).json<{ hidden_moderators?: string[] }>();
    assert.ok(info.hidden_moderators?.includes(carol.sessionId), JSON.stringify(info));
    await page.locator('#permissions input[name=user]').fill(alice.sessionId);
    await page.locator('#permissions select[name=room]').selectOption('main');
    await page.locator('#permissions select[name=write]').selectOption('deny');
    await page.locator('#permissions button').click();
    await page.waitForSelector('text=Permissions changed.');
    assert.equal((await alice.postMessage('main', encodeSessionMessage({ body: 'muted?' }))).status, 403);
    // A scheduled change, then the other room's defaults: read-only for everyone.
    await page.locator('#permissions input[name=user]').fill(alice.sessionId);
    await page.locator('#permissions select[name=room]').selectOption('main');
    await page.locator('#permissions select[name=write]').selectOption('allow');
    await page.locator('#permissions input[name=minutes]').fill('60');
    await page.locator('#permissions button').click();
    await page.waitForSelector('text=Permission change scheduled.');
    const futures = await t.s.store.futurePermissions(mainRoom.id);
    assert.equal(futures.length, 1);
    assert.equal(futures[0]!.sessionId, alice.sessionId);
    assert.equal(futures[0]!.write, true);
    assert.ok(Math.abs(futures[0]!.at - (clock.now() + 3600)) < 5);
    await page.locator('section[data-room="other"] input[name=write]').uncheck();
    await page.locator('section[data-room="other"] button', { hasText: 'Save defaults' }).click();
    await page.waitForSelector('text=Room defaults changed.');
    assert.equal((await bob.postMessage('other', encodeSessionMessage({ body: 'read-only?' }))).status, 403);
    assert.equal((await bob.get('/room/other/messages/recent')).status, 200);
    await shot(page, 'moderators.png');

    // Room settings: name, description, rate limit, image; and a new room.
    await page.goto(`${t.url}${BASE}room/main/settings`);
    await page.locator('#room-settings input[name=name]').fill('Main hall');
    await page.locator('#room-settings textarea[name=description]').fill('Be nice');
    await page.locator('#room-settings input[name=rate_posts]').fill('3');
    await page.locator('#room-settings input[name=rate_interval]').fill('10');
    await page.locator('#room-settings button').click();
    await page.waitForSelector('text=Room settings saved.');
    const room = (await alice.get('/room/main')).json<{ name: string; description: string; image_id?: number }>();
    assert.equal(room.name, 'Main hall');
    assert.equal(room.description, 'Be nice');
    assert.deepEqual(await t.s.store.roomLimits(mainRoom.id), { rateLimitPosts: 3, rateLimitInterval: 10, raidSince: null, raidAuto: false });
    const icon = new PNG({ width: 8, height: 8 });
    await page.locator('#image-upload input[type=file]').setInputFiles({ name: 'icon.png', mimeType: 'image/png', buffer: PNG.sync.write(icon) });
    await page.locator('#image-upload button').click();
    await page.waitForSelector('text=Room image changed.');
    const imageId = (await alice.get('/room/main')).json<{ image_id?: number }>().image_id;
    assert.ok(imageId, 'room image set');
    assert.equal((await alice.get(`/room/main/file/${imageId}`)).status, 200);
    await shot(page, 'settings.png');
    await page.goto(t.url + BASE);
    await page.locator('form[action$="/rooms"] input[name=token]').fill('fresh');
    await page.locator('form[action$="/rooms"] input[name=name]').fill('Fresh room');
    await page.locator('form[action$="/rooms"] button').click();
    await page.waitForSelector('text=Room created.');
    assert.equal((await admin.get('/room/fresh')).json<{ name: string }>().name, 'Fresh room');

    // The audit log names the console's identity; the status page.
    await page.goto(`${t.url}${BASE}audit?action=ban`);
    assert.ok((await page.locator('table.audit tbody tr').count()) >= 1);
    const banEntry = (await t.s.store.auditLog({ action: 'ban', limit: 1 }))[0]!;
    assert.equal(banEntry.actor, admin.sessionId);
    assert.equal(banEntry.target, bob.sessionId);
    for (const action of ['message.delete', 'message.pin', 'unban', 'messages.delete_all', 'moderator.add', 'permissions.set', 'permissions.schedule', 'room.defaults', 'room.update', 'room.rate_limit', 'room.create', 'console.sign_in']) {
      assert.equal((await t.s.store.auditLog({ action, actor: admin.sessionId, limit: 1 })).length, 1, action);
    }
    await shot(page, 'audit.png');
    await page.goto(`${t.url}${BASE}status`);
    assert.equal(await page.locator('#health').textContent(), 'ok');
    await shot(page, 'status.png');

    // A form without its CSRF token (the cookie alone) is refused and changes nothing.
    const before = (await t.s.store.listBans()).length;
    const r = await raw('POST', `${BASE}room/main/ban`, { cookie, form: { user: alice.sessionId } });
    assert.equal(r.status, 403);
    const wrong = await raw('POST', `${BASE}room/main/ban`, { cookie, form: { user: alice.sessionId, csrf: 'x'.repeat(43) } });
    assert.equal(wrong.status, 403);
    const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value'))!;
    const foreign = await fetch(`${t.url}${BASE}room/main/ban`, {
      method: 'POST', redirect: 'manual',
      headers: { cookie: `sogs_console=${cookie}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, user: alice.sessionId }).toString(),
    });
    assert.equal(foreign.status, 403, 'a form from another site');
    assert.equal((await t.s.store.listBans()).length, before);
    assert.deepEqual(page.problems, []);

    // Signing out ends the session.
    await page.locator('button', { hasText: 'Sign out' }).click();
    await page.waitForURL(`${t.url}${BASE}login`);
    assert.equal((await raw('GET', BASE, { cookie })).status, 401);
    await context.close();
  });

  it('a room moderator sees and acts on their rooms only', async () => {
    const context = await browser.newContext();
    const page = await openPage(context);
    await page.goto(await link(mod));
    await page.waitForURL(t.url + BASE);
    assert.deepEqual(await page.locator('section.card').evaluateAll((els) => els.map((e) => e.getAttribute('data-room'))), ['main']);
    await shot(page, 'overview-room-moderator.png');
    const cookie = await cookieOf(context);
    const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value'))!;
    assert.equal((await raw('GET', `${BASE}room/other`, { cookie })).status, 403);
    assert.equal((await raw('GET', `${BASE}room/other/settings`, { cookie })).status, 403);
    assert.equal((await raw('GET', `${BASE}status`, { cookie })).status, 403);
    assert.equal((await raw('GET', `${BASE}audit?room=other`, { cookie })).status, 403);
    const victim = await post(admin, 'other', 'still here'); // 'other' is read-only by now
    for (const [p, form] of [
      ['room/other/delete', { id: String(victim) }],
      ['room/other/ban', { user: bob.sessionId }],
      [`user/${bob.sessionId}/ban`, { user: bob.sessionId, scope: 'other' }],
      [`user/${bob.sessionId}/ban`, { user: bob.sessionId, scope: '+' }],
      ['moderators/permissions', { user: bob.sessionId, room: 'other', write: 'deny' }],
      ['room/main/settings', { name: 'Taken over' }],
      ['rooms', { token: 'mine', name: 'Mine' }],
    ] as const) {
      assert.equal((await raw('POST', BASE + p, { cookie, form: { csrf, ...form } })).status, 403, p);
    }
    assert.equal((await alice.get(`/room/other/message/${victim}`)).status, 200);
    assert.equal((await t.s.store.listBans()).some((b) => b.sessionId === bob.sessionId), false);
    assert.equal((await admin.get('/room/mine')).status, 404);
    // Within their room they act.
    assert.equal((await raw('POST', `${BASE}room/main/ban`, { cookie, form: { csrf, user: bob.sessionId } })).status, 303);
    assert.equal((await bob.postMessage('main', encodeSessionMessage({ body: 'x' }))).status, 403);
    assert.deepEqual(page.problems, []);

    // The CLI lists the session and ends it.
    const list = await runCli(t.dataDir, '--console-sessions');
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(mod.sessionId));
    const end = await runCli(t.dataDir, '--console-logout', mod.sessionId);
    assert.equal(end.code, 0, end.err);
    assert.match(end.out, /Ended 1 console session/);
    assert.equal((await raw('GET', BASE, { cookie })).status, 401);
    await context.close();
  });

  it('the CLI mints links for moderators only; an expired link is refused', async () => {
    const r = await runCli(t.dataDir, '--console-login', mod.sessionId);
    assert.equal(r.code, 0, r.err);
    const printed = r.out.trim();
    tokens.push(printed.split('#')[1]!);
    assert.match(printed, /^http:\/\/.+\/admin\/login#[A-Za-z0-9_-]{43}$/);
    const refused = await runCli(t.dataDir, '--console-login', alice.sessionId);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /not a moderator or admin/);
    // Past consoleLinkMinutes the link is refused (and used up).
    clock.advance(t.config.consoleLinkMinutes * 60 + 120); // the CLI minted it on the wall clock
    const token = printed.split('#')[1]!;
    assert.equal((await raw('POST', `${BASE}login`, { form: { token } })).status, 403);
    // A fresh link still works.
    const fresh = (await link(mod)).split('#')[1]!;
    const foreign = await fetch(`${t.url}${BASE}login`, {
      method: 'POST', redirect: 'manual', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${fresh}`,
    });
    assert.equal(foreign.status, 403, 'a sign-in sent from another site');
    const fresh2 = (await link(mod)).split('#')[1]!;
    const ok = await raw('POST', `${BASE}login`, { form: { token: fresh2 } });
    assert.equal(ok.status, 303);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^sogs_console=[A-Za-z0-9_-]{43}; Path=\/admin\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    tokens.push(setCookie.split(';')[0]!.split('=')[1]!);
    // Behind an HTTPS proxy the cookie is Secure.
    const viaTls = await fetch(`${t.url}${BASE}login`, {
      method: 'POST', redirect: 'manual', headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${(await link(mod)).split('#')[1]!}`,
    });
    assert.match(viaTls.headers.get('set-cookie') ?? '', /; Secure$/);
    tokens.push((viaTls.headers.get('set-cookie') ?? '').split(';')[0]!.split('=')[1]!);
  });
});
