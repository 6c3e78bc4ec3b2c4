// Native TLS hardening (the seed's audit list): the opt-in plain-HTTP redirect listener (and the
// API's plain port never redirecting), HSTS preload, refused client-initiated renegotiation,
// Cross-Origin-Embedder-Policy on the web pages, and the start-up warning for a self-signed
// certificate (service nodes verify certificates, so onion clients cannot use such a server).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { ConfigError, defaultConfig, validate } from '../src/config';
import { HSTS, HSTS_PRELOAD, hstsHeader } from '../src/ops/headers';
import { isSelfSigned, redirectTarget } from '../src/ops/tls';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { freePort } from '../scripts/free-port';

const root = path.join(__dirname, '..', '..');

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A self-signed certificate for localhost in DIR/tls/{cert,key}.pem (the tlsCert/tlsKey defaults). */
function selfSigned(dataDir: string): string {
  fs.mkdirSync(path.join(dataDir, 'tls'), { recursive: true });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', path.join(dataDir, 'tls', 'key.pem'), '-out', path.join(dataDir, 'tls', 'cert.pem'));
  return path.join(dataDir, 'tls', 'cert.pem');
}

/** A raw plain-HTTP request (fetch follows redirects and forbids setting Host). */
function plain(port: number, method: string, target: string, host?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = host === undefined ? {} : { host };
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, setHost: host === undefined ? false : true }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{"a":1}' : undefined);
  });
}

/** The status of a GET over TLS (the test certificate is self-signed, which fetch refuses). */
function tlsGet(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      // Not end(): a client that half-closes before its answer has its request aborted by node.
      sock.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    let out = '';
    sock.on('data', (c: Buffer) => (out += c.toString('latin1')));
    sock.on('end', () => resolve(Number(out.split(' ')[1])));
    sock.on('error', reject);
  });
}

describe('plain-HTTP redirect listener (httpRedirectPort)', () => {
  let t: TestServer;
  let redirectPort: number;
  before(async () => {
    const dataDir = tempDataDir();
    selfSigned(dataDir);
    redirectPort = await freePort();
    t = await startTestServer({ tls: true, httpRedirectPort: redirectPort }, { dataDir });
  });
  after(() => t.close());

  test('GET/HEAD get 301 and other methods 308 to https:// on the same host, path and query', async () => {
    const get = await plain(redirectPort, 'GET', '/main?public_key=ab', 'sogs.example.org');
    assert.equal(get.status, 301);
    assert.equal(get.headers['location'], `https://sogs.example.org:${t.port}/main?public_key=ab`);
    assert.equal(get.headers['x-content-type-options'], 'nosniff');
    assert.equal(get.headers['strict-transport-security'], undefined, 'HSTS over plain HTTP is meaningless');
    const head = await plain(redirectPort, 'HEAD', '/', 'sogs.example.org:80');
    assert.equal(head.status, 301);
    assert.equal(head.headers['location'], `https://sogs.example.org:${t.port}/`);
    const post = await plain(redirectPort, 'POST', '/batch', '[2001:db8::1]:80');
    assert.equal(post.status, 308, 'keeps method and body');
    assert.equal(post.headers['location'], `https://[2001:db8::1]:${t.port}/batch`);
  });

  test('no Host header: 400, nothing served', async () => {
    const r = await plain(redirectPort, 'GET', '/capabilities');
    assert.equal(r.status, 400);
    assert.equal(r.headers['location'], undefined);
    assert.doesNotMatch(r.body, /capabilities/);
  });

  test('the TLS port itself still serves the API', async () => {
    const caps = await tlsGet(t.port, '/capabilities');
    assert.equal(caps, 200);
  });

  test('target: an https:// baseUrl gives the origin (a proxy or port mapping in front); port 443 is left out', () => {
    assert.equal(redirectTarget('https://sogs.example.org/', 8443, 'evil.example', '/r/main?x=1'), 'https://sogs.example.org/r/main?x=1');
    assert.equal(redirectTarget('', 443, 'sogs.example.org:8080', '/x'), 'https://sogs.example.org/x');
    assert.equal(redirectTarget('http://sogs.example.org:9999', 443, 'a.example', '/'), 'https://a.example/');
    assert.equal(redirectTarget('', 443, 'bad host/x', '/'), null);
    assert.equal(redirectTarget('', 443, undefined, '/'), null);
  });

  test('never on the API port: needs tls, and a port of its own', async () => {
    const c = defaultConfig();
    assert.throws(() => validate({ ...c, httpRedirectPort: 8080 }), (e: unknown) => e instanceof ConfigError && /needs tls/.test(e.message));
    assert.throws(() => validate({ ...c, tls: true, port: 8443, httpRedirectPort: 8443 }), /must differ/);
    assert.throws(() => validate({ ...c, tls: true, httpRedirectPort: 70000 }), /out of range/);
    validate({ ...c, tls: true, port: 443, httpRedirectPort: 80 });
    // Without tls the API port answers plain HTTP itself (old http:// join links use it).
    const p = await startTestServer();
    try {
      const r = await plain(p.port, 'GET', '/capabilities', 'sogs.example.org');
      assert.equal(r.status, 200);
      assert.match(r.body, /"capabilities"/);
    } finally {
      await p.close();
    }
  });
});

describe('HSTS preload', () => {
  test('opt-in: the header gains `; preload` only with hstsPreload', async () => {
    assert.equal(hstsHeader({ hsts: 'auto', tls: true, hstsPreload: false }), HSTS);
    assert.equal(hstsHeader({ hsts: 'auto', tls: true, hstsPreload: true }), HSTS_PRELOAD);
    assert.equal(hstsHeader({ hsts: 'off', tls: true, hstsPreload: true }), null);
    assert.equal(HSTS_PRELOAD, 'max-age=63072000; includeSubDomains; preload');
    assert.equal(defaultConfig().hstsPreload, false);
    const t = await startTestServer({ hsts: 'on', hstsPreload: true });
    try {
      assert.equal((await fetch(`${t.url}/capabilities`)).headers.get('strict-transport-security'), HSTS_PRELOAD);
      assert.equal((await fetch(`${t.url}/main`)).headers.get('strict-transport-security'), HSTS_PRELOAD);
    } finally {
      await t.close();
    }
  });
});

describe('TLS renegotiation', () => {
  test('a client-initiated renegotiation is refused and the connection dropped', async () => {
    const dataDir = tempDataDir();
    selfSigned(dataDir);
    const t = await startTestServer({ tls: true }, { dataDir });
    try {
      // TLS 1.3 has no renegotiation at all; 1.2 (still accepted) does.
      const sock = tls.connect({ host: '127.0.0.1', port: t.port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
      await new Promise<void>((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject));
      let received = '';
      sock.on('data', (c: Buffer) => (received += c.toString('latin1')));
      sock.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
      // Node allows 3 renegotiations per 10 minutes by default: the request after it would get its
      // 200. Refused, the server drops the connection (with a 400 from node's clientError).
      sock.renegotiate({ rejectUnauthorized: false }, () => {
        if (!sock.destroyed) sock.write('GET /capabilities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      await closed;
      assert.doesNotMatch(received, /^HTTP\/1\.1 200/);
      assert.doesNotMatch(received, /capabilities/);
      // The server itself is fine: a new connection works.
      assert.equal(await tlsGet(t.port, '/capabilities'), 200);
    } finally {
      await t.close();
    }
  });
});

describe('Cross-Origin-Embedder-Policy', () => {
  test('web pages and their QR image carry require-corp (same-origin resources load unchanged); the API does not', async () => {
    const t = await startTestServer();
    try {
      const page = await fetch(`${t.url}/main`);
      assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
      const html = await page.text();
      // Every subresource of the page is same-origin (a relative URL), which require-corp allows.
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((u) => !u.startsWith('#'));
      assert.ok(refs.some((u) => u.endsWith('invite.png')), html);
      for (const u of refs) if (!/^(https?|sms|mailto):/.test(u)) assert.match(u, /^\//, u);
      const qr = await fetch(`${t.url}/r/main/invite.png`);
      assert.equal(qr.status, 200);
      assert.equal(qr.headers.get('cross-origin-resource-policy'), 'same-origin');
      assert.equal((await fetch(`${t.url}/capabilities`)).headers.get('cross-origin-embedder-policy'), null);
    } finally {
      await t.close();
    }
  });
});

describe('self-signed certificate', () => {
  test('detected: self-signed vs issued by a CA', () => {
    const dir = tempDataDir();
    try {
      const own = selfSigned(dir);
      assert.equal(isSelfSigned(fs.readFileSync(own)), true);
      const p = (f: string): string => path.join(dir, f);
      openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=Test CA', '-keyout', p('ca.key'), '-out', p('ca.pem'));
      openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=sogs.example.org', '-keyout', p('leaf.key'), '-out', p('leaf.csr'));
      openssl('x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-out', p('leaf.pem'));
      assert.equal(isSelfSigned(fs.readFileSync(p('leaf.pem'))), false);
      // A chain file (leaf first, then the CA) is judged by its leaf.
      assert.equal(isSelfSigned(Buffer.concat([fs.readFileSync(p('leaf.pem')), fs.readFileSync(p('ca.pem'))])), false);
      // Same subject and issuer names but signed by another key: not self-signed.
      openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=Test CA', '-keyout', p('twin.key'), '-out', p('twin.csr'));
      openssl('x509', '-req', '-in', p('twin.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-out', p('twin.pem'));
      assert.equal(isSelfSigned(fs.readFileSync(p('twin.pem'))), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('`sogs` with tls on a self-signed certificate warns at start; the redirect listener runs', { timeout: 30_000 }, async () => {
    const dataDir = tempDataDir();
    selfSigned(dataDir);
    const [port, redirectPort] = [await freePort(), await freePort()];
    const env = { ...process.env, SOGS_DATA_DIR: dataDir, SOGS_HOST: '127.0.0.1', SOGS_PORT: String(port), SOGS_TLS: 'on', SOGS_HTTP_REDIRECT_PORT: String(redirectPort), SOGS_LOG_LEVEL: 'info' };
    const proc = spawn(process.execPath, [path.join(root, 'bin', 'sogs.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    try {
      const deadline = Date.now() + 20_000;
      while (!/https:\/\/.*\/main\?public_key=/.test(out) || !/plain HTTP redirects/.test(out)) {
        assert.ok(Date.now() < deadline && proc.exitCode === null, `no start; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(out, /self-signed.*service nodes verify certificates/);
      const r = await plain(redirectPort, 'GET', '/main', 'localhost');
      assert.equal(r.status, 301);
      assert.equal(r.headers['location'], `https://localhost:${port}/main`);
    } finally {
      proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
