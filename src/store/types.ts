// The store interface: the only contract between the rules (domain/) and a database. Every
// implementation (SQLite now, PostgreSQL later) keeps the same invariants the reference server
// keeps with triggers: room sequence counters, edit history, tombstones, info_updates bumps.
// Methods are async so that a networked database can implement them; the SQLite store answers
// synchronously inside them.

export interface Room {
  id: number;
  token: string;
  name: string;
  description: string | null;
  image: number | null;
  created: number;
  messageSequence: number;
  infoUpdates: number;
  activeUsers: number;
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
}

export interface User {
  id: number;
  sessionId: string;
  created: number;
  lastActive: number;
  banned: boolean;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
}

/** A user's explicit per-room settings (user_permission_overrides); null = room default. */
export interface PermissionOverride {
  banned: boolean;
  read: boolean | null;
  accessible: boolean | null;
  write: boolean | null;
  upload: boolean | null;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
}

/** A moderator of a room (room-level or global), with visibility merged as in api.md §3.1. */
export interface RoomModerator {
  sessionId: string;
  admin: boolean;
  visible: boolean;
}

export interface Message {
  id: number;
  roomId: number;
  userId: number;
  sessionId: string;
  posted: number;
  edited: number | null;
  seqno: number;
  seqnoData: number;
  seqnoReactions: number;
  seqnoCreation: number;
  /** Exact bytes as the author signed them (padding restored); null for a tombstone. */
  data: Buffer | null;
  signature: Buffer | null;
  filtered: boolean;
  whisperTo: string | null;
  whisperMods: boolean;
}

export interface ReactionInfo {
  reaction: string;
  index: number;
  count: number;
  reactors: string[];
  you: boolean;
}

/** Who is looking, for whisper visibility (api.md §5.5). */
export interface PinnedMessage {
  id: number;
  pinnedAt: number;
  pinnedBy: string;
}

export interface Viewer {
  userId: number | null;
  sessionId: string | null;
  moderator: boolean;
}

export interface NewMessage {
  roomId: number;
  userId: number;
  data: Buffer;
  signature: Buffer;
  whisperTo: number | null;
  whisperMods: boolean;
  filtered: boolean;
  now: number;
}

export interface NewRoom {
  token: string;
  name: string;
  description?: string | null;
  now: number;
}

export interface ModeratorChange {
  /** null = global. */
  roomId: number | null;
  userId: number;
  moderator: boolean;
  admin: boolean;
  visible: boolean;
}

export interface ActivityTouch {
  roomId: number;
  userId: number;
  at: number;
}

export class StoreConflict extends Error {}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** True when this open created the schema (first start). */
  readonly freshlyCreated: boolean;
  close(): Promise<void>;

  // --- users -------------------------------------------------------------------------------
  findUser(sessionId: string): Promise<User | null>;
  findUserById(id: number): Promise<User | null>;
  /**
   * Returns the user, creating it if needed. A new blinded (15) user inherits what was recorded
   * for its unblinded id in needs_blinding (api.md §2.4).
   */
  ensureUser(sessionId: string, now: number): Promise<User>;
  /** Finds a 15 user whose id is either candidate (positive/negative sign). */
  findUserByCandidates(candidates: string[]): Promise<User | null>;
  /** Records that an unblinded (05) user must be migrated when its blinded id appears. */
  recordNeedsBlinding(userId: number, blindedAbs: string): Promise<void>;
  touchUsers(touches: { userId: number; at: number }[]): Promise<void>;
  setGlobalModerator(change: ModeratorChange): Promise<void>;
  /** Sets or lifts a global ban (a global moderator cannot be banned: StoreConflict). */
  setGlobalBan(userId: number, banned: boolean): Promise<void>;
  listGlobalModerators(): Promise<User[]>;

  // --- request nonces ----------------------------------------------------------------------
  nonceSeen(nonce: Buffer): Promise<boolean>;
  /** Records a nonce; false if it was already recorded (a replay). */
  recordNonce(userId: number, nonce: Buffer, expiry: number): Promise<boolean>;

  // --- rooms -------------------------------------------------------------------------------
  getRoom(token: string): Promise<Room | null>;
  getRoomById(id: number): Promise<Room | null>;
  listRooms(): Promise<Room[]>;
  /** Throws StoreConflict if the token exists (case-insensitively). */
  createRoom(room: NewRoom): Promise<Room>;
  deleteRoom(token: string): Promise<boolean>;
  roomModerators(roomId: number): Promise<RoomModerator[]>;
  getOverride(roomId: number, userId: number): Promise<PermissionOverride | null>;
  setRoomModerator(change: ModeratorChange & { roomId: number }): Promise<void>;
  pinnedMessages(roomId: number): Promise<PinnedMessage[]>;

  // --- messages ----------------------------------------------------------------------------
  insertMessage(m: NewMessage): Promise<Message>;
  /** Replaces data/signature; returns false if the data is byte-identical (no seqno bump). */
  editMessage(messageId: number, data: Buffer, signature: Buffer, now: number): Promise<Message>;
  /** Tombstones a message (with history, unpin, reaction wipe). */
  deleteMessage(messageId: number, now: number): Promise<void>;
  /** Any message row of the room, including tombstones and filtered ones. */
  getMessage(roomId: number, messageId: number): Promise<Message | null>;
  /** Visible, non-deleted, non-filtered messages, newest first, optionally with id < beforeId. */
  recentMessages(roomId: number, viewer: Viewer, limit: number, beforeId?: number): Promise<Message[]>;
  /** Update rows for messages/since (api.md §5.2). */
  messagesSince(roomId: number, viewer: Viewer, seqno: number, limit: number, withReactions: boolean): Promise<Message[]>;
  reactions(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>>;
  countPostsSince(roomId: number, userId: number, since: number): Promise<number>;

  // --- activity and jobs -------------------------------------------------------------------
  touchRoomActivity(touches: ActivityTouch[]): Promise<void>;
  /** Periodic cleanup; returns counts of what was removed. */
  cleanup(now: number, opts: CleanupOptions): Promise<Record<string, number>>;
}

export interface CleanupOptions {
  activeThreshold: number;
  activePruneThreshold: number;
  historyPruneThreshold: number;
}
