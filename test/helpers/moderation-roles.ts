// The world the moderation tests run in: a server with one client (and user) of every role, rooms
// `main` and `other`, and ways to make users, posts, and room moderators in it.
import { after, before } from 'node:test';
import { padMessage, randomContent, type SogsClient } from '../../client';
import { setModerator, resolveTargetUser } from '../../src/domain/users';
import type { Room, User } from '../../src/store/types';
import { startTestServer, type TestServer } from './server';

// `banned` is banned from the room `main`; `globalBanned` server-wide (its signed requests, /batch
// and /sequence included, are all refused with 403 before any route runs).
export type Role = 'anonymous' | 'user' | 'banned' | 'roomMod' | 'roomAdmin' | 'globalMod' | 'globalAdmin' | 'globalBanned';
export const ROLES: Role[] = ['anonymous', 'user', 'banned', 'roomMod', 'roomAdmin', 'globalMod', 'globalAdmin', 'globalBanned'];
export type Json = Record<string, unknown>;

export let t: TestServer;
export let main: Room;
export let other: Room;
export const clients = {} as Record<Role, SogsClient>;
export const users = {} as Record<Role, User | null>;

export async function freshUser(): Promise<{ client: SogsClient; user: User }> {
  const client = t.client();
  return { client, user: await t.s.store.ensureUser(client.sessionId, t.s.clock.now()) };
}

export async function insertPost(userId: number, room: Room = main): Promise<number> {
  const m = await t.s.store.insertMessage({
    roomId: room.id, userId, data: padMessage(randomContent()), signature: Buffer.alloc(64, 1),
    whisperTo: null, whisperMods: false, filtered: false, now: t.s.clock.now(),
  });
  return m.id;
}

export function body(): Json {
  return { data: padMessage(randomContent()).toString('base64'), signature: Buffer.alloc(64, 2).toString('base64') };
}

export async function roomModerator(admin: boolean, visible = true): Promise<User> {
  const { user } = await freshUser();
  await setModerator(t.s, user, [main], { moderator: true, admin, visible });
  return user;
}

export async function isRoomBanned(u: User, room: Room = main): Promise<boolean> {
  return (await t.s.store.getOverride(room.id, u.id))?.banned ?? false;
}

/** Starts the server with one client of each role (and rooms `main`, `other`) before the file's tests. */
export function useRoleServer(): void {
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
}
