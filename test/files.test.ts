// Files and room images over real HTTP and /batch: upload/download headers, file names and
// on-disk names, permissions and limits, the expiry table of docs/protocol/api.md §8.2 with a manual clock and
// the cleanup job, PUT /room, deleting all of a user's posts, and a randomised invariant test
// (disk files == file rows, expiry exactly as a model of the spec predicts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadFile, onionRequest, padMessage, randomContent, uploadFile, uploadFileId, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { createRoom } from '../src/domain/rooms';
import { filenameFromDisposition, safeFileName, sweepOrphanBlobs } from '../src/domain/files';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { blobFile } from '../src/store/blobs';
import { runCli } from './helpers/cli';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { ageBlobs, blobExists, blobPaths, sqlAll, sqlGet } from './helpers/store-sql';

const T0 = 1_700_000_000;
const HOUR = 3600;
const DAY = 86400;

interface FileRow {
  id: number;
  room: number | null;
  uploader: number;
  message: number | null;
  expiry: number | null;
  uploaded: number;
  filename: string | null;
  path: string;
}

async function fileRow(t: TestServer, id: number): Promise<FileRow | undefined> {
  return sqlGet<FileRow>(t.s.store, 'SELECT * FROM files WHERE id = ?', id);
}
async function dbPaths(t: TestServer): Promise<string[]> {
  return (await sqlAll<{ path: string }>(t.s.store, 'SELECT path FROM files')).map((r) => r.path).sort();
}

async function makeAdmin(t: TestServer, c: SogsClient, token: string): Promise<void> {
  const u = await resolveTargetUser(t.s, c.sessionId);
  await setModerator(t.s, u, [(await t.s.store.getRoom(token))!], { moderator: true, admin: true, visible: true });
}

async function postWith(c: SogsClient, room: string, files: unknown): Promise<{ id: number; seqno: number }> {
  const r = await c.postMessage(room, randomContent(), { files });
  assert.equal(r.status, 201, r.text());
  return r.json<{ id: number; seqno: number }>();
}

async function editWith(t: TestServer, c: SogsClient, room: string, id: number, files: unknown): Promise<number> {
  const data = padMessage(randomContent());
  const sig = c.identity!.signBlinded(t.serverPubkey, data);
  return (await c.put(`/room/${room}/message/${id}`, { data: data.toString('base64'), signature: sig.toString('base64'), files })).status;
}

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

describe('PUT /room/:token (docs/protocol/api.md §4.2)', () => {
  let t: TestServer;
  let clock: ManualClock;
  let admin: SogsClient;
  let mod: SogsClient;
  let user: SogsClient;
  const info = async () => (await admin.get('/room/main')).json<Record<string, unknown>>();
  before(async () => {
    clock = new ManualClock(T0);
    t = await startTestServer({ rateLimitPosts: 0 }, { clock });
    admin = t.client();
    mod = t.client();
    user = t.client();
    await makeAdmin(t, admin, 'main');
    const u = await resolveTargetUser(t.s, mod.sessionId);
    await setModerator(t.s, u, [(await t.s.store.getRoom('main'))!], { moderator: true, admin: false, visible: true });
  });
  after(() => t.close());

  it('401 anonymous, 403 non-admins (moderators too), 404 unknown room; checked before the body', async () => {
    assert.equal((await t.client(null).put('/room/main', { name: 'x' })).status, 401);
    assert.equal((await user.put('/room/main', { name: 'x' })).status, 403);
    assert.equal((await mod.put('/room/main', { name: 'x' })).status, 403);
    assert.equal((await user.put('/room/main', 'junk')).status, 403);
    assert.equal((await admin.put('/room/nosuch', { name: 'x' })).status, 404);
    assert.equal((await info())['name'], 'Main');
  });

  it('400 for wrong types or no known field; nothing changes', async () => {
    const before = await info();
    const bad: unknown[] = [
      {}, { nope: 1 }, { name: 5 }, { name: null }, { description: 7 }, { image: 'abc' }, { image: 1.5 }, { image: true },
      { default_read: 'yes' }, { default_write: 1.5 }, { default_upload: [] }, [1], 'str',
    ];
    for (const b of bad) assert.equal((await admin.put('/room/main', b)).status, 400, JSON.stringify(b));
    assert.deepEqual(await info(), before);
  });

  it('cleans name and description, bumps info_updates once per changed column', async () => {
    const i0 = (await info())['info_updates'] as number;
    let r = await admin.put('/room/main', { name: 'New\u0000 Na\u001fme\u0007', description: 'Line 1\n\tLine 2\u0001\r' });
    assert.deepEqual(r.json(), { info_updates: i0 + 2 });
    let room = await info();
    assert.equal(room['name'], 'New Name');
    assert.equal(room['description'], 'Line 1\n\tLine 2');
    r = await admin.put('/room/main', { name: 'New Name', description: 'Line 1\n\tLine 2' });
    assert.deepEqual(r.json(), { info_updates: i0 + 2 }, 'unchanged values do not bump');
    r = await admin.put('/room/main', { description: '\u0001\u0002' });
    assert.deepEqual(r.json(), { info_updates: i0 + 3 });
    room = await info();
    assert.equal('description' in room, false, 'an empty description is removed');
    r = await admin.put('/room/main', { description: null, name: '' });
    assert.deepEqual(r.json(), { info_updates: i0 + 4 }, 'empty name accepted; description already null');
    assert.equal((await info())['name'], '');
    await admin.put('/room/main', { name: 'Main' });
  });

  it('sets default permissions (bool or int; null = unchanged) without bumping info_updates', async () => {
    const i0 = (await info())['info_updates'] as number;
    const r = await admin.put('/room/main', { default_read: 1, default_accessible: false, default_write: 0, default_upload: null });
    assert.deepEqual(r.json(), { info_updates: i0 });
    const room = await info();
    assert.deepEqual([room['default_read'], room['default_accessible'], room['default_write'], room['default_upload']], [true, false, false, true]);
    assert.equal((await user.get('/room/main')).json<Record<string, unknown>>()['write'], false);
    assert.equal((await admin.put('/room/main', { default_write: true, default_accessible: true })).status, 200);
  });

  it('room image: 406 unless an unexpired file of this room; never expires; replacing expires the old one', async () => {
    await createRoom(t.s, 'elsewhere', 'Elsewhere');
    const foreign = await uploadFileId(user, 'elsewhere', Buffer.from('foreign'));
    const i0 = (await info())['info_updates'] as number;
    assert.equal((await admin.put('/room/main', { image: 999999 })).status, 406);
    assert.equal((await admin.put('/room/main', { image: foreign })).status, 406);
    assert.equal((await admin.put('/room/main', { name: 'Renamed', image: foreign })).status, 406);
    assert.equal((await info())['name'], 'Main', 'one transaction: nothing applied');
    assert.equal((await info())['info_updates'], i0);

    const img1 = await uploadFileId(user, 'main', Buffer.from('img1'), 'one.png');
    let r = await admin.put('/room/main', { image: img1 });
    assert.deepEqual(r.json(), { info_updates: i0 + 1 });
    assert.equal((await info())['image_id'], img1);
    assert.equal((await fileRow(t, img1))!.expiry, null);
    assert.equal('expires' in (await downloadFile(user, 'main', img1)).headers, false);
    assert.deepEqual((await admin.put('/room/main', { image: img1 })).json(), { info_updates: i0 + 1 }, 'same image: no bump');

    // Replacing: an unattached old image expires immediately.
    const img2 = await uploadFileId(user, 'main', Buffer.from('img2'));
    r = await admin.put('/room/main', { image: img2 });
    assert.deepEqual(r.json(), { info_updates: i0 + 2 });
    assert.equal((await downloadFile(user, 'main', img1)).status, 404);
    await runCleanup(t.s);
    assert.equal((await fileRow(t, img1)), undefined);

    // An old image that is also a post attachment gets the normal attachment expiry (docs/protocol/api.md §12.12).
    const img3 = await uploadFileId(user, 'main', Buffer.from('img3'));
    await postWith(user, 'main', [img3]);
    assert.equal((await admin.put('/room/main', { image: img3 })).status, 200);
    assert.equal((await fileRow(t, img3))!.expiry, null);
    const m = await postWith(user, 'main', []);
    assert.equal((await user.delete(`/room/main/message/${m.id}`)).status, 200);
    clock.advance(100);
    const img4 = await uploadFileId(user, 'main', Buffer.from('img4'));
    assert.equal((await admin.put('/room/main', { image: img4 })).status, 200);
    assert.equal((await fileRow(t, img3))!.expiry, clock.now() + 15 * DAY);

    // The current image survives deletion of the post it is attached to.
    const p = await postWith(user, 'main', []);
    const img5 = await uploadFileId(user, 'main', Buffer.from('img5'));
    assert.equal(await editWith(t, user, 'main', p.id, [img5]), 200);
    assert.equal((await admin.put('/room/main', { image: img5 })).status, 200);
    assert.equal((await user.delete(`/room/main/message/${p.id}`)).status, 200);
    assert.equal((await fileRow(t, img5))!.expiry, null);
    clock.advance(100 * DAY);
    await runCleanup(t.s);
    assert.equal((await downloadFile(user, 'main', img5)).status, 200);
    assert.equal((await info())['image_id'], img5);
    // ...and once replaced, an image whose post was deleted expires at once.
    const img6 = await uploadFileId(user, 'main', Buffer.from('img6'));
    assert.equal((await admin.put('/room/main', { image: img6 })).status, 200);
    assert.equal((await fileRow(t, img5))!.expiry, 0);
    assert.equal((await downloadFile(user, 'main', img5)).status, 404);

    // An expired upload cannot become the image.
    const late = await uploadFileId(user, 'main', Buffer.from('late'));
    clock.advance(HOUR + 1);
    assert.equal((await admin.put('/room/main', { image: late })).status, 406);
    assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
  });

  it('works inside /batch', async () => {
    const r = await admin.batch([
      { method: 'PUT', path: '/room/main', json: { name: 'Batched' } },
      { method: 'PUT', path: '/room/main', json: { image: 123456789 } },
      { method: 'GET', path: '/room/main' },
    ]);
    assert.deepEqual(r.map((x) => x.code), [200, 406, 200]);
    assert.equal((r[2]!.body as { name: string }).name, 'Batched');
  });
});

describe("deleting all of a user's posts (docs/protocol/api.md §4.9)", () => {
  // The same outcome whether a moderator asks over the API or an operator runs the CLI.
  const ways: [string, (t: TestServer, mod: SogsClient, victim: SogsClient) => Promise<void>][] = [
    ['DELETE /room/:t/all/:id', async (_t, mod, victim) => assert.equal((await mod.delete(`/room/main/all/${victim.sessionId}`)).status, 200)],
    ['sogs --delete-all-posts', async (t, _mod, victim) => {
      const r = await runCli(t.dataDir, '--rooms', 'main', '--delete-all-posts', victim.sessionId);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Deleted 2 message\(s\)/);
    }],
  ];
  for (const [how, deleteAll] of ways) {
    it(`${how} expires their uploads in that room at once, except the room image`, async () => {
      const t = await startTestServer({ rateLimitPosts: 0 });
      try {
        await createRoom(t.s, 'side', 'Side');
        const admin = t.client();
        await makeAdmin(t, admin, 'main');
        const [victim, bystander] = [t.client(), t.client()];
        const att = await uploadFileId(victim, 'main', Buffer.from('attached'));
        const pinnedAtt = await uploadFileId(victim, 'main', Buffer.from('pinned'));
        const loose = await uploadFileId(victim, 'main', Buffer.from('not attached yet'));
        const img = await uploadFileId(victim, 'main', Buffer.from('room image'));
        const elsewhere = await uploadFileId(victim, 'side', Buffer.from('other room'));
        const theirs = await uploadFileId(bystander, 'main', Buffer.from('someone else'));
        await postWith(victim, 'main', [att]);
        const pinned = await postWith(victim, 'main', [pinnedAtt]);
        await postWith(victim, 'side', [elsewhere]);
        await postWith(bystander, 'main', [theirs]);
        assert.equal((await admin.post(`/room/main/pin/${pinned.id}`, {})).status, 200);
        assert.equal((await admin.put('/room/main', { image: img })).status, 200);

        await deleteAll(t, admin, victim);
        for (const id of [att, pinnedAtt, loose]) {
          assert.equal((await fileRow(t, id))!.expiry, 0, `file ${id}`);
          assert.equal((await downloadFile(bystander, 'main', id)).status, 404, `file ${id} is gone at once`);
        }
        assert.equal((await fileRow(t, img))!.expiry, null, 'the room image stays, and still never expires');
        assert.equal((await downloadFile(bystander, 'main', img)).status, 200);
        assert.equal((await downloadFile(bystander, 'side', elsewhere)).status, 200, 'other rooms are untouched');
        assert.equal((await downloadFile(bystander, 'main', theirs)).status, 200, "other users' files are untouched");
        await runCleanup(t.s);
        assert.deepEqual(await Promise.all([att, pinnedAtt, loose].map((id) => fileRow(t, id))), [undefined, undefined, undefined]);
        assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
        assert.equal((await dbPaths(t)).length, 3);
      } finally {
        await t.close();
      }
    });
  }
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
