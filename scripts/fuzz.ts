// The fuzzer of test/fuzz.test.ts for long runs: `node dist/scripts/fuzz.js --cases 1000000 --seed N
// [--http 0.05] [--concurrency 8]`. Starts a test server (SOGS_TEST_DB=postgres for PostgreSQL),
// runs the seeded cases, prints each failure with its case index (the same seed and index
// reproduce it) and exits 1 if any case answered 500, logged an error or broke the connection.
import { runFuzz, setupWorld } from '../test/helpers/fuzz-run';
import { startTestServer } from '../test/helpers/server';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

async function main(): Promise<number> {
  const cases = arg('cases', 100_000);
  const seed = arg('seed', Date.now() % 1_000_000);
  const t = await startTestServer({ rateLimitPosts: 0 });
  const started = Date.now();
  try {
    const w = await setupWorld(t);
    console.log(`fuzzing ${cases} cases, seed ${seed}`);
    const res = await runFuzz(t, w, {
      cases, seed, httpShare: arg('http', 0.05), concurrency: arg('concurrency', 8), maxFailures: arg('max-failures', 100),
      progressEvery: 50_000, onProgress: (n) => console.log(`${n} cases, ${Math.round((Date.now() - started) / 1000)} s`),
    });
    const codes = [...res.statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' ');
    console.log(`done in ${Math.round((Date.now() - started) / 1000)} s; ${res.http} over HTTP; statuses ${codes}`);
    for (const f of res.failures) console.log(`FAIL case ${f.index} (${f.kind}) ${f.method} ${f.target}: ${f.why}`);
    return res.failures.length === 0 ? 0 : 1;
  } finally {
    await t.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
