// Several server processes on one database behave as one server. Two instances run as
// separate processes on different ports: on PostgreSQL (npm test's second pass) with separate data
// folders, as two hosts would; on SQLite sharing one data folder, as two processes of one host.
// Each cross-instance property is checked by acting on one instance and looking through the other.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Identity, SogsClient, downloadFile, encodeSessionMessage, httpRequest, padMessage, randomContent, react, uploadFileId } from '../client';
import { defaultConfig } from '../src/config';
import { runCli } from './helpers/cli';
import { startInstance, type Instance } from './helpers/instance';
import { TEST_DB, dropTestDb, tempDataDir, testDbUrl } from './helpers/server';

/** The instances run with the default settings. */
const FLOOD_ACCOUNTS = defaultConfig().floodAccounts;

describe(`two server instances on one ${TEST_DB === 'postgres' ? 'PostgreSQL database (separate data folders)' : 'SQLite data folder'}`, () => {
  let dirA: string;
  let dirB: string;
  let a: Instance;
  let b: Instance;
  let serverPubkey: Buffer;
  const admin = Identity.random();

  /** The same person talking to instance `i`. */
  const via = (i: Instance, id: Identity | null = Identity.random()): SogsClient =>
    new SogsClient({ baseUrl: i.url, serverPubkey, identity: id ?? undefined });

  before(async () => {
    dirA = tempDataDir();
    const db = testDbUrl(dirA);
    dirB = db ? tempDataDir() : dirA;
    const args = [...(db ? ['--db-url', db] : []), '--job-interval', '0.5', '--log-level', 'debug'];
    a = await startInstance(dirA, args);
    b = await startInstance(dirB, args);
    serverPubkey = Buffer.from(a.publicKeyHex, 'hex');
    const blinded = admin.blindedId(serverPubkey);
    // 'copies' is for the flood test alone: the fresh accounts every other test posts with would
    // make 'main' look raided (domain/raids.ts), holding every new account's post there.
    const room = await runCli(dirA, '--add-room', 'copies', '--name', 'Copies');
    assert.equal(room.code, 0, room.err);
    const r = await runCli(dirA, '--rooms', 'main', 'copies', '--add-moderators', blinded, '--admin');
    assert.equal(r.code, 0, r.err);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    fs.rmSync(dirA, { recursive: true, force: true });
    fs.rmSync(dirB, { recursive: true, force: true });
    await dropTestDb(dirA);
  });

  it('serve one server key: a new host gets it from the database', () => {
    assert.equal(b.publicKeyHex, a.publicKeyHex);
    assert.deepEqual(fs.readFileSync(path.join(dirB, 'key_x25519')), fs.readFileSync(path.join(dirA, 'key_x25519')));
  });

  it('refuse on one instance a nonce already used on the other', async () => {
    const c = via(a);
    const headers = c.authHeaders('GET', '/room/main');
    assert.equal((await httpRequest(`${a.url}/room/main`, 'GET', headers)).status, 200);
    const replay = await httpRequest(`${b.url}/room/main`, 'GET', headers);
    assert.equal(replay.status, 425);
    assert.equal(replay.body.toString(), 'Invalid authentication: X-SOGS-Nonce cannot be reused');
  });

  it('let exactly one of simultaneous copies of a request through, whichever instance they reach', async () => {
    for (let round = 0; round < 5; round++) {
      const headers = via(a).authHeaders('GET', '/room/main');
      const replies = await Promise.all([a, b, a, b, a, b].map((i) => httpRequest(`${i.url}/room/main`, 'GET', headers)));
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 425, 425, 425, 425, 425], `round ${round}`);
    }
  });

  it('apply room changes, moderators, permissions and bans everywhere at once', async () => {
    const adminA = via(a, admin);
    const [user, mod] = [Identity.random(), Identity.random()];
    assert.equal((await via(b, user).get('/room/main')).status, 200, 'the user is known');
    assert.equal((await via(b, mod).get('/room/main')).status, 200);

    assert.equal((await adminA.put('/room/main', { name: 'Renamed on A', description: 'from A' })).status, 200);
    const room = (await via(b).get('/room/main')).json<{ name: string; description: string }>();
    assert.deepEqual([room.name, room.description], ['Renamed on A', 'from A']);

    const modId = mod.blindedId(serverPubkey);
    assert.equal((await adminA.post(`/user/${modId}/moderator`, { rooms: ['main'], moderator: true, visible: true })).status, 200);
    assert.ok((await via(b).get('/room/main')).json<{ moderators: string[] }>().moderators.includes(modId));

    assert.equal((await adminA.put('/room/main', { default_write: false })).status, 200);
    assert.equal((await via(b, user).postMessage('main', randomContent())).status, 403, 'read-only on B too');
    assert.equal((await adminA.put('/room/main', { default_write: true })).status, 200);
    assert.equal((await via(b, user).postMessage('main', randomContent())).status, 201);

    const userId = user.blindedId(serverPubkey);
    assert.equal((await adminA.post(`/user/${userId}/ban`, { rooms: ['main'] })).status, 200);
    assert.equal((await via(b, user).get('/room/main/messages/recent')).status, 403, 'banned on B at once');
    assert.equal((await adminA.post(`/user/${userId}/unban`, { rooms: ['main'] })).status, 200);
    assert.equal((await via(b, user).get('/room/main/messages/recent')).status, 200);

    const cli = await runCli(dirA, '--add-room', 'lobby', '--name', 'Lobby');
    assert.equal(cli.code, 0, cli.err);
    assert.equal((await via(b).get('/room/lobby')).json<{ name: string }>().name, 'Lobby', 'a room added by the CLI shows on B');
  });

  it('poll on one instance what was just posted through the other, many times over', async () => {
    // Each instance keeps room rows between requests while rooms_version stands still: a post
    // elsewhere moves it, so the very next poll here must see the post.
    const poller = via(b);
    for (let i = 0; i < 5; i++) {
      const seq = (await poller.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
      const posted = await via(a).postMessage('main', randomContent());
      assert.equal(posted.status, 201);
      const [info, since] = await poller.batch([
        { method: 'GET', path: '/room/main/pollInfo/0' },
        { method: 'GET', path: `/room/main/messages/since/${seq}?t=r&reactors=5` },
      ]);
      assert.equal(info!.code, 200);
      assert.deepEqual((since!.body as { id: number }[]).map((m) => m.id), [posted.json<{ id: number }>().id]);
    }
  });

  it('show an edit made through one instance in the other\'s since-listing of a cursor it already served', async () => {
    // Instance b renders a cursor's listing once for all its pollers; an edit through a moves
    // the room's message_sequence, so b's next poll of the same cursor is rendered afresh.
    const author = Identity.random();
    const seq = (await via(b).get('/room/main')).json<{ message_sequence: number }>().message_sequence;
    const posted = (await via(a, author).postMessage('main', randomContent())).json<{ id: number }>();
    const listing = async () => (await via(b).get(`/room/main/messages/since/${seq}?t=r&reactors=5`)).json<{ id: number; data: string }[]>();
    assert.deepEqual((await listing()).map((m) => m.id), [posted.id]);
    await listing();
    const data = padMessage(randomContent());
    const signature = author.signBlinded(serverPubkey, data).toString('base64');
    assert.equal((await via(a, author).put(`/room/main/message/${posted.id}`, { data: data.toString('base64'), signature })).status, 200);
    assert.equal((await listing()).find((m) => m.id === posted.id)!.data, data.toString('base64'));
  });

  it("show a reaction, an edit and a deletion made through one instance in the other's recent listing it already served", async () => {
    // Instance b renders a room's recent page once for all its readers; each change through a
    // moves the room's message_sequence, so b's next listing is rendered afresh.
    const author = Identity.random();
    const posted = (await via(a, author).postMessage('main', randomContent())).json<{ id: number }>();
    const listing = async () =>
      (await via(b).get('/room/main/messages/recent?limit=3')).json<{ id: number; data: string; reactions: Record<string, { count: number }> }[]>();
    const mine = async () => (await listing()).find((m) => m.id === posted.id);
    assert.equal((await mine())!.data !== undefined, true);
    await listing();
    assert.equal((await react(via(a), 'main', posted.id, '👍')).status, 200);
    assert.equal((await mine())!.reactions['👍']!.count, 1);
    const data = padMessage(randomContent());
    const signature = author.signBlinded(serverPubkey, data).toString('base64');
    assert.equal((await via(a, author).put(`/room/main/message/${posted.id}`, { data: data.toString('base64'), signature })).status, 200);
    assert.equal((await mine())!.data, data.toString('base64'));
    assert.equal((await via(a, author).delete(`/room/main/message/${posted.id}`)).status, 200);
    assert.equal(await mine(), undefined);
  });

  it('count posts made through every instance against one rate limit', async () => {
    const poster = Identity.random();
    // The default limit: 5 posts per 16 s per room.
    for (let i = 0; i < 5; i++) assert.equal((await via(i % 2 ? b : a, poster).postMessage('main', randomContent())).status, 201, `post ${i}`);
    assert.equal((await via(b, poster).postMessage('main', randomContent())).status, 429);
    assert.equal((await via(a, poster).postMessage('main', randomContent())).status, 429);
  });

  it('count the copies of one text posted through either instance (flood signals)', async () => {
    const spam = 'Everyone come to the new group at example org, this one is dead';
    const statuses: number[] = [];
    const posters = Array.from({ length: FLOOD_ACCOUNTS + 2 }, (_, i) => via(i % 2 ? b : a));
    for (const poster of posters) statuses.push((await poster.postMessage('copies', encodeSessionMessage({ body: spam }))).status);
    assert.deepEqual(statuses, Array<number>(FLOOD_ACCOUNTS + 2).fill(201), 'accepted, as far as each poster can tell');
    // The copies past floodAccounts, from new accounts, are held whichever instance took them.
    const held = (await via(b, admin).get('/room/copies/held?limit=1000')).json<{ session_id: string }[]>().map((m) => m.session_id);
    const heldPosters = posters.filter((p) => held.includes(p.sessionId));
    assert.deepEqual(heldPosters, posters.slice(FLOOD_ACCOUNTS));
  });

  it('serve through one instance a file uploaded through the other', async () => {
    // The room admin: accounts first seen moments ago may not upload yet (uploadAccountAge).
    const uploader = via(a, admin);
    const bytes = randomContent(5000);
    const id = await uploadFileId(uploader, 'main', bytes, 'shared.bin');
    const d = await downloadFile(via(b, null), 'main', id);
    assert.equal(d.status, 200);
    assert.deepEqual(d.body, bytes);
    assert.match(d.headers['content-disposition'] ?? '', /shared\.bin/);
  });

  it('run each background job tick exactly once between them', async () => {
    await new Promise((r) => setTimeout(r, 3000));
    const ticks = (i: Instance): number[] => i.logs.filter((l) => l['msg'] === 'background jobs ran').map((l) => l['tick'] as number);
    const all = [...ticks(a), ...ticks(b)];
    assert.ok(all.length >= 4, `jobs ran ${all.length} times in 3 s at a 0.5 s interval`);
    assert.equal(new Set(all).size, all.length, `a tick ran twice: A ${ticks(a).join(',')} / B ${ticks(b).join(',')}`);
  });

  it('lose nothing when one instance is killed mid-load; the other keeps serving', async () => {
    const writers = Array.from({ length: 8 }, () => Identity.random());
    const acked: number[] = [];
    let killed = false;
    const write = async (w: Identity, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const target = i % 2 === 0 && !killed ? a : b;
        try {
          const r = await via(target, w).postMessage('main', randomContent());
          if (r.status === 201) acked.push(r.json<{ id: number }>().id);
        } catch {
          // A connection to the killed instance fails: that post was never acknowledged.
        }
      }
    };
    const load = Promise.all(writers.map((w) => write(w, 5)));
    await new Promise((r) => setTimeout(r, 30));
    killed = true;
    await a.stop('SIGKILL');
    await load;
    assert.ok(acked.length >= writers.length * 3, `${acked.length} posts acknowledged`);
    const recent = (await via(b).get('/room/main/messages/recent?limit=256')).json<{ id: number }[]>().map((m) => m.id);
    // So many fresh accounts posting at once look like a raid (domain/raids.ts): some posts are held,
    // some published ones taken back (held under a new id, `held_from` the acknowledged one).
    const held = (await via(b, admin).get('/room/main/held?limit=1000')).json<{ id: number; held_from?: number }[]>().flatMap((m) => [m.id, m.held_from ?? 0]);
    for (const id of acked) assert.ok(recent.includes(id) || held.includes(id), `acknowledged post ${id} is stored`);
    assert.equal((await via(b).postMessage('main', randomContent())).status, 201, 'B still takes posts');
  });
});
