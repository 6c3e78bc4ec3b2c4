// What the console's browser tests share: one headless Chromium, pages that fail the test on
// console errors and CSP violations, screenshots in test-artifacts/console/ (git-ignored), the
// session cookie (checked for its flags), and raw requests with or without it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumExecutable, type ChromiumSource } from './chromium';

export const CONSOLE_ARTIFACTS = path.resolve('test-artifacts', 'console');

export async function launchChromium(source: ChromiumSource): Promise<Browser> {
  const executable = await chromiumExecutable(source);
  return chromium.launch({ executablePath: executable, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 60_000 });
}

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(CONSOLE_ARTIFACTS, name), fullPage: true });
}

export type CheckedPage = Page & { problems: string[] };

/** A page that collects console errors and CSP violations in `problems`. */
export async function openPage(context: BrowserContext): Promise<CheckedPage> {
  const page = (await context.newPage()) as CheckedPage;
  page.problems = [];
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(m.text());
  });
  page.on('pageerror', (e) => page.problems.push(e.message));
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', function (e) { console.error('CSP violation: ' + e.violatedDirective); });`);
  return page;
}

/** The console's session cookie, checked: HttpOnly, SameSite=Strict, limited to `base`. */
export async function sessionCookieOf(context: BrowserContext, base: string): Promise<string> {
  const c = (await context.cookies()).find((x) => x.name === 'sogs_console');
  assert.ok(c, 'no session cookie');
  assert.equal(c.httpOnly, true);
  assert.equal(c.sameSite, 'Strict');
  assert.equal(c.path, base);
  return c.value;
}

/** A raw request to the server at `url` with a console cookie (or none) and a form (or none). */
export function rawConsole(url: string, method: string, p: string, opts: { cookie?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers['cookie'] = `sogs_console=${opts.cookie}`;
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  return fetch(url + p, { method, headers, body: opts.form ? new URLSearchParams(opts.form).toString() : undefined, redirect: 'manual' });
}
