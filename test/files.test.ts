// Files and room images over real HTTP and /batch: upload/download headers, file names and
// on-disk names, permissions and limits, room deletion, onion downloads, stored paths and the
// orphan sweep.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadFile, onionRequest, randomContent, uploadFile, uploadFileId, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { createRoom } from '../src/domain/rooms';
import { filenameFromDisposition, safeFileName, sweepOrphanBlobs } from '../src/domain/files';
import { blobFile } from '../src/store/blobs';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { ageBlobs, blobExists, blobPaths } from './helpers/store-sql';
import { T0, HOUR, fileRow, dbPaths, makeAdmin, postWith } from './helpers/files';

describe('upload and download', () => {
  let t: TestServer;
  let clock: ManualClock;
  let alice: SogsClient;
  before(async () => {
    clock = new ManualClock(T0);
    t = await startTestServer({}, { clock });
    alice = t.client();
  });
  after(() => t.close());

  it('returns 201 {id} and serves the exact bytes with the spec headers', async () => {
    const bytes = randomContent(5000);
    const r = await uploadFile(alice, 'main', bytes, 'my café photo (1).jpg');
    assert.equal(r.status, 201);
    const { id } = r.json<{ id: number }>();
    assert.deepEqual(Object.keys(r.json<object>()), ['id']);
    clock.advance(10);
    const d = await downloadFile(t.client(null), 'main', id);
    assert.equal(d.status, 200);
    assert.deepEqual(d.body, bytes);
    assert.equal(d.headers['content-type'], 'application/octet-stream');
    assert.equal(d.headers['content-length'], '5000');
    assert.equal(d.headers['content-disposition'], "attachment; filename*=UTF-8''my%20caf%C3%A9%20photo%20%281%29.jpg");
    assert.equal(d.headers['date'], new Date(T0 * 1000).toUTCString(), 'Date is the upload time');
    assert.equal(d.headers['expires'], new Date((T0 + HOUR) * 1000).toUTCString(), 'an unclaimed upload lives one hour');
    const alias = await downloadFile(t.client(null), 'main', id, 'anything/else.png');
    assert.deepEqual(alias.body, bytes, 'the trailing filename is ignored');
    const row = (await fileRow(t, id))!;
    assert.equal(row.path, `uploads/main/${id}_my_caf\u00e9_photo_(1).jpg`);
    assert.equal(row.filename, 'my café photo (1).jpg');
    assert.equal(row.uploader, (await t.s.store.findUser(alice.sessionId))!.id);
    assert.ok(await blobExists(t.s.blobs, row.path));
  });

  it('parses both Content-Disposition forms; NUL and / become U+FFFD; no name = attachment', async () => {
    const cases: [string | undefined, string | null, string][] = [
      [`attachment; filename*=UTF-8''%F0%9F%90%B1%20cat.gif`, '🐱 cat.gif', "attachment; filename*=UTF-8''%F0%9F%90%B1%20cat.gif"],
      ['attachment; filename="plain name.txt"', 'plain name.txt', "attachment; filename*=UTF-8''plain%20name.txt"],
      ['attachment; filename="a\\"b.txt"', 'a"b.txt', "attachment; filename*=UTF-8''a%22b.txt"],
      [`attachment; filename="x.txt"; filename*=UTF-8''y.txt`, 'y.txt', "attachment; filename*=UTF-8''y.txt"],
      [`attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`, '..\ufffd..\ufffdetc\ufffdpasswd', "attachment; filename*=UTF-8''..%EF%BF%BD..%EF%BF%BDetc%EF%BF%BDpasswd"],
      [`attachment; filename*=UTF-8''nul%00byte`, 'nul\ufffdbyte', "attachment; filename*=UTF-8''nul%EF%BF%BDbyte"],
      [undefined, null, 'attachment'],
      ['attachment', null, 'attachment'],
      ['attachment; filename=""', null, 'attachment'],
    ];
    for (const [header, stored, served] of cases) {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (header !== undefined) headers['content-disposition'] = header;
      const r = await alice.request('POST', '/room/main/file', { body: Buffer.from('x'), headers });
      assert.equal(r.status, 201, header);
      const id = r.json<{ id: number }>().id;
      const row = (await fileRow(t, id))!;
      assert.equal(row.filename, stored, header);
      assert.ok(row.path.startsWith(`uploads/main/${id}_`), row.path);
      assert.ok(!row.path.slice('uploads/main/'.length).includes('/'), 'never a path from the request');
      assert.equal((await downloadFile(alice, 'main', id)).headers['content-disposition'], served, header);
    }
    assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
  });

  it('names files on disk like the reference', () => {
    assert.equal(safeFileName(null), '(unnamed)');
    assert.equal(safeFileName('a  b&&c.txt'), 'a_b_c.txt');
    assert.equal(safeFileName("ok+-.'()@[]_Ж9.x"), "ok+-.'()@[]_Ж9.x");
    const long = 'a'.repeat(50) + 'b'.repeat(20);
    assert.equal(safeFileName(long), 'a'.repeat(40) + '...' + 'a'.repeat(0) + 'b'.repeat(17));
    assert.equal(filenameFromDisposition(`attachment; filename*=utf-8'en'%C3%A9`), 'é');
    assert.equal(filenameFromDisposition('attachment; filename=bare.txt'), 'bare.txt');
    assert.equal(filenameFromDisposition(Buffer.from('attachment; filename="é.txt"').toString('latin1')), 'é.txt', 'raw UTF-8 arrives as latin1');
  });

  it('uploads and downloads inside /batch (b64 body, headers carried, body base64)', async () => {
    const bytes = randomContent(300);
    const r = await alice.batch([
      { method: 'POST', path: '/room/main/file', b64: bytes.toString('base64'), headers: { 'Content-Disposition': 'attachment; filename="batch.bin"' } },
    ]);
    assert.equal(r[0]!.code, 201);
    const id = (r[0]!.body as { id: number }).id;
    const d = await alice.batch([
      { method: 'GET', path: `/room/main/file/${id}` },
      { method: 'GET', path: `/room/main/file/${id}/batch.bin` },
      { method: 'GET', path: '/room/main/file/999999' },
    ]);
    assert.deepEqual(d.map((x) => x.code), [200, 200, 404]);
    assert.equal(d[0]!.body, bytes.toString('base64'));
    assert.equal(d[0]!.headers['content-disposition'], "attachment; filename*=UTF-8''batch.bin");
    assert.equal(d[0]!.headers['content-type'], 'application/octet-stream');
    assert.equal(d[0]!.headers['date'], new Date(Math.floor(clock.now()) * 1000).toUTCString());
    assert.ok(d[0]!.headers['expires']);
    assert.equal('content-length' in d[0]!.headers, false);
  });

  it('enforces user, write and upload permission, and read for downloads', async () => {
    const anon = t.client(null);
    assert.equal((await uploadFile(anon, 'main', Buffer.from('x'))).status, 401);
    assert.equal((await uploadFile(alice, 'nosuchroom', Buffer.from('x'))).status, 404);
    await createRoom(t.s, 'locked', 'Locked');
    const admin = t.client();
    await makeAdmin(t, admin, 'locked');
    const id = await uploadFileId(alice, 'locked', Buffer.from('hello'));
    assert.equal((await admin.put('/room/locked', { default_upload: false })).status, 200);
    assert.equal((await uploadFile(alice, 'locked', Buffer.from('x'))).status, 403, 'no upload');
    assert.equal((await admin.put('/room/locked', { default_upload: true, default_write: false })).status, 200);
    assert.equal((await uploadFile(alice, 'locked', Buffer.from('x'))).status, 403, 'upload needs write too');
    assert.equal((await uploadFile(admin, 'locked', Buffer.from('x'))).status, 201, 'admins always may');
    assert.equal((await downloadFile(anon, 'locked', id)).status, 200);
    assert.equal((await downloadFile(anon, 'main', id)).status, 404, 'file of another room');
    assert.equal((await admin.put('/room/locked', { default_read: false })).status, 200);
    assert.equal((await downloadFile(anon, 'locked', id)).status, 403);
    assert.equal((await downloadFile(alice, 'locked', id)).status, 403);
    assert.equal((await downloadFile(admin, 'locked', id)).status, 200);
    assert.equal((await anon.get('/room/locked/file/-1')).status, 404);
    assert.equal((await anon.get('/room/locked/file/abc')).status, 404);
    // Ids beyond 2^53 (imported legacy ids can be) and beyond 64 bits: simply not found.
    assert.equal((await admin.get('/room/locked/file/1637000000123456789')).status, 404);
    assert.equal((await admin.get('/room/locked/file/99999999999999999999')).status, 404);
  });
});

describe('size limit', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ filesMaxSize: 1000 });
  });
  after(() => t.close());

  it('413 above filesMaxSize, nothing stored; exactly the limit is fine', async () => {
    const c = t.client();
    assert.equal((await uploadFile(c, 'main', Buffer.alloc(1001), 'big')).status, 413);
    assert.equal((await c.batch([{ method: 'POST', path: '/room/main/file', b64: Buffer.alloc(1001).toString('base64') }]))[0]!.code, 413);
    assert.deepEqual((await dbPaths(t)), []);
    assert.deepEqual((await blobPaths(t.s.blobs)), []);
    assert.equal((await uploadFile(c, 'main', Buffer.alloc(1000))).status, 201);
    assert.equal((await uploadFile(c, 'main', Buffer.alloc(0))).status, 201, 'an empty file is a file');
    assert.equal((await blobPaths(t.s.blobs)).length, 2);
  });
});

describe('room deletion and onion requests', () => {
  it('deleting a room expires all its files; cleanup removes them from disk', async () => {
    const t = await startTestServer();
    try {
      await createRoom(t.s, 'doomed', 'Doomed');
      const admin = t.client();
      await makeAdmin(t, admin, 'doomed');
      const c = t.client();
      const img = await uploadFileId(c, 'doomed', Buffer.from('img'));
      assert.equal((await admin.put('/room/doomed', { image: img })).status, 200);
      const att = await uploadFileId(c, 'doomed', Buffer.from('att'));
      await postWith(c, 'doomed', [att]);
      const kept = await uploadFileId(c, 'main', Buffer.from('kept'));
      assert.equal((await blobPaths(t.s.blobs)).length, 3);
      assert.ok(await t.s.store.deleteRoom('doomed'));
      await runCleanup(t.s);
      assert.deepEqual((await dbPaths(t)), [(await fileRow(t, kept))!.path]);
      assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
    } finally {
      await t.close();
    }
  });

  it('downloads through a v4 onion request carry the file headers', async () => {
    const t = await startTestServer();
    try {
      const c = t.client();
      const bytes = randomContent(64);
      const id = await uploadFileId(c, 'main', bytes, 'onion.bin');
      const r = await onionRequest(c, { method: 'GET', target: `/room/main/file/${id}` });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, bytes);
      assert.equal(r.headers['content-disposition'], "attachment; filename*=UTF-8''onion.bin");
      assert.ok(r.headers['expires']);
      const up = await onionRequest(c, { method: 'POST', target: '/room/main/file', body: bytes, headers: { 'Content-Disposition': 'attachment; filename="o2.bin"' } });
      assert.equal(up.status, 201);
      assert.equal((await fileRow(t, up.json<{ id: number }>().id))!.filename, 'o2.bin');
    } finally {
      await t.close();
    }
  });
});

describe('stored upload paths', () => {
  it('resolve inside the uploads folder only (a path from an imported database is not trusted)', () => {
    assert.equal(blobFile('/data/uploads', 'uploads/main/1_a.txt'), '/data/uploads/main/1_a.txt');
    for (const bad of ['uploads/../key_x25519', 'uploads/main/../../x', '/etc/passwd', 'main/1', 'uploads/a\0b', 'uploads/']) {
      assert.throws(() => blobFile('/data/uploads', bad), /outside/, bad);
    }
  });
});

describe('orphan sweep', () => {
  it('removes old blobs without a row and keeps everything else', async () => {
    const t = await startTestServer();
    try {
      const c = t.client();
      const id = await uploadFileId(c, 'main', Buffer.from('kept'));
      // Whichever blob store the server uses: the orphans are written through it, then aged.
      await t.s.blobs.write('uploads/main/99_orphan', Buffer.from('x'));
      await t.s.blobs.write('uploads/main/98_young', Buffer.from('y'));
      await ageBlobs(t.s, ['uploads/main/99_orphan', (await fileRow(t, id))!.path], 3600);
      assert.equal(await sweepOrphanBlobs(t.s), 1);
      assert.equal(await blobExists(t.s.blobs, 'uploads/main/99_orphan'), false);
      assert.ok(await blobExists(t.s.blobs, 'uploads/main/98_young'), 'young blobs may be uploads in progress');
      assert.equal((await downloadFile(c, 'main', id)).status, 200);
    } finally {
      await t.close();
    }
  });
});
