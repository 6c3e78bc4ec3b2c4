// Security headers: added by the HTTP listener to API JSON, error text and binary
// replies; the web pages keep their own CSP; batch sub-responses stay minimal; HSTS only over TLS
// (or with hsts=on behind a proxy).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { joinUrl } from '../src/app';
import { API_CSP, HSTS, hstsEnabled, withSecurityHeaders } from '../src/ops/headers';
import { CSP as WEB_CSP } from '../src/web/routes';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';

function assertBase(h: Headers): void {
  assert.equal(h.get('x-content-type-options'), 'nosniff');
  assert.equal(h.get('referrer-policy'), 'no-referrer');
  assert.equal(h.get('x-frame-options'), 'DENY');
  assert.match(h.get('permissions-policy') ?? '', /camera=\(\)/);
}

describe('security headers over plain HTTP', () => {
  let t: TestServer;
  before(async () => (t = await startTestServer()));
  after(() => t.close());

  test('API JSON replies get the base headers and the API CSP, no HSTS', async () => {
    const r = await fetch(`${t.url}/capabilities`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assertBase(r.headers);
    assert.equal(r.headers.get('content-security-policy'), API_CSP);
    assert.equal(r.headers.get('strict-transport-security'), null);
  });

  test('plain-text errors get them too', async () => {
    const r = await fetch(`${t.url}/room/nope`);
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assertBase(r.headers);
    assert.equal(r.headers.get('content-security-policy'), API_CSP);
    const r2 = await fetch(`${t.url}/batch`);
    assert.equal(r2.status, 405);
    assert.equal(r2.headers.get('content-security-policy'), API_CSP);
  });

  test('web pages keep their own CSP', async () => {
    const r = await fetch(`${t.url}/main`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(r.headers.get('content-security-policy'), WEB_CSP);
    assertBase(r.headers);
  });

  test('batch sub-responses carry no security headers', async () => {
    const r = await fetch(`${t.url}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ method: 'GET', path: '/capabilities' }, { method: 'GET', path: '/room/nope' }]),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-security-policy'), API_CSP);
    const subs = (await r.json()) as { code: number; headers: Record<string, string> }[];
    assert.equal(subs.length, 2);
    for (const s of subs) assert.deepEqual(Object.keys(s.headers), ['content-type']);
  });

  test('/healthz and /metrics are not room pages inside a batch', async () => {
    const r = await fetch(`${t.url}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ method: 'GET', path: '/healthz' }, { method: 'GET', path: '/metrics' }]),
    });
    const subs = (await r.json()) as { code: number }[];
    assert.deepEqual(subs.map((s) => s.code), [404, 404]);
  });
});

describe('HSTS', () => {
  test('option logic: auto follows tls, on and off force it', () => {
    assert.equal(hstsEnabled({ hsts: 'auto', tls: false }), false);
    assert.equal(hstsEnabled({ hsts: 'auto', tls: true }), true);
    assert.equal(hstsEnabled({ hsts: 'on', tls: false }), true);
    assert.equal(hstsEnabled({ hsts: 'off', tls: true }), false);
    assert.equal(withSecurityHeaders({ 'content-security-policy': 'x' }, { hsts: null })['content-security-policy'], 'x');
  });

  test('hsts=on (HTTPS proxy in front) sends it over plain HTTP', async () => {
    const t = await startTestServer({ hsts: 'on' });
    try {
      const r = await fetch(`${t.url}/capabilities`);
      assert.equal(r.headers.get('strict-transport-security'), HSTS);
    } finally {
      await t.close();
    }
  });

  test('native TLS: HTTPS with TLS 1.2+, HSTS on every reply, https join URLs', async () => {
    const dataDir = tempDataDir();
    fs.mkdirSync(path.join(dataDir, 'tls'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', path.join(dataDir, 'tls', 'key.pem'), '-out', path.join(dataDir, 'tls', 'cert.pem'),
    ], { stdio: 'ignore' });
    const t = await startTestServer({ tls: true }, { dataDir });
    try {
      const get = (p: string, extra: https.RequestOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; proto: string }> =>
        new Promise((resolve, reject) => {
          const req = https.get({ host: '127.0.0.1', port: t.port, path: p, rejectUnauthorized: false, ...extra }, (res) => {
            res.resume();
            const proto = (res.socket as import('node:tls').TLSSocket).getProtocol() ?? '';
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, proto }));
          });
          req.on('error', reject);
        });
      const api = await get('/capabilities');
      assert.equal(api.status, 200);
      assert.equal(api.headers['strict-transport-security'], HSTS);
      assert.equal(api.headers['content-security-policy'], API_CSP);
      assert.match(api.proto, /^TLSv1\.[23]$/);
      const page = await get('/main');
      assert.equal(page.headers['strict-transport-security'], HSTS);
      assert.equal(page.headers['content-security-policy'], WEB_CSP);
      assert.match(joinUrl(t.config, t.s.keys, 'main'), /^https:\/\/127\.0\.0\.1:0\/main\?public_key=/);
      // TLS 1.1 and older are refused.
      await assert.rejects(get('/capabilities', { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }));
    } finally {
      await t.close();
    }
  });
});
