// PostgreSQL: the poll's batched statements run on connections that plan each statement once
// (a generic plan). That plan is made without knowing how many requests a batch holds or how big
// the tables are, so it must still be index probes: as a plain join, the users of a server with
// fewer than about 2,500 of them were read whole into a hash on every poll.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { clientConfig, parsePgUrl } from '../src/store/postgres/connect';
import { AUTH_BATCH_SQL, PgStore, POLL_SESSION } from '../src/store/postgres/pg-store';
import { TEST_DB, dropPgSchema, pgSchemaUrl } from './helpers/server';

const schema = `t_${process.pid}_poll_statements`;
const url = pgSchemaUrl(schema);
const USERS = 1000;
const now = Math.floor(Date.now() / 1000);
const sessionIds = Array.from({ length: USERS }, () => '05' + crypto.randomBytes(32).toString('hex'));

describe('the poll statements on PostgreSQL', { skip: TEST_DB !== 'postgres' && 'PostgreSQL only' }, () => {
  let store: PgStore;
  before(async () => {
    store = await PgStore.open({ url, poolSize: 4 });
    const c = new pg.Client(clientConfig(parsePgUrl(url)));
    await c.connect();
    try {
      await c.query('INSERT INTO users (session_id, created, last_active) SELECT unnest($1::text[]), 0, 0', [sessionIds]);
      await c.query(`INSERT INTO request_nonces (ts, nonce, "user") SELECT $1 - g / 100, decode(md5(g::text), 'hex'), 1 FROM generate_series(1, 20000) g`, [now]);
      await c.query('ANALYZE');
    } finally {
      await c.end();
    }
  });
  after(async () => {
    await store.close();
    await dropPgSchema(schema);
  });

  it('the authentication batch is planned once, as index probes, on a connection that commits nonces asynchronously', async () => {
    const c = new pg.Client(clientConfig(parsePgUrl(url), POLL_SESSION));
    await c.connect();
    try {
      assert.equal((await c.query('SHOW plan_cache_mode')).rows[0].plan_cache_mode, 'force_generic_plan');
      assert.equal((await c.query('SHOW synchronous_commit')).rows[0].synchronous_commit, 'off');
      // Batches of several sizes through a named statement, as the store runs it.
      for (const n of [1, 6, 40, 1, 2, 3, 1]) {
        const values = [sessionIds.slice(0, n), Array.from({ length: n }, () => crypto.randomBytes(16)), Array(n).fill(now)];
        assert.equal((await c.query({ name: 'auth', text: AUTH_BATCH_SQL, values })).rowCount, n);
      }
      const counts = (await c.query(`SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'auth'`)).rows[0];
      assert.deepEqual([Number(counts.generic_plans) > 0, Number(counts.custom_plans)], [true, 0], 'one generic plan, never a custom one');
      // The cached plan, for a request of a known user with a new nonce.
      const nonce = crypto.randomBytes(16).toString('hex');
      const explain = `EXPLAIN EXECUTE auth (ARRAY['${sessionIds[0]}']::text[], ARRAY['\\x${nonce}'::bytea], ARRAY[${now}]::bigint[])`;
      const plan = (await c.query(explain)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      assert.match(plan, /Index Scan using users_session_id_key on users/);
      assert.match(plan, /Index Only Scan using request_nonces_pkey on request_nonces/);
      assert.doesNotMatch(plan, /Seq Scan on (users|request_nonces)\b|Hash/, plan);
    } finally {
      await c.end();
    }
  });

  it('a batch larger than the plan was costed for finds each user and records each nonce once', async () => {
    const nonces = Array.from({ length: 40 }, () => crypto.randomBytes(16));
    const first = await Promise.all(nonces.map((n, i) => store.lookupAndRecordNonce(sessionIds[100 + i]!, n, now)));
    assert.deepEqual(
      first.map((r) => [r.user?.sessionId, r.nonceSeen, r.recorded]),
      nonces.map((_, i) => [sessionIds[100 + i], false, true]),
    );
    const again = await Promise.all(nonces.map((n, i) => store.lookupAndRecordNonce(sessionIds[100 + i]!, n, now)));
    assert.deepEqual(
      again.map((r) => [r.nonceSeen, r.recorded]),
      nonces.map(() => [true, false]),
    );
    const stranger = await store.lookupAndRecordNonce('05' + 'ab'.repeat(32), crypto.randomBytes(16), now);
    assert.deepEqual([stranger.user, stranger.nonceSeen, stranger.recorded], [null, false, false]);
  });
});
