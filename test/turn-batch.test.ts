import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { openStore } from '../src/app';
import { defaultConfig } from '../src/config';
import { TurnBatch } from '../src/store/turn-batch';
import { TEST_DB, dropTestDb, tempDataDir, testDbUrl } from './helpers/server';

describe('TurnBatch', () => {
  it('runs the calls of one turn as one batch and gives each caller its own result', async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number, string>(async (items) => {
      runs.push(items);
      return items.map((i) => `r${i}`);
    });
    const first = await Promise.all([batch.add(1), batch.add(2), batch.add(3)]);
    const second = await batch.add(4);
    assert.deepEqual(first, ['r1', 'r2', 'r3']);
    assert.equal(second, 'r4');
    assert.deepEqual(runs, [[1, 2, 3], [4]]);
  });

  it("rejects every caller of a failed batch, and the next turn's batch runs anew", async () => {
    let fail = true;
    const batch = new TurnBatch<number, number>(async (items) => {
      if (fail) throw new Error('database down');
      return items;
    });
    const results = await Promise.allSettled([batch.add(1), batch.add(2)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    fail = false;
    assert.equal(await batch.add(3), 3);
  });

  it('drain runs what waits at once and waits for batches still running', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done: number[] = [];
    const batch = new TurnBatch<number, number>(async (items) => {
      await gate;
      done.push(...items);
      return items;
    });
    const a = batch.add(1);
    const drained = batch.drain();
    let finished = false;
    void drained.then(() => (finished = true));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(finished, false, 'the batch is still running');
    release();
    await drained;
    assert.deepEqual(done, [1]);
    assert.equal(await a, 1);
  });
});

describe(`the ${TEST_DB} store's batched authentication`, () => {
  it('answers lookups still waiting for their turn before close() finishes', async () => {
    const dataDir = tempDataDir();
    const dbUrl = testDbUrl(dataDir);
    const store = await openStore({ ...defaultConfig(), dataDir, ...(dbUrl ? { dbUrl } : {}) });
    try {
      const id = '05' + crypto.randomBytes(32).toString('hex');
      await store.ensureUser(id, Date.now() / 1000);
      const ts = Math.floor(Date.now() / 1000);
      const pending = [store.lookupAndRecordNonce(id, crypto.randomBytes(16), ts), store.lookupAndRecordNonce(id, crypto.randomBytes(16), ts)];
      await store.close();
      assert.deepEqual((await Promise.all(pending)).map((r) => r.recorded), [true, true]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await dropTestDb(dataDir);
    }
  });
});
