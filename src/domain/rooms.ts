// Rooms: finding one as a given user sees it, creating and deleting them, and who moderates them.
import { StoreConflict, type PermissionOverride, type PinnedMessage, type Room, type RoomModerator, type RoomsView, type User } from '../store/types';
import { DomainError, badRequest, notFound } from './errors';
import { effectivePermissions, allows, type Permissions } from './permissions';
import type { Services } from './services';

export const ROOM_TOKEN_RE = /^[A-Za-z0-9_-]{1,64}$/;

export interface RoomAccess {
  room: Room;
  perms: Permissions;
}

/**
 * Room rows and permission overrides remembered for the duration of one read-only request tree
 * (a poll is one batch touching each room twice). The router gives it only to GET requests and
 * drops it when a batch runs anything else, so nothing read here can be stale after a write.
 */
export class RoomCache {
  private rooms: Map<string, Room> | null = null;
  private readonly overrides = new Map<number, Map<number, PermissionOverride>>();
  private services: Services | null = null;
  private userId: number | null = null;
  /** Read by the store together with the user (AuthResult.view): the first load uses it. */
  private view: RoomsView | null = null;

  /** `s` with this cache attached, made once for the whole request tree. */
  servicesFor(s: Services): Services {
    return (this.services ??= { ...s, roomCache: this });
  }

  /** Whose request tree this is: their overrides are read together with the rooms, or came with them. */
  forUser(userId: number | null, view?: RoomsView): void {
    this.userId = userId;
    this.view = view ?? null;
  }

  /**
   * Every room at once: a poll asks for several, and a server has few (tokens are unique
   * case-insensitively). Once loaded, answered without an async step: a poll's sub-requests ask
   * for rooms the batch has read, and each async step costs a promise and a microtask.
   */
  room(s: Services, token: string): Room | null | Promise<Room | null> {
    if (this.rooms) return this.rooms.get(token.toLowerCase()) ?? null;
    return this.load(s).then((rooms) => rooms.get(token.toLowerCase()) ?? null);
  }

  /** Every room, in the store's order. */
  async all(s: Services): Promise<Room[]> {
    return [...(this.rooms ?? (await this.load(s))).values()];
  }

  /** All of the user's overrides at once: a poll asks for the same user in each of its rooms (as room()). */
  override(s: Services, roomId: number, userId: number): PermissionOverride | null | Promise<PermissionOverride | null> {
    const mine = this.overrides.get(userId);
    if (mine !== undefined) return mine.get(roomId) ?? null;
    return this.loadOverrides(s, userId).then((loaded) => loaded.get(roomId) ?? null);
  }

  private async loadOverrides(s: Services, userId: number): Promise<Map<number, PermissionOverride>> {
    // The tree's user has theirs read together with the rooms.
    if (this.rooms === null && userId === this.userId) await this.load(s);
    let mine = this.overrides.get(userId);
    if (mine === undefined) {
      mine = await s.store.userOverrides(userId);
      this.overrides.set(userId, mine);
    }
    return mine;
  }

  private async load(s: Services): Promise<Map<string, Room>> {
    const { rooms, overrides } = this.view ?? (await s.store.roomsAndOverrides(this.userId));
    this.view = null;
    this.rooms = new Map(rooms.map((r) => [r.token.toLowerCase(), r]));
    if (this.userId !== null && overrides) this.overrides.set(this.userId, overrides);
    return this.rooms;
  }

  clear(): void {
    this.rooms = null;
    this.view = null;
    this.overrides.clear();
  }
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

/** Without an async step when the request's cache holds the override (see RoomCache.room). */
export function permissionsIn(s: Services, room: Room, user: User | null): Permissions | Promise<Permissions> {
  if (!user) return effectivePermissions(room, user, null);
  const ov = s.roomCache ? s.roomCache.override(s, room.id, user.id) : s.store.getOverride(room.id, user.id);
  return ov instanceof Promise ? ov.then((o) => effectivePermissions(room, user, o)) : effectivePermissions(room, user, ov);
}

/** The room by token; without an async step when the request's cache holds it. */
function loadRoom(s: Services, token: string): Room | null | Promise<Room | null> {
  if (!ROOM_TOKEN_RE.test(token)) return null;
  return s.roomCache ? s.roomCache.room(s, token) : s.store.getRoom(token);
}

/** The room as `user` may see it: unknown rooms and rooms it may not access are both 404. */
export async function accessRoom(s: Services, token: string, user: User | null): Promise<RoomAccess> {
  const room = await loadRoom(s, token);
  if (!room) throw notFound(`No such room: ${token}`);
  const perms = await permissionsIn(s, room, user);
  if (!allows(perms, 'accessible')) throw notFound(`No such room: ${token}`);
  return { room, perms };
}

/**
 * The room for endpoints guarded by a permission rather than by visibility (docs/protocol/api.md §2.3 `read`,
 * `mod`, ...): only an unknown room is 404; lacking the permission is then 403 (docs/protocol/api.md §6.7: a
 * room-banned user gets 403 from pollInfo and message reads, 404 only from GET /room).
 */
export function findRoom(s: Services, token: string, user: User | null): RoomAccess | Promise<RoomAccess> {
  const room = loadRoom(s, token);
  return room instanceof Promise ? room.then((r) => withPermissions(s, r, token, user)) : withPermissions(s, room, token, user);
}

function withPermissions(s: Services, room: Room | null, token: string, user: User | null): RoomAccess | Promise<RoomAccess> {
  if (!room) throw notFound(`No such room: ${token}`);
  const perms = permissionsIn(s, room, user);
  return perms instanceof Promise ? perms.then((p) => ({ room, perms: p })) : { room, perms };
}

/** Rooms listed to `user` (docs/protocol/api.md §4.2; room moderators see their rooms, unlike the reference §12.14). */
export async function visibleRooms(s: Services, user: User | null): Promise<RoomAccess[]> {
  const out: RoomAccess[] = [];
  // Through the request's cache when there is one: its read brings the user's overrides along.
  for (const room of s.roomCache ? await s.roomCache.all(s) : await s.store.listRooms()) {
    const perms = await permissionsIn(s, room, user);
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

/** Names lose every control character (docs/protocol/api.md §4.2). */
export function stripControl(name: string): string {
  return name.replace(/[\u0000-\u001f]/g, '');
}
