// PUT /room/:token: room name, description, default permissions and image, directly and in /batch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadFile, uploadFileId, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { createRoom } from '../src/domain/rooms';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { blobPaths } from './helpers/store-sql';
import { T0, HOUR, DAY, fileRow, dbPaths, makeAdmin, postWith, editWith } from './helpers/files';

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

    // An old image that is also a post attachment gets the normal attachment expiry (§12.12).
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
