// Moderation from the admin CLI, run as a separate process against a running server: bans
// (room, global, timed, by 05 or 15 id), permissions and room defaults, moderator listings,
// deleting a user's posts, per-room rate limits, raid mode, room name, description and image,
// and the audit log.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Identity, downloadFile, randomContent, type SogsClient } from '../client';
import { startTestServer, type TestServer } from './helpers/server';
import { runCli } from './helpers/cli';

let t: TestServer;

const cli = (...args: string[]) => runCli(t.dataDir, ...args);

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
  return r.out;
}

async function known(): Promise<SogsClient> {
  const c = t.client();
  assert.equal((await c.get('/room/main')).status, 200);
  return c;
}

before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
});
after(() => t.close());

describe('bans from the CLI', () => {
  it('bans and unbans a 15 id in a room; --list-bans shows it', async () => {
    const c = await known();
    assert.match(await ok('--rooms', 'main', '--ban', c.sessionId), new RegExp(`Banned ${c.sessionId} from main`));
    assert.equal((await c.postMessage('main', randomContent())).status, 403);
    assert.equal((await c.get('/room/main')).status, 404);
    assert.match(await ok('--list-bans'), new RegExp(`${c.sessionId} room=main permanent`));
    assert.match(await ok('--rooms', 'main', '--unban', c.sessionId), /Unbanned/);
    assert.equal((await c.postMessage('main', randomContent())).status, 201);
    assert.doesNotMatch(await ok('--list-bans'), new RegExp(c.sessionId));
  });

  it('bans a 05 id before its owner shows up; the ban applies on first blinded sight', async () => {
    const id = Identity.random();
    await ok('--rooms', 'main', '--ban', id.sessionId, '--timeout', '3600');
    const listed = await ok('--list-bans', '--rooms', 'main');
    assert.match(listed, new RegExp(`${id.sessionId} room=main until \\d{4}-`));
    const c = t.client(id);
    assert.equal((await c.get('/room/main')).status, 404);
    assert.equal((await c.postMessage('main', randomContent())).status, 403);
    assert.match(await ok('--list-bans'), new RegExp(`${c.sessionId} room=main until`), 'now listed under the blinded id');
  });

  it('global bans with --rooms +, and refuses to ban a global moderator', async () => {
    const c = await known();
    await ok('--rooms', '+', '--ban', c.sessionId);
    const r = await c.get('/capabilities');
    assert.equal(r.status, 403);
    assert.equal(r.text(), 'Banned');
    assert.match(await ok('--list-bans'), new RegExp(`${c.sessionId} global permanent`));
    await ok('--rooms', '+', '--unban', c.sessionId);
    assert.equal((await c.get('/capabilities')).status, 200);
    const g = await known();
    await ok('--rooms', '+', '--add-moderators', g.sessionId);
    const refused = await cli('--rooms', '+', '--ban', g.sessionId);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /cannot be banned/);
    assert.equal((await cli('--ban', g.sessionId)).code, 1, '--rooms is required');
    assert.equal((await cli('--rooms', 'main', '--ban', 'nonsense')).code, 1);
  });
});

describe('permissions from the CLI', () => {
  it('--users with --remove-perms/--add-perms/--clear-perms changes one user', async () => {
    const c = await known();
    assert.match(await ok('--rooms', 'main', '--users', c.sessionId, '--remove-perms', 'w'), /in main: -write/);
    assert.equal((await c.postMessage('main', randomContent())).status, 403);
    assert.match(await ok('--rooms', 'main', '--users', c.sessionId, '--clear-perms', 'w', '--add-perms', 'u'), /in main: \+upload/);
    assert.equal((await c.postMessage('main', randomContent())).status, 201);
    const bad = await cli('--rooms', 'main', '--users', c.sessionId, '--add-perms', 'w', '--remove-perms', 'w');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /only once/);
    assert.equal((await cli('--rooms', 'main', '--users', c.sessionId, '--add-perms', 'x')).code, 1);
    assert.equal((await cli('--rooms', '+', '--users', c.sessionId, '--add-perms', 'w')).code, 1);
  });

  it('--timeout reverts a user permission change through a scheduled change', async () => {
    const c = await known();
    assert.match(await ok('--rooms', 'main', '--users', c.sessionId, '--remove-perms', 'w', '--timeout', '600'), /reverted in 600 s/);
    const mod = await known();
    await ok('--rooms', 'main', '--add-moderators', mod.sessionId);
    const f = (await mod.get(`/room/main/futurePermissions/${c.sessionId}`)).json<Record<string, unknown>[]>();
    assert.equal(f.length, 1);
    assert.equal(f[0]!['write'], true);
  });

  it('makes a read-only broadcast room with room defaults, at creation or later', async () => {
    assert.match(await ok('--add-room', 'news', '--name', 'News', '--remove-perms', 'w'), /Room news default permissions: \+read, -write, \+upload, \+accessible/);
    const reader = await known();
    assert.equal((await reader.get('/room/news')).json<Record<string, unknown>>()['write'], false);
    assert.equal((await reader.postMessage('news', randomContent())).status, 403);
    const editor = await known();
    await ok('--rooms', 'news', '--add-moderators', editor.sessionId);
    assert.equal((await editor.postMessage('news', randomContent())).status, 201);
    await ok('--rooms', 'news', '--add-perms', 'w');
    assert.equal((await reader.postMessage('news', randomContent())).status, 201);
    assert.match(await ok('--list-rooms'), /^news\n=+\n[\s\S]*?Default permissions: \+read, \+write/m);
    assert.equal((await cli('--rooms', 'news', '--clear-perms', 'w')).code, 1, 'defaults cannot be cleared');
  });
});

describe('moderators, deletions, rate limits, raid mode', () => {
  it('--list-moderators lists global and per-room moderators', async () => {
    const a = await known();
    await ok('--rooms', 'main', '--add-moderators', a.sessionId, '--admin', '--hidden');
    const out = await ok('--list-moderators', '--rooms', 'main');
    assert.match(out, /^Global:/);
    assert.match(out, new RegExp(`^main:\\n(  .*\\n)*  ${a.sessionId} admin \\(hidden\\)`, 'm'));
  });

  it('--delete-all-posts deletes a user’s posts in a room', async () => {
    const c = await known();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await c.postMessage('main', randomContent())).json<{ id: number }>().id);
    assert.match(await ok('--rooms', 'main', '--delete-all-posts', c.sessionId), /Deleted 3 message\(s\)/);
    for (const id of ids) assert.equal((await c.get(`/room/main/message/${id}`)).status, 404);
  });

  it('--room-rate-limit sets, and resets, a room’s own limit', async () => {
    assert.match(await ok('--rooms', 'main', '--room-rate-limit', '2/60'), /Room main rate limit: 2 posts per 60 s/);
    const c = await known();
    const st = [];
    for (let i = 0; i < 3; i++) st.push((await c.postMessage('main', randomContent())).status);
    assert.deepEqual(st, [201, 201, 429]);
    assert.match(await ok('--list-rooms'), /Rate limit: 2 posts per 60 s; raid mode: off/);
    // (The CLI describes the server-wide default from its own configuration.)
    assert.match(await ok('--rooms', 'main', '--room-rate-limit', 'default'), /Room main rate limit: .*\(server default\)/);
    assert.equal((await c.postMessage('main', randomContent())).status, 201);
    assert.equal((await cli('--rooms', 'main', '--room-rate-limit', 'lots')).code, 1);
  });

  it('--raid-mode on holds new accounts\' posts; off publishes them again', async () => {
    await ok('--rooms', 'main', '--raid-mode', 'on');
    const fresh = t.client();
    const r = await fresh.postMessage('main', randomContent());
    assert.equal(r.status, 201);
    assert.match(await ok('--rooms', 'main', '--list-held'), new RegExp(`1 held post shown\\n  ${r.json<{ id: number }>().id} \\S+ ${fresh.sessionId}`));
    assert.match(await ok('--rooms', 'main', '--raid-status'), /raid mode: on since .* \(switched on by hand\); held posts: 1/);
    await ok('--rooms', 'main', '--raid-mode', 'off');
    assert.equal((await fresh.postMessage('main', randomContent())).status, 201);
    assert.match(await ok('--rooms', 'main', '--release-held', 'all'), /1 held post released/);
    const seen = (await t.client().get('/room/main/messages/recent')).json<{ session_id: string }[]>();
    assert.equal(seen.filter((m) => m.session_id === fresh.sessionId).length, 2);
    assert.match(await ok('--rooms', 'main', '--drop-held', 'all'), /0 held posts dropped/);
    assert.equal((await cli('--rooms', 'main', '--drop-held', 'x')).code, 1);
    assert.equal((await cli('--rooms', 'main', '--raid-mode', 'maybe')).code, 1);
  });
});

describe('room settings from the CLI', () => {
  type RoomJson = { name: string; description?: string; image_id?: number; info_updates: number };
  const room = async (c: SogsClient): Promise<RoomJson> => (await c.get('/room/lounge')).json<RoomJson>();

  it('--set-name, --set-description and --set-image change a room as PUT /room does, while it runs', async () => {
    await ok('--add-room', 'lounge', '--name', 'Lounge', '--description', 'Old words');
    const c = await known();
    const start = await room(c);
    const out = await ok('--rooms', 'lounge', '--set-name', 'Lounge\u0007 two', '--set-description', 'New words\nline two');
    assert.match(out, /^Room lounge: name "Lounge two", description "New words\\nline two" \(info_updates \d+\)$/m);
    const renamed = await room(c);
    assert.deepEqual([renamed.name, renamed.description], ['Lounge two', 'New words\nline two']);
    assert.equal(renamed.info_updates, start.info_updates + 2, 'one bump per changed column, as PUT /room');
    // Clients polling with the old counter get the new details.
    const poll = (await c.get(`/room/lounge/pollInfo/${start.info_updates}`)).json<{ details?: RoomJson }>();
    assert.equal(poll.details?.name, 'Lounge two');
    await ok('--rooms', 'lounge', '--set-name', 'Lounge two');
    assert.equal((await room(c)).info_updates, renamed.info_updates, 'no change, no bump');

    const dir = fs.mkdtempSync(path.join(t.dataDir, 'img-'));
    const png = path.join(dir, 'logo.png');
    fs.writeFileSync(png, Buffer.from('first image'));
    assert.match(await ok('--rooms', 'lounge', '--set-image', png), /^Room lounge: image file \d+/);
    const first = (await room(c)).image_id!;
    assert.equal(((await downloadFile(c, 'lounge', first)).body).toString(), 'first image');
    fs.writeFileSync(png, Buffer.from('second image'));
    await ok('--rooms', 'lounge', '--set-image', png, '--set-description', '');
    const now = await room(c);
    assert.notEqual(now.image_id, first);
    assert.equal(now.description, undefined, "'' removes the description");
    assert.equal(now.info_updates, renamed.info_updates + 3, "two images, one description");
    assert.equal(((await downloadFile(c, 'lounge', now.image_id!)).body).toString(), 'second image');
    assert.equal((await downloadFile(c, 'lounge', first)).status, 404, 'the replaced image expires at once');

    const log = (await ok('--audit-log', '--rooms', 'lounge')).trim().split('\n');
    const updates = log.filter((l) => l.includes(' room.update '));
    assert.equal(updates.length, 4);
    assert.match(updates[0]!, new RegExp(`Z ff${t.s.keys.publicKeyHex} room\\.update room=lounge \\{"name":"Lounge two","description":"New words\\\\nline two"\\}$`));
    assert.match(updates[3]!, new RegExp(`\\{"description":null,"image":${now.image_id}\\}$`));
  });

  it('refuses an empty name, global scope, unknown rooms and unreadable image files', async () => {
    for (const args of [
      ['--rooms', 'lounge', '--set-name', ''],
      ['--rooms', '+', '--set-description', 'x'],
      ['--rooms', 'nosuch', '--set-name', 'x'],
      ['--set-name', 'x'],
      ['--rooms', 'lounge', '--set-image', path.join(t.dataDir, 'no-such-file.png')],
    ]) {
      const r = await cli(...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, /^Error: /, args.join(' '));
    }
    assert.equal((await room(await known())).name, 'Lounge two');
  });
});

describe('audit log from the CLI', () => {
  it('shows API and CLI moderation actions, filtered by room and limited', async () => {
    const mod = await known();
    await ok('--rooms', 'main', '--add-moderators', mod.sessionId);
    const victim = await known();
    assert.equal((await mod.post(`/user/${victim.sessionId}/ban`, { rooms: ['main'], timeout: 30 })).status, 200);
    const out = await ok('--audit-log', '--rooms', 'main', '--limit', '2');
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z ff${t.s.keys.publicKeyHex} moderator.add room=main target=${mod.sessionId}`));
    assert.match(lines[1]!, new RegExp(`${mod.sessionId} ban room=main target=${victim.sessionId} \\{"timeout":30,"until":[\\d.]+\\}$`));
    const all = await ok('--audit-log');
    assert.match(all, /room.create room=news/);
    assert.match(all, /room.rate_limit room=main/);
    assert.match(all, /room.raid_mode room=main .*"on":true/);
    assert.match(all, / ban global target=/);
    assert.equal((await ok('--audit-log', '--rooms', 'nosuch')).trim(), 'No audit log entries.');
  });
});
