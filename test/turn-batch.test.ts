import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { openStore } from '../src/app';
import { defaultConfig } from '../src/config';
import { TurnBatch } from '../src/store/turn-batch';
import type { Store } from '../src/store/types';
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

/** A `run` that holds each batch until released, recording the batches and how many ran at once. */
function slowRun(): {
  run: (items: number[]) => Promise<number[]>;
  batches: number[][];
  releaseNext: () => void;
  maxConcurrent: () => number;
  started: () => Promise<void>;
} {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  let waiters: (() => void)[] = [];
  let now = 0;
  let max = 0;
  return {
    batches,
    async run(items) {
      batches.push(items);
      now++;
      max = Math.max(max, now);
      for (const w of waiters) w();
      waiters = [];
      await new Promise<void>((r) => gates.push(r));
      now--;
      if (items.includes(-1)) throw new Error(`batch ${batches.indexOf(items)} failed`);
      return items.map((i) => i * 10);
    },
    releaseNext: () => gates.shift()!(),
    maxConcurrent: () => max,
    started: () => new Promise<void>((r) => waiters.push(r)),
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('TurnBatch with one batch in flight', () => {
  it('gathers every call made while a batch runs into the single next batch', async () => {
    const slow = slowRun();
    const batch = new TurnBatch(slow.run, { maxInFlight: 1 });
    const first = batch.add(1);
    await slow.started();
    // Calls over several turns while the first batch runs: none starts a batch of its own.
    const later: Promise<number>[] = [];
    for (const i of [2, 3, 4]) {
      later.push(batch.add(i));
      await turn();
    }
    later.push(batch.add(5));
    await turn();
    assert.deepEqual(slow.batches, [[1]], 'nothing starts while a batch runs');
    const next = slow.started();
    slow.releaseNext();
    assert.equal(await first, 10);
    await next;
    assert.deepEqual(slow.batches, [[1], [2, 3, 4, 5]]);
    slow.releaseNext();
    assert.deepEqual(await Promise.all(later), [20, 30, 40, 50]);
    assert.equal(slow.maxConcurrent(), 1);
  });

  it('without the limit, a batch starts every turn while others run (the old behaviour)', async () => {
    const slow = slowRun();
    const batch = new TurnBatch(slow.run);
    const calls = [batch.add(1)];
    await slow.started();
    calls.push(batch.add(2));
    await slow.started();
    assert.deepEqual(slow.batches, [[1], [2]]);
    assert.equal(slow.maxConcurrent(), 2);
    slow.releaseNext();
    slow.releaseNext();
    assert.deepEqual(await Promise.all(calls), [10, 20]);
  });

  it('rejects only the callers of the failed batch; the batch after it runs and answers', async () => {
    const slow = slowRun();
    const batch = new TurnBatch(slow.run, { maxInFlight: 1 });
    const failing = [batch.add(1), batch.add(-1)];
    await slow.started();
    const after = [batch.add(2), batch.add(3)];
    const next = slow.started();
    slow.releaseNext();
    const failed = await Promise.allSettled(failing);
    assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((failed[0] as PromiseRejectedResult).reason), /batch 0 failed/);
    await next;
    slow.releaseNext();
    assert.deepEqual(await Promise.all(after), [20, 30]);
    assert.deepEqual(slow.batches, [[1, -1], [2, 3]]);
  });

  it('drain answers the calls queued behind the running batch, then resolves', async () => {
    const slow = slowRun();
    const batch = new TurnBatch(slow.run, { maxInFlight: 1 });
    const first = batch.add(1);
    await slow.started();
    const queued = [batch.add(2), batch.add(3)];
    let drained = false;
    const draining = batch.drain().then(() => (drained = true));
    // Release each batch as it starts; drain must not resolve before the queued calls are answered.
    const releaser = (async () => {
      slow.releaseNext();
      await slow.started();
      assert.equal(drained, false, 'drain waits for the batch queued behind the first');
      slow.releaseNext();
    })();
    await draining;
    await releaser;
    assert.equal(await first, 10);
    assert.deepEqual(await Promise.all(queued), [20, 30]);
    assert.deepEqual(slow.batches, [[1], [2, 3]]);
    assert.equal(slow.maxConcurrent(), 1);
  });
});

/** A store of the tested kind on a fresh data folder, removed afterwards (the test may close it first). */
async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const dataDir = tempDataDir();
  const dbUrl = testDbUrl(dataDir);
  const store = await openStore({ ...defaultConfig(), dataDir, ...(dbUrl ? { dbUrl } : {}) });
  let closed = false;
  const close = store.close.bind(store);
  store.close = async () => {
    closed = true;
    await close();
  };
  try {
    await fn(store);
  } finally {
    if (!closed) await close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await dropTestDb(dataDir);
  }
}

describe(`the ${TEST_DB} store's batched authentication`, () => {
  it('answers lookups still waiting for their turn before close() finishes', () =>
    withStore(async (store) => {
      const id = '05' + crypto.randomBytes(32).toString('hex');
      await store.ensureUser(id, Date.now() / 1000);
      const ts = Math.floor(Date.now() / 1000);
      const pending = [store.lookupAndRecordNonce(id, crypto.randomBytes(16), ts), store.lookupAndRecordNonce(id, crypto.randomBytes(16), ts)];
      await store.close();
      assert.deepEqual((await Promise.all(pending)).map((r) => r.recorded), [true, true]);
    }));
});

describe(`the ${TEST_DB} store's authentication view`, () => {
  it('hands over the rooms and overrides a poll reads next, exactly as roomsAndOverrides reads them', () =>
    withStore(async (store) => {
      const now = Date.now() / 1000;
      const room = await store.createRoom({ token: 'viewed', name: 'Viewed', now });
      const id = '15' + crypto.randomBytes(32).toString('hex');
      const user = await store.ensureUser(id, now);
      await store.setRoomModerator({ roomId: room.id, userId: user.id, moderator: true, admin: false, visible: true });
      const ts = Math.floor(now);
      const [a, b] = await Promise.all([store.lookupAndRecordNonce(id, crypto.randomBytes(16), ts), store.lookupAndRecordNonce(id, crypto.randomBytes(16), ts)]);
      const fresh = await store.roomsAndOverrides(user.id);
      assert.ok(fresh.overrides?.get(room.id)?.moderator, 'the override is there to be handed over');
      assert.deepEqual(a!.view, fresh);
      assert.deepEqual(b!.view, fresh);
      // A replay is refused and is handed nothing.
      const nonce = crypto.randomBytes(16);
      await store.lookupAndRecordNonce(id, nonce, ts);
      const replay = await store.lookupAndRecordNonce(id, nonce, ts);
      assert.equal(replay.nonceSeen, true);
      assert.equal(replay.view, undefined);
    }));
});
