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
