// What the SQLite store does so that no request waits on the event loop for the disk or for
// another process: WAL checkpoints run in a thread of their own, and the nonce group commit does
// not sleep while another process holds the write lock.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BACKSTOP_AUTOCHECKPOINT_PAGES } from '../src/store/sqlite/checkpointer';
import { SqliteStore } from '../src/store/sqlite/sqlite-store';
import { TEST_DB, startTestServer, tempDataDir } from './helpers/server';

describe('SQLite WAL checkpoints', { skip: TEST_DB === 'postgres' ? 'SQLite only' : false }, () => {
  it('copy committed pages into the database file from a thread, well before the automatic checkpoint would', async () => {
    const t = await startTestServer({ rateLimitPosts: 0 });
    try {
      const store = t.s.store as SqliteStore;
      assert.equal(store.db.pragma('wal_autocheckpoint', { simple: true }), BACKSTOP_AUTOCHECKPOINT_PAGES);
      const c = t.client();
      let last = Buffer.alloc(0);
      // About 300 WAL pages: below the 1,000 at which SQLite would checkpoint on its own.
      for (let i = 0; i < 30; i++) {
        last = crypto.randomBytes(2000);
        assert.equal((await c.postMessage('main', last)).status, 201);
      }
      const marker = last.subarray(100, 164);
      const file = path.join(t.dataDir, 'sogs.db');
      const deadline = Date.now() + 10_000;
      while (!fs.readFileSync(file).includes(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(fs.readFileSync(file).includes(marker), 'the last message reached the database file itself');
    } finally {
      await t.close();
    }
  });
});

describe('SQLite nonce group commit', { skip: TEST_DB === 'postgres' ? 'SQLite only' : false }, () => {
  it("keeps serving while another process holds the write lock, and commits once it is free", async () => {
    const dir = tempDataDir();
    const file = path.join(dir, 'sogs.db');
    const other = new SqliteStore({ file });
    const store = new SqliteStore({ file });
    try {
      const id = '05' + crypto.randomBytes(32).toString('hex');
      await store.ensureUser(id, Date.now() / 1000);
      other.db.exec('BEGIN IMMEDIATE');
      let settled: string | null = null;
      const pending = store.lookupAndRecordNonce(id, crypto.randomBytes(16), Math.floor(Date.now() / 1000)).then(
        (r) => (settled = r.recorded ? 'recorded' : 'not recorded'),
        (e: Error) => (settled = e.message),
      );
      // A blocked event loop would run no timer until SQLite's busy timeout (5 s) ran out.
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(performance.now() - t0 < 1000, 'timers still run');
      assert.equal(settled, null, 'the commit waits for the lock');
      other.db.exec('COMMIT');
      await pending;
      assert.equal(settled, 'recorded');
    } finally {
      await store.close();
      await other.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
