// What one request has read: its user, the rooms, the permission overrides that give its
// permissions, room limits; and the rooms it has recorded a read in. The router creates one per request
// (a batch's or sequence's GET sub-requests share their parent's) and hands it to the handler,
// which passes it to the domain rules explicitly.
//
// Reads are explicit and asynchronous (readRooms, overrideOf, roomLimits); what was read is then
// answered synchronously (room, rooms, permissions): a poll's sub-requests ask for rooms their
// batch has already read, and each async step costs a promise and a microtask. Nothing here is
// kept past the request tree, and the router calls invalidate() after every sub-request that is
// not a GET, so nothing read here is used after a write. A writing handler reads what it decides
// on before it writes, and does not read back through the context what it wrote.
import { effectivePermissions, type Permissions } from './permissions';
import type { Services } from './services';
import type { PermissionOverride, Room, RoomLimits, RoomsView, User } from '../store/types';

/** What readRooms() returns once the rooms are read: awaiting it allocates nothing. */
const READ: Promise<void> = Promise.resolve();

export class RequestContext {
  /** Who the request runs as (null: anonymous). The router re-reads it after a write in a batch. */
  user: User | null;
  /** Every room by lower-cased token (tokens are unique case-insensitively); null until read. */
  private byToken: Map<string, Room> | null = null;
  /** The rooms in the store's order. */
  private list: Room[] = [];
  /** Read by the store together with the user (NonceLookup.view): readRooms uses it. */
  private view: RoomsView | null;
  /** Permission overrides by user id, then room id (the context's user's come with the rooms). */
  private readonly overrides = new Map<number, Map<number, PermissionOverride>>();
  private limits: Map<number, RoomLimits> | null = null;
  /** Rooms this request tree has recorded a read in (the new-account rule counts one per room). */
  private touched: Set<number> | null = null;

  constructor(user: User | null, view?: RoomsView) {
    this.user = user;
    this.view = view ?? null;
  }

  /** The request's user, once authenticated, with the rooms and overrides the store read along with it. */
  signIn(user: User, view?: RoomsView): void {
    this.invalidate();
    this.user = user;
    this.view = view ?? null;
  }

  /** Whether readRooms() has run since the last invalidate(): room(), rooms() and permissions() need it. */
  get roomsRead(): boolean {
    return this.byToken !== null;
  }

  /**
   * Reads every room and the user's overrides at once (a server has few rooms, and a poll asks
   * for several), unless they were read already or came with the user's lookup.
   */
  readRooms(s: Services): Promise<void> {
    return this.byToken !== null ? READ : this.load(s);
  }

  private async load(s: Services): Promise<void> {
    const userId = this.user?.id ?? null;
    const { rooms, overrides } = this.view ?? (await s.store.roomsAndOverrides(userId));
    this.view = null;
    if (userId !== null) this.overrides.set(userId, overrides ?? (await s.store.userOverrides(userId)));
    const byToken = new Map<string, Room>();
    for (const r of rooms) byToken.set(r.token.toLowerCase(), r);
    this.list = rooms;
    this.byToken = byToken;
  }

  /** The room by token (any case), or null; after readRooms(). */
  room(token: string): Room | null {
    return this.read().get(token.toLowerCase()) ?? null;
  }

  /** Every room, in the store's order; after readRooms(). */
  rooms(): readonly Room[] {
    this.read();
    return this.list;
  }

  /** The context's user's permissions in a room read by readRooms(), or the anonymous ones for `anonymous`. */
  permissions(room: Room, anonymous = false): Permissions {
    const user = anonymous ? null : this.user;
    if (user === null) return effectivePermissions(room, null, null);
    this.read();
    return effectivePermissions(room, user, this.overrides.get(user.id)!.get(room.id) ?? null);
  }

  /** Any user's override in a room, their overrides read once per request (the context's user's come with the rooms). */
  async overrideOf(s: Services, roomId: number, userId: number): Promise<PermissionOverride | null> {
    if (userId === this.user?.id) await this.readRooms(s);
    let mine = this.overrides.get(userId);
    if (mine === undefined) {
      mine = await s.store.userOverrides(userId);
      this.overrides.set(userId, mine);
    }
    return mine.get(roomId) ?? null;
  }

  /** A room's rate limit and raid mode, read once per request. */
  async roomLimits(s: Services, roomId: number): Promise<RoomLimits> {
    let l = this.limits?.get(roomId);
    if (l === undefined) {
      l = await s.store.roomLimits(roomId);
      (this.limits ??= new Map()).set(roomId, l);
    }
    return l;
  }

  /**
   * Records that the context's user read a room: once per room per request tree, so that a poll
   * asking a room for its info and its messages counts as one read for the new-account rule.
   */
  touchRoom(s: Services, roomId: number): void {
    if (this.user === null) return;
    const touched = (this.touched ??= new Set());
    if (touched.has(roomId)) return;
    touched.add(roomId);
    s.activity.touchRoom(roomId, this.user.id, s.clock.now());
  }

  /** Forgets everything read (after a write); the rooms touched stay touched. */
  invalidate(): void {
    this.byToken = null;
    this.list = [];
    this.view = null;
    this.overrides.clear();
    this.limits = null;
  }

  private read(): Map<string, Room> {
    if (this.byToken === null) throw new Error('RequestContext: rooms used before readRooms()');
    return this.byToken;
  }
}
