// The console's raids pages in a real headless Chromium (helpers/console-browser.ts): a global
// admin locks a room down from the page, fresh accounts post through the API and are held, the
// admin releases and drops them singly, in bulk and all at once, previews a cleanup of the raid's
// account window (nothing changes) and confirms it; every effect is checked through the API and
// the audit log. A room moderator cannot see or act on another room's raid page or forms, nor ban
// globally; a form without its CSRF token and a request without a session are refused.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { encodeSessionMessage } from '../client/protobuf';
import type { SogsClient } from '../client';
import { mintConsoleLink } from '../src/domain/console-access';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { locateChromium } from './helpers/chromium';
import { launchChromium, openPage, rawConsole, sessionCookieOf, shot, type CheckedPage } from './helpers/console-browser';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = locateChromium();
const BASE = '/admin/';

let t: TestServer;
let clock: ManualClock;
let browser: Browser;
let admin: SogsClient, mod: SogsClient, member: SogsClient;

type Listed = { id: number; session_id: string; data?: string | null };
type RaidJson = { raid: boolean; automatic: boolean; held: number; since: number | null };

/** Posts as `c`; the id the server answered (a held post's too: its poster cannot tell). */
async function post(c: SogsClient, room: string, body: string): Promise<number> {
  const r = await c.postMessage(room, encodeSessionMessage({ body, displayName: 'Raider' }));
  assert.equal(r.status, 201, r.text());
  return r.json<{ id: number }>().id;
}

/** Fresh accounts (first seen now), each posting once in `room`; their clients and post ids. */
async function raiders(n: number, room = 'main', tag = 'raid'): Promise<{ c: SogsClient; id: number }[]> {
  const out: { c: SogsClient; id: number }[] = [];
  for (let i = 0; i < n; i++) {
    const c = t.client();
    out.push({ c, id: await post(c, room, `${tag} post ${out.length + 1} ${c.sessionId.slice(2, 10)}`) });
  }
  return out;
}

async function visible(room = 'main'): Promise<Listed[]> {
  return (await member.get(`/room/${room}/messages/recent?limit=256`)).json<Listed[]>();
}

const raid = async (room = 'main'): Promise<RaidJson> => (await admin.get(`/room/${room}/raid`)).json<RaidJson>();
const heldIds = async (room = 'main'): Promise<number[]> => (await admin.get(`/room/${room}/held`)).json<Listed[]>().map((m) => m.id);

async function signIn(c: SogsClient): Promise<{ context: BrowserContext; page: CheckedPage; cookie: string; csrf: string }> {
  const { token } = await mintConsoleLink(t.s, (await t.s.store.findUser(admin.sessionId))!, c.sessionId);
  const context = await browser.newContext();
  const page = await openPage(context);
  await page.goto(`${t.url}${BASE}login#${token}`);
  await page.waitForURL(t.url + BASE);
  const cookie = await sessionCookieOf(context, BASE);
  const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value'))!;
  return { context, page, cookie, csrf };
}

/** A datetime-local value (UTC) for a unix time. */
const local = (s: number): string => new Date(s * 1000).toISOString().slice(0, 16);

before(async () => {
  if (!CHROMIUM.source) return;
  // Regulars are first seen three hours before the raid: not "new" when it comes.
  clock = new ManualClock(Math.floor(Date.now() / 1000) - 3 * 3600);
  t = await startTestServer({ rateLimitPosts: 0, consoleEnabled: true, consolePath: BASE }, { clock });
  await t.s.store.createRoom({ token: 'other', name: 'Other room', now: clock.now() });
  [admin, mod, member] = [t.client(), t.client(), t.client()];
  for (const c of [admin, mod, member]) assert.equal((await c.get('/room/main')).status, 200);
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), 'global', { moderator: true, admin: true, visible: false });
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
  clock.advance(3 * 3600);
  browser = await launchChromium(CHROMIUM.source);
});

after(async () => {
  await browser?.close();
  await t?.close();
});

describe('console raids pages', { skip: CHROMIUM.source ? false : CHROMIUM.none }, () => {
  it('answers nothing without a session', async () => {
    for (const p of ['raids', 'room/main/raid']) assert.equal((await rawConsole(t.url, 'GET', BASE + p)).status, 401, p);
    for (const p of ['room/main/raid/mode', 'room/main/held', 'room/main/raid/cleanup']) {
      assert.equal((await rawConsole(t.url, 'POST', BASE + p, { form: { on: '1', all: '1', action: 'drop', window: 'current' } })).status, 401, p);
    }
    assert.equal((await raid()).raid, false);
  });

  it('a global admin locks a room down, reviews held posts, releases, drops and cleans up', async () => {
    const { context, page, cookie } = await signIn(admin);
    await page.locator('header nav a', { hasText: 'Raids' }).click();
    await page.waitForSelector('h1:text("Raids")');
    assert.deepEqual(await page.locator('table.raids tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-room'))), ['main', 'other']);
    await page.locator('tr[data-room="main"] button', { hasText: 'Lock down' }).click();
    await page.waitForSelector('text=Raid mode on');
    let st = await raid();
    assert.deepEqual([st.raid, st.automatic], [true, false], 'a manual lockdown');
    assert.equal((await raid('other')).raid, false);

    // Fresh accounts post: accepted as far as they can tell, shown to nobody.
    const windowStart = clock.now() - 60;
    const first = await raiders(4);
    const elsewhere = (await raiders(1, 'other', 'elsewhere'))[0]!;
    assert.equal((await visible()).filter((m) => first.some((r) => r.c.sessionId === m.session_id)).length, 0);
    assert.ok((await visible('other')).some((m) => m.id === elsewhere.id), 'the other room is not in raid mode');
    assert.deepEqual(await heldIds(), first.map((r) => r.id));
    await page.reload();
    assert.equal(await page.locator('tr[data-room="main"] .held-count').textContent(), '4');
    assert.match((await page.locator('tr[data-room="main"]').textContent())!, /manual lockdown/);
    await shot(page, 'raids.png');
    await page.goto(t.url + BASE);
    assert.match((await page.locator('section.card[data-room="main"] p.raid').textContent())!, /raid mode\s+4 held posts/);
    assert.equal(await page.locator('section.card[data-room="other"] p.raid').count(), 0);
    // The user page marks a raider's post held too.
    await page.goto(`${t.url}${BASE}user/${first[1]!.c.sessionId}`);
    assert.equal(await page.locator(`tr.held[data-id="${first[1]!.id}"] .tag.held`).count(), 1);

    // The room page marks them held, and releases one.
    await page.goto(`${t.url}${BASE}room/main`);
    assert.equal(await page.locator('tr.held .tag.held').count(), 4);
    assert.match((await page.locator(`tr.held[data-id="${first[0]!.id}"]`).textContent())!, /raid post 1/);
    await page.locator(`tr[data-id="${first[0]!.id}"] button`, { hasText: 'Release' }).click();
    await page.waitForSelector('text=Held posts released.');
    assert.equal(new URL(page.url()).pathname, `${BASE}room/main`);
    assert.ok((await visible()).some((m) => m.session_id === first[0]!.c.sessionId), 'released: members see it');

    // The raid page: release two, drop one, with the checkboxes.
    await page.goto(`${t.url}${BASE}room/main/raid`);
    assert.equal(await page.locator('#held-count').textContent(), '3');
    assert.match((await page.locator(`tr[data-id="${first[1]!.id}"]`).textContent())!, /raid post 2/, 'text decoded from the protobuf');
    await shot(page, 'raid-room.png');
    await page.locator(`input[name=ids][value="${first[1]!.id}"]`).check();
    await page.locator(`input[name=ids][value="${first[2]!.id}"]`).check();
    await page.locator('button', { hasText: 'Release selected' }).click();
    await page.waitForSelector('text=Held posts released.');
    await page.locator(`input[name=ids][value="${first[3]!.id}"]`).check();
    await page.locator('button', { hasText: 'Drop selected' }).click();
    await page.waitForSelector('text=Held posts dropped.');
    assert.deepEqual(await heldIds(), []);
    const seen = await visible();
    for (const r of first.slice(0, 3)) assert.ok(seen.some((m) => m.session_id === r.c.sessionId), 'released posts are published');
    assert.equal(seen.some((m) => m.session_id === first[3]!.c.sessionId), false, 'the dropped post is not');

    // Drop all, then release all.
    const second = await raiders(2);
    await page.reload();
    await page.locator('#held-all button', { hasText: 'Drop all 2' }).click();
    await page.waitForSelector('text=Held posts dropped.');
    assert.deepEqual(await heldIds(), []);
    const third = await raiders(2);
    await page.reload();
    await page.locator('#held-all button', { hasText: 'Release all 2' }).click();
    await page.waitForSelector('text=Held posts released.');
    assert.deepEqual(await heldIds(), []);
    assert.equal((await visible()).filter((m) => third.some((r) => r.c.sessionId === m.session_id)).length, 2);
    const last = await raiders(1);
    assert.equal(second.length + last.length, 3);

    // Cleanup by time window: the preview counts and changes nothing.
    await page.reload();
    await page.locator('#cleanup input[value=range]').check();
    await page.locator('#cleanup input[name=since]').fill(local(windowStart));
    await page.locator('#cleanup select[name=ban]').selectOption('room');
    await page.locator('#cleanup button', { hasText: 'Preview' }).click();
    await page.waitForSelector('#cleanup-preview');
    const api = (await admin.post('/room/main/raid/cleanup', { since: Math.floor(windowStart / 60) * 60, ban: 'room', dry_run: true })).json<{ accounts: number; posts: number; held: number }>();
    const preview = async (sel: string): Promise<number> => Number(await page.locator(`#cleanup-preview .${sel}`).textContent());
    assert.equal(await preview('posts'), 5, 'three released singly or by selection, two by release all');
    assert.equal(await preview('held'), 1);
    assert.equal(await preview('accounts'), api.accounts);
    // All nine raiders: those whose posts were dropped are still remembered as seen in the room.
    assert.equal(api.accounts, 9);
    assert.deepEqual([api.posts, api.held], [5, 1]);
    assert.equal((await t.s.store.listBans()).length, 0, 'a preview bans nobody');
    assert.equal((await visible()).filter((m) => m.session_id !== member.sessionId).length, 5);
    await shot(page, 'raid-cleanup-preview.png');
    await page.locator('#cleanup-confirm button', { hasText: 'Clean up now' }).click();
    await page.waitForSelector('#cleanup-result');
    assert.equal(Number(await page.locator('#cleanup-result .posts').textContent()), 5);
    assert.equal(Number(await page.locator('#cleanup-result .held').textContent()), 1);
    assert.equal((await visible()).filter((m) => m.session_id !== member.sessionId).length, 0, 'their posts are gone');
    assert.deepEqual(await heldIds(), []);
    for (const r of [...first, ...second, ...third, ...last]) assert.equal((await r.c.postMessage('main', encodeSessionMessage({ body: 'again' }))).status, 403, 'banned in the room');
    assert.equal((await elsewhere.c.postMessage('other', encodeSessionMessage({ body: 'fine here' }))).status, 201, 'not banned elsewhere');
    assert.ok((await visible('other')).some((m) => m.id === elsewhere.id), 'nor its posts in another room deleted');
    assert.equal((await member.postMessage('main', encodeSessionMessage({ body: 'regular' }))).status, 201, 'a regular is untouched');

    // "The current raid" window; then the lockdown ends from the page.
    await page.goto(`${t.url}${BASE}room/main/raid`);
    await page.locator('#cleanup input[value=current]').check();
    await page.locator('#cleanup button', { hasText: 'Preview' }).click();
    await page.waitForSelector('#cleanup-preview');
    assert.equal(Number(await page.locator('#cleanup-preview .posts').textContent()), 0);
    await page.goto(`${t.url}${BASE}room/main/raid`);
    await page.locator('button', { hasText: 'End raid mode' }).click();
    await page.waitForSelector('text=Raid mode ended.');
    st = await raid();
    assert.equal(st.raid, false);
    assert.equal(await post(t.client(), 'main', 'a newcomer after the raid') > 0, true);
    assert.deepEqual(await heldIds(), [], 'posts are no longer held');

    // Audited under the signed-in identity.
    for (const action of ['room.raid_mode', 'held.release', 'held.drop', 'raid.cleanup']) {
      assert.ok((await t.s.store.auditLog({ action, actor: admin.sessionId, limit: 1 })).length === 1, action);
    }
    // A form without its CSRF token changes nothing.
    assert.equal((await rawConsole(t.url, 'POST', `${BASE}room/main/raid/mode`, { cookie, form: { on: '1' } })).status, 403);
    assert.equal((await rawConsole(t.url, 'POST', `${BASE}room/main/raid/mode`, { cookie, form: { on: '1', csrf: 'x'.repeat(43) } })).status, 403);
    assert.equal((await raid()).raid, false);
    assert.deepEqual(page.problems, []);
    await context.close();
  });

  it('a room moderator sees and acts on their rooms only, and bans in the room only', async () => {
    const { context, page, cookie, csrf } = await signIn(mod);
    await page.goto(`${t.url}${BASE}raids`);
    assert.deepEqual(await page.locator('table.raids tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-room'))), ['main']);
    assert.equal((await rawConsole(t.url, 'GET', `${BASE}room/other/raid`, { cookie })).status, 403);
    await t.s.store.setRoomLimits((await t.s.store.getRoom('other'))!.id, { raidSince: clock.now(), raidAuto: false });
    const held = (await raiders(1, 'other', 'held elsewhere'))[0]!;
    assert.deepEqual(await heldIds('other'), [held.id]);
    for (const [p, form] of [
      ['room/other/raid/mode', { on: '0' }],
      ['room/other/held', { action: 'release', all: '1' }],
      ['room/other/held', { action: 'drop', ids: String(held.id) }],
      ['room/other/raid/cleanup', { window: 'current', ban: 'room' }],
      ['room/other/raid/cleanup', { confirm: '1', since_ts: '0', until_ts: String(clock.now() + 1), ban: 'room' }],
      ['room/main/raid/cleanup', { confirm: '1', since_ts: '0', until_ts: String(clock.now() + 1), ban: 'global' }],
    ] as const) {
      assert.equal((await rawConsole(t.url, 'POST', BASE + p, { cookie, form: { csrf, ...form } })).status, 403, `${p} ${JSON.stringify(form)}`);
    }
    assert.deepEqual(await heldIds('other'), [held.id], 'the other room is untouched');
    assert.equal((await raid('other')).raid, true);
    assert.equal((await t.s.store.listBans()).some((b) => b.sessionId === held.c.sessionId), false);
    // Their own room: the lockdown switch works, a global ban is not offered.
    await page.goto(`${t.url}${BASE}room/main/raid`);
    assert.equal(await page.locator('h1').textContent(), 'Raid defences of main', await page.locator('main').textContent() ?? '');
    assert.deepEqual(await page.locator('#cleanup select[name=ban] option').evaluateAll((o) => o.map((x) => x.getAttribute('value'))), ['room', 'none']);
    await page.locator('button', { hasText: 'Lock down' }).click();
    await page.waitForSelector('text=Raid mode on');
    assert.equal((await raid()).raid, true);
    assert.equal((await rawConsole(t.url, 'POST', `${BASE}room/main/raid/mode`, { cookie, form: { on: '0' } })).status, 403, 'no CSRF token');
    assert.equal((await raid()).raid, true);
    assert.equal((await rawConsole(t.url, 'POST', `${BASE}room/main/raid/mode`, { cookie, form: { csrf, on: '0' } })).status, 303);
    assert.equal((await raid()).raid, false);
    // A detected raid can be kept as a lockdown (it would end by itself).
    await t.s.store.setRoomLimits((await t.s.store.getRoom('main'))!.id, { raidSince: clock.now(), raidAuto: true });
    await page.reload();
    assert.match((await page.locator('.raid-state').first().textContent())!, /automatic/);
    await page.locator('button', { hasText: 'Keep locked down' }).click();
    await page.waitForSelector('text=Raid mode on');
    assert.deepEqual([(await raid()).raid, (await raid()).automatic], [true, false]);
    assert.equal(await page.locator('button', { hasText: 'Keep locked down' }).count(), 0);
    assert.equal((await t.s.store.auditLog({ action: 'room.raid_mode', actor: mod.sessionId, limit: 5 })).length, 3);
    assert.deepEqual(page.problems, []);
    await context.close();
  });
});
