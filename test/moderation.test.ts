// Roles and moderation over real HTTP: the role × action matrix of docs/protocol/api.md §6.5 against every
// mutating moderation endpoint, directly and inside /batch and /sequence; moderator lists and
// their visibility; the moderator-change combinations; what banned users see (§6.7); unblinded
// (05) ids named before their owner shows up; ban-and-delete-all; the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity, downloadFile, padMessage, randomContent, react, reactors, uploadFileId, type SogsClient, type SubRequest, type SubResponse } from '../client';
import { setModerator, resolveTargetUser } from '../src/domain/users';
import type { Room, User } from '../src/store/types';
import { runCli } from './helpers/cli';
import { startTestServer, type TestServer } from './helpers/server';

// `banned` is banned from the room `main`; `globalBanned` server-wide (its signed requests, /batch
// and /sequence included, are all refused with 403 before any route runs).
type Role = 'anonymous' | 'user' | 'banned' | 'roomMod' | 'roomAdmin' | 'globalMod' | 'globalAdmin' | 'globalBanned';
const ROLES: Role[] = ['anonymous', 'user', 'banned', 'roomMod', 'roomAdmin', 'globalMod', 'globalAdmin', 'globalBanned'];
type Json = Record<string, unknown>;

let t: TestServer;
let main: Room;
let other: Room;
const clients = {} as Record<Role, SogsClient>;
const users = {} as Record<Role, User | null>;

async function freshUser(): Promise<{ client: SogsClient; user: User }> {
  const client = t.client();
  return { client, user: await t.s.store.ensureUser(client.sessionId, t.s.clock.now()) };
}

async function insertPost(userId: number, room: Room = main): Promise<number> {
  const m = await t.s.store.insertMessage({
    roomId: room.id, userId, data: padMessage(randomContent()), signature: Buffer.alloc(64, 1),
    whisperTo: null, whisperMods: false, filtered: false, now: t.s.clock.now(),
  });
  return m.id;
}

function body(): Json {
  return { data: padMessage(randomContent()).toString('base64'), signature: Buffer.alloc(64, 2).toString('base64') };
}

async function roomModerator(admin: boolean, visible = true): Promise<User> {
  const { user } = await freshUser();
  await setModerator(t.s, user, [main], { moderator: true, admin, visible });
  return user;
}

async function isRoomBanned(u: User, room: Room = main): Promise<boolean> {
  return (await t.s.store.getOverride(room.id, u.id))?.banned ?? false;
}

before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
  main = (await t.s.store.getRoom('main'))!;
  other = await t.s.store.createRoom({ token: 'other', name: 'Other', now: t.s.clock.now() });
  clients.anonymous = t.client(null);
  users.anonymous = null;
  for (const r of ROLES.slice(1)) {
    clients[r] = t.client();
    users[r] = await resolveTargetUser(t.s, clients[r].sessionId);
  }
  await setModerator(t.s, users.roomMod!, [main], { moderator: true, admin: false, visible: true });
  await setModerator(t.s, users.roomAdmin!, [main], { moderator: true, admin: true, visible: true });
  await setModerator(t.s, users.globalMod!, 'global', { moderator: true, admin: false, visible: false });
  await setModerator(t.s, users.globalAdmin!, 'global', { moderator: true, admin: true, visible: false });
  await t.s.store.banInRooms(users.banned!.id, [main.id], null);
  await t.s.store.banGlobally(users.globalBanned!.id, null);
});
after(() => t.close());

interface Action {
  name: string;
  /** Expected status per role, in ROLES order. */
  expect: number[];
  prepare(role: Role): Promise<{ sub: SubRequest; verify?: (status: number) => Promise<void> }>;
}

const OK = 200;
const THUMBS = '👍';
const PARTY = '🎉';

const ACTIONS: Action[] = [
  {
    name: 'post a message',
    expect: [401, 201, 403, 201, 201, 201, 201, 403],
    prepare: async () => ({ sub: { method: 'POST', path: '/room/main/message', json: body() } }),
  },
  {
    name: 'edit own message',
    expect: [401, OK, 403, OK, OK, OK, OK, 403],
    prepare: async (role) => {
      const id = await insertPost(users[role]?.id ?? (await freshUser()).user.id);
      return { sub: { method: 'PUT', path: `/room/main/message/${id}`, json: body() } };
    },
  },
  {
    name: "edit someone else's message",
    expect: [401, 403, 403, 403, 403, 403, 403, 403],
    prepare: async () => ({ sub: { method: 'PUT', path: `/room/main/message/${await insertPost((await freshUser()).user.id)}`, json: body() } }),
  },
  {
    name: 'delete own message',
    expect: [401, OK, 403, OK, OK, OK, OK, 403],
    prepare: async (role) => {
      const id = await insertPost(users[role]?.id ?? (await freshUser()).user.id);
      return { sub: { method: 'DELETE', path: `/room/main/message/${id}` } };
    },
  },
  {
    name: "delete someone else's message",
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const id = await insertPost((await freshUser()).user.id);
      return {
        sub: { method: 'DELETE', path: `/room/main/message/${id}` },
        verify: async (st) => assert.equal((await t.s.store.getMessage(main.id, id))!.data === null, st === OK),
      };
    },
  },
  {
    name: 'whisper',
    expect: [401, 403, 403, 201, 201, 201, 201, 403],
    prepare: async () => ({ sub: { method: 'POST', path: '/room/main/message', json: { ...body(), whisper_mods: true } } }),
  },
  {
    name: 'list permission overrides',
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => ({ sub: { method: 'GET', path: '/room/main/permissions' } }),
  },
  {
    name: "set a user's permissions",
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/room/main/permissions/${user.sessionId}`, json: { write: false } },
        verify: async (st) => assert.equal((await t.s.store.getOverride(main.id, user.id))?.write ?? null, st === OK ? false : null),
      };
    },
  },
  {
    name: 'schedule a permission change',
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/room/main/futurePermissions/${user.sessionId}`, json: { write: true, in: 600 } },
        verify: async (st) => assert.equal((await t.s.store.futurePermissions(main.id, user.id)).length, st === OK ? 1 : 0),
      };
    },
  },
  {
    name: 'room-ban a user',
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main'] } },
        verify: async (st) => assert.equal(await isRoomBanned(user), st === OK),
      };
    },
  },
  {
    name: 'room-ban a user from two rooms, moderating only one',
    expect: [401, 403, 403, 403, 403, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main', 'other'] } },
        // Nothing is applied when any room refuses.
        verify: async (st) => assert.equal(await isRoomBanned(user, main), st === OK),
      };
    },
  },
  {
    name: 'room-ban a room moderator',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const target = await roomModerator(false);
      return {
        sub: { method: 'POST', path: `/user/${target.sessionId}/ban`, json: { rooms: ['main'] } },
        verify: async (st) => {
          const ov = await t.s.store.getOverride(main.id, target.id);
          assert.equal(ov!.banned, st === OK);
          assert.equal(ov!.moderator, st !== OK, 'a banned moderator is demoted');
        },
      };
    },
  },
  {
    name: 'room-ban a room admin',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const target = await roomModerator(true);
      return { sub: { method: 'POST', path: `/user/${target.sessionId}/ban`, json: { rooms: ['main'] } } };
    },
  },
  {
    name: 'room-ban a global moderator',
    expect: [401, 403, 403, 403, 403, 403, 403, 403],
    prepare: async () => {
      const { user } = await freshUser();
      await setModerator(t.s, user, 'global', { moderator: true, admin: false, visible: false });
      return { sub: { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main'] } } };
    },
  },
  {
    name: 'room-ban oneself',
    expect: [401, 403, 403, 403, 403, 403, 403, 403],
    prepare: async (role) => ({
      sub: { method: 'POST', path: `/user/${users[role]?.sessionId ?? clients.user.sessionId}/ban`, json: { rooms: ['main'] } },
    }),
  },
  {
    name: 'room-unban a user',
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      await t.s.store.banInRooms(user.id, [main.id], null);
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/unban`, json: { rooms: ['main'] } },
        verify: async (st) => assert.equal(await isRoomBanned(user), st !== OK),
      };
    },
  },
  {
    name: 'ban a user globally',
    expect: [401, 403, 403, 403, 403, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { global: true } },
        verify: async (st) => assert.equal((await t.s.store.findUserById(user.id))!.banned, st === OK),
      };
    },
  },
  {
    name: 'ban a global admin globally',
    expect: [401, 403, 403, 403, 403, 403, 403, 403],
    prepare: async () => {
      const { user } = await freshUser();
      await setModerator(t.s, user, 'global', { moderator: true, admin: true, visible: false });
      return { sub: { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { global: true } } };
    },
  },
  {
    name: 'lift a global ban',
    expect: [401, 403, 403, 403, 403, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      await t.s.store.banGlobally(user.id, null);
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/unban`, json: { global: true } },
        verify: async (st) => assert.equal((await t.s.store.findUserById(user.id))!.banned, st !== OK),
      };
    },
  },
  {
    name: 'appoint a room moderator',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/moderator`, json: { rooms: ['main'], moderator: true } },
        verify: async (st) => assert.equal((await t.s.store.getOverride(main.id, user.id))?.moderator ?? false, st === OK),
      };
    },
  },
  {
    name: 'remove a room admin',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const target = await roomModerator(true);
      return { sub: { method: 'POST', path: `/user/${target.sessionId}/moderator`, json: { rooms: ['main'], moderator: false } } };
    },
  },
  {
    name: 'appoint a global moderator',
    expect: [401, 403, 403, 403, 403, 403, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/user/${user.sessionId}/moderator`, json: { global: true, moderator: true } },
        verify: async (st) => assert.equal((await t.s.store.findUserById(user.id))!.moderator, st === OK),
      };
    },
  },
  {
    name: "delete all of a user's posts in a room",
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const { user } = await freshUser();
      const ids = [await insertPost(user.id), await insertPost(user.id)];
      return {
        sub: { method: 'DELETE', path: `/room/main/all/${user.sessionId}` },
        verify: async (st) => {
          for (const id of ids) assert.equal((await t.s.store.getMessage(main.id, id))!.data === null, st === OK);
        },
      };
    },
  },
  {
    name: "delete all of a room admin's posts",
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const target = await roomModerator(true);
      await insertPost(target.id);
      return { sub: { method: 'DELETE', path: `/room/main/all/${target.sessionId}` } };
    },
  },
  {
    name: 'delete all of one’s own posts',
    expect: [401, OK, OK, OK, OK, OK, OK, 403],
    prepare: async (role) => {
      const u = users[role] ?? (await freshUser()).user;
      await insertPost(u.id);
      return { sub: { method: 'DELETE', path: `/room/main/all/${u.sessionId}` } };
    },
  },
  // Room settings, pins, reactions, files, DMs and the room image: endpoints beyond bans and
  // permissions that a role may or may not use.
  {
    name: 'update the room (PUT /room)',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => ({ sub: { method: 'PUT', path: '/room/main', json: { description: `d${Math.random()}` } } }),
  },
  {
    name: 'pin a message',
    expect: [403, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => ({ sub: { method: 'POST', path: `/room/main/pin/${await insertPost((await freshUser()).user.id)}`, json: {} } }),
  },
  {
    name: 'unpin all messages',
    expect: [403, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => ({ sub: { method: 'POST', path: '/room/main/unpin/all', json: {} } }),
  },
  {
    name: 'react to a message',
    expect: [401, OK, 403, OK, OK, OK, OK, 403],
    prepare: async () => ({ sub: { method: 'PUT', path: `/room/main/reaction/${await insertPost((await freshUser()).user.id)}/${encodeURIComponent('👍')}`, json: {} } }),
  },
  {
    name: "remove everyone's reactions",
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => ({ sub: { method: 'DELETE', path: `/room/main/reactions/${await insertPost((await freshUser()).user.id)}` } }),
  },
  {
    name: 'upload a file',
    expect: [401, 201, 403, 201, 201, 201, 201, 403],
    prepare: async () => ({ sub: { method: 'POST', path: '/room/main/file', b64: Buffer.from('file contents').toString('base64') } }),
  },
  {
    name: 'remove one’s own reaction',
    expect: [401, OK, 403, OK, OK, OK, OK, 403],
    prepare: async (role) => {
      const id = await insertPost((await freshUser()).user.id);
      const u = users[role];
      if (u) await t.s.store.addReaction(main.id, id, u.id, THUMBS, t.s.clock.now());
      return {
        sub: { method: 'DELETE', path: `/room/main/reaction/${id}/${encodeURIComponent(THUMBS)}` },
        verify: async (st) => assert.equal((await t.s.store.reactors(id, THUMBS, 0)).length, u && st !== OK ? 1 : 0),
      };
    },
  },
  {
    name: "remove everyone's reactions of one kind",
    expect: [401, 403, 403, OK, OK, OK, OK, 403],
    prepare: async () => {
      const id = await insertPost((await freshUser()).user.id);
      const [a, b] = [(await freshUser()).user, (await freshUser()).user];
      for (const [u, r] of [[a, THUMBS], [b, THUMBS], [a, PARTY]] as const) await t.s.store.addReaction(main.id, id, u.id, r, t.s.clock.now());
      return {
        sub: { method: 'DELETE', path: `/room/main/reactions/${id}/${encodeURIComponent(THUMBS)}` },
        verify: async (st) => {
          assert.equal((await t.s.store.reactors(id, THUMBS, 0)).length, st === OK ? 0 : 2);
          assert.equal((await t.s.store.reactors(id, PARTY, 0)).length, 1, 'other kinds stay');
        },
      };
    },
  },
  {
    name: 'unpin one message',
    expect: [403, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const id = await insertPost((await freshUser()).user.id);
      await t.s.store.pinMessage(main.id, id, users.roomAdmin!.id, t.s.clock.now());
      return {
        sub: { method: 'POST', path: `/room/main/unpin/${id}`, json: {} },
        verify: async (st) => assert.equal((await t.s.store.pinnedMessages(main.id)).some((p) => p.id === id), st !== OK),
      };
    },
  },
  {
    // A room ban does not stop DMs (they belong to no room); a global ban does.
    name: 'send a direct message',
    expect: [401, 201, 201, 201, 201, 201, 201, 403],
    prepare: async () => {
      const { user } = await freshUser();
      return {
        sub: { method: 'POST', path: `/inbox/${user.sessionId}`, json: { message: Buffer.from('hello').toString('base64') } },
        verify: async (st) => assert.equal((await t.s.store.directMessages(user.id, 'inbox', 0, 10, t.s.clock.now())).length, st === 201 ? 1 : 0),
      };
    },
  },
  {
    name: 'clear one’s inbox',
    expect: [401, OK, OK, OK, OK, OK, OK, 403],
    prepare: async (role) => {
      const u = users[role];
      const now = t.s.clock.now();
      if (u) await t.s.store.insertDirectMessage({ senderId: (await freshUser()).user.id, recipientId: u.id, body: Buffer.from('x'), now, expiry: now + 3600 });
      return {
        sub: { method: 'DELETE', path: '/inbox' },
        verify: async (st) => {
          if (u) assert.equal((await t.s.store.directMessages(u.id, 'inbox', 0, 10, t.s.clock.now())).length === 0, st === OK);
        },
      };
    },
  },
  {
    name: 'set the room image (PUT /room image)',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => {
      const image = await uploadFileId(clients.globalAdmin, 'main', Buffer.from('an image'));
      return {
        sub: { method: 'PUT', path: '/room/main', json: { image } },
        verify: async (st) => assert.equal((await t.s.store.getRoomById(main.id))!.image === image, st === OK),
      };
    },
  },
  {
    name: 'change default permissions (PUT /room default_*)',
    expect: [401, 403, 403, 403, OK, 403, OK, 403],
    prepare: async () => ({
      sub: { method: 'PUT', path: '/room/main', json: { default_upload: false, default_accessible: 0 } },
      verify: async (st) => {
        const r = (await t.s.store.getRoomById(main.id))!;
        assert.deepEqual([r.upload, r.accessible], st === OK ? [false, false] : [true, true]);
        // Restored at once: the other rows need the room as it was.
        await t.s.store.setRoomDefaults(main.id, { upload: true, accessible: true });
      },
    }),
  },
  {
    // Also inside /batch and /sequence; the direct form is checked in detail below.
    name: "delete all of a user's posts in every room (DELETE /rooms/all)",
    expect: [401, OK, OK, OK, OK, OK, OK, 403],
    prepare: async (role) => {
      const { user } = await freshUser();
      const [inMain, inOther] = [await insertPost(user.id, main), await insertPost(user.id, other)];
      const gone = async (room: Room, id: number) => (await t.s.store.getMessage(room.id, id))!.data === null;
      return {
        sub: { method: 'DELETE', path: `/rooms/all/${user.sessionId}` },
        verify: async (st) => {
          assert.equal(await gone(main, inMain), st === OK && ['roomMod', 'roomAdmin', 'globalMod', 'globalAdmin'].includes(role), role);
          assert.equal(await gone(other, inOther), st === OK && ['globalMod', 'globalAdmin'].includes(role), role);
        },
      };
    },
  },
];

type Mode = 'direct' | 'batch' | 'sequence';

/** The router's own answers for a path or method it does not know (not a rule's 404). */
function routerMiss(status: number, body: unknown): boolean {
  return (status === 404 && body === 'Not found') || (status === 405 && body === 'Method not allowed');
}

interface Outcome {
  status: number;
  /** False when the router did not know the route: the row tests nothing, so it fails. */
  routed: boolean;
}

async function run(mode: Mode, role: Role, sub: SubRequest): Promise<Outcome> {
  const c = clients[role];
  if (mode === 'direct') {
    const r = sub.b64 !== undefined
      ? await c.request(sub.method, sub.path, { body: Buffer.from(sub.b64, 'base64'), headers: { 'content-type': 'application/octet-stream' } })
      : await c.request(sub.method, sub.path, sub.json === undefined ? {} : { json: sub.json });
    return { status: r.status, routed: !routerMiss(r.status, r.text()) };
  }
  const r = await c.post(`/${mode}`, [sub]);
  // A refused /batch or /sequence (a global ban) refuses its subrequest too.
  if (r.status !== 200) return { status: r.status, routed: true };
  const results = r.json<SubResponse[]>();
  assert.equal(results.length, 1);
  return { status: results[0]!.code, routed: !routerMiss(results[0]!.code, results[0]!.body) };
}

describe('role × action matrix (docs/protocol/api.md §6.5)', () => {
  for (const mode of ['direct', 'batch', 'sequence'] as Mode[]) {
    for (const action of ACTIONS) {
      it(`${mode}: ${action.name}`, async () => {
        const got: Record<string, number> = {};
        const want: Record<string, number> = {};
        for (const [i, role] of ROLES.entries()) {
          const { sub, verify } = await action.prepare(role);
          const out = await run(mode, role, sub);
          assert.ok(out.routed, `${sub.method} ${sub.path}: no such route (as ${role})`);
          got[role] = out.status;
          want[role] = action.expect[i]!;
          if (verify) await verify(got[role]);
        }
        assert.deepEqual(got, want);
      });
    }
  }

  it('DELETE /rooms/all/:id deletes only where the caller may, and 401s anonymous requests', async () => {
    const expected: Record<Role, number> = { anonymous: -1, user: 0, banned: 0, roomMod: 1, roomAdmin: 1, globalMod: 2, globalAdmin: 2, globalBanned: -1 };
    for (const role of ROLES) {
      const { user } = await freshUser();
      await insertPost(user.id, main);
      await insertPost(user.id, other);
      const r = await clients[role].delete(`/rooms/all/${user.sessionId}`);
      if (role === 'anonymous' || role === 'globalBanned') {
        assert.equal(r.status, role === 'anonymous' ? 401 : 403, role);
        continue;
      }
      assert.equal(r.status, 200, role);
      const j = r.json<{ total: number; rooms: Record<string, number> }>();
      assert.equal(j.total, expected[role], role);
      if (role === 'globalMod') assert.deepEqual(j.rooms, { main: 1, other: 1 });
      if (role === 'roomMod') assert.deepEqual(j.rooms, { main: 1 });
    }
    const unknown = Identity.random().blindedId(t.serverPubkey);
    assert.equal((await clients.globalAdmin.delete(`/rooms/all/${unknown}`)).status, 404);
  });
});

describe('moderation request validation', () => {
  it('rejects malformed scope and role bodies with 400', async () => {
    const sid = (await freshUser()).user.sessionId;
    const admin = clients.globalAdmin;
    const cases: [string, Json][] = [
      ['moderator', { moderator: true }],
      ['moderator', { rooms: ['main'], global: true, moderator: true }],
      ['moderator', { rooms: 'main', moderator: true }],
      ['moderator', { rooms: ['main'] }],
      ['moderator', { rooms: ['main'], admin: true, moderator: false }],
      ['moderator', { rooms: ['*', 'main'], moderator: true }],
      ['ban', { rooms: ['main'], timeout: 'soon' }],
      ['ban', {}],
      ['unban', { rooms: [] }],
    ];
    for (const [what, b] of cases) assert.equal((await admin.post(`/user/${sid}/${what}`, b)).status, 400, JSON.stringify(b));
    assert.equal((await admin.post(`/user/nonsense/ban`, { rooms: ['main'] })).status, 404);
  });

  it('unknown rooms are 403, and ["*"] means every room the caller moderates', async () => {
    const { user } = await freshUser();
    assert.equal((await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['nosuchroom'] })).status, 403);
    assert.equal((await clients.user.post(`/user/${user.sessionId}/ban`, { rooms: ['*'] })).status, 403);
    assert.equal((await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['*'] })).status, 200);
    assert.equal(await isRoomBanned(user, main), true);
    assert.equal(await isRoomBanned(user, other), false, 'roomMod does not moderate "other"');
  });

  it('a ban timeout of 0 or null is permanent; a positive one schedules the unban', async () => {
    const a = (await freshUser()).user;
    await clients.roomMod.post(`/user/${a.sessionId}/ban`, { rooms: ['main'], timeout: 0 });
    assert.deepEqual((await t.s.store.futurePermissions(main.id, a.id)).length, 0);
    await clients.roomMod.post(`/user/${a.sessionId}/ban`, { rooms: ['main'], timeout: 3600 });
    const f = await t.s.store.futurePermissions(main.id, a.id);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.banned, false);
    assert.ok(Math.abs(f[0]!.at - (t.s.clock.now() + 3600)) < 5);
    // Banning again replaces the scheduled unban: permanent again.
    await clients.roomMod.post(`/user/${a.sessionId}/ban`, { rooms: ['main'] });
    assert.equal((await t.s.store.futurePermissions(main.id, a.id)).length, 0);
  });
});

describe('moderator appointments (docs/protocol/api.md §4.8)', () => {
  type RoomJson = Json & { moderators: string[]; admins: string[]; info_updates: number };
  const roomAs = async (c: SogsClient, token = 'other'): Promise<RoomJson> => (await c.get(`/room/${token}`)).json<RoomJson>();

  it('follows the moderator/admin combination table and reports info_updates', async () => {
    const admin = clients.globalAdmin;
    const { client, user } = await freshUser();
    const sid = user.sessionId;
    const set = async (b: Json) => {
      const r = await admin.post(`/user/${sid}/moderator`, { rooms: ['other'], ...b });
      assert.equal(r.status, 200, r.text());
      return r.json<{ info_updates: Record<string, number> }>();
    };
    const role = async () => {
      const ov = await t.s.store.getOverride(other.id, user.id);
      return ov ? `${ov.moderator ? 'M' : '-'}${ov.admin ? 'A' : '-'}${ov.visibleMod ? 'v' : 'h'}` : 'none';
    };
    const before = (await roomAs(clients.anonymous)).info_updates;
    const r1 = await set({ moderator: true });
    assert.equal(r1.info_updates['other'], before + 1);
    assert.equal(await role(), 'M-v');
    await set({ admin: true, visible: false });
    assert.equal(await role(), 'MAh');
    await set({ moderator: true }); // an existing admin flag stays
    assert.equal(await role(), 'MAv');
    await set({ admin: false }); // admin -> moderator
    assert.equal(await role(), 'M-v');
    await set({ admin: true });
    await set({ admin: false, moderator: true });
    assert.equal(await role(), 'M-v');
    await set({ moderator: false });
    assert.equal(await role(), 'none');
    await set({ admin: false }); // a non-moderator is unaffected
    assert.equal(await role(), 'none');
    const seen = await roomAs(client);
    assert.equal('moderator' in seen, false);
    const g = await admin.post(`/user/${sid}/moderator`, { global: true, admin: true });
    assert.equal(g.status, 200);
    const all = g.json<{ info_updates: Record<string, number> }>().info_updates;
    assert.deepEqual(Object.keys(all).sort(), ['main', 'other']);
    const asGlobal = await roomAs(client);
    assert.equal(asGlobal['global_admin'], true);
    assert.equal(asGlobal['moderator'], true);
    await admin.post(`/user/${sid}/moderator`, { global: true, moderator: false });
    assert.equal('moderator' in (await roomAs(client)), false);
  });

  it('a visibility-only change bumps info_updates, unlike the reference (docs/protocol/api.md §12.13): the public lists change', async () => {
    const admin = clients.globalAdmin;
    const { user } = await freshUser();
    assert.equal((await admin.post(`/user/${user.sessionId}/moderator`, { rooms: ['other'], moderator: true })).status, 200);
    const before = await roomAs(clients.anonymous);
    assert.ok(before.moderators.includes(user.sessionId));
    const r = await admin.post(`/user/${user.sessionId}/moderator`, { rooms: ['other'], moderator: true, visible: false });
    assert.equal(r.status, 200);
    const after = await roomAs(clients.anonymous);
    assert.equal(after.info_updates, before.info_updates + 1);
    assert.equal(r.json<{ info_updates: Record<string, number> }>().info_updates['other'], after.info_updates);
    assert.ok(!after.moderators.includes(user.sessionId));
    // Clients polling with the old counter learn of it.
    const poll = (await clients.user.get(`/room/other/pollInfo/${before.info_updates}`)).json<Json & { details?: RoomJson }>();
    assert.ok(poll.details && !poll.details.moderators.includes(user.sessionId));
  });

  it('appointing a banned user lifts the ban (docs/protocol/api.md §12.11), in a room and globally', async () => {
    const admin = clients.globalAdmin;
    const { client, user } = await freshUser();
    await t.s.store.banInRooms(user.id, [other.id], null);
    assert.equal((await client.get('/room/other')).status, 404);
    assert.equal((await admin.post(`/user/${user.sessionId}/moderator`, { rooms: ['other'], moderator: true })).status, 200);
    assert.equal(await isRoomBanned(user, other), false);
    assert.equal((await client.get('/room/other')).json<Json>()['moderator'], true);
    assert.equal((await client.postMessage('other', randomContent())).status, 201);
    const g = await freshUser();
    await t.s.store.banGlobally(g.user.id, null);
    assert.equal((await g.client.get('/capabilities')).status, 403);
    assert.equal((await admin.post(`/user/${g.user.sessionId}/moderator`, { global: true, moderator: true })).status, 200);
    assert.equal((await t.s.store.findUserById(g.user.id))!.banned, false);
    assert.equal((await g.client.get('/capabilities')).status, 200);
  });

  it('lists visible moderators to everyone and hidden ones only to moderators, in rooms and pollInfo', async () => {
    const room = await t.s.store.createRoom({ token: 'lists', name: 'Lists', now: t.s.clock.now() });
    const admin = clients.globalAdmin;
    const vm = (await freshUser()).user;
    const hm = (await freshUser()).user;
    const va = (await freshUser()).user;
    const ha = (await freshUser()).user;
    for (const [u, b] of [[vm, { moderator: true }], [hm, { moderator: true, visible: false }], [va, { admin: true }], [ha, { admin: true, visible: false }]] as const) {
      assert.equal((await admin.post(`/user/${u.sessionId}/moderator`, { rooms: ['lists'], ...b })).status, 200);
    }
    const anonView = (await clients.anonymous.get('/room/lists')).json<RoomJson>();
    assert.deepEqual(anonView.moderators, [vm.sessionId]);
    assert.deepEqual(anonView.admins, [va.sessionId]);
    assert.equal('hidden_moderators' in anonView, false);
    const modView = (await clients.globalMod.get('/room/lists')).json<RoomJson>();
    // (Earlier tests appointed more hidden global moderators, so check membership.)
    const hiddenMods = modView['hidden_moderators'] as string[];
    const hiddenAdmins = modView['hidden_admins'] as string[];
    assert.ok(hiddenMods.includes(hm.sessionId) && hiddenMods.includes(users.globalMod!.sessionId));
    assert.ok(!hiddenMods.includes(vm.sessionId) && !hiddenMods.includes(ha.sessionId));
    assert.ok(hiddenAdmins.includes(ha.sessionId) && hiddenAdmins.includes(users.globalAdmin!.sessionId));
    assert.deepEqual([...hiddenMods].sort(), hiddenMods, 'sorted by session id');
    assert.equal(modView['default_write'], true);
    // pollInfo carries the same lists in details, and the role flags.
    const poll = (await clients.globalMod.get('/room/lists/pollInfo/0')).json<Json & { details: RoomJson }>();
    assert.equal(poll['moderator'], true);
    assert.equal(poll['global_moderator'], true);
    assert.deepEqual(poll.details.moderators, [vm.sessionId]);
    assert.ok(Array.isArray(poll.details['hidden_moderators']));
    const userPoll = (await clients.user.get('/room/lists/pollInfo/0')).json<Json & { details: RoomJson }>();
    assert.equal('hidden_moderators' in userPoll.details, false);
    assert.equal('moderator' in userPoll, false);
    // A room-level visible row wins over a hidden global flag (docs/protocol/api.md §6.6).
    await admin.post(`/user/${users.globalMod!.sessionId}/moderator`, { rooms: ['lists'], moderator: true });
    assert.ok((await clients.anonymous.get('/room/lists')).json<RoomJson>().moderators.includes(users.globalMod!.sessionId));
    assert.ok(room.id > 0);
  });

  it('a 05 id appointed, banned or restricted before its owner shows up applies on first blinded sight', async () => {
    const admin = clients.globalAdmin;
    const mod = Identity.random();
    const banned = Identity.random();
    const muted = Identity.random();
    assert.equal((await admin.post(`/user/${mod.sessionId}/moderator`, { rooms: ['other'], moderator: true })).status, 200);
    assert.equal((await admin.post(`/user/${banned.sessionId}/ban`, { rooms: ['other'], timeout: 600 })).status, 200);
    assert.equal((await admin.post(`/room/other/permissions/${muted.sessionId}`, { write: false })).status, 200);
    // The 05 moderator is listed under its 05 id until it appears blinded.
    assert.ok((await clients.anonymous.get('/room/other')).json<RoomJson>().moderators.includes(mod.sessionId));
    const modClient = t.client(mod);
    const seen = (await modClient.get('/room/other')).json<RoomJson>();
    assert.equal(seen['moderator'], true);
    assert.ok(seen.moderators.includes(modClient.sessionId));
    assert.ok(!seen.moderators.includes(mod.sessionId));
    const bannedClient = t.client(banned);
    assert.equal((await bannedClient.get('/room/other')).status, 404);
    assert.equal((await bannedClient.postMessage('other', randomContent())).status, 403);
    const migrated = (await t.s.store.findUser(bannedClient.sessionId))!;
    assert.equal((await t.s.store.futurePermissions(other.id, migrated.id)).length, 1, 'the scheduled unban moved too');
    const mutedClient = t.client(muted);
    assert.equal((await mutedClient.postMessage('other', randomContent())).status, 403);
    assert.equal((await mutedClient.get('/room/other/messages/recent')).status, 200);
    // Once known, the 05 id maps to the blinded user directly.
    assert.equal((await admin.post(`/room/other/permissions/${muted.sessionId}`, { default_write: true })).status, 200);
    assert.equal((await mutedClient.postMessage('other', randomContent())).status, 201);
  });
});

describe('what banned users see (docs/protocol/api.md §6.7)', () => {
  it('a room ban hides the room and forbids reading and posting there only', async () => {
    const c = clients.banned;
    const rooms = (await c.get('/rooms')).json<Json[]>().map((r) => r['token']);
    assert.ok(!rooms.includes('main'));
    assert.ok(rooms.includes('other'));
    assert.equal((await c.get('/room/main')).status, 404);
    assert.equal((await c.get('/room/main/pollInfo/0')).status, 403);
    assert.equal((await c.get('/room/main/messages/recent')).status, 403);
    assert.equal((await c.get('/room/main/messages/since/0')).status, 403);
    assert.equal((await c.postMessage('main', randomContent())).status, 403);
    assert.equal((await c.postMessage('other', randomContent())).status, 201);
    // Nor files or the reactors list of the room.
    const poster = (await freshUser()).client;
    const file = await uploadFileId(poster, 'main', Buffer.from('for members'));
    const reacted = (await poster.postMessage('main', randomContent(), { files: [file] })).json<{ id: number }>().id;
    await react(poster, 'main', reacted, THUMBS);
    assert.equal((await downloadFile(c, 'main', file)).status, 403);
    assert.equal((await downloadFile(c, 'main', file, 'name.bin')).status, 403);
    assert.equal((await reactors(c, 'main', reacted, THUMBS)).status, 403);
    assert.equal((await downloadFile(clients.user, 'main', file)).status, 200);
    assert.equal((await reactors(clients.user, 'main', reacted, THUMBS)).status, 200);
    // Messages of a banned user stay.
    const { client, user } = await freshUser();
    const id = (await client.postMessage('main', randomContent())).json<{ id: number }>().id;
    await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['main'] });
    assert.equal((await clients.anonymous.get(`/room/main/message/${id}`)).status, 200);
    // The banned user's room activity row is removed.
    assert.equal((await client.get('/room/main/pollInfo/0')).status, 403);
  });

  it('a global ban makes every signed request 403 Banned; unsigned requests still work', async () => {
    const { client, user } = await freshUser();
    assert.equal((await clients.globalMod.post(`/user/${user.sessionId}/ban`, { global: true })).status, 200);
    for (const path of ['/capabilities', '/rooms', '/room/other', '/room/other/messages/recent']) {
      const r = await client.get(path);
      assert.equal(r.status, 403, path);
      assert.equal(r.text(), 'Banned');
    }
    assert.equal((await client.postMessage('other', randomContent())).status, 403);
    assert.equal((await client.get('/room/other', { signed: false })).status, 200);
    assert.equal((await clients.globalMod.post(`/user/${user.sessionId}/unban`, { global: true })).status, 200);
    assert.equal((await client.get('/room/other')).status, 200);
    // Room and global bans are independent.
    await clients.globalMod.post(`/user/${user.sessionId}/ban`, { global: true });
    await clients.globalMod.post(`/user/${user.sessionId}/ban`, { rooms: ['other'] });
    await clients.globalMod.post(`/user/${user.sessionId}/unban`, { global: true });
    assert.equal((await client.get('/room/other')).status, 404, 'still room-banned');
    assert.equal((await client.get('/room/main')).status, 200);
  });
});

describe('ban and delete all (the desktop client’s /sequence)', () => {
  it('bans and deletes in one sequence; a non-moderator’s sequence stops at the ban', async () => {
    const { user } = await freshUser();
    const ids = [await insertPost(user.id), await insertPost(user.id), await insertPost(user.id)];
    const seq: SubRequest[] = [
      { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main'] } },
      { method: 'DELETE', path: `/room/main/all/${user.sessionId}` },
    ];
    const refused = await clients.user.sequence(seq);
    assert.deepEqual(refused.map((r) => r.code), [403]);
    assert.equal(await isRoomBanned(user), false);
    const done = await clients.roomMod.sequence(seq);
    assert.deepEqual(done.map((r) => r.code), [200, 200]);
    assert.equal(await isRoomBanned(user), true);
    for (const id of ids) assert.equal((await t.s.store.getMessage(main.id, id))!.data, null);
    const since = (await clients.user.get(`/room/main/messages/since/0?limit=256`)).json<Json[]>();
    assert.ok(!since.some((m) => ids.includes(m['id'] as number) && m['data'] !== null));
    // Nothing left to delete: 200 {} (the reference answers 404, which Session Android reports as
    // a failed "ban and delete all"); an unknown user is still 404.
    const again = await clients.roomMod.delete(`/room/main/all/${user.sessionId}`);
    assert.deepEqual([again.status, again.json()], [200, {}]);
    assert.equal((await clients.roomMod.delete(`/room/main/all/${Identity.random().blindedId(t.serverPubkey)}`)).status, 404);
    assert.equal((await clients.roomMod.delete(`/room/main/all/${Identity.random().sessionId}`)).status, 404, '05 ids do not match SessionID routes');
  });
});

describe('ban and delete all of a user without posts', () => {
  it('answers [200, 200]: the delete-all finding nothing is not a failure', async () => {
    const { user } = await freshUser();
    const done = await clients.roomMod.sequence([
      { method: 'POST', path: `/user/${user.sessionId}/ban`, json: { rooms: ['main'] } },
      { method: 'DELETE', path: `/room/main/all/${user.sessionId}` },
    ]);
    assert.deepEqual(done.map((r) => [r.code, r.body]), [[200, {}], [200, {}]]);
    assert.equal(await isRoomBanned(user), true);
  });
});

describe('audit log', () => {
  it('records API moderation actions with actor, target, room and details', async () => {
    const { user } = await freshUser();
    const id = await insertPost(user.id);
    await clients.roomMod.post(`/user/${user.sessionId}/ban`, { rooms: ['main'], timeout: 60 });
    await clients.roomMod.post(`/user/${user.sessionId}/unban`, { rooms: ['main'] });
    await clients.roomMod.post(`/room/main/permissions/${user.sessionId}`, { upload: false });
    await clients.roomMod.delete(`/room/main/message/${id}`);
    await clients.roomAdmin.post(`/user/${user.sessionId}/moderator`, { rooms: ['main'], moderator: true });
    const log = (await t.s.store.auditLog({ roomToken: 'main', limit: 500 })).filter((e) => e.target === user.sessionId).reverse();
    assert.deepEqual(log.map((e) => e.action), ['ban', 'unban', 'permissions.set', 'message.delete', 'moderator.add']);
    assert.equal(log[0]!.actor, clients.roomMod.sessionId);
    assert.equal(log[0]!.details['timeout'], 60);
    assert.equal(log[3]!.details['message'], id);
    assert.equal(log[4]!.actor, clients.roomAdmin.sessionId);
    assert.ok(log.every((e) => e.roomToken === 'main' && Math.abs(e.at - Date.now() / 1000) < 60));
    // Deleting one's own message is not a moderation action.
    const own = (await clients.user.postMessage('main', randomContent())).json<{ id: number }>().id;
    await clients.user.delete(`/room/main/message/${own}`);
    assert.equal((await t.s.store.auditLog({ limit: 1000 })).some((e) => e.actor === clients.user.sessionId), false);
  });
  it('records room updates, pins and cleared reactions, readable with sogs --audit-log', async () => {
    const room = await t.s.store.createRoom({ token: 'audited', name: 'Audited', now: t.s.clock.now() });
    const { client: admin, user: adminUser } = await freshUser();
    await setModerator(t.s, adminUser, [room], { moderator: true, admin: true, visible: true });
    const { client: author, user: authorUser } = await freshUser();
    const m1 = (await author.postMessage('audited', randomContent())).json<{ id: number }>().id;
    const m2 = (await author.postMessage('audited', randomContent())).json<{ id: number }>().id;
    const image = await uploadFileId(admin, 'audited', Buffer.from('png, honest'));
    const put = async (b: Json) => assert.equal((await admin.put('/room/audited', b)).status, 200);
    await put({ name: 'Renamed', description: 'About' });
    await put({ image });
    await put({ default_write: false, default_upload: 0 });
    await put({ name: 'Both', default_read: true });
    for (const path of [`/room/audited/pin/${m1}`, `/room/audited/pin/${m2}`, `/room/audited/unpin/${m1}`, `/room/audited/unpin/${m1}`, '/room/audited/unpin/all']) {
      assert.equal((await admin.post(path, {})).status, 200, path);
    }
    await react(author, 'audited', m2, '👍');
    await react(admin, 'audited', m2, '👍');
    await react(author, 'audited', m2, '🎉');
    assert.equal((await admin.delete(`/room/audited/reactions/${m2}/${encodeURIComponent('👍')}`)).status, 200);
    assert.equal((await admin.delete(`/room/audited/reactions/${m2}`)).status, 200);
    // Refused requests change nothing and are not logged.
    assert.equal((await author.put('/room/audited', { name: 'Mine' })).status, 403);
    assert.equal((await author.post(`/room/audited/pin/${m1}`, {})).status, 403);
    assert.equal((await author.delete(`/room/audited/reactions/${m2}`)).status, 403);

    const log = (await t.s.store.auditLog({ roomToken: 'audited', limit: 100 })).reverse();
    const rows = log.map((e) => [e.action, e.target, e.details]);
    assert.deepEqual(rows, [
      ['room.update', null, { name: 'Renamed', description: 'About' }],
      ['room.update', null, { image }],
      ['room.defaults', null, { write: false, upload: false }],
      ['room.update', null, { name: 'Both' }],
      ['room.defaults', null, { read: true }],
      ['message.pin', authorUser.sessionId, { message: m1 }],
      ['message.pin', authorUser.sessionId, { message: m2 }],
      ['message.unpin', authorUser.sessionId, { message: m1, unpinned: true }],
      ['message.unpin', authorUser.sessionId, { message: m1, unpinned: false }],
      ['messages.unpin_all', null, { unpinned: 1 }],
      ['reactions.clear', authorUser.sessionId, { message: m2, reaction: '👍', removed: 2 }],
      ['reactions.clear', authorUser.sessionId, { message: m2, removed: 1 }],
    ]);
    assert.ok(log.every((e) => e.actor === adminUser.sessionId && e.roomToken === 'audited' && Math.abs(e.at - Date.now() / 1000) < 60));

    const cli = await runCli(t.dataDir, '--audit-log', '--rooms', 'audited');
    assert.equal(cli.code, 0, cli.err);
    const lines = cli.out.trim().split('\n');
    assert.equal(lines.length, rows.length);
    assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z ${adminUser.sessionId} room\\.update room=audited \\{"name":"Renamed","description":"About"\\}$`));
    assert.match(lines[5]!, new RegExp(` message\\.pin room=audited target=${authorUser.sessionId} \\{"message":${m1}\\}$`));
    assert.match(lines[11]!, / reactions\.clear room=audited target=\S+ \{"message":\d+,"removed":1\}$/);
  });
});
