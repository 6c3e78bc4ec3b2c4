// Security headers added by the HTTP listener at send time (never inside onion or batch replies,
// whose inner headers stay minimal). Headers a response already carries win: the web pages set
// their own Content-Security-Policy that lets their stylesheet, script and images load.
import type { Config } from '../config';

/** `default-src 'none'` suits JSON, text and binary API replies: nothing in them may load or run. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
export const HSTS = 'max-age=63072000; includeSubDomains';
/** With hstsPreload: asks browsers' preload lists (hstspreload.org) to include the domain. */
export const HSTS_PRELOAD = `${HSTS}; preload`;

const BASE: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'permissions-policy': 'accelerometer=(), camera=(), geolocation=(), gyroscope=(), microphone=(), payment=(), usb=(), interest-cohort=()',
};

export function hstsEnabled(config: Pick<Config, 'hsts' | 'tls'>): boolean {
  return config.hsts === 'on' || (config.hsts === 'auto' && config.tls);
}

/** The Strict-Transport-Security value this server sends, or null when it sends none. */
export function hstsHeader(config: Pick<Config, 'hsts' | 'tls' | 'hstsPreload'>): string | null {
  if (!hstsEnabled(config)) return null;
  return config.hstsPreload ? HSTS_PRELOAD : HSTS;
}

// Nearly every reply carries a content type and nothing else: its merged headers are made once.
const byContentType = new Map<string, Readonly<Record<string, string>>>();

/** The response's headers plus the security headers it does not set itself (not to be modified). */
export function withSecurityHeaders(headers: Record<string, string>, opts: { hsts: string | null }): Readonly<Record<string, string>> {
  const keys = Object.keys(headers);
  if (keys.length !== 1 || keys[0] !== 'content-type') return merge(headers, opts);
  const key = `${opts.hsts ?? ''}\n${headers['content-type']}`;
  let merged = byContentType.get(key);
  if (merged === undefined) {
    merged = Object.freeze(merge(headers, opts));
    // Content types are the server's own few, but stay bounded whatever a route sets.
    if (byContentType.size < 64) byContentType.set(key, merged);
  }
  return merged;
}

function merge(headers: Record<string, string>, opts: { hsts: string | null }): Record<string, string> {
  const out: Record<string, string> = { ...BASE };
  if (!('content-security-policy' in headers)) out['content-security-policy'] = API_CSP;
  if (opts.hsts !== null) out['strict-transport-security'] = opts.hsts;
  return { ...out, ...headers };
}
