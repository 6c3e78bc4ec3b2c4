// A new operator's first hour with the CLI: admin commands run from the wrong folder say where
// they looked instead of making a second server; --print-url prints what the running server
// printed; errors are one line; multi-target edits are all or nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { Identity } from '../client';
import { TEST_DB, TEST_PG_URL, dropTestDb, startTestServer, tempDataDir, testDbUrl } from './helpers/server';
import { runCli, type CliResult } from './helpers/cli';

const BIN = path.join(__dirname, '..', '..', 'bin', 'sogs.js');
// Nothing from the test runner's environment may point the CLI somewhere else.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SOGS_')));

/** Runs `sogs ARGS` in `cwd` with exactly the SOGS_* variables given. */
function sogs(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--log-level', 'silent', ...args], { cwd, env: { ...ENV, ...env } }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut });
    });
  });
}

const dbArgs = (dataDir: string): string[] => {
  const db = testDbUrl(dataDir);
  return db ? ['--db-url', db] : [];
};

/** Starts `sogs` as a process and resolves with its banner once it listens. */
function startServerProcess(dataDir: string, args: string[]): Promise<{ child: ChildProcess; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, ...dbArgs(dataDir), '--log-level', 'silent', '--host', '127.0.0.1', '--port', '0', ...args], { env: ENV });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // The banner ends with the room URLs; the default room is `main`.
      if (/\/main\?public_key=[0-9a-f]{64}\n/.test(out)) setTimeout(() => resolve({ child, out, err }), 200);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const urlLines = (text: string): string[] => text.split('\n').filter((l) => l.includes('?public_key=')).map((l) => l.trim());

describe('admin commands never create a server', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-cwd-'));
  after(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('--print-url in a folder without ./data fails, naming the folder and how to point at the right one', async () => {
    const r = await sogs(cwd, ['--print-url']);
    assert.equal(r.code, 1, r.out);
    assert.equal(r.out, '');
    const lines = r.err.trim().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, new RegExp(`^Error: no server found in the data folder ${path.join(fs.realpathSync(cwd), 'data').replace(/[/.]/g, '\\$&')}`));
    assert.match(lines[0]!, /--data-dir DIR, SOGS_DATA_DIR=DIR or --config FILE/);
    assert.deepEqual(fs.readdirSync(cwd), [], 'nothing created');
  });

  it('SOGS_DATA_DIR naming a missing folder, or a folder without a database: nothing is created', async () => {
    const missing = path.join(cwd, 'nope');
    const r = await sogs(cwd, ['--list-rooms'], { SOGS_DATA_DIR: missing });
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`no server found in the data folder .*nope`));
    assert.equal(fs.existsSync(missing), false);
    const empty = path.join(cwd, 'empty');
    fs.mkdirSync(empty);
    const r2 = await sogs(cwd, ['--rooms', 'main', '--add-moderators', Identity.random().sessionId], { SOGS_DATA_DIR: empty });
    assert.equal(r2.code, 1);
    assert.deepEqual(fs.readdirSync(empty), [], 'no database or key written');
    fs.rmSync(empty, { recursive: true });
  });

  it('on PostgreSQL: a database without our schema is not given one', { skip: TEST_DB !== 'postgres' && 'SOGS_TEST_DB=postgres only' }, async () => {
    const dataDir = tempDataDir();
    const r = await runCli(dataDir, '--list-rooms');
    assert.equal(r.code, 1);
    assert.match(r.err, /no server found in the database postgres:\/\/.*holds no database of this server/);
    const schema = new URL(testDbUrl(dataDir)!).searchParams.get('schema');
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      assert.equal((await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount, 0, 'schema not created');
    } finally {
      await c.end();
    }
    await dropTestDb(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});

describe('--print-url prints what the running server printed', () => {
  it('the server records its URL at start; the CLI prints it whatever its own flags say', async () => {
    const dataDir = tempDataDir();
    const server = await startServerProcess(dataDir, ['--public-port', '9999']);
    try {
      const printed = urlLines(server.out);
      assert.equal(printed.length, 2, server.out);
      assert.match(printed[1]!, /^http:\/\/127\.0\.0\.1:9999\/main\?public_key=[0-9a-f]{64}$/);
      // The base URL is not set: the server says so, and how to set it.
      assert.match(server.err, /Warning: baseUrl is not set: join links use http:\/\/127\.0\.0\.1:9999.*--base-url URL/);
      const same = await runCli(dataDir, '--print-url');
      assert.equal(same.code, 0, same.err);
      assert.deepEqual(urlLines(same.out), printed);
      // A CLI started with other flags than the server still prints the server's URL (with a note).
      const other = await runCli(dataDir, '--print-url', '--port', '1234', '--base-url', 'https://elsewhere.example.org');
      assert.equal(other.code, 0, other.err);
      assert.deepEqual(urlLines(other.out), printed);
      assert.match(other.err, /the server last started with http:\/\/127\.0\.0\.1:9999/);
    } finally {
      await stop(server.child);
    }
    // Restarted with a base URL: no warning, and --print-url follows.
    const again = await startServerProcess(dataDir, ['--base-url', 'https://sogs.example.org']);
    try {
      assert.doesNotMatch(again.err, /baseUrl is not set/);
      const r = await runCli(dataDir, '--print-url');
      assert.match(urlLines(r.out)[1]!, /^https:\/\/sogs\.example\.org\/main\?public_key=/);
      assert.deepEqual(urlLines(r.out), urlLines(again.out));
    } finally {
      await stop(again.child);
    }
    await dropTestDb(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('before the server ever started on the database: the configured URL, with a note', async () => {
    const t = await startTestServer();
    try {
      const r = await runCli(t.dataDir, '--print-url', '--base-url', 'https://configured.example.org');
      assert.equal(r.code, 0, r.err);
      assert.match(urlLines(r.out)[1]!, /^https:\/\/configured\.example\.org\/main\?public_key=/);
      assert.match(r.err, /the server has not started on this database yet/);
    } finally {
      await t.close();
    }
  });
});

describe('CLI errors and multi-target edits', () => {
  // 05 + 64 hex digits that are no X25519 public key of a Session account: its Ed25519 form is not a curve point.
  const NOT_A_POINT = '05' + 'ff'.repeat(32);

  it('an invalid session id is one line saying what is expected, exit 1, no stack trace', async () => {
    const t = await startTestServer();
    try {
      for (const args of [['--rooms', 'main', '--add-moderators', NOT_A_POINT], ['--rooms', 'main', '--ban', NOT_A_POINT], ['--rooms', 'main', '--users', NOT_A_POINT, '--remove-perms', 'w']]) {
        const r = await runCli(t.dataDir, ...args);
        assert.equal(r.code, 1, args.join(' '));
        const lines = r.err.trim().split('\n');
        assert.equal(lines.length, 1, r.err);
        assert.match(lines[0]!, new RegExp(`^Error: invalid session id '${NOT_A_POINT}'.*expected 66 hex digits, 05 \\+ a Session account's public key or 15 \\+ a blinded id`));
        assert.doesNotMatch(r.err, /^\s+at /m);
      }
    } finally {
      await t.close();
    }
  });

  it('--rooms A B with several ids changes nothing when one id or room is bad', async () => {
    const t = await startTestServer();
    try {
      assert.equal((await runCli(t.dataDir, '--add-room', 'lounge')).code, 0);
      const good = t.client();
      await good.get('/room/main');
      const mods = async (room: string): Promise<unknown[]> => (await t.client(null).get(`/room/${room}`)).json<{ moderators: unknown[] }>().moderators;
      const bad = await runCli(t.dataDir, '--rooms', 'main', 'lounge', '--add-moderators', good.sessionId, NOT_A_POINT);
      assert.equal(bad.code, 1);
      assert.deepEqual([await mods('main'), await mods('lounge')], [[], []], 'the good id was not appointed either');
      const noRoom = await runCli(t.dataDir, '--rooms', 'main', 'nosuch', '--add-moderators', good.sessionId);
      assert.equal(noRoom.code, 1);
      assert.match(noRoom.err, /No such room: nosuch/);
      assert.deepEqual(await mods('main'), []);
      const banned = await runCli(t.dataDir, '--rooms', 'main', 'lounge', '--ban', good.sessionId, NOT_A_POINT);
      assert.equal(banned.code, 1);
      assert.equal((await good.get('/room/main')).status, 200, 'not banned');
      // A rule refusing a later id (a global moderator cannot be banned) refuses before the first ban.
      const gmod = t.client();
      await gmod.get('/room/main');
      assert.equal((await runCli(t.dataDir, '--rooms', '+', '--add-moderators', gmod.sessionId)).code, 0);
      const refused = await runCli(t.dataDir, '--rooms', 'main', 'lounge', '--ban', good.sessionId, gmod.sessionId);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /cannot be banned/);
      assert.equal((await good.get('/room/main')).status, 200, 'the first id was not banned either');
      assert.equal((await runCli(t.dataDir, '--rooms', '+', '--remove-moderators', gmod.sessionId)).code, 0);
      // Several commands in one run: the room is not created when an id of a later command is bad.
      const both = await runCli(t.dataDir, '--add-room', 'later', '--rooms', 'later', '--add-moderators', NOT_A_POINT);
      assert.equal(both.code, 1);
      assert.equal(await t.s.store.getRoom('later'), null);
      const ok = await runCli(t.dataDir, '--rooms', 'main', 'lounge', '--add-moderators', good.sessionId);
      assert.equal(ok.code, 0, ok.err);
      assert.deepEqual([await mods('main'), await mods('lounge')], [[good.sessionId], [good.sessionId]]);
    } finally {
      await t.close();
    }
  });
});
