// Rooms: finding one as a given user sees it, creating and deleting them, and who moderates them.
import { StoreConflict, type PinnedMessage, type Room, type RoomModerator, type User } from '../store/types';
import { auditAction, recordAudit } from './audit';
import { DomainError, badRequest, notFound } from './errors';
import { effectivePermissions, allows, type Permissions } from './permissions';
import type { RequestContext } from './request-context';
import type { Services } from './services';

const CREATE_ROOM = auditAction('room.create');

export const ROOM_TOKEN_RE = /^[A-Za-z0-9_-]{1,64}$/;

export interface RoomAccess {
  room: Room;
  perms: Permissions;
}

/**
 * A room's moderator lists and pinned messages, remembered across requests by (room, info_updates).
 * Every change to either bumps the room's info_updates in the same transaction (store contract), and
 * each request reads the room row itself fresh, so an entry is never used after its room changed,
 * whichever process or host changed it. Rooms are few: the map is simply emptied when it grows.
 */
export class RoomInfoCache {
  private readonly entries = new Map<string, { mods: RoomModerator[]; pinned: PinnedMessage[] }>();
  private static readonly MAX = 4096;

  async get(s: Services, room: Room): Promise<{ mods: RoomModerator[]; pinned: PinnedMessage[] }> {
    const key = `${room.id}:${room.infoUpdates}`;
    let e = this.entries.get(key);
    if (e === undefined) {
      const [mods, pinned] = await Promise.all([s.store.roomModerators(room.id), s.store.pinnedMessages(room.id)]);
      e = { mods, pinned };
      if (this.entries.size >= RoomInfoCache.MAX) this.entries.clear();
      this.entries.set(key, e);
    }
    return e;
  }
}

/**
 * `user`'s permissions in a room, read from the store: for rules about users other than the
 * request's (moderation, bans) and for the admin CLI, which has no request.
 */
export async function permissionsIn(s: Services, room: Room, user: User | null): Promise<Permissions> {
  return effectivePermissions(room, user, user === null ? null : await s.store.getOverride(room.id, user.id));
}

/** `user`'s permissions in a room, through what the request has read (any user's overrides are read once). */
export async function permissionsOf(s: Services, rc: RequestContext, room: Room, user: User | null): Promise<Permissions> {
  return effectivePermissions(room, user, user === null ? null : await rc.overrideOf(s, room.id, user.id));
}

/**
 * The room for endpoints guarded by a permission rather than by visibility (docs/protocol/api.md
 * §2.3 `read`, `mod`, ...), with the request's user's permissions (a visitor's when `anonymous`):
 * only an unknown room is 404; lacking the permission is then 403 (docs/protocol/api.md §6.7: a
 * room-banned user gets 403 from pollInfo and message reads, 404 only from GET /room). Answers
 * from what the context has read: call after `rc.readRooms()`.
 */
export function roomOf(rc: RequestContext, token: string, anonymous = false): RoomAccess {
  const room = ROOM_TOKEN_RE.test(token) ? rc.room(token) : null;
  if (!room) throw notFound(`No such room: ${token}`);
  return { room, perms: rc.permissions(room, anonymous) };
}

/** roomOf after reading the rooms. */
export async function findRoom(s: Services, rc: RequestContext, token: string): Promise<RoomAccess> {
  await rc.readRooms(s);
  return roomOf(rc, token);
}

/** The room as the request's user (a visitor when `anonymous`) may see it: unknown rooms and rooms it may not access are both 404. */
export async function accessRoom(s: Services, rc: RequestContext, token: string, anonymous = false): Promise<RoomAccess> {
  await rc.readRooms(s);
  const access = roomOf(rc, token, anonymous);
  if (!allows(access.perms, 'accessible')) throw notFound(`No such room: ${token}`);
  return access;
}

/**
 * Rooms listed to the request's user, or to a visitor when `anonymous` (docs/protocol/api.md §4.2;
 * room moderators see their rooms, unlike the reference §12.14).
 */
export async function visibleRooms(s: Services, rc: RequestContext, anonymous = false): Promise<RoomAccess[]> {
  await rc.readRooms(s);
  const out: RoomAccess[] = [];
  for (const room of rc.rooms()) {
    const perms = rc.permissions(room, anonymous);
    if (allows(perms, 'accessible')) out.push({ room, perms });
  }
  return out;
}

export interface ModeratorLists {
  moderators: string[];
  admins: string[];
  hiddenModerators: string[];
  hiddenAdmins: string[];
}

export function splitModerators(mods: RoomModerator[]): ModeratorLists {
  const lists: ModeratorLists = { moderators: [], admins: [], hiddenModerators: [], hiddenAdmins: [] };
  for (const m of mods) {
    if (m.admin) (m.visible ? lists.admins : lists.hiddenAdmins).push(m.sessionId);
    else (m.visible ? lists.moderators : lists.hiddenModerators).push(m.sessionId);
  }
  return lists;
}

export interface RoomDetails {
  room: Room;
  perms: Permissions;
  mods: ModeratorLists;
  pinned: PinnedMessage[];
}

export async function roomDetails(s: Services, access: RoomAccess): Promise<RoomDetails> {
  const { mods, pinned } = await s.roomInfo.get(s, access.room);
  return { ...access, mods: splitModerators(mods), pinned };
}

export function validateRoomToken(token: string): void {
  if (!ROOM_TOKEN_RE.test(token)) {
    throw badRequest(`invalid room token '${token}': use 1-64 characters of A-Z, a-z, 0-9, _ and -`);
  }
}

export async function createRoom(s: Services, token: string, name: string, description: string | null = null): Promise<Room> {
  validateRoomToken(token);
  try {
    return await s.store.createRoom({ token, name: stripControl(name), description, now: s.clock.now() });
  } catch (e) {
    if (e instanceof StoreConflict) throw new DomainError('conflict', e.message);
    throw e;
  }
}

/** A room created by someone (the CLI's system user, a console admin): audited as `room.create`. */
export async function createRoomAs(s: Services, actor: User, token: string, name: string, description: string | null): Promise<Room> {
  const room = await createRoom(s, token, name, description);
  await recordAudit(s, actor, CREATE_ROOM, { room, details: { name: room.name } });
  return room;
}

/** Names lose every control character (docs/protocol/api.md §4.2). */
export function stripControl(name: string): string {
  return name.replace(/[\u0000-\u001f]/g, '');
}
