// The store's rules are written once (store/shared/) and run on both databases; what makes each
// rule atomic differs. On SQLite a rule runs synchronously inside one better-sqlite3 transaction,
// so another request's statement cannot run inside it; a rule that waited for anything would
// break that, and is refused. On PostgreSQL each rule is a transaction that takes the room's lock.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { YieldInSyncTransaction } from '../src/store/shared/op';
import { PgStore } from '../src/store/postgres/pg-store';
import { SqliteStore } from '../src/store/sqlite/sqlite-store';
import type { Store } from '../src/store/types';
import { TEST_DB, dropPgSchema, pgSchemaUrl, tempDataDir } from './helpers/server';
import { sqlAll } from './helpers/store-sql';

const now = Math.floor(Date.now() / 1000);
const schema = `t_${process.pid}_atomicity`;

async function openStore(dir: string): Promise<Store> {
  return TEST_DB === 'postgres' ? PgStore.open({ url: pgSchemaUrl(schema), poolSize: 4 }) : new SqliteStore({ file: path.join(dir, 'sogs.db') });
}

describe('store rules are atomic', () => {
  const dir = tempDataDir();
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (TEST_DB === 'postgres') await dropPgSchema(schema);
  });

  it('SQLite refuses a rule that waits inside its transaction, and rolls back what it wrote', { skip: TEST_DB === 'postgres' && 'SQLite only' }, async () => {
    const store = new SqliteStore({ file: path.join(dir, 'yield.db') });
    try {
      assert.throws(
        () =>
          store.runInTransaction(function* (t) {
            yield* t.rooms.insert({ token: 'waits', name: 'Waits', now });
            // What an asynchronous table method would do: hand a promise to the driver.
            yield Promise.resolve();
          }),
        YieldInSyncTransaction,
      );
      assert.equal(await store.getRoom('waits'), null, 'the insert before the wait was rolled back');
      assert.equal(store.db.inTransaction, false);
      // A rule that does not wait runs and commits.
      store.runInTransaction((t) => t.rooms.insert({ token: 'plain', name: 'Plain', now }));
      assert.equal((await store.getRoom('plain'))?.name, 'Plain');
    } finally {
      await store.close();
    }
  });

  it('concurrent posts, edits, reactions and deletions in one room never interleave', async () => {
    const store = await openStore(dir);
    try {
      const room = await store.createRoom({ token: 'busy', name: 'Busy', now });
      const users = await Promise.all([...Array(4).keys()].map((i) => store.ensureUser('05' + String(i).repeat(64), now)));
      const post = (u: number): Promise<{ id: number }> =>
        store.insertMessage({ roomId: room.id, userId: users[u]!.id, data: crypto.randomBytes(40), signature: crypto.randomBytes(64), whisperTo: null, whisperMods: false, filtered: false, now });
      const first = await Promise.all([0, 1, 2, 3, 0, 1, 2, 3].map(post));
      // Everything at once: each call is one rule; any interleaving would reuse or skip a sequence number.
      const work: Promise<unknown>[] = [];
      let reactionsAdded = 0;
      for (const [i, m] of first.entries()) {
        for (const u of users) work.push(store.addReaction(room.id, m.id, u.id, i % 2 ? '👍' : '🎉', now).then((r) => (reactionsAdded += r?.changed ? 1 : 0)));
        work.push(post(i % 4));
        if (i % 2 === 0) work.push(store.editMessage(m.id, crypto.randomBytes(40), crypto.randomBytes(64), now));
        if (i % 3 === 0) work.push(store.deleteMessage(m.id, now + 1));
      }
      work.push(store.deleteUserMessages(room.id, users[3]!.id, now + 2));
      await Promise.all(work);
      const events = await sqlAll<{ n: number }>(
        store,
        `SELECT (SELECT count(*) FROM messages WHERE room = ?) + (SELECT count(*) FROM message_history h JOIN messages m ON m.id = h.message WHERE m.room = ?) AS n`,
        room.id,
        room.id,
      );
      const seq = (await store.getRoomById(room.id))!.messageSequence;
      // Each post, edit and deletion is one event (one history row each for edits and deletions),
      // and so is each reaction added and each one a deletion removed.
      const removed = await sqlAll<{ n: number }>(store, 'SELECT count(*) AS n FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction JOIN messages m ON m.id = r.message WHERE m.room = ?', room.id);
      assert.ok(reactionsAdded > 0);
      assert.equal(seq, Number(events[0]!.n) + reactionsAdded + (reactionsAdded - Number(removed[0]!.n)));
      const since = await store.messagesSince(room.id, 'everyone', 0, 1000, true);
      const seqnos = since.map((m) => m.seqno);
      assert.equal(new Set(seqnos).size, seqnos.length, 'no two messages share a sequence number');
      assert.ok(seqnos.every((s) => s <= seq));
    } finally {
      await store.close();
    }
  });
});
