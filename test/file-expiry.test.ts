// File expiry: the expiry table of docs/protocol/api.md §8.2 with a manual clock and the cleanup job,
// filesExpiryDays = 0, and a randomised invariant test (disk files == file rows, expiry exactly as
// a model of the spec predicts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadFile, randomContent, uploadFile, uploadFileId, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { createRoom } from '../src/domain/rooms';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { blobExists, blobPaths, sqlAll, sqlGet } from './helpers/store-sql';
import { T0, HOUR, DAY, FileRow, fileRow, dbPaths, makeAdmin, postWith, editWith } from './helpers/files';

describe('expiry (docs/protocol/api.md §8.2) with a manual clock and the cleanup job', () => {
  let t: TestServer;
  let clock: ManualClock;
  let alice: SogsClient;
  let bob: SogsClient;
  before(async () => {
    clock = new ManualClock(T0);
    t = await startTestServer({ rateLimitPosts: 0 }, { clock });
    alice = t.client();
    bob = t.client();
  });
  after(() => t.close());

  it('an unclaimed upload expires after one hour: 404 at once, removed by cleanup', async () => {
    const id = await uploadFileId(alice, 'main', Buffer.from('temp'));
    const p = (await fileRow(t, id))!.path;
    clock.advance(HOUR);
    assert.equal((await downloadFile(alice, 'main', id)).status, 200, 'still there at exactly one hour');
    await runCleanup(t.s);
    assert.ok((await fileRow(t, id)));
    clock.advance(1);
    assert.equal((await downloadFile(alice, 'main', id)).status, 404, 'inaccessible as soon as expired');
    assert.ok(await blobExists(t.s.blobs, p));
    const counts = await runCleanup(t.s);
    assert.equal(counts['files'], 1);
    assert.equal((await fileRow(t, id)), undefined);
    assert.equal(await blobExists(t.s.blobs, p), false);
  });

  it('post `files` claims own fresh uploads of the room for filesExpiryDays; others are ignored', async () => {
    const mine = await uploadFileId(alice, 'main', Buffer.from('mine'));
    const theirs = await uploadFileId(bob, 'main', Buffer.from('theirs'));
    await createRoom(t.s, 'other', 'Other');
    const elsewhere = await uploadFileId(alice, 'other', Buffer.from('elsewhere'));
    clock.advance(HOUR - 5);
    const old = await uploadFileId(alice, 'main', Buffer.from('old'));
    clock.advance(10); // `mine` is now 1 h 5 s old, `old` 5 s
    const fresh = await uploadFileId(alice, 'main', Buffer.from('fresh'));
    const m = await postWith(alice, 'main', [String(fresh), theirs, elsewhere, mine, 424242, old]);
    const now = clock.now();
    assert.deepEqual((await fileRow(t, fresh))!.expiry, now + 15 * DAY, 'numeric strings are accepted');
    assert.equal((await fileRow(t, fresh))!.message, m.id);
    assert.equal((await fileRow(t, old))!.message, m.id);
    assert.equal((await fileRow(t, theirs))!.message, null, "someone else's upload");
    assert.equal((await fileRow(t, elsewhere))!.message, null, 'another room');
    assert.equal((await fileRow(t, mine))!.message, null, 'uploaded more than an hour ago');
    assert.equal((await downloadFile(bob, 'main', fresh)).headers['expires'], new Date((now + 15 * DAY) * 1000).toUTCString());

    // An edit attaches new uploads but cannot steal already-attached ones.
    const m2 = await postWith(bob, 'main', []);
    const later = await uploadFileId(bob, 'main', Buffer.from('later'));
    clock.advance(60);
    assert.equal(await editWith(t, bob, 'main', m2.id, [later, fresh, theirs]), 200);
    assert.equal((await fileRow(t, later))!.message, m2.id);
    assert.equal((await fileRow(t, later))!.expiry, clock.now() + 15 * DAY);
    assert.equal((await fileRow(t, theirs))!.message, null, "bob's own upload, but more than an hour old by now");
    assert.equal((await fileRow(t, fresh))!.message, m.id, 'already attached elsewhere');

    // Deleting the post expires its attachments at once.
    assert.equal((await alice.delete(`/room/main/message/${m.id}`)).status, 200);
    assert.equal((await downloadFile(bob, 'main', fresh)).status, 404);
    await runCleanup(t.s);
    assert.equal((await fileRow(t, fresh)), undefined);
    assert.equal((await fileRow(t, old)), undefined);

    clock.advance(15 * DAY + 61);
    await runCleanup(t.s);
    assert.equal((await fileRow(t, later)), undefined, 'attachments expire after filesExpiryDays');
    assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
  });

  it('rejects malformed `files` with 400 and posts nothing', async () => {
    const before = (await alice.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    for (const files of [5, 'x', [1.5], ['abc'], [-1], [{}], [null]]) {
      assert.equal((await alice.postMessage('main', randomContent(), { files })).status, 400, JSON.stringify(files));
    }
    const m = await postWith(alice, 'main', null);
    assert.equal(m.seqno, before + 1);
    assert.equal(await editWith(t, alice, 'main', m.id, 'nope'), 400);
  });
});

describe('filesExpiryDays = 0', () => {
  it('keeps attachments forever', async () => {
    const clock = new ManualClock(T0);
    const t = await startTestServer({ filesExpiryDays: 0 }, { clock });
    try {
      const c = t.client();
      const id = await uploadFileId(c, 'main', Buffer.from('keep'));
      await postWith(c, 'main', [id]);
      assert.equal((await fileRow(t, id))!.expiry, null);
      assert.equal('expires' in (await downloadFile(c, 'main', id)).headers, false);
      clock.advance(1000 * DAY);
      await runCleanup(t.s);
      assert.equal((await downloadFile(c, 'main', id)).status, 200);
    } finally {
      await t.close();
    }
  });
});

// --- randomised invariant test -------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface MFile { id: number; room: string; uploader: number; uploaded: number; message: number | null; expiry: number | null }
interface MMsg { id: number; room: string; author: number; live: boolean; pinned: boolean }

describe('file-count invariant under random operations', () => {
  const SEED = Number(process.env['SOGS_FILES_SEED'] ?? 20240611);
  const STEPS = 400;
  const E = 15 * DAY;

  it(`disk == rows, and expiry follows the spec model (seed ${SEED}, ${STEPS} steps)`, async () => {
    const rnd = prng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const clock = new ManualClock(T0);
    // Ordinary uploads are 1-50 bytes; the oversize step sends more than this.
    const MAX = 64;
    const t = await startTestServer({ rateLimitPosts: 0, filesMaxSize: MAX }, { clock });
    try {
      const rooms = ['main', 'side'];
      await createRoom(t.s, 'side', 'Side');
      const users = [t.client(), t.client(), t.client()];
      const admin = t.client();
      for (const r of rooms) await makeAdmin(t, admin, r);
      const all = [...users, admin];
      // Known to the server from the start, so delete-all never meets an unknown user.
      for (const c of all) assert.equal((await c.get('/room/main')).status, 200);
      const files = new Map<number, MFile>();
      const msgs = new Map<number, MMsg>();
      const image = new Map<string, number | null>(rooms.map((r) => [r, null]));
      const isImage = (id: number) => [...image.values()].includes(id);
      const expired = (f: MFile, now: number) => f.expiry !== null && f.expiry < now;

      const claim = (m: MMsg, ids: number[]) => {
        const now = clock.now();
        for (const id of ids) {
          const f = files.get(id);
          if (!f || f.room !== m.room || f.uploader !== m.author || f.message !== null) continue;
          if (f.uploaded < now - HOUR || f.expiry === null || f.expiry < now) continue;
          f.message = m.id;
          f.expiry = m.pinned ? null : now + E;
        }
      };
      const candidates = (room: string) => {
        const ids = [...files.values()].filter((f) => f.room === room).map((f) => f.id);
        const out: number[] = [];
        const n = Math.floor(rnd() * 4);
        for (let i = 0; i < n && ids.length > 0; i++) out.push(rnd() < 0.9 ? pick(ids) : 987654);
        return out;
      };

      const ops: Record<string, () => Promise<void>> = {
        async upload() {
          const ui = Math.floor(rnd() * all.length);
          const room = pick(rooms);
          const id = await uploadFileId(all[ui]!, room, randomContent(1 + Math.floor(rnd() * 50)), rnd() < 0.5 ? `f${ui}.bin` : undefined);
          files.set(id, { id, room, uploader: ui, uploaded: clock.now(), message: null, expiry: clock.now() + HOUR });
        },
        async oversize() {
          const r = await uploadFile(pick(all), pick(rooms), randomContent(MAX + 1 + Math.floor(rnd() * 100)), 'big.bin');
          assert.equal(r.status, 413);
        },
        async deleteAll() {
          // A plain user's posts (a moderator's own or an admin's need other rights), by a room
          // admin or by the user; 200 also when nothing was left (README "Client notes"), and their
          // uploads go either way.
          const ui = Math.floor(rnd() * users.length);
          const room = pick(rooms);
          const mine = [...msgs.values()].filter((m) => m.room === room && m.author === ui && m.live);
          const who = rnd() < 0.7 ? admin : all[ui]!;
          const r = await who.delete(`/room/${room}/all/${all[ui]!.sessionId}`);
          assert.equal(r.status, 200, r.text());
          for (const m of mine) {
            m.live = false;
            m.pinned = false;
          }
          for (const f of files.values()) if (f.room === room && f.uploader === ui && image.get(room) !== f.id) f.expiry = 0;
        },
        async post() {
          const ui = Math.floor(rnd() * all.length);
          const room = pick(rooms);
          const ids = candidates(room);
          const m = await postWith(all[ui]!, room, ids);
          const mm: MMsg = { id: m.id, room, author: ui, live: true, pinned: false };
          msgs.set(m.id, mm);
          claim(mm, ids);
        },
        async edit() {
          const live = [...msgs.values()].filter((m) => m.live);
          if (live.length === 0) return;
          const m = pick(live);
          const ids = candidates(m.room);
          assert.equal(await editWith(t, all[m.author]!, m.room, m.id, ids), 200);
          claim(m, ids);
        },
        async remove() {
          const live = [...msgs.values()].filter((m) => m.live);
          if (live.length === 0) return;
          const m = pick(live);
          const who = rnd() < 0.5 ? all[m.author]! : admin;
          assert.equal((await who.delete(`/room/${m.room}/message/${m.id}`)).status, 200);
          m.live = false;
          m.pinned = false;
          for (const f of files.values()) if (f.message === m.id && !isImage(f.id)) f.expiry = 0;
        },
        async pin() {
          const live = [...msgs.values()].filter((m) => m.live);
          if (live.length === 0) return;
          const m = pick(live);
          assert.equal((await admin.post(`/room/${m.room}/pin/${m.id}`, {})).status, 200);
          m.pinned = true;
          const now = clock.now();
          for (const f of files.values()) if (f.message === m.id && f.expiry !== null && f.expiry >= now) f.expiry = null;
        },
        async unpin() {
          const pinned = [...msgs.values()].filter((m) => m.pinned);
          if (pinned.length === 0) return;
          const unpinAll = rnd() < 0.2;
          const m = pick(pinned);
          const targets = unpinAll ? pinned.filter((p) => p.room === m.room) : [m];
          const r = await admin.post(unpinAll ? `/room/${m.room}/unpin/all` : `/room/${m.room}/unpin/${m.id}`, {});
          assert.equal(r.status, 200);
          for (const p of targets) {
            p.pinned = false;
            for (const f of files.values()) if (f.message === p.id && !isImage(f.id)) f.expiry = f.uploaded + E;
          }
        },
        async setImage() {
          const room = pick(rooms);
          const ids = [...files.keys()];
          const id = ids.length > 0 && rnd() < 0.95 ? pick(ids) : 55555;
          const f = files.get(id);
          const now = clock.now();
          const r = await admin.put(`/room/${room}`, { image: id });
          if (!f || f.room !== room || expired(f, now)) {
            assert.equal(r.status, 406);
            return;
          }
          assert.equal(r.status, 200, r.text());
          const old = image.get(room)!;
          f.expiry = null;
          image.set(room, id);
          if (old !== null && old !== id && !isImage(old)) {
            const o = files.get(old)!;
            const m = o.message === null ? undefined : msgs.get(o.message);
            o.expiry = !m || !m.live ? 0 : m.pinned ? null : now + E;
          }
        },
        async advance() {
          const r = rnd();
          clock.advance(r < 0.6 ? Math.floor(rnd() * 20 * 60) : r < 0.9 ? Math.floor(rnd() * 2 * HOUR) : Math.floor(rnd() * 20 * DAY));
        },
        async cleanup() {
          await runCleanup(t.s);
          const now = clock.now();
          for (const [id, f] of files) if (expired(f, now)) files.delete(id);
          // Every expired file is gone, and the disk holds exactly the files the database knows.
          assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
          const expiredRows = (await sqlGet<{ n: number }>(t.s.store, 'SELECT count(*) AS n FROM files WHERE expiry < ?', now))!;
          assert.equal(expiredRows.n, 0);
        },
      };
      const weights: [string, number][] = [
        ['upload', 6], ['post', 4], ['edit', 2], ['remove', 2], ['pin', 2], ['unpin', 1.5], ['setImage', 1.5], ['advance', 3], ['cleanup', 2],
        ['deleteAll', 0.7], ['oversize', 0.5],
      ];
      const total = weights.reduce((a, [, w]) => a + w, 0);
      const counts: Record<string, number> = {};
      for (let step = 0; step < STEPS; step++) {
        let x = rnd() * total;
        const [op] = weights.find(([, w]) => (x -= w) < 0) ?? weights[0]!;
        counts[op] = (counts[op] ?? 0) + 1;
        await ops[op]!();
        // After every step the database agrees with the model exactly.
        const rows = await sqlAll<FileRow>(t.s.store, 'SELECT id, message, expiry FROM files ORDER BY id');
        const model = [...files.values()].sort((a, b) => a.id - b.id).map((f) => ({ id: f.id, message: f.message, expiry: f.expiry }));
        assert.deepEqual(rows.map((r) => ({ ...r })), model, `step ${step} (${op})`);
        for (const r of rooms) assert.equal(((await admin.get(`/room/${r}`)).json<{ image_id?: number }>().image_id ?? null), image.get(r));
      }
      await ops['cleanup']!();
      // Downloads agree too: every known file is served, nothing else is.
      for (const f of files.values()) assert.equal((await downloadFile(admin, f.room, f.id)).status, 200);
      assert.ok(Object.keys(counts).length === weights.length, `every operation ran: ${JSON.stringify(counts)}`);
      assert.ok(files.size > 0 && [...files.values()].some((f) => f.message !== null), 'the run exercised attachments');
    } finally {
      await t.close();
    }
  });
});
