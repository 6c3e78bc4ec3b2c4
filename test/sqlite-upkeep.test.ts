// The SQLite store's background upkeep: WAL checkpoints run in a thread of their own, so no
// request's commit pays for copying the WAL into the database and syncing both.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BACKSTOP_AUTOCHECKPOINT_PAGES } from '../src/store/sqlite/checkpointer';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store';
import { TEST_DB, startTestServer } from './helpers/server';

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
