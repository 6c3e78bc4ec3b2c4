// Never write to a database whose schema is not ours: a PySOGS or legacy server database (or any
// other program's) is refused before anything is created or migrated in it, by the server and by
// the CLI, with a pointer to the import commands. Also Store.setSetting on both databases.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseRefusedError } from '../src/store/schema-guard';
import { SqliteStore } from '../src/store/sqlite/sqlite-store';
import { PgStore } from '../src/store/postgres/pg-store';
import { TEST_DB, TEST_PG_URL, dropPgSchema, pgSchemaUrl, startTestServer } from './helpers/server';
import { fixturePath } from './helpers/fixtures';


const PYSOGS = fixturePath('pysogs');
const LEGACY = fixturePath('legacy-volume');
const BIN = path.join(__dirname, '..', '..', 'bin', 'sogs.js');
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SOGS_')));

function copyDir(from: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-foreign-'));
  fs.cpSync(from, d, { recursive: true });
  for (const f of [d, ...fs.readdirSync(d, { recursive: true }).map((p) => path.join(d, String(p)))]) fs.chmodSync(f, 0o755);
  return d;
}

/** Every file of a folder with its hash: nothing may change, not even the WAL or journal mode. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

function run(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...ENV, ...env } }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut });
    });
  });
}

const refused = (kind: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof DatabaseRefusedError, String(e));
  assert.equal(e.reason, 'foreign');
  assert.match(e.message, kind);
  assert.match(e.message, /sogs --import-pysogs .*sogs --import-legacy/);
  return true;
};

describe('a PySOGS data folder', () => {
  const dir = PYSOGS ? copyDir(PYSOGS) : '';
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the store refuses its sogs.db and leaves every byte as it was', () => {
    const before = snapshot(dir);
    assert.throws(() => new SqliteStore({ file: path.join(dir, 'sogs.db') }), refused(/is a PySOGS database \(tables rooms, messages/));
    assert.deepEqual(snapshot(dir), before);
    const db = new Database(path.join(dir, 'sogs.db'), { readonly: true });
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'").pluck().get(), 0);
    db.close();
  });

  it('a database our CLI once gave an empty schema_version is still refused', () => {
    const d = copyDir(dir);
    const db = new Database(path.join(d, 'sogs.db'));
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    db.close();
    assert.throws(() => new SqliteStore({ file: path.join(d, 'sogs.db') }), refused(/PySOGS database/));
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('with SOGS_CONFIG at its sogs.ini, the CLI and the server refuse in one line, pointing at --import-pysogs', async () => {
    const before = snapshot(dir);
    const env = { SOGS_CONFIG: path.join(dir, 'sogs.ini'), SOGS_DATA_DIR: dir };
    for (const args of [['--list-rooms'], ['--add-room', 'x'], ['--port', '0', '--host', '127.0.0.1']]) {
      const r = await run(dir, args, env);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}${r.err}`);
      const lines = r.err.trim().split('\n');
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0]!, /^Error: .*sogs\.db is a PySOGS database .*sogs --import-pysogs PYSOGS_DATA_DIR --data-dir NEW_DIR/);
    }
    assert.deepEqual(snapshot(dir), before);
  });
});

describe('a legacy server volume', () => {
  const dir = LEGACY ? copyDir(LEGACY) : '';
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses database.db and a room database, unchanged', async () => {
    const before = snapshot(dir);
    assert.throws(() => new SqliteStore({ file: path.join(dir, 'database.db') }), refused(/is a legacy \(pre-0\.2\) server database \(tables main\)/));
    assert.throws(() => new SqliteStore({ file: path.join(dir, 'rooms', 'crypto.db') }), refused(/legacy \(pre-0\.2\) server database/));
    const r = await run(dir, ['--data-dir', dir, '--db-url', 'sqlite:///database.db', '--list-rooms'], {});
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: .*database\.db is a legacy .*--import-legacy/);
    assert.deepEqual(snapshot(dir), before);
  });
});

describe('other databases', () => {
  it('a SQLite file of another program is refused; an empty one becomes ours', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-other-'));
    const other = new Database(path.join(d, 'other.db'));
    other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    other.close();
    assert.throws(() => new SqliteStore({ file: path.join(d, 'other.db') }), /holds tables of another program \(notes\)/);
    const fresh = new SqliteStore({ file: path.join(d, 'fresh.db') });
    assert.equal(fresh.freshlyCreated, true);
    void fresh.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('PostgreSQL: a schema with PySOGS tables is refused and gets no schema_version', { skip: TEST_DB !== 'postgres' && 'SOGS_TEST_DB=postgres only' }, async () => {
    const schema = `t_${process.pid}_foreign`;
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      await c.query(`CREATE TABLE ${schema}.rooms (id BIGINT PRIMARY KEY, token TEXT); CREATE TABLE ${schema}.messages (id BIGINT PRIMARY KEY)`);
      await assert.rejects(PgStore.open({ url: pgSchemaUrl(schema), poolSize: 1 }), refused(/is a PySOGS database \(tables rooms, messages/));
      const r = await c.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [schema, 'schema_version']);
      assert.equal(r.rowCount, 0);
      await assert.rejects(PgStore.open({ url: pgSchemaUrl(`${schema}_none`), poolSize: 1, mustExist: true }), (e: unknown) => e instanceof DatabaseRefusedError && e.reason === 'missing');
      // Another application's `users` table in a shared schema: refused, not called PySOGS.
      await c.query(`DROP TABLE ${schema}.rooms, ${schema}.messages; CREATE TABLE ${schema}.users (id BIGINT PRIMARY KEY)`);
      await assert.rejects(PgStore.open({ url: pgSchemaUrl(schema), poolSize: 1 }), /holds tables of another program \(users\).*\?schema=NAME/);
      // Unrelated tables alone do not stand in the way on PostgreSQL.
      await c.query(`DROP TABLE ${schema}.users; CREATE TABLE ${schema}.invoices (id BIGINT PRIMARY KEY)`);
      const ok = await PgStore.open({ url: pgSchemaUrl(schema), poolSize: 1 });
      assert.equal(ok.freshlyCreated, true);
      await ok.close();
    } finally {
      await c.end();
      await dropPgSchema(schema);
    }
  });
});

describe('Store.setSetting', () => {
  it(`replaces a value; initSetting keeps the first (${TEST_DB})`, async () => {
    const t = await startTestServer();
    try {
      const st = t.s.store;
      assert.equal(await st.getSetting('public_base_url_test'), null);
      await st.setSetting('public_base_url_test', Buffer.from('http://a.example'));
      await st.setSetting('public_base_url_test', Buffer.from('http://b.example'));
      assert.equal((await st.getSetting('public_base_url_test'))?.toString(), 'http://b.example');
      assert.equal((await st.initSetting('public_base_url_test', Buffer.from('http://c.example'))).toString(), 'http://b.example');
    } finally {
      await t.close();
    }
  });
});
