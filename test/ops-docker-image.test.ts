// The image built and run by a real Docker engine (opt-in: SOGS_TEST_DOCKER=1, since building it
// takes minutes; the static checks of test/ops-docker.test.ts always run). Without access to Docker
// Hub the base images are made by scripts/docker-local-base.sh (root, debootstrap). The container
// runs with the compose file's hardening (no capability but the entrypoint's four,
// no-new-privileges, read-only root): it serves /capabilities on a named volume, `docker exec ...
// sogs --print-url` prints the join URL the server logged (without SOGS_BASE_URL: the container's
// address and the image's SOGS_PUBLIC_PORT 9999, with a warning; with it: that URL, no warning),
// the seed's `-v ...:/session-open-group-server/target/release/data` is the data folder, and a
// PySOGS folder whose files are mode 600 and owned by another uid imports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDataDir } from './helpers/server';
import { fixturePath } from './helpers/fixtures';

const root = path.join(__dirname, '..', '..');
const PYSOGS_FIXTURE = fixturePath('pysogs');
const SEED_DATA = '/session-open-group-server/target/release/data';
/** The hardening of docker-compose.yml's service `sogs`, as `docker run` flags. */
const HARDENED = [
  '--cap-drop', 'ALL', '--cap-add', 'CHOWN', '--cap-add', 'DAC_READ_SEARCH', '--cap-add', 'SETUID', '--cap-add', 'SETGID',
  '--security-opt', 'no-new-privileges:true', '--read-only', '--tmpfs', '/tmp:size=64m,mode=1777',
  '--sysctl', 'net.ipv4.ip_unprivileged_port_start=0',
];

function docker(args: string[], timeoutMs = 60_000): { status: number | null; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function ok(args: string[], timeoutMs?: number): string {
  const r = docker(args, timeoutMs);
  assert.equal(r.status, 0, `docker ${args.join(' ')}:\n${r.out}`);
  return r.out;
}

/** Why the engine test cannot run here, or null when it can. */
function skipReason(): string | null {
  if (process.env['SOGS_TEST_DOCKER'] !== '1') return 'opt-in: set SOGS_TEST_DOCKER=1 (building the image takes minutes)';
  const info = docker(['info', '--format', '{{.ServerVersion}}'], 15_000);
  if (info.status !== 0) return `no Docker engine reachable (docker info: ${info.out.trim().split('\n')[0] ?? 'no output'})`;
  return null;
}

const reason = skipReason();
const tag = `sogs-test-${process.pid}`;
const names: { containers: string[]; volumes: string[] } = { containers: [], volumes: [] };

async function until<T>(what: string, fn: () => T | null | Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts a detached container of the test image; returns its name and host port for 80. */
function run(extra: string[], args: string[] = []): { name: string; port: number } {
  const name = `${tag}-${crypto.randomBytes(3).toString('hex')}`;
  names.containers.push(name);
  ok(['run', '-d', '--name', name, ...HARDENED, '-p', '127.0.0.1::80', ...extra, tag, ...args]);
  const port = Number(/:(\d+)\s*$/m.exec(ok(['port', name, '80/tcp']))![1]);
  return { name, port };
}

/**
 * GET over plain node:http with a timeout, null on any error. (fetch is not used: to a published
 * port whose container is still starting, docker-proxy accepts and drops the connection, and
 * undici's promise was seen to stay pending with nothing left on the event loop.)
 */
function get(port: number, target: string): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

async function getJson(port: number, target: string): Promise<unknown> {
  return until(`GET ${target}`, async () => {
    const r = await get(port, target);
    return r?.status === 200 ? (JSON.parse(r.body) as unknown) : null;
  });
}

const capabilities = (port: number): Promise<unknown> => getJson(port, '/capabilities');

/** The join URLs of room `main` in a text (the server's start log or `sogs --print-url`). */
function mainJoinUrls(text: string): string[] {
  return [...text.matchAll(/^\s+(https?:\/\/\S+\/main\?public_key=[0-9a-f]{64})$/gm)].map((m) => m[1]!);
}

/**
 * The container's start log once the server has printed its join URLs (it does so just after it
 * starts listening, so /capabilities may answer first), with the one join URL of `main` in it.
 */
async function startLog(name: string): Promise<{ log: string; url: string }> {
  const log = await until(`the join URLs in ${name}'s log`, () => {
    const out = ok(['logs', name]);
    return mainJoinUrls(out).length > 0 ? out : null;
  });
  const urls = mainJoinUrls(log);
  assert.equal(urls.length, 1, log);
  return { log, url: urls[0]! };
}

/** `sogs --print-url` in the container: its one join URL of `main`. */
function printedUrl(name: string): string {
  const printed = ok(['exec', name, 'sogs', '--print-url']);
  const urls = mainJoinUrls(printed);
  assert.equal(urls.length, 1, printed);
  return urls[0]!;
}

const NO_BASE_URL_WARNING = /Warning: baseUrl is not set/;

describe('the image in a Docker engine', { skip: reason ?? false }, () => {
  before(() => {
    // Base images: the official ones when present (pulled earlier), else made locally.
    const official = docker(['image', 'inspect', 'node:22-bookworm', 'node:22-bookworm-slim']).status === 0;
    const buildArgs = official ? [] : ['--build-arg', 'NODE_IMAGE=sogs-local-base:build', '--build-arg', 'NODE_SLIM_IMAGE=sogs-local-base:slim'];
    if (!official) {
      const base = spawnSync(path.join(root, 'scripts', 'docker-local-base.sh'), { encoding: 'utf8', timeout: 900_000 });
      assert.equal(base.status, 0, `scripts/docker-local-base.sh:\n${base.stdout}${base.stderr}`);
    }
    ok(['build', '--network', 'host', ...buildArgs, '-t', tag, root], 1_800_000);
  }, { timeout: 2_700_000 });

  after(() => {
    for (const c of names.containers) docker(['rm', '-f', '-v', c]);
    for (const v of names.volumes) docker(['volume', 'rm', '-f', v]);
    docker(['rmi', '-f', tag]);
  });

  test('named volume: serves /capabilities as `node` with no capability; docker exec sogs --print-url', { timeout: 120_000 }, async () => {
    const volume = `${tag}-data`;
    names.volumes.push(volume);
    const c = run(['-v', `${volume}:/data`]);
    assert.deepEqual(await capabilities(c.port), { capabilities: ['blind', 'reactions', 'sogs'] });
    // No SOGS_BASE_URL: the URL is the container's own address with the published port 9999 (the
    // image's SOGS_PUBLIC_PORT, not the listening port 80), the log warns, and --print-url agrees.
    const ip = ok(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', c.name]).trim();
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const started = await startLog(c.name);
    const key = /public_key=([0-9a-f]{64})/.exec(started.url)?.[1];
    assert.equal(started.url, `http://${ip}:9999/main?public_key=${key}`, started.log);
    assert.match(started.log, NO_BASE_URL_WARNING);
    assert.ok(started.log.includes(`join links use http://${ip}:9999,`), started.log);
    assert.equal(printedUrl(c.name), started.url);
    assert.match(ok(['exec', c.name, 'sogs', '--add-room', 'lounge', 'The Lounge']), /Added room with ID: lounge/);
    const status = ok(['exec', c.name, 'cat', '/proc/1/status']);
    assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m, 'the server runs as node');
    assert.match(status, /^CapEff:\s+0+$/m, 'with no capability');
    assert.match(ok(['exec', c.name, 'stat', '-c', '%u %a', '/data/key_x25519']), /^1000 400$/m);
    // A new container on the same volume keeps the key (and so the join URLs).
    ok(['rm', '-f', '-v', c.name]);
    const again = run(['-v', `${volume}:/data`]);
    await capabilities(again.port);
    assert.equal(printedUrl(again.name), (await startLog(again.name)).url);
    assert.ok(printedUrl(again.name).includes(key!));
    const rooms = (await getJson(again.port, '/rooms')) as { token: string }[];
    assert.deepEqual(rooms.map((r) => r.token).sort(), ['lounge', 'main']);
    ok(['rm', '-f', '-v', again.name]);
    // With SOGS_BASE_URL (the README's docker run line) the log and --print-url show that URL, and
    // the start log has no warning.
    const base = 'http://203.0.113.7:9999';
    const set = run(['-v', `${volume}:/data`, '-e', `SOGS_BASE_URL=${base}`]);
    await capabilities(set.port);
    const setLog = await startLog(set.name);
    assert.equal(setLog.url, `${base}/main?public_key=${key}`, setLog.log);
    assert.doesNotMatch(setLog.log, NO_BASE_URL_WARNING);
    assert.equal(printedUrl(set.name), setLog.url);
  });

  test("the seed's -v path is the data folder; the seed's ./session-open-group-server works", { timeout: 120_000 }, async () => {
    const host = tempDataDir();
    try {
      const c = run(['-v', `${host}:${SEED_DATA}`]);
      await capabilities(c.port);
      assert.match(ok(['logs', c.name]), new RegExp(`data folder ${SEED_DATA}`));
      const key = fs.readFileSync(path.join(host, 'key_x25519'));
      assert.equal(key.length, 32, 'the key is in the mounted host folder');
      assert.equal(fs.statSync(path.join(host, 'sogs.db')).uid, 1000);
      const printed = ok(['exec', c.name, 'sh', '-c', 'cd /session-open-group-server/target/release && ./session-open-group-server --print-url']);
      assert.match(printed, /public_key=[0-9a-f]{64}/);
      ok(['rm', '-f', '-v', c.name]);
      // A legacy server's folder at the same path is refused, untouched.
      const legacy = tempDataDir();
      fs.writeFileSync(path.join(legacy, 'database.db'), '');
      const r = docker(['run', '--rm', '-v', `${legacy}:${SEED_DATA}`, tag]);
      assert.equal(r.status, 1);
      assert.match(r.out, /legacy server's data.*--import-legacy/s);
      assert.deepEqual(fs.readdirSync(legacy), ['database.db']);
      fs.rmSync(legacy, { recursive: true, force: true });
    } finally {
      fs.rmSync(host, { recursive: true, force: true });
    }
  });

  test('README import of a PySOGS folder with mode-600 files of another uid', { timeout: 180_000 }, async () => {
    const old = tempDataDir();
    const volume = `${tag}-import`;
    names.volumes.push(volume);
    try {
      for (const f of ['key_x25519', 'sogs.db', 'sogs.ini', 'uploads']) fs.cpSync(path.join(PYSOGS_FIXTURE, f), path.join(old, f), { recursive: true });
      // PySOGS's own user (not 1000) and private modes, as a real PySOGS folder has them.
      const walk = (p: string): void => {
        fs.chownSync(p, 997, 997);
        if (fs.statSync(p).isDirectory()) {
          fs.chmodSync(p, 0o700);
          for (const e of fs.readdirSync(p)) walk(path.join(p, e));
        } else fs.chmodSync(p, 0o600);
      };
      walk(old);
      // The README's command, as is.
      const imported = docker(['run', '--rm', '-v', `${old}:/old:ro`, '-v', `${volume}:/data`, tag, 'sogs', '--import-pysogs', '/old'], 120_000);
      assert.equal(imported.status, 0, imported.out);
      const c = run(['-v', `${volume}:/data`]);
      await capabilities(c.port);
      const printed = ok(['exec', c.name, 'sogs', '--print-url']);
      const pub = /public_key=([0-9a-f]{64})/.exec(printed)![1]!;
      assert.match(imported.out, new RegExp(`server key kept: public key ${pub}`));
      assert.equal(ok(['exec', c.name, 'sh', '-c', 'find /data ! -user node | wc -l']).trim(), '0', 'everything given to node');
      const rooms = (await getJson(c.port, '/rooms')) as { token: string }[];
      assert.ok(rooms.some((r) => r.token === 'announcements'), JSON.stringify(rooms));
    } finally {
      fs.rmSync(old, { recursive: true, force: true });
    }
  });
});

