// What the callgrind harnesses (poll-instructions.ts, history-instructions.ts) share: dispatching
// saved requests in-process, a few at a time, and their command line (prepare DIR [N] | run DIR N).
import { buildRouter } from '../src/api';
import type { ApiRequest } from '../src/api/types';
import { closeServices, openServices } from '../src/app';
import { defaultConfig } from '../src/config';
import { copyToPostgres } from './measure';

/** Requests dispatched together: what one turn of the event loop gathers on a loaded server. */
const CONCURRENT = 10;

/** Dispatches the first n requests against the data folder `dir`; throws if any was not a 200. */
export async function dispatchAll(dir: string, requests: ApiRequest[], n: number): Promise<void> {
  // With SOGS_HARNESS_PG=URL the data folder's database is first loaded into a fresh schema there,
  // so that PostgreSQL's main-thread cost can be set beside SQLite's (the load cancels out too).
  const pgBase = process.env['SOGS_HARNESS_PG'];
  const copy = pgBase ? await copyToPostgres(dir, pgBase) : null;
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
