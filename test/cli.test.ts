// The admin CLI as a separate process on the data folder of a running server: what it changes is
// visible to the server at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity } from '../client';
import { startTestServer, type TestServer } from './helpers/server';
import { runCli } from './helpers/cli';

let t: TestServer;

const cli = (...args: string[]) => runCli(t.dataDir, ...args);

type RoomJson = Record<string, unknown> & { moderators: string[]; admins: string[] };

before(async () => {
  t = await startTestServer();
});
after(() => t.close());

describe('admin CLI against a running server', () => {
  it('adds rooms in the seed form and with --name/--description', async () => {
    const r = await cli('--add-room', 'lounge', 'The Lounge');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Added room with ID: lounge/);
    const room = (await t.client(null).get('/room/lounge')).json<RoomJson>();
    assert.equal(room['name'], 'The Lounge');
    const r2 = await cli('--add-room', 'books', '--name', 'Books', '--description', 'Read more');
    assert.equal(r2.code, 0, r2.err);
    const books = (await t.client(null).get('/room/books')).json<RoomJson>();
    assert.deepEqual([books['name'], books['description']], ['Books', 'Read more']);
    const dup = await cli('--add-room', 'LOUNGE', 'again');
    assert.equal(dup.code, 1);
    assert.match(dup.err, /already exists/);
    const bad = await cli('--add-room', 'bad token!');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /invalid room token/);
  });

  it('appoints a 05 id that takes effect when the user shows up blinded', async () => {
    const id = Identity.random();
    const r = await cli('--add-moderator', id.sessionId, 'lounge');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Added moderator: ${id.sessionId} to room with ID: lounge`));
    const c = t.client(id);
    const seen = (await c.get('/room/lounge')).json<RoomJson>();
    assert.equal(seen['moderator'], true);
    assert.deepEqual(seen.moderators, [c.sessionId]);
    const del = await cli('--delete-moderator', id.sessionId, 'lounge');
    assert.equal(del.code, 0, del.err);
    assert.match(del.out, /Deleted moderator: .* from room with ID: lounge/);
    const after = (await c.get('/room/lounge')).json<RoomJson>();
    assert.equal('moderator' in after, false);
    assert.deepEqual(after.moderators, []);
  });

  it('appoints admins, hidden moderators and global moderators with --rooms', async () => {
    const admin = t.client();
    await admin.get('/room/books');
    let r = await cli('--rooms', 'books', '--add-moderators', admin.sessionId, '--admin');
    assert.equal(r.code, 0, r.err);
    let room = (await t.client(null).get('/room/books')).json<RoomJson>();
    assert.deepEqual(room.admins, [admin.sessionId]);
    const hidden = t.client();
    r = await cli('--rooms', 'books', '--add-moderators', hidden.sessionId, '--hidden');
    assert.equal(r.code, 0, r.err);
    room = (await t.client(null).get('/room/books')).json<RoomJson>();
    assert.deepEqual(room.moderators, []);
    const asAdmin = (await admin.get('/room/books')).json<RoomJson>();
    assert.deepEqual(asAdmin['hidden_moderators'], [hidden.sessionId]);
    const global = t.client();
    r = await cli('--rooms', '+', '--add-moderators', global.sessionId);
    assert.equal(r.code, 0, r.err);
    const g = (await global.get('/room/main')).json<RoomJson>();
    assert.equal(g['global_moderator'], true);
    const list = await cli('--list-global-mods');
    assert.match(list.out, new RegExp(global.sessionId));
    r = await cli('--rooms', '+', '--remove-moderators', global.sessionId);
    assert.equal(r.code, 0, r.err);
    assert.equal('global_moderator' in (await global.get('/room/main')).json<RoomJson>(), false);
    assert.equal((await cli('--rooms', 'books', '+', '--add-moderators', global.sessionId)).code, 1);
    assert.equal((await cli('--rooms', 'nosuch', '--add-moderators', global.sessionId)).code, 1);
    assert.equal((await cli('--add-moderator', global.sessionId)).code, 1, 'seed form needs two values');
  });

  it('prints URLs and lists rooms', async () => {
    const r = await cli('--print-url');
    assert.equal(r.code, 0);
    assert.match(r.out, /Users can join rooms on this open group server using the following URL format:/);
    assert.match(r.out, new RegExp(`/lounge\\?public_key=${t.s.keys.publicKeyHex}`));
    const l = await cli('--list-rooms');
    assert.match(l.out, /^lounge\n=+\nName: The Lounge/m);
  });

  it('deletes rooms', async () => {
    const r = await cli('--delete-room', 'books', '--yes');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Deleted room with ID: books/);
    assert.equal((await t.client(null).get('/room/books')).status, 404);
    assert.equal((await cli('--delete-room', 'books', '--yes')).code, 1);
  });
});
