// The Docker packaging without a Docker engine: docker-compose.yml is valid YAML with the
// structure the README relies on, the Dockerfile has the required shape and passes a linter
// (dockerfile-utils from npm), and the image's start sequence (docker/entrypoint.sh) works outside
// Docker: first start creates the key inside the data folder, the admin CLI run as `docker exec
// sogs sogs ...` would run it works against the running server, and SIGTERM lets a request in
// flight finish on a keep-alive connection and exits 0.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ValidationSeverity, validate, type ValidatorSettings } from 'dockerfile-utils';
import YAML from 'yaml';
import { tempDataDir } from './helpers/server';
import { fixturePath } from './helpers/fixtures';
import { freePort } from '../scripts/free-port';

const root = path.join(__dirname, '..', '..');
const read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8');

describe('docker-compose.yml', () => {
  const doc = YAML.parseDocument(read('docker-compose.yml'));
  const compose = doc.toJS() as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };

  test('is valid YAML', () => {
    assert.deepEqual(doc.errors, []);
    assert.deepEqual(doc.warnings, []);
  });

  test('service sogs: container sogs, port 9999, named data volume, restart always, join URLs on 9999', () => {
    const sogs = compose.services['sogs']!;
    assert.ok(sogs, 'service sogs');
    assert.equal(sogs['container_name'], 'sogs');
    assert.equal(sogs['image'], 'sogs');
    assert.equal(sogs['restart'], 'always');
    assert.equal(sogs['build'], '.');
    const ports = sogs['ports'] as string[];
    assert.deepEqual(ports, ['9999:80']);
    assert.deepEqual(sogs['sysctls'], { 'net.ipv4.ip_unprivileged_port_start': 0 }, 'non-root may bind port 80');
    const volumes = sogs['volumes'] as string[];
    assert.deepEqual(volumes, ['sogs-data:/data']);
    // Named `sogs-data` outright, the volume of the README's `docker run` (not `<project>_sogs-data`).
    assert.deepEqual(compose.volumes['sogs-data'], { name: 'sogs-data' });
    assert.match(read('README.md'), /docker run -d --name sogs [^`]*-v sogs-data:\/data /);
    const env = sogs['environment'] as Record<string, string>;
    // No default address (a localhost URL is one clients refuse): unset, the server derives one
    // with the image's SOGS_PUBLIC_PORT=9999 and warns at start.
    assert.equal(env['SOGS_BASE_URL'], '${SOGS_BASE_URL:-}');
    assert.equal(sogs['profiles'], undefined, 'sogs runs without a profile');
  });

  test('hardening: no capability but the entrypoint\'s, no-new-privileges, read-only root, rotated logs', () => {
    for (const name of ['sogs', 'caddy']) {
      const svc = compose.services[name]!;
      assert.deepEqual(svc['cap_drop'], ['ALL'], name);
      assert.deepEqual(svc['security_opt'], ['no-new-privileges:true'], name);
      assert.equal(svc['read_only'], true, name);
      assert.deepEqual(svc['logging'], { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } }, name);
    }
    // chown of /data, and setpriv to `node`: nothing else (port 80 comes from the sysctl).
    assert.deepEqual(compose.services['sogs']!['cap_add'], ['CHOWN', 'DAC_READ_SEARCH', 'SETUID', 'SETGID']);
    assert.deepEqual(compose.services['sogs']!['tmpfs'], ['/tmp:size=64m,mode=1777']);
    assert.deepEqual(compose.services['caddy']!['cap_add'], ['NET_BIND_SERVICE']);
  });

  test('caddy is optional (profile tls) and proxies to the sogs container port', () => {
    const caddy = compose.services['caddy']!;
    assert.deepEqual(caddy['profiles'], ['tls']);
    const caddyfile = read('docker/Caddyfile');
    assert.match(caddyfile, /reverse_proxy sogs:80\b/);
    assert.match(caddyfile, /Strict-Transport-Security "max-age=63072000; includeSubDomains"/);
    const vols = caddy['volumes'] as string[];
    assert.ok(vols.includes('./docker/Caddyfile:/etc/caddy/Caddyfile:ro'));
  });
});

describe('Dockerfile', () => {
  const df = read('Dockerfile');
  const lines = df.split('\n').filter((l) => !l.trim().startsWith('#'));
  const instr = lines.join('\n').replace(/\\\n/g, ' ');

  // Every optional rule on, as a warning at least, and every finding fails.
  const strict: ValidatorSettings = {
    deprecatedMaintainer: ValidationSeverity.ERROR,
    directiveCasing: ValidationSeverity.WARNING,
    emptyContinuationLine: ValidationSeverity.WARNING,
    instructionCasing: ValidationSeverity.WARNING,
    instructionCmdMultiple: ValidationSeverity.WARNING,
    instructionEntrypointMultiple: ValidationSeverity.WARNING,
    instructionHealthcheckMultiple: ValidationSeverity.WARNING,
    instructionJSONInSingleQuotes: ValidationSeverity.WARNING,
    instructionWorkdirRelative: ValidationSeverity.WARNING,
  };
  const findings = (text: string): string[] =>
    validate(text, strict).map((d) => `line ${d.range.start.line + 1}: ${d.message} (severity ${d.severity})`);

  test('passes the dockerfile-utils linter with no error or warning', () => {
    assert.deepEqual(findings(df), []);
    // The linter does look: a broken file gets findings.
    assert.ok(findings('from node:22\nEXPOSE eighty\nWORKDIR app\nCMD a\nCMD b\nHEALTHCHECK --interval=5 CMD true\n').length >= 4);
  });

  test('multi-stage: build with npm ci && npm run build, run on a slim Node LTS', () => {
    const froms = instr.match(/^FROM .*$/gm) ?? [];
    assert.equal(froms.length, 2);
    // The official images by default; build args let scripts/docker-local-base.sh's stand in.
    assert.match(instr, /^ARG NODE_IMAGE=node:22-bookworm$/m);
    assert.match(instr, /^ARG NODE_SLIM_IMAGE=node:22-bookworm-slim$/m);
    assert.match(froms[0]!, /^FROM \$\{NODE_IMAGE\} AS build$/);
    assert.match(froms[1]!, /^FROM \$\{NODE_SLIM_IMAGE\} AS runtime$/);
    assert.match(instr, /npm prune --omit=dev\s+&& sh docker\/trim-node-modules\.sh node_modules/);
    assert.match(instr, /RUN npm ci\n/);
    assert.match(instr, /npm run build/);
    assert.match(instr, /npm prune --omit=dev/);
    assert.match(instr, /COPY --from=build \/app\/node_modules/);
  });

  test('runs as node (the entrypoint drops to it), data volume, port, healthcheck, entrypoint, sogs on PATH', () => {
    const runtime = instr.slice(instr.lastIndexOf('FROM '));
    // No USER: the entrypoint starts as root to fix the data folder's owner, then setpriv to SOGS_USER.
    assert.doesNotMatch(runtime, /^USER /m);
    assert.match(runtime, /SOGS_USER=node\b/);
    assert.match(runtime, /^VOLUME \["\/data"\]$/m);
    assert.doesNotMatch(runtime, /SOGS_DATA_DIR=/, 'picked by docker/sogs-env.sh (the seed path when mounted)');
    assert.match(runtime, /SOGS_PORT=80\b/);
    assert.match(runtime, /SOGS_PUBLIC_PORT=9999\b/);
    assert.match(runtime, /ln -s \/app\/docker\/sogs \/session-open-group-server\/target\/release\/session-open-group-server/);
    assert.doesNotMatch(runtime, /mkdir -p [^&]*\/session-open-group-server\/target\/release\/data/, 'the seed path exists only as a mount point');
    assert.match(runtime, /^EXPOSE 80$/m);
    assert.match(runtime, /^HEALTHCHECK .*CMD \["node", "\/app\/docker\/healthcheck.js"\]$/m);
    assert.match(runtime, /^ENTRYPOINT \["\/app\/docker\/entrypoint.sh"\]$/m);
    assert.match(runtime, /ln -s \/app\/docker\/sogs \/usr\/local\/bin\/sogs /);
    assert.match(read('docker/healthcheck.js'), /\/healthz/);
  });

  test('no key or data generated at build time; every COPY source exists', () => {
    // Nothing starts the server (which would create a key) while building: no key, no database.
    assert.doesNotMatch(instr, /key_x25519|sogs\.db|openssl|genpkey/);
    for (const run of instr.match(/^RUN .*$/gm) ?? []) {
      assert.doesNotMatch(run, /node\s+\S*sogs\.js|(^RUN|&&|;)\s*sogs\b|npm (run )?start/, run);
    }
    for (const m of instr.matchAll(/^COPY (?!--from)(.*)$/gm)) {
      const parts = m[1]!.trim().split(/\s+/);
      for (const src of parts.slice(0, -1)) assert.ok(fs.existsSync(path.join(root, src)), `COPY source ${src}`);
    }
    // `npm run build` compiles what tsconfig.json includes: a folder not copied fails the build
    // (test/ imports scripts/free-port.ts).
    const include = (JSON.parse(read('tsconfig.json')) as { include: string[] }).include;
    const build = instr.slice(0, instr.lastIndexOf('FROM '));
    for (const dir of include) assert.match(build, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `the build stage copies ${dir}/`);
    const ignore = read('.dockerignore').split('\n');
    for (const x of ['node_modules', 'dist', 'data']) assert.ok(ignore.includes(x), `.dockerignore ${x}`);
  });
});

function waitForOutput(p: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output so far:\n${out}`)), ms);
    const on = (c: Buffer): void => {
      out += c.toString('utf8');
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    p.stdout!.on('data', on);
    p.stderr!.on('data', on);
    p.once('exit', (code) => reject(new Error(`exited with ${code} before ${re}:\n${out}`)));
  });
}

describe('docker/entrypoint.sh outside Docker', () => {
  test('first start, docker-exec CLI, keep-alive request in flight at SIGTERM, clean exit', { timeout: 60_000 }, async () => {
    const dataDir = path.join(tempDataDir(), 'data');
    const port = await freePort();
    // The container's environment (Dockerfile ENV + compose environment), pointed at temp paths.
    const env = {
      ...process.env,
      SOGS_DATA_DIR: dataDir,
      SOGS_HOST: '127.0.0.1',
      SOGS_PORT: String(port),
      SOGS_BASE_URL: 'http://sogs.example.org:9999',
      SOGS_LOG_LEVEL: 'warn',
    };
    const proc = spawn(path.join(root, 'docker', 'entrypoint.sh'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let exited: Promise<number | null> = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      const url = await waitForOutput(proc, /http:\/\/sogs\.example\.org:9999\/main\?public_key=[0-9a-f]{64}/, 20_000);
      const key = fs.readFileSync(path.join(dataDir, 'key_x25519'));
      assert.equal(key.length, 32, 'key created inside the data folder on first start');
      assert.ok(fs.existsSync(path.join(dataDir, 'sogs.db')));

      // `docker exec sogs sogs --add-room ...`: same image env, the `sogs` command, no restart.
      const sogs = (...args: string[]): string => {
        const r = spawnSync(process.execPath, [path.join(root, 'bin', 'sogs.js'), ...args], { env, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
      };
      assert.match(sogs('--add-room', 'lounge', 'The Lounge'), /Added room with ID: lounge/);
      const printed = sogs('--print-url');
      assert.ok(printed.includes(url.replace('/main?', '/lounge?')), printed);
      const rooms = (await (await fetch(`http://127.0.0.1:${port}/rooms`)).json()) as { token: string }[];
      assert.deepEqual(rooms.map((r) => r.token).sort(), ['lounge', 'main']);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

      // A keep-alive connection: one finished request, then one in flight (body half sent) at SIGTERM.
      const sock = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
      let received = '';
      sock.on('data', (c: Buffer) => (received += c.toString('latin1')));
      const sockClosed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
      sock.write('GET /capabilities HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
      while (!received.includes('"capabilities"')) await new Promise((r) => setTimeout(r, 20));
      assert.match(received, /^HTTP\/1\.1 200/);
      assert.match(received, /keep-alive/i);
      const body = JSON.stringify([{ method: 'GET', path: '/capabilities' }]);
      sock.write(`POST /batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` + body.slice(0, 5));
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      sock.write(body.slice(5));
      await sockClosed;
      const second = received.slice(received.indexOf('HTTP/1.1', 10));
      assert.match(second, /^HTTP\/1\.1 200/, 'the request in flight completed');
      assert.match(second, /connection: close/i);
      assert.match(second, /"capabilities"/);
      const code = await exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - t0 < 5000, 'exits promptly');

      // A rebuilt image started on the same volume: the same key (join URLs unchanged), same rooms.
      const again = spawn(path.join(root, 'docker', 'entrypoint.sh'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const againExited = new Promise((resolve) => again.once('exit', resolve));
      try {
        assert.equal(await waitForOutput(again, /http:\/\/sogs\.example\.org:9999\/main\?public_key=[0-9a-f]{64}/, 20_000), url);
        assert.deepEqual(fs.readFileSync(path.join(dataDir, 'key_x25519')), key);
        const after = (await (await fetch(`http://127.0.0.1:${port}/rooms`)).json()) as { token: string }[];
        assert.deepEqual(after.map((r) => r.token).sort(), ['lounge', 'main']);
      } finally {
        again.kill('SIGTERM');
        await againExited;
      }
    } finally {
      if (proc.exitCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      exited = Promise.resolve(null);
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });

  test('a data folder the user cannot write is a clear error', () => {
    const dir = tempDataDir();
    fs.chmodSync(dir, 0o555);
    // Root may write anywhere: run the entrypoint as `nobody`, as the image runs it as `node`.
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const cmd = [...asUser, path.join(root, 'docker', 'entrypoint.sh')];
    try {
      const r = spawnSync(cmd[0]!, cmd.slice(1), { env: { ...process.env, SOGS_DATA_DIR: dir }, encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /not writable/);
    } finally {
      fs.chmodSync(dir, 0o700);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker/entrypoint.sh and docker/sogs started as root (as the image starts them)', () => {
  const asRoot = process.getuid?.() === 0 ? false : 'needs root (the image starts as root; this test runs them as root outside Docker)';
  // `nobody` stands in for the image's `node` user (uid 1000), which this machine may not have.
  const NOBODY = 65534;

  test('the data folder is given to SOGS_USER, the server runs as it; the seed path is picked when present', { skip: asRoot, timeout: 60_000 }, async () => {
    const base = tempDataDir();
    fs.chmodSync(base, 0o755);
    const seed = path.join(base, 'seed-data');
    fs.mkdirSync(seed);
    fs.writeFileSync(path.join(seed, 'left-by-root.txt'), 'x'); // as after a `--user 0` run
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, SOGS_USER: 'nobody', SOGS_SEED_DATA_DIR: seed, SOGS_HOST: '127.0.0.1', SOGS_PORT: String(port), SOGS_LOG_LEVEL: 'warn' };
    delete env['SOGS_DATA_DIR'];
    const proc = spawn(path.join(root, 'docker', 'entrypoint.sh'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    try {
      await waitForOutput(proc, /\/main\?public_key=[0-9a-f]{64}/, 20_000);
      assert.equal((await fetch(`http://127.0.0.1:${port}/capabilities`)).status, 200);
      for (const f of ['left-by-root.txt', 'key_x25519', 'sogs.db']) assert.equal(fs.statSync(path.join(seed, f)).uid, NOBODY, f);
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}\\s`, 'm'), 'exec chain: the server is the same process, as nobody');
      assert.match(status, /^CapEff:\s+0+$/m);
      // `docker exec sogs sogs ...` as root: runs as nobody on the same folder.
      const r = spawnSync(path.join(root, 'docker', 'sogs'), ['--add-room', 'lounge', 'Lounge'], { env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const after = (await (await fetch(`http://127.0.0.1:${port}/rooms`)).json()) as { token: string }[];
      assert.deepEqual(after.map((x) => x.token).sort(), ['lounge', 'main']);
      for (const f of fs.readdirSync(seed)) assert.equal(fs.statSync(path.join(seed, f)).uid, NOBODY, f);
    } finally {
      proc.kill('SIGTERM');
      await exited;
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test('a PySOGS folder of mode-600 files owned by another uid imports; the result belongs to SOGS_USER', { skip: asRoot, timeout: 60_000 }, () => {
    const base = tempDataDir();
    const old = path.join(base, 'old');
    const data = path.join(base, 'data');
    try {
      for (const f of ['key_x25519', 'sogs.db', 'uploads']) fs.cpSync(fixturePath('pysogs', f), path.join(old, f), { recursive: true });
      const walk = (p: string): void => {
        fs.chownSync(p, 997, 997);
        const dir = fs.statSync(p).isDirectory();
        fs.chmodSync(p, dir ? 0o700 : 0o600);
        if (dir) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
      };
      walk(old);
      const env = { ...process.env, SOGS_USER: 'nobody', SOGS_DATA_DIR: data, SOGS_LOG_LEVEL: 'warn' };
      // Not readable by the server's user: the import runs as root, then hands the data over.
      assert.equal(spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', path.join(old, 'key_x25519')]).status, 1);
      const r = spawnSync(path.join(root, 'docker', 'sogs'), ['--import-pysogs', old], { env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /server key kept/);
      const notNobody = spawnSync('find', [data, '!', '-user', 'nobody'], { encoding: 'utf8' }).stdout.trim();
      assert.equal(notNobody, '', 'everything in the data folder belongs to the server user');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
