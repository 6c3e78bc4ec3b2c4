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

describe('upgrading an existing database', () => {
  it('SQLite from schema 7 fills the last DM ids and keeps the old nonces', async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'sogs.db');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((x) => x.version <= 7)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    }
    for (const sql of OLD_DATA) db.exec(sql);
    db.prepare('INSERT INTO user_request_nonces (user, nonce, expiry) VALUES (1, ?, ?)').run(oldNonce, now + 3600);
    db.close();
    const store = new SqliteStore({ file });
    try {
      await checkUpgraded(store);
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
        for (const m of PG_MIGRATIONS.filter((x) => x.version <= 3)) {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
        }
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
  });
});
