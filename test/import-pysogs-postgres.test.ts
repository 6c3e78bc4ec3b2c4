// `sogs --import-pysogs DIR --import-db postgres://…`: a PySOGS that ran on PostgreSQL imports the
// same as from its SQLite file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { after, describe, it } from 'node:test';
import { runCli } from './helpers/cli';
import { fixturePath, tmp } from './helpers/fixtures';
import { TEST_PG_URL, dropPgSchema, dropTestDb, pgSchemaUrl } from './helpers/server';
import { sqliteBools, targetSql } from './helpers/store-sql';

const FIXTURE = fixturePath('pysogs');

describe('import a PySOGS that ran on PostgreSQL (--import-db postgres://…)', () => {
  const schema = `pysogs_src_${process.pid}`;
  const srcUrl = pgSchemaUrl(schema);

  /** The fixture's tables in PostgreSQL's types, as the reference's PostgreSQL flavour has them (docs/protocol/api.md §11). */
  async function fixtureIntoPostgres(): Promise<void> {
    const db = new Database(path.join(FIXTURE, 'sogs.db'), { readonly: true });
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA ${schema}`);
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
      for (const table of tables) {
        const cols = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string }[];
        const rows = db.prepare(`SELECT * FROM "${table}"`).safeIntegers(true).raw(true).all() as unknown[][];
        // SQLite's declared types, except that a column holding bytes is bytea whatever it declares.
        const types = cols.map((x, i) =>
          rows.some((r) => Buffer.isBuffer(r[i])) || /BLOB/i.test(x.type) ? 'BYTEA'
          : /BOOL/i.test(x.type) ? 'BOOLEAN' : /INT/i.test(x.type) ? 'BIGINT' : /FLOAT|REAL|DOUB/i.test(x.type) ? 'DOUBLE PRECISION' : 'TEXT',
        );
        await c.query(`CREATE TABLE ${schema}."${table}" (${cols.map((x, i) => `"${x.name}" ${types[i]}`).join(', ')})`);
        for (const row of rows) {
          const values = row.map((v, i) => (types[i] === 'BOOLEAN' && v !== null ? Boolean(Number(v)) : typeof v === 'bigint' ? v.toString() : v));
          await c.query(`INSERT INTO ${schema}."${table}" VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
        }
      }
    } finally {
      await c.end();
      db.close();
    }
  }

  after(() => dropPgSchema(schema));

  it('imports the same as from its SQLite file', async () => {
    await fixtureIntoPostgres();
    const target = tmp('sogs-pysogs-frompg-');
    try {
      const r = await runCli(target, '--import-pysogs', FIXTURE, '--import-db', srcUrl);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^  messages +252$/m);
      assert.match(r.out, /Skipped: nothing/);
      const a = new Database(path.join(FIXTURE, 'sogs.db'), { readonly: true });
      try {
        for (const sql of [
          'SELECT id, token, message_sequence, info_updates, image, created FROM rooms ORDER BY id',
          'SELECT id, room, "user", posted, edited, seqno, seqno_data, seqno_reactions, data, data_size, signature, whisper, whisper_mods FROM messages ORDER BY id',
          'SELECT id, session_id, banned, moderator, admin, visible_mod FROM users ORDER BY id',
          'SELECT reaction, "user", at FROM user_reactions ORDER BY reaction, "user"',
          'SELECT room, "user", banned, read, write, moderator, admin FROM user_permission_overrides ORDER BY room, "user"',
        ]) {
          assert.deepEqual(sqliteBools(await targetSql(target, sql)), a.prepare(sql).all(), sql);
        }
      } finally {
        a.close();
      }
      const bad = await runCli(tmp('sogs-pysogs-frompg-bad-'), '--import-pysogs', FIXTURE, '--import-db', pgSchemaUrl('no_such_schema_here'));
      assert.equal(bad.code, 1);
      assert.match(bad.err, /table 'users' is missing/);
      // Nothing prints a database password, not even when the database cannot be reached.
      const unreachable = await runCli(tmp('sogs-pysogs-frompg-pw-'), '--import-pysogs', FIXTURE, '--import-db', 'postgres://sogs:s3cret-pw@127.0.0.1:1/sogs');
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.err, /cannot read the PySOGS database postgres:\/\/sogs:\*\*\*@127\.0\.0\.1:1\/sogs/);
      assert.equal(unreachable.err.includes('s3cret-pw') || unreachable.out.includes('s3cret-pw'), false);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
      await dropTestDb(target);
    }
  });
});
