// The console's HTTP pieces: its responses (HTML under a strict CSP, redirects), its session
// cookie, and reading its forms. Forms are small URL-encoded POST bodies, admitted and read by the
// listener within maxJsonBodyBytes like any other route's.
import { CONSOLE_COOKIE } from '../../api/body-limits';
import type { ApiRequest, ApiResponse } from '../../api/types';
import type { Config } from '../../config';
import { CT_HTML, WEB_HEADERS } from '../routes';
import type { SafeHtml } from '../html';

export const COOKIE = CONSOLE_COOKIE;

/** As the public pages', but forms may post to the console itself. */
export const CONSOLE_CSP =
  "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// same-origin rather than the public pages' no-referrer: with no-referrer a browser sends
// `Origin: null` with the console's own forms, which crossSite() could not tell from a forged one.
// The console links nowhere else, and a sign-in link's token is in its fragment, never a referrer.
const HEADERS: Readonly<Record<string, string>> = { ...WEB_HEADERS, 'content-security-policy': CONSOLE_CSP, 'cache-control': 'no-store', 'referrer-policy': 'same-origin' };

export function page(status: number, body: SafeHtml, extra: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': CT_HTML, ...HEADERS, ...extra }, body: Buffer.from(body.value, 'utf8') };
}

/** 303 See Other: after a form, the browser loads `location` with GET. */
export function redirect(location: string, extra: Record<string, string> = {}): ApiResponse {
  return { status: 303, headers: { 'content-type': 'text/plain; charset=utf-8', ...HEADERS, location, ...extra }, body: Buffer.from('See other', 'utf8') };
}

/** Secure over TLS: the server's own, a public https:// URL, HSTS forced on, or a proxy saying so. */
function secure(config: Config, req: ApiRequest): boolean {
  return config.tls || config.baseUrl.startsWith('https://') || config.hsts === 'on' || req.headers['x-forwarded-proto'] === 'https';
}

/** The session cookie: HttpOnly, SameSite=Strict, limited to the console's path; maxAge 0 removes it. */
export function sessionCookie(config: Config, req: ApiRequest, token: string, maxAge: number): string {
  return `${COOKIE}=${token}; Path=${config.consolePath}; Max-Age=${Math.max(0, Math.floor(maxAge))}; HttpOnly; SameSite=Strict${secure(config, req) ? '; Secure' : ''}`;
}

/** The session token from the Cookie header, or null. */
export function cookieToken(req: ApiRequest): string | null {
  const header = req.headers['cookie'];
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) {
      const v = part.slice(i + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : null;
    }
  }
  return null;
}

/**
 * A POST from another site: its Origin (sent by browsers with every POST) names neither the
 * request's host nor baseUrl's (a proxy may rewrite Host). Defence in depth beside
 * SameSite=Strict and the CSRF token; a request without Origin is left to those, and `Origin:
 * null` (a page that hides its origin) is refused.
 */
export function crossSite(config: Config, req: ApiRequest): boolean {
  const origin = req.headers['origin'];
  if (origin === undefined) return false;
  try {
    const host = new URL(origin).host;
    return host !== req.headers['host'] && (config.baseUrl === '' || host !== new URL(config.baseUrl).host);
  } catch {
    return true;
  }
}

/** A URL-encoded form body (anything else reads as an empty form, which then fails its checks). */
export function readForm(req: ApiRequest): URLSearchParams {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return new URLSearchParams();
  return new URLSearchParams(req.body.toString('utf8'));
}
