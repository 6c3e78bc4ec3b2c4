// What the callgrind harnesses (poll-instructions.ts, history-instructions.ts) share: dispatching
// saved requests in-process, a few at a time, and their command line (prepare DIR [N] | run DIR N).
import { buildRouter } from '../src/api';
import type { ApiRequest } from '../src/api/types';
import { closeServices, openServices } from '../src/app';
import { defaultConfig } from '../src/config';
import { replaceWithSqlite } from '../src/store/postgres/load-from-sqlite';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** Requests dispatched together: what one turn of the event loop gathers on a loaded server. */
const CONCURRENT = 10;

/**
 * With SOGS_HARNESS_PG=URL, the data folder's database is first loaded into a fresh schema there,
 * so that PostgreSQL's main-thread cost can be set beside SQLite's (the load cancels out too).
 */
async function postgresCopy(dir: string): Promise<{ url: string; drop(): Promise<void> } | null> {
  const base = process.env['SOGS_HARNESS_PG'];
  if (!base) return null;
  const schema = `harness_${process.pid}`;
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  await replaceWithSqlite(u.toString(), { sqliteFile: path.join(dir, 'sogs.db'), key: fs.readFileSync(path.join(dir, 'key_x25519')), blobs: null });
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Dispatches the first n requests against the data folder `dir`; throws if any was not a 200. */
export async function dispatchAll(dir: string, requests: ApiRequest[], n: number): Promise<void> {
  const copy = await postgresCopy(dir);
  const s = await openServices({ ...defaultConfig(), dataDir: dir, logLevel: 'silent', rateLimitPosts: 0, ...(copy ? { dbUrl: copy.url } : {}) });
  const router = buildRouter();
  let failed = 0;
  try {
    for (let i = 0; i < n; i += CONCURRENT) {
      const replies = await Promise.all(requests.slice(i, Math.min(n, i + CONCURRENT)).map((r) => router.dispatch(s, r)));
      failed += replies.filter((r) => r.status !== 200).length;
    }
  } finally {
    await closeServices(s);
    await copy?.drop();
  }
  if (failed > 0) throw new Error(`${failed} of ${n} requests failed`);
}

export function harnessMain(name: string, defaultCount: number, prepare: (dir: string, count: number) => Promise<void>, run: (dir: string, n: number) => Promise<void>): void {
  const [mode, dir, count] = process.argv.slice(2);
  if (!dir || (mode !== 'prepare' && mode !== 'run')) {
    console.error(`usage: ${name} prepare DIR [COUNT] | run DIR N`);
    process.exit(2);
  }
  (mode === 'prepare' ? prepare(dir, Number(count ?? defaultCount)) : run(dir, Number(count))).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
