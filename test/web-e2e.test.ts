// The web pages in a real headless Chromium (the system's, else the npm one: helpers/chromium.ts;
// driven by playwright-core):
// the index and a room page as a person sees them, the copy button, the QR code decoded back to
// the join URL, no console errors and no CSP violations, with and without JavaScript. Screenshots
// are written to test-artifacts/ (git-ignored). If Chromium cannot be launched this test fails; it
// is skipped, saying why, only where there is no Chromium at all.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { uploadFileId } from '../client/files';
import { encodeSessionMessage } from '../client/protobuf';
import type { SogsClient } from '../client';
import { joinUrl } from '../src/app';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { chromiumExecutable, locateChromium } from './helpers/chromium';
import { startTestServer, type TestServer } from './helpers/server';

const CHROMIUM = locateChromium();
const ARTIFACTS = path.resolve('test-artifacts');

let t: TestServer;
let context: BrowserContext;
let profileDir: string;
let join: string;

/** Everything that went wrong on a page: console errors, uncaught errors, CSP violations, failed loads. */
interface PageProblems {
  problems: string[];
}

async function openPage(opts: { javascript?: boolean; width?: number; height?: number } = {}): Promise<Page & PageProblems> {
  const page = (await context.newPage()) as Page & PageProblems;
  page.problems = [];
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') page.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  // Reported through the console, which is collected above.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', function (e) {
    console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI);
  });`);
  if (opts.javascript === false) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  }
  await page.setViewportSize({ width: opts.width ?? 1024, height: opts.height ?? 800 });
  return page;
}

function decodeQr(png: Buffer): string | null {
  const img = PNG.sync.read(png);
  const code = jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height);
  return code ? code.data : null;
}

async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`# screenshot: ${file}`);
  return file;
}

async function post(c: SogsClient, body: string | undefined, displayName: string, extra: Record<string, unknown> = {}, attachments?: { id: number; contentType: string; fileName: string; size: number }[]): Promise<number> {
  const r = await c.postMessage('main', encodeSessionMessage({ body, displayName, attachments }), extra);
  assert.equal(r.status, 201, r.text());
  return r.json<{ id: number }>().id;
}

before(async () => {
  if (!CHROMIUM.source) return; // skipped below
  t = await startTestServer({ rateLimitPosts: 0 });
  t.s.config.baseUrl = t.url; // the join URL names the server's real (random) port
  join = joinUrl(t.s.config, t.s.keys, 'main');
  await t.s.store.createRoom({ token: 'hidden', name: 'Hidden room', now: t.clock.now() });
  const hidden = (await t.s.store.getRoom('hidden'))!;
  await t.s.store.updateRoom(hidden.id, { read: false, accessible: false }, t.clock.now(), null);

  const alice = t.client();
  const bob = t.client();
  const mod = t.client();
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: true, visible: true });
  // A room image (uploaded and set as a Session client's admin would) and a description with markup.
  const icon = new PNG({ width: 64, height: 64 });
  for (let i = 0; i < icon.data.length; i += 4) icon.data.set([0x0a, 0x6b, 0x45, 0xff], i);
  const image = await uploadFileId(mod, 'main', PNG.sync.write(icon), 'icon.png');
  const put = await mod.put('/room/main', { image, description: 'A place <b>to talk</b>' });
  assert.equal(put.status, 200, put.text());
  await post(alice, 'Hello from Alice 👋\nSecond line', 'Alice');
  await post(bob, '<script>window.__pwned = 1</script><b>not bold</b> & "quoted"', '<i>Bob</i>');
  const gone = await post(alice, 'This message was deleted', 'Alice');
  assert.equal((await alice.delete(`/room/main/message/${gone}`)).status, 200);
  await post(mod, 'Whisper for moderators only', 'Mod', { whisper_mods: true });
  await post(bob, 'Look at this', 'Bob', {}, [{ id: 1, contentType: 'image/jpeg', fileName: 'cat.jpg', size: 12345 }]);

  const executable = await chromiumExecutable(CHROMIUM.source);
  console.log(`# chromium: ${executable}`);
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-chromium-'));
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: executable,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      permissions: ['clipboard-read', 'clipboard-write'],
      timeout: 60_000,
    });
  } catch (e) {
    throw new Error(
      `Cannot launch headless Chromium from ${executable} (${CHROMIUM.source.kind === 'npm' ? '@sparticuz/chromium' : CHROMIUM.source.from}): ${(e as Error).message}`,
    );
  }
});

after(async () => {
  await context?.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  await t?.close();
});

describe('web pages in Chromium', { skip: !CHROMIUM.source && CHROMIUM.none }, () => {
  it('index lists the public rooms and links to the room page', async () => {
    const page = await openPage();
    const res = await page.goto(t.url + '/');
    assert.equal(res?.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Communities on this server');
    const links = page.locator('ul.rooms h2 a');
    assert.deepEqual(await links.allTextContents(), ['Main']);
    assert.equal(await page.locator('ul.rooms .description').textContent(), 'A place <b>to talk</b>');
    assert.equal(await page.locator('ul.rooms img').evaluate((el: { naturalWidth: number }) => el.naturalWidth), 64, 'room image loads');
    assert.equal(await page.locator('body').textContent().then((s) => s!.includes('Hidden room')), false);
    await screenshot(page, 'web-index.png');
    await links.first().click();
    await page.waitForURL(/\/r\/main\/$/);
    assert.equal(await page.locator('h1').textContent(), 'Main');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('room page shows the join URL, recent messages as text, and copies the link', async () => {
    const page = await openPage();
    const res = await page.goto(join); // the shared link itself
    assert.equal(res?.status(), 200);
    assert.equal(await page.title(), 'Main · Session Community');
    assert.equal(await page.locator('h1').textContent(), 'Main');
    assert.equal(await page.locator('#join-url').textContent(), join);
    assert.equal(await page.locator('.room-head img').evaluate((el: { naturalWidth: number }) => el.naturalWidth), 64, 'room image loads');

    const items = page.locator('ol.messages > li');
    assert.equal(await items.count(), 3);
    assert.deepEqual(await page.locator('ol.messages .name').allTextContents(), ['Alice', '<i>Bob</i>', 'Bob']);
    const bodies = await page.locator('ol.messages .body').allInnerTexts();
    assert.deepEqual(bodies, ['Hello from Alice 👋\nSecond line', '<script>window.__pwned = 1</script><b>not bold</b> & "quoted"', 'Look at this']);
    assert.equal(await page.locator('ol.messages b, ol.messages i, ol.messages script').count(), 0);
    assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
    const text = (await page.locator('main').textContent())!;
    assert.equal(text.includes('This message was deleted'), false);
    assert.equal(text.includes('Whisper for moderators only'), false);
    assert.match(await items.nth(2).locator('.attachments').textContent() ?? '', /Image attachment: cat\.jpg \(image\/jpeg, 12 KB\), not shown here/);

    const button = page.locator('#copy-button');
    assert.equal(await button.isVisible(), true, 'the script shows the copy button');
    await button.click();
    await page.locator('#copy-button', { hasText: 'Copied!' }).waitFor(); // (waitForFunction would need eval, which our CSP forbids)
    assert.equal(await page.locator('#copy-status').textContent(), 'Link copied to the clipboard.');
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), join);

    // The QR code as displayed on the page, and the PNG as served, both decode to the join URL.
    const img = page.locator('figure.qr img');
    assert.equal(await img.evaluate((el: { complete: boolean; naturalWidth: number }) => el.complete && el.naturalWidth), 512);
    assert.equal(decodeQr(await img.screenshot()), join);
    const png = await page.request.get(t.url + '/r/main/invite.png');
    assert.equal(png.headers()['content-type'], 'image/png');
    assert.equal(decodeQr(await png.body()), join);

    await screenshot(page, 'web-room.png');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('works on a phone-sized screen and without JavaScript', async () => {
    const page = await openPage({ javascript: false, width: 360, height: 740 });
    assert.equal((await page.goto(t.url + '/r/main'))?.status(), 200);
    assert.equal(await page.locator('#join-url').textContent(), join);
    assert.equal(await page.locator('#copy-button').isVisible(), false, 'no dead button without JavaScript');
    assert.equal(await page.locator('ol.messages > li').count(), 3);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    assert.equal(decodeQr(await page.locator('figure.qr img').screenshot()), join);
    await screenshot(page, 'web-room-phone.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'web-room-phone-dark.png');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  it('a private or unknown room shows a not-found page and nothing of the room', async () => {
    for (const p of ['/hidden?public_key=' + t.s.keys.publicKeyHex, '/r/nosuchroom/']) {
      const page = await openPage();
      const res = await page.goto(t.url + p);
      assert.equal(res?.status(), 404);
      assert.equal(await page.locator('h1').textContent(), 'Community not found');
      assert.equal((await page.content()).includes('Hidden room'), false);
      // The only problem is the page's own 404 status; its stylesheet and icon loaded fine.
      assert.deepEqual(page.problems.filter((x) => !x.startsWith('HTTP 404 for ' + t.url + p) && !x.includes('404 (Not Found)')), []);
      await page.close();
    }
  });
});
