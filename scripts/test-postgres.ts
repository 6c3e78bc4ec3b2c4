// `npm test`'s second half: the whole suite again on PostgreSQL (SOGS_TEST_DB=postgres). The run
// gets a database of its own on the server at SOGS_TEST_PG_URL's host (default 127.0.0.1:5432,
// trust auth), and every test data folder a schema in it; the database is dropped at the end
// whatever happened, so no run leaves anything behind.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';

const base = process.env['SOGS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: base, connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(`cannot reach PostgreSQL at ${base} (${(e as Error).message}); start it, or set SOGS_TEST_PG_URL`);
  }
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function main(): Promise<number> {
  const db = `sogs_test_${process.pid}_${Date.now()}`;
  await admin(`CREATE DATABASE ${db}`);
  try {
    const url = new URL(base);
    url.pathname = `/${db}`;
    const tests = path.join(__dirname, '..', 'test');
    const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...process.argv.slice(2), tests], {
      stdio: 'inherit',
      env: { ...process.env, SOGS_TEST_DB: 'postgres', SOGS_TEST_PG_URL: url.toString() },
    });
    return r.status ?? 1;
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
