// Upgrading a database made by an earlier version: the derived columns and tables that later
// migrations add are filled from the data already there, and keep up afterwards.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { after, describe, it } from 'node:test';
import { MIGRATIONS } from '../src/store/sqlite/migrations';
import { PG_MIGRATIONS } from '../src/store/postgres/migrations';
import { OLD_VERSIONS, sharedVersion } from '../src/store/shared/schema-versions';
import { SqliteStore } from '../src/store/sqlite/sqlite-store';
import { PgStore } from '../src/store/postgres/pg-store';
import type { Store } from '../src/store/types';
import { TEST_DB, TEST_PG_URL, dropPgSchema, pgSchemaUrl, tempDataDir } from './helpers/server';
import { sqlAll } from './helpers/store-sql';

const now = Math.floor(Date.now() / 1000);
const alice = '15' + 'a'.repeat(64);
const bob = '15' + 'b'.repeat(64);
const carol = '15' + 'c'.repeat(64);
const oldNonce = crypto.randomBytes(16);
/** The newest schema, and the versions after 19 (the old numberings' last) a migrated database goes through. */
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const AFTER_OLD = MIGRATIONS.map((m) => m.version).filter((v) => v > 19).sort((a, b) => a - b);

/** What an older version left behind: three users, DMs between two of them, an old-style nonce. */
const OLD_DATA = [
  `INSERT INTO users (id, session_id) VALUES (1, '${alice}'), (2, '${bob}'), (3, '${carol}')`,
  `INSERT INTO inbox (id, recipient, sender, body, expiry) VALUES (5, 2, 1, 'x', ${now + 86400}), (9, 1, 2, 'y', ${now + 86400}), (12, 2, 1, 'z', ${now + 86400})`,
];

async function checkUpgraded(store: Store): Promise<void> {
  const users = await Promise.all([alice, bob, carol].map(async (id) => (await store.findUser(id))!));
  assert.deepEqual(
    users.map((u) => [u.lastInboxId, u.lastOutboxId]),
    [[9, 12], [12, 9], [0, 0]],
    'last DM ids computed from the DMs already stored',
  );
  const dm = await store.insertDirectMessage({ senderId: 3, recipientId: 1, body: Buffer.from('new'), now, expiry: now + 60 });
  const [a, c] = [(await store.findUser(alice))!, (await store.findUser(carol))!];
  assert.deepEqual([a.lastInboxId, c.lastOutboxId], [dm.id, dm.id], 'and kept up by new DMs');
  // A nonce recorded before nonces were keyed by timestamp is still refused, whatever the timestamp.
  assert.equal((await store.authLookup(alice, oldNonce, now)).nonceSeen, true);
  assert.equal((await store.authLookup(alice, crypto.randomBytes(16), now)).nonceSeen, false);
  assert.deepEqual(
    (({ nonceSeen, recorded }) => ({ nonceSeen, recorded }))(await store.lookupAndRecordNonce(alice, oldNonce, now)),
    { nonceSeen: true, recorded: false },
    'also after the signature check',
  );
}

/** The version rows a server before the shared numbering wrote for a schema now numbered up to `upTo`. */
function oldVersionRows(kind: 'sqlite' | 'postgres', upTo: number): number[] {
  return Object.entries(OLD_VERSIONS[kind])
    .filter(([, shared]) => shared <= upTo)
    .map(([old]) => Number(old));
}

/** A SQLite database as a server before the shared numbering left it, its schema at shared version `upTo`. */
function oldSqlite(file: string, upTo: number): Database.Database {
  const db = new Database(file);
  db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((x) => x.version <= upTo)) db.exec(m.sql);
  for (const v of oldVersionRows('sqlite', upTo)) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v);
  return db;
}

/** Every table, column, index and trigger of a SQLite database. */
function sqliteSchema(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  } finally {
    db.close();
  }
}

describe('upgrading an existing database', () => {
  it('maps the old version numbers of each database to the shared ones', () => {
    assert.deepEqual([1, 3, 4, 5, 6, 7, 8, 9].map((v) => sharedVersion('sqlite', v)), [10, 11, 12, 13, 14, 15, 17, 19]);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((v) => sharedVersion('postgres', v)), [13, 14, 15, 16, 17, 18, 19]);
    assert.deepEqual([0, 10, 19].map((v) => sharedVersion('sqlite', v)), [0, 10, 19], 'shared numbers (and none) stay');
    assert.throws(() => sharedVersion('sqlite', 2), /not one this server ever wrote/);
    assert.throws(() => sharedVersion('postgres', 8), /not one this server ever wrote/);
    assert.deepEqual(MIGRATIONS.map((m) => m.version), PG_MIGRATIONS.map((m) => m.version), 'both databases number the same versions');
  });

  it('SQLite at the old numbering\'s latest (9) opens as version 19, migrates to the latest and has the schema of a new database', async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'sogs.db');
    const db = oldSqlite(file, 19);
    assert.deepEqual(db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all(), [1, 3, 4, 5, 6, 7, 8, 9]);
    for (const sql of OLD_DATA) db.exec(sql);
    db.prepare('INSERT INTO user_request_nonces (user, nonce, expiry) VALUES (1, ?, ?)').run(oldNonce, now + 3600);
    db.close();
    const store = new SqliteStore({ file });
    const fresh = path.join(dir, 'fresh.db');
    try {
      assert.equal(store.freshlyCreated, false);
      await checkUpgraded(store);
      assert.deepEqual(await sqlAll(store, 'SELECT version FROM schema_version ORDER BY version'), [19, ...AFTER_OLD].map((version) => ({ version })));
      await new SqliteStore({ file: fresh }).close();
      assert.deepEqual(sqliteSchema(file), sqliteSchema(fresh));
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SQLite from schema 7 fills the last DM ids and keeps the old nonces', async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'sogs.db');
    const db = oldSqlite(file, 15);
    for (const sql of OLD_DATA) db.exec(sql);
    db.prepare('INSERT INTO user_request_nonces (user, nonce, expiry) VALUES (1, ?, ?)').run(oldNonce, now + 3600);
    db.close();
    const store = new SqliteStore({ file });
    try {
      await checkUpgraded(store);
      assert.equal((await sqlAll<{ v: number }>(store, 'SELECT max(version) AS v FROM schema_version'))[0]!.v, LATEST);
      // Room rows are read again once the rooms table changed, by this connection or another.
      const before = await store.listRooms();
      const other = new Database(file);
      other.prepare("INSERT INTO rooms (token, name) VALUES ('late', 'Late')").run();
      other.close();
      const afterInsert = await store.listRooms();
      assert.deepEqual(afterInsert.map((r) => r.token), [...before.map((r) => r.token), 'late'].sort());
      const other2 = new Database(file);
      other2.prepare("UPDATE rooms SET name = 'Renamed' WHERE token = 'late'").run();
      other2.close();
      assert.equal((await store.listRooms()).find((r) => r.token === 'late')?.name, 'Renamed');
      await sqlAll(store, "UPDATE rooms SET message_sequence = 7 WHERE token = 'late'");
      assert.equal((await store.listRooms()).find((r) => r.token === 'late')?.messageSequence, 7);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL', { skip: TEST_DB !== 'postgres' && 'PostgreSQL pass only' }, () => {
    const schema = `t_${process.pid}_upgrade`;
    after(() => dropPgSchema(schema));

    it('from schema 3 fills the last DM ids and keeps the old nonces', async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA ${schema}`);
        await c.query(`SET search_path = ${schema}`);
        await c.query('CREATE TABLE schema_version (version INTEGER NOT NULL)');
        for (const m of PG_MIGRATIONS.filter((x) => x.version <= 15)) await c.query(m.sql);
        for (const v of oldVersionRows('postgres', 15)) await c.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
        for (const sql of OLD_DATA) await c.query(sql);
        await c.query('INSERT INTO user_request_nonces ("user", nonce, expiry) VALUES (1, $1, $2)', [oldNonce, now + 3600]);
        // The identity column must continue above the ids given explicitly.
        await c.query("SELECT setval(pg_get_serial_sequence('inbox', 'id'), 12)");
        await c.query("SELECT setval(pg_get_serial_sequence('users', 'id'), 3)");
      } finally {
        await c.end();
      }
      const store = await PgStore.open({ url: pgSchemaUrl(schema), poolSize: 2 });
      try {
        await checkUpgraded(store);
        assert.equal(Number((await sqlAll<{ v: number }>(store, 'SELECT max(version) AS v FROM schema_version'))[0]!.v), LATEST);
        // Another instance's migration adds a column while this one runs: statements this one
        // prepared on its connections (`SELECT *`) must be prepared again, not fail from now on.
        for (let i = 0; i < 4; i++) await Promise.all([store.findUser(alice), store.findUser(bob)]);
        const other = new pg.Client({ connectionString: TEST_PG_URL });
        await other.connect();
        await other.query(`ALTER TABLE ${schema}.users ADD COLUMN added_later INTEGER`);
        await other.end();
        for (let i = 0; i < 4; i++) {
          const [a, b] = await Promise.all([store.findUser(alice), store.findUser(bob)]);
          assert.equal(a?.sessionId, alice);
          assert.equal(b?.sessionId, bob);
        }
        assert.equal((await store.lookupAndRecordNonce(alice, crypto.randomBytes(16), now)).recorded, true, 'inside a statement with a CTE too');
      } finally {
        await store.close();
      }
    });
    it('at the old numbering\'s latest (7) opens as version 19, migrates to the latest and has the schema of a new database', async () => {
      const latest = `${schema}_latest`;
      const fresh = `${schema}_fresh`;
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA ${latest}`);
        await c.query(`SET search_path = ${latest}`);
        await c.query('CREATE TABLE schema_version (version INTEGER NOT NULL)');
        for (const m of PG_MIGRATIONS.filter((x) => x.version <= 19)) await c.query(m.sql);
        for (const v of oldVersionRows('postgres', 19)) await c.query('INSERT INTO schema_version (version) VALUES ($1)', [v]);
        assert.deepEqual((await c.query('SELECT version FROM schema_version ORDER BY version')).rows.map((r) => r.version), [1, 2, 3, 4, 5, 6, 7]);
        for (const sql of OLD_DATA) await c.query(sql);
        await c.query('INSERT INTO user_request_nonces ("user", nonce, expiry) VALUES (1, $1, $2)', [oldNonce, now + 3600]);
        await c.query("SELECT setval(pg_get_serial_sequence('inbox', 'id'), 12)");
        await c.query("SELECT setval(pg_get_serial_sequence('users', 'id'), 3)");
        const store = await PgStore.open({ url: pgSchemaUrl(latest), poolSize: 2 });
        try {
          assert.equal(store.freshlyCreated, false);
          await checkUpgraded(store);
          assert.deepEqual((await sqlAll<{ version: number }>(store, 'SELECT version FROM schema_version ORDER BY version')).map((r) => r.version), [19, ...AFTER_OLD]);
        } finally {
          await store.close();
        }
        await (await PgStore.open({ url: pgSchemaUrl(fresh), poolSize: 1 })).close();
        const shape = async (s: string): Promise<unknown[]> =>
          (
            await c.query(
              `SELECT 'column' AS kind, table_name AS name, column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS def
                 FROM information_schema.columns WHERE table_schema = $1
               UNION ALL SELECT 'index', indexname, replace(indexdef, $1 || '.', '') FROM pg_indexes WHERE schemaname = $1
               UNION ALL SELECT 'trigger', trigger_name, event_manipulation || ' ' || event_object_table || ' ' || replace(action_statement, $1 || '.', '')
                 FROM information_schema.triggers WHERE trigger_schema = $1
               ORDER BY 1, 2, 3`,
              [s],
            )
          ).rows;
        assert.deepEqual(await shape(latest), await shape(fresh));
      } finally {
        await c.end();
        await dropPgSchema(latest);
        await dropPgSchema(fresh);
      }
    });
  });
});
