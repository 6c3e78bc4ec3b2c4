// Every mutating moderation endpoint as an action of the role × action matrix (docs/protocol/api.md §6.5): the
// request, and which roles may make it.
import assert from 'node:assert/strict';
import { uploadFileId, type SubRequest } from '../../client';
import { setModerator } from '../../src/domain/users';
import type { Room } from '../../src/store/types';
import {
  Role,
  t,
  main,
  other,
  clients,
  users,
  freshUser,
  insertPost,
  body,
  roomModerator,
  isRoomBanned,
} from './moderation-roles';

export interface Action {
  name: string;
  /** Expected status per role, in ROLES order. */
  expect: number[];
  prepare(role: Role): Promise<{ sub: SubRequest; verify?: (status: number) => Promise<void> }>;
}

export const OK = 200;
export const THUMBS = '👍';
export const PARTY = '🎉';

export const ACTIONS: Action[] = [
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
