// A seeded, bounded fuzz run over every transport (test/helpers/fuzz-cases.ts): onion v3/v4
// envelopes around fuzzed inner requests and mangled envelopes, /batch and /sequence, JSON bodies,
// X-SOGS-* headers, path parameters and legacy routes. It fails on any 500, any error the server
// logs, or a broken connection. Most cases go through the real router in-process, a share over
// real HTTP; `node dist/scripts/fuzz.js --cases 1000000 --seed N` runs the same generator longer.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runFuzz, setupWorld } from './helpers/fuzz-run';
import type { FuzzWorld } from './helpers/fuzz-cases';
import { startTestServer, type TestServer } from './helpers/server';

const CASES = Number(process.env['SOGS_FUZZ_CASES'] ?? 20_000);
const SEED = Number(process.env['SOGS_FUZZ_SEED'] ?? 20_261_207);

let t: TestServer;
let w: FuzzWorld;
before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
  w = await setupWorld(t);
});
after(() => t.close());

it(`${CASES} fuzz cases (seed ${SEED}): no 500, no logged error, no broken connection`, async () => {
  const res = await runFuzz(t, w, { cases: CASES, seed: SEED, httpShare: 0.08, concurrency: 8 });
  const report = res.failures.map((f) => `case ${f.index} (${f.kind}) ${f.method} ${f.target}: ${f.why}`).join('\n');
  assert.equal(res.failures.length, 0, report);
  // The generator must reach the handlers, not only the first check: successes and rule answers.
  const count = (s: number): number => res.statuses.get(s) ?? 0;
  const total = [...res.statuses.values()].reduce((a, b) => a + b, 0);
  assert.ok(total >= CASES * 0.95, `${total} of ${CASES} cases answered`);
  assert.ok(count(200) + count(201) > CASES * 0.1, `successes: ${count(200) + count(201)}`);
  for (const s of [400, 401, 403, 404]) assert.ok(count(s) > 0, `no ${s} answers`);
  assert.ok(res.http > CASES * 0.04, `${res.http} over HTTP`);
});
