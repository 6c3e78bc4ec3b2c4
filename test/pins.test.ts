// Pinning over real HTTP and /batch: admin-only (anonymous 403), pinned_messages in the room
// object, info_updates bumps, and the expiry of pinned posts' attachments.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadFile, padMessage, randomContent, uploadFileId, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { post } from './helpers/api';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { sqlGet } from './helpers/store-sql';

const DAY = 86400;

interface Pin {
  id: number;
  pinned_at: number;
  pinned_by: string;
}

let t: TestServer;
let clock: ManualClock;
let admin: SogsClient;
let globalAdmin: SogsClient;
let mod: SogsClient;
let user: SogsClient;
let anon: SogsClient;

async function room(c: SogsClient = anon): Promise<{ info_updates: number; pinned_messages?: Pin[] }> {
  const r = await c.get('/room/main');
  assert.equal(r.status, 200);
  return r.json();
}

async function expiryOf(id: number): Promise<number | null | undefined> {
  return (await sqlGet<{ expiry: number | null }>(t.s.store, 'SELECT expiry FROM files WHERE id = ?', id))?.expiry;
}

before(async () => {
  clock = new ManualClock(Math.floor(Date.now() / 1000));
  t = await startTestServer({ rateLimitPosts: 0 }, { clock });
  [admin, globalAdmin, mod, user] = [t.client(), t.client(), t.client(), t.client()];
  anon = t.client(null);
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), [main], { moderator: true, admin: true, visible: true });
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
  await setModerator(t.s, await resolveTargetUser(t.s, globalAdmin.sessionId), 'global', { moderator: true, admin: true, visible: false });
});
after(() => t.close());

describe('pin and unpin', () => {
  it('admins pin; pinned_messages is ordered by pin time; re-pin moves to the end; each bumps info_updates', async () => {
    const a = (await post(user)).id;
    const b = (await post(user)).id;
    const i0 = (await room()).info_updates;
    assert.equal('pinned_messages' in (await room()), false, 'absent while nothing is pinned');
    assert.deepEqual((await admin.post(`/room/main/pin/${a}`, {})).json(), { info_updates: i0 + 1 });
    // A fraction of a second: pinned_at is still whole seconds (truncated) for Session Android,
    // whose PinnedMessage.pinnedAt is a Long (api/views.ts wholeSeconds).
    clock.advance(5.75);
    assert.deepEqual((await globalAdmin.post(`/room/main/pin/${b}`, {})).json(), { info_updates: i0 + 2 });
    let r = await room();
    assert.equal(r.info_updates, i0 + 2);
    assert.deepEqual(r.pinned_messages, [
      { id: a, pinned_at: clock.now() - 5.75, pinned_by: admin.sessionId },
      { id: b, pinned_at: Math.floor(clock.now()), pinned_by: globalAdmin.sessionId },
    ]);
    assert.doesNotMatch((await anon.get('/room/main')).text(), /"pinned_at":[\d.eE+-]*[.eE]/, 'integers in the JSON text');
    clock.set(Math.ceil(clock.now()));
    clock.advance(5);
    assert.deepEqual((await globalAdmin.post(`/room/main/pin/${a}`, {})).json(), { info_updates: i0 + 3 }, 're-pin bumps');
    r = await room();
    assert.deepEqual(r.pinned_messages!.map((p) => [p.id, p.pinned_by]), [[b, globalAdmin.sessionId], [a, globalAdmin.sessionId]]);
    const poll = (await user.get(`/room/main/pollInfo/${i0}`)).json<{ details?: { pinned_messages: Pin[] } }>();
    assert.equal(poll.details!.pinned_messages.length, 2, 'pollInfo carries the new details');

    assert.deepEqual((await admin.post(`/room/main/unpin/${b}`, {})).json(), { unpinned: true, info_updates: i0 + 4 });
    assert.deepEqual((await admin.post(`/room/main/unpin/${b}`, {})).json(), { unpinned: false, info_updates: i0 + 4 }, 'not pinned: no bump');
    assert.deepEqual((await room()).pinned_messages!.map((p) => p.id), [a]);
    const c = (await post(user)).id;
    await admin.post(`/room/main/pin/${b}`, {});
    await admin.post(`/room/main/pin/${c}`, {});
    assert.deepEqual((await admin.post('/room/main/unpin/all', {})).json(), { unpinned: 3, info_updates: i0 + 9 }, 'one bump per removed pin');
    assert.equal('pinned_messages' in (await room()), false);
    assert.deepEqual((await admin.post('/room/main/unpin/all', {})).json(), { unpinned: 0, info_updates: i0 + 9 });
  });

  it('anonymous, users and non-admin moderators get 403; unknown room 404', async () => {
    const a = (await post(user)).id;
    for (const c of [anon, user, mod]) {
      assert.equal((await c.post(`/room/main/pin/${a}`, {})).status, 403);
      assert.equal((await c.post(`/room/main/unpin/${a}`, {})).status, 403);
      assert.equal((await c.post('/room/main/unpin/all', {})).status, 403);
    }
    assert.equal((await admin.post(`/room/nosuchroom/pin/${a}`, {})).status, 404);
    assert.equal('pinned_messages' in (await room()), false);
  });

  it('only regular messages: deleted, whispered and unknown ones are 404', async () => {
    const gone = (await post(user)).id;
    assert.equal((await user.delete(`/room/main/message/${gone}`)).status, 200);
    assert.equal((await admin.post(`/room/main/pin/${gone}`, {})).status, 404);
    const w = (await post(mod, { extra: { whisper_mods: true } })).id;
    assert.equal((await admin.post(`/room/main/pin/${w}`, {})).status, 404);
    assert.equal((await admin.post('/room/main/pin/999999', {})).status, 404);
    assert.equal((await admin.post('/room/main/pin/abc', {})).status, 404);
  });

  it('deleting a pinned message unpins it and bumps info_updates', async () => {
    const a = (await post(user)).id;
    await admin.post(`/room/main/pin/${a}`, {});
    const i0 = (await room()).info_updates;
    assert.equal((await user.delete(`/room/main/message/${a}`)).status, 200);
    const r = await room();
    assert.equal(r.info_updates, i0 + 1);
    assert.equal('pinned_messages' in r, false);
  });

  it('works inside /batch, with the room object reflecting it', async () => {
    const a = (await post(user)).id;
    const i0 = (await room()).info_updates;
    const r = await admin.batch([
      { method: 'POST', path: `/room/main/pin/${a}`, json: {} },
      { method: 'GET', path: '/room/main' },
      { method: 'POST', path: `/room/main/unpin/${a}`, json: {} },
      { method: 'POST', path: '/room/main/unpin/all', json: {} },
    ]);
    assert.deepEqual(r.map((x) => x.code), [200, 200, 200, 200]);
    assert.deepEqual(r[0]!.body, { info_updates: i0 + 1 });
    assert.deepEqual((r[1]!.body as { pinned_messages: Pin[] }).pinned_messages.map((p) => p.id), [a]);
    assert.deepEqual(r[2]!.body, { unpinned: true, info_updates: i0 + 2 });
    assert.deepEqual(r[3]!.body, { unpinned: 0, info_updates: i0 + 2 });
    const denied = await user.batch([{ method: 'POST', path: `/room/main/pin/${a}`, json: {} }]);
    assert.equal(denied[0]!.code, 403);
  });
});

describe('attachments of pinned posts', () => {
  it('never expire while pinned; unpinning restarts expiry from upload time', async () => {
    const old = await uploadFileId(user, 'main', Buffer.from('old attachment'));
    const m = (await post(user, { extra: { files: [old] } })).id;
    assert.equal(await expiryOf(old), clock.now() + 15 * DAY);
    assert.equal((await admin.post(`/room/main/pin/${m}`, {})).status, 200);
    assert.equal(await expiryOf(old), null);
    assert.equal('expires' in (await downloadFile(user, 'main', old)).headers, false);

    // A file attached by an edit while the post is pinned does not expire either.
    const late = await uploadFileId(user, 'main', Buffer.from('late attachment'));
    const data = padMessage(randomContent());
    const sig = user.identity!.signBlinded(t.serverPubkey, data).toString('base64');
    assert.equal((await user.put(`/room/main/message/${m}`, { data: data.toString('base64'), signature: sig, files: [late] })).status, 200);
    assert.equal(await expiryOf(late), null);

    clock.advance(20 * DAY);
    await runCleanup(t.s);
    assert.equal((await downloadFile(user, 'main', old)).status, 200, 'kept for 20 days while pinned');

    const uploadedLate = clock.now() - 20 * DAY;
    assert.deepEqual((await admin.post(`/room/main/unpin/${m}`, {})).json<{ unpinned: boolean }>().unpinned, true);
    assert.equal(await expiryOf(late), uploadedLate + 15 * DAY, 'uploaded + filesExpiryDays');
    assert.equal((await downloadFile(user, 'main', old)).status, 404, 'already past that: gone at once');
    await runCleanup(t.s);
    assert.equal(await expiryOf(old), undefined);
    assert.equal(await expiryOf(late), undefined);
  });

  it('a recent attachment survives an unpin-all with its remaining time', async () => {
    const f = await uploadFileId(user, 'main', Buffer.from('fresh'));
    const m = (await post(user, { extra: { files: [f] } })).id;
    const uploaded = clock.now();
    await admin.post(`/room/main/pin/${m}`, {});
    clock.advance(DAY);
    assert.deepEqual((await admin.post('/room/main/unpin/all', {})).json<{ unpinned: number }>().unpinned, 1);
    assert.equal(await expiryOf(f), uploaded + 15 * DAY);
    await runCleanup(t.s);
    assert.equal((await downloadFile(user, 'main', f)).status, 200);
  });
});
