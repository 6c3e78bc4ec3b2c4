// The store interface: the only contract between the rules (domain/) and a database. Every
// implementation (SQLite, PostgreSQL) keeps the same invariants the reference server keeps with
// triggers: room sequence counters, edit history, tombstones, info_updates bumps. They are written
// once, in store/shared/, over per-database tables (ARCHITECTURE.md, "Persistence"). Methods are
// async so that a networked database can implement them; the SQLite store answers synchronously
// inside them. The records they take and return live in store/model/ and are re-exported here.
import type { AuditEntry, AuditQuery, AppliedSchedule, BanEntry, FutureChange, FuturePerms, NewAuditEntry, PermissionChange, PermissionOverride } from './model/moderation';
import type { DirectMessage, DmRecipients, FileRecord, NewDirectMessage, NewFile } from './model/files';
import type { FloodCounts, FloodQuery, Message, NewFingerprint, NewMessage, ReactionChange, ReactionInfo, Viewer } from './model/messages';
import type { ActivityTouch, ModeratorChange, NewRoom, PinnedMessage, Room, RoomDefaults, RoomLimits, RoomModerator, RoomUpdate, RoomsView } from './model/rooms';
import type { AccountWindow, RaidCleanupCounts, RaidWindow } from './model/raids';
import type { CleanupOptions, LegacyMessageIdMap } from './model/server';
import type { ConsoleSession, DailyPosts, NewConsoleSession } from './model/console';
import type { NonceLookup, User } from './model/users';

export * from './model/console';
export * from './model/files';
export * from './model/messages';
export * from './model/moderation';
export * from './model/rooms';
export * from './model/raids';
export * from './model/server';
export * from './model/users';

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** True when this open created the schema (first start). */
  readonly freshlyCreated: boolean;
  close(): Promise<void>;
  /**
   * Starts what a long-running server needs done in the background (SQLite: WAL checkpoints in
   * a thread of their own); close() stops it. Commands that open the store briefly don't.
   */
  startUpkeep(onError: (e: Error) => void): void;

  // --- users -------------------------------------------------------------------------------
  findUser(sessionId: string): Promise<User | null>;
  /**
   * What authentication needs to know before the signature check, in one query: the user, and
   * whether this nonce was used with this signed timestamp (or, before schema 15, at all).
   */
  authLookup(sessionId: string, nonce: Buffer, ts: number): Promise<{ user: User | null; nonceSeen: boolean }>;
  findUserById(id: number): Promise<User | null>;
  /**
   * Returns the user, creating it if needed. A new blinded (15) user inherits what was recorded
   * for its unblinded id in needs_blinding (docs/protocol/api.md §2.4).
   */
  ensureUser(sessionId: string, now: number): Promise<User>;
  /** Records that an unblinded (05) user must be migrated when its blinded id appears. */
  recordNeedsBlinding(userId: number, blindedAbs: string): Promise<void>;
  touchUsers(touches: { userId: number; at: number }[]): Promise<void>;
  setGlobalModerator(change: ModeratorChange): Promise<void>;
  /** Sets or lifts a global ban (a global moderator cannot be banned: StoreConflict). */
  setGlobalBan(userId: number, banned: boolean): Promise<void>;
  listGlobalModerators(): Promise<User[]>;

  // --- request nonces ----------------------------------------------------------------------
  /**
   * Records a nonce with the request's signed timestamp; false if that pair was already recorded
   * (a replay: the signature covers both, so a replayed request repeats both).
   */
  recordNonce(userId: number, nonce: Buffer, ts: number): Promise<boolean>;
  /**
   * After the signature verified: the user, and the nonce recorded for them unless they are
   * banned or unknown (`recorded` false; a new user's is recorded by the caller once the user
   * exists). The calls of one event-loop turn may be answered together, in one round trip.
   */
  lookupAndRecordNonce(sessionId: string, nonce: Buffer, ts: number): Promise<NonceLookup>;

  // --- rooms -------------------------------------------------------------------------------
  getRoom(token: string): Promise<Room | null>;
  getRoomById(id: number): Promise<Room | null>;
  listRooms(): Promise<Room[]>;
  /** Throws StoreConflict if the token exists (case-insensitively). */
  createRoom(room: NewRoom): Promise<Room>;
  deleteRoom(token: string): Promise<boolean>;
  roomModerators(roomId: number): Promise<RoomModerator[]>;
  getOverride(roomId: number, userId: number): Promise<PermissionOverride | null>;
  /** Every room override of one user, by room id (most users have none). */
  userOverrides(userId: number): Promise<Map<number, PermissionOverride>>;
  /**
   * Every room and, for a user, their overrides by room id: what a poll reads once per batch.
   * Read together so that a networked store can answer in one round trip when no room changed.
   * The rooms are as current as a fresh read (a poll trusts their message_sequence and info_updates).
   */
  roomsAndOverrides(userId: number | null): Promise<RoomsView>;
  setRoomModerator(change: ModeratorChange & { roomId: number }): Promise<void>;
  pinnedMessages(roomId: number): Promise<PinnedMessage[]>;

  // --- messages ----------------------------------------------------------------------------
  insertMessage(m: NewMessage): Promise<Message>;
  /**
   * Replaces data and signature and returns the message. Byte-identical data (once unpadded) only
   * takes the new signature: no history row, no seqno bump.
   */
  editMessage(messageId: number, data: Buffer, signature: Buffer, now: number): Promise<Message>;
  /** Tombstones a message (with history, unpin, reaction wipe). */
  deleteMessage(messageId: number, now: number): Promise<void>;
  /** Any message row of the room, including tombstones and filtered ones. */
  getMessage(roomId: number, messageId: number): Promise<Message | null>;
  /**
   * Visible, non-deleted, non-filtered messages, newest first, optionally with id < beforeId.
   * `'everyone'`: whispers included, as for messagesSince.
   */
  recentMessages(roomId: number, viewer: Viewer | 'everyone', limit: number, beforeId?: number): Promise<Message[]>;
  /**
   * Update rows for messages/since (docs/protocol/api.md §5.2). `'everyone'`: every row, whispers included,
   * for a rendering whose caller decides who may see it.
   */
  messagesSince(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]>;
  reactions(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>>;
  /** The users with a reaction on any of the messages: who see a `you` in a listing of them. */
  reactedBy(messageIds: number[]): Promise<number[]>;
  countPostsSince(roomId: number, userId: number, since: number): Promise<number>;

  // --- permissions (moderation) ----------------------------------------------------------
  /** Every user_permission_overrides row of a room, ordered by session id. */
  listOverrides(roomId: number): Promise<{ sessionId: string; override: PermissionOverride }[]>;
  /**
   * Sets (true/false) or clears (null) explicit per-user permissions; undefined keys are left
   * alone. Returns the resulting row, or null when nothing is set any more (the row is deleted).
   */
  setPermissionOverrides(roomId: number, userId: number, change: PermissionChange): Promise<PermissionOverride | null>;
  /** Changes room default permissions (no info_updates bump, docs/protocol/api.md §4.2). */
  setRoomDefaults(roomId: number, defaults: Partial<RoomDefaults>): Promise<Room>;
  /** Scheduled permission changes and room (un)bans, ordered by time; one user's when userId is given. */
  futurePermissions(roomId: number, userId?: number): Promise<FutureChange[]>;
  addFuturePermission(roomId: number, userId: number, at: number, perms: FuturePerms): Promise<void>;
  /** Nulls these columns in the user's pending changes; rows left empty are deleted (docs/protocol/api.md §12.7). */
  clearFuturePermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Promise<void>;
  /** Applies scheduled permission changes and (un)bans due at `now`, oldest first (docs/protocol/api.md §6.8). */
  applyDueSchedules(now: number): Promise<AppliedSchedule[]>;

  // --- bans ----------------------------------------------------------------------------------
  /** Room bans in one transaction: demotes room mods, drops room activity, replaces scheduled (un)bans. */
  banInRooms(userId: number, roomIds: number[], unbanAt: number | null): Promise<void>;
  unbanInRooms(userId: number, roomIds: number[]): Promise<void>;
  /** Global ban (replacing scheduled global (un)bans); StoreConflict for a global moderator. */
  banGlobally(userId: number, unbanAt: number | null): Promise<void>;
  unbanGlobally(userId: number): Promise<void>;
  /** Current bans: room bans of that room (or of every room when undefined) and global bans. */
  listBans(roomId?: number): Promise<BanEntry[]>;
  /** Tombstones every live message of the user in the room and expires their uploads there (not the room image). */
  deleteUserMessages(roomId: number, userId: number, now: number): Promise<number>;

  // --- anti-raid -----------------------------------------------------------------------------
  roomLimits(roomId: number): Promise<RoomLimits>;
  setRoomLimits(roomId: number, limits: Partial<RoomLimits>): Promise<RoomLimits>;
  addUserReads(reads: { userId: number; count: number }[]): Promise<void>;
  userReads(userId: number): Promise<number>;
  countDmsSince(userId: number, since: number): Promise<number>;
  /** Earlier copies of a post's text (domain/flood.ts): other accounts in the room, the user's own anywhere. */
  floodCounts(q: FloodQuery): Promise<FloodCounts>;
  /** Records a post's text fingerprint; cleanup forgets it after `fingerprintRetention`. */
  addFingerprint(f: NewFingerprint): Promise<void>;
  /** Whom the sender wrote to since `since`, and whether the recipient is among them (domain/dm-limits.ts). */
  dmRecipients(senderId: number, recipientId: number, since: number): Promise<DmRecipients>;

  // --- raid detection, held posts, cleanup (domain/raids.ts) ----------------------------------
  /** Counts one post from a new account in the room's minute; the counts of that minute and the one before. */
  countNewPost(roomId: number, minute: number, raid: boolean): Promise<RaidWindow>;
  /** The most posts from new accounts in one minute of [fromMinute, beforeMinute), minutes counted during a raid excepted unless `withRaid`. */
  peakNewPosts(roomId: number, fromMinute: number, beforeMinute: number, withRaid: boolean): Promise<number>;
  /** Marks the room's minutes from `fromMinute` as counted during a raid (kept out of its baseline). */
  markRaidMinutes(roomId: number, fromMinute: number): Promise<void>;
  /** A post stored hidden (held) for moderators: it takes no sequence number of its own until released. */
  holdMessage(m: NewMessage): Promise<Message>;
  /**
   * Holds the live posts of the room posted since `postedSince` by accounts first seen since
   * `createdSince` (moderators and users with explicit write permission excepted): held copies,
   * the originals deleted. How many.
   */
  holdRecentPosts(roomId: number, postedSince: number, createdSince: number, now: number): Promise<number>;
  /** The room's held posts, oldest first, with id > afterId. */
  heldMessages(roomId: number, limit: number, afterId: number): Promise<Message[]>;
  countHeld(roomId: number): Promise<number>;
  /** Publishes held posts (all when ids is null) as new posts with fresh ids and sequence numbers; their new ids. */
  releaseHeld(roomId: number, ids: number[] | null): Promise<number[]>;
  /** Deletes held posts (all when ids is null) and expires their attachments; how many. */
  dropHeld(roomId: number, ids: number[] | null): Promise<number>;
  /** Deletes held posts of every room posted before `before`; how many. */
  expireHeld(before: number): Promise<number>;
  /** Forgets detection counts of minutes before `beforeMinute`. */
  pruneRaidCounts(beforeMinute: number): Promise<number>;
  /** What a cleanup of the window would reach, moderators excepted. */
  raidCleanupCounts(roomId: number, w: AccountWindow): Promise<RaidCleanupCounts>;
  /** Deletes every post (live and held) of the window's accounts in the room, expires their uploads there and bans them (room or global). */
  raidCleanup(roomId: number, w: AccountWindow, ban: 'room' | 'global' | null, now: number): Promise<RaidCleanupCounts>;

  // --- audit ---------------------------------------------------------------------------------
  addAuditEntry(e: NewAuditEntry): Promise<void>;
  /** Newest first; each given field narrows the list (actor and target: session ids, action: exact). */
  auditLog(q: AuditQuery): Promise<AuditEntry[]>;

  // --- reactions ---------------------------------------------------------------------------
  /**
   * Adds a user's reaction to a regular message (live, not filtered, not a whisper) of the room;
   * each addition is one room event. null when the message is not a regular message of the room.
   */
  addReaction(roomId: number, messageId: number, userId: number, reaction: string, now: number): Promise<ReactionChange | null>;
  removeReaction(roomId: number, messageId: number, userId: number, reaction: string): Promise<ReactionChange | null>;
  /** Removes every user's reaction (of one kind, or all kinds when null); one event per removal. */
  clearReactions(roomId: number, messageId: number, reaction: string | null): Promise<{ removed: number; seqno: number } | null>;
  /** [session id, time] of a reaction's users, oldest first; limit <= 0 = all. */
  reactors(messageId: number, reaction: string, limit: number): Promise<[string, number][]>;

  // --- pins --------------------------------------------------------------------------------
  /** Pins (or re-pins) a regular message; its attachments stop expiring. null: not a regular message. */
  pinMessage(roomId: number, messageId: number, userId: number, now: number): Promise<{ infoUpdates: number } | null>;
  /**
   * Unpins one message (or all when messageId is null): one info_updates bump per removed pin;
   * attachments expire at uploaded + attachmentTtl (null ttl = never), room images excepted.
   */
  unpinMessages(roomId: number, messageId: number | null, attachmentTtl: number | null): Promise<{ unpinned: number; infoUpdates: number }>;

  // --- files -------------------------------------------------------------------------------
  insertFile(f: NewFile): Promise<FileRecord>;
  getFile(id: number): Promise<FileRecord | null>;
  deleteFileRow(id: number): Promise<void>;
  /**
   * Claims uploads for a message (docs/protocol/api.md §4.3): only files of the message's room and author, not
   * yet attached, uploaded since `uploadedSince` and still expiring and unexpired. They expire at
   * `expiry` (null = never), or never while the message is pinned. Returns the claimed ids.
   */
  attachFiles(messageId: number, fileIds: number[], uploadedSince: number, now: number, expiry: number | null): Promise<number[]>;
  /**
   * Applies a PUT /room update in one transaction (docs/protocol/api.md §4.2): info_updates bumps for changed
   * name/description/image; the new image never expires, the old one expires (now, or at
   * `replacedImageExpiry` when it is attached to a live post). 'no-such-image' (nothing changed)
   * when the image is not an unexpired file of this room.
   */
  updateRoom(roomId: number, u: RoomUpdate, now: number, replacedImageExpiry: number | null): Promise<{ infoUpdates: number } | 'no-such-image'>;
  /** Deletes the rows of expired files and returns their blob paths (the caller removes the blobs). */
  takeExpiredFiles(now: number): Promise<string[]>;
  /** Every blob path the database refers to. */
  allFilePaths(): Promise<Set<string>>;

  // --- direct messages ---------------------------------------------------------------------
  insertDirectMessage(m: NewDirectMessage): Promise<DirectMessage>;
  /** Unexpired DMs received (inbox) or sent (outbox) by the user with id > afterId, oldest first. */
  directMessages(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]>;
  deleteInbox(userId: number): Promise<number>;

  // --- activity and jobs -------------------------------------------------------------------
  touchRoomActivity(touches: ActivityTouch[]): Promise<void>;
  /** Periodic cleanup; returns counts of what was removed. */
  cleanup(now: number, opts: CleanupOptions): Promise<Record<string, number>>;

  // --- server settings and jobs (shared by every instance on one database) ------------------
  /** A server-wide setting (e.g. the server key), or null when unset. */
  getSetting(key: string): Promise<Buffer | null>;
  /** Stores the value unless the key is set already; returns the value stored now (first writer wins). */
  initSetting(key: string, value: Buffer): Promise<Buffer>;
  /** Stores the value, replacing what was there (last writer wins). */
  setSetting(key: string, value: Buffer): Promise<void>;
  /**
   * Claims one tick of a background job: true for exactly one caller per (name, tick) across every
   * process and host on this database, false once that tick (or a later one) was claimed. Ticks
   * are named by their start time (see jobs.ts), so later ticks have larger names.
   */
  claimJobTick(name: string, tick: number): Promise<boolean>;
  /** Bytes the database occupies on disk (metrics). */
  databaseBytes(): Promise<number>;

  // --- the web console (src/web/console/) ---------------------------------------------------
  /** Stores a one-time sign-in link (by its token's hash) for a Session id. */
  addConsoleLink(tokenHash: string, sessionId: string, now: number, expires: number): Promise<void>;
  /** Uses up a link: deleted whether or not it is still valid; its Session id if it was. */
  takeConsoleLink(tokenHash: string, now: number): Promise<string | null>;
  addConsoleSession(s: NewConsoleSession): Promise<ConsoleSession>;
  /** The unexpired session of a token's hash, or null. */
  consoleSession(tokenHash: string, now: number): Promise<ConsoleSession | null>;
  /** Unexpired sessions, oldest first. */
  consoleSessions(now: number): Promise<ConsoleSession[]>;
  /** Ends sessions: one by id, every one of a Session id, or all; how many ended. */
  endConsoleSessions(which: { id: number } | { sessionId: string } | 'all'): Promise<number>;
  /** Posts (deleted ones too) per room and UTC day since `since`. */
  dailyPosts(since: number): Promise<DailyPosts[]>;
  /** Users first seen since `since`. */
  newUsersSince(since: number): Promise<number>;
  /** A room's live posts as its moderators review them, newest first: whispers, filtered and held posts too (`held` set). */
  moderationMessages(roomId: number, limit: number): Promise<Message[]>;
  /** A user's live posts in every room (filtered, held and whispers too; `held` set), newest first. */
  userMessages(userId: number, limit: number): Promise<Message[]>;

  // --- legacy (the v1 API) -----------------------------------------------------------------
  /** Live, unfiltered messages the viewer may see with id > afterId, ascending by id. */
  legacyMessagesAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Promise<Message[]>;
  /** Tombstones as legacy deletions: seqno_data > after ascending, or (after null) the newest first. */
  legacyDeletions(roomId: number, after: number | null, limit: number): Promise<{ id: number; deletedMessageId: number }[]>;
  /** Users active in the room since `since` (unix seconds). */
  legacyActiveUsers(roomId: number, since: number): Promise<number>;
  /** The room's imported legacy message ids (room_import_hacks), or null for a room without them. */
  legacyMessageIdMap(roomId: number): Promise<LegacyMessageIdMap | null>;
  /**
   * The file an imported legacy file id of the room became (file_id_hacks), or null. Legacy ids
   * can exceed 2^53, hence the bigint; it must fit a signed 64-bit integer.
   */
  importedFileId(roomId: number, oldFileId: bigint): Promise<number | null>;

  // --- legacy auth tokens (docs/protocol/legacy.md §4: per room, pending, then claimed) -------------------
  /**
   * The pending token to send to `sessionId` for the room: the stored one if it was issued after
   * `validSince` (its issue time becomes `now`), otherwise `fresh`, which replaces it.
   */
  legacyPendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Promise<Buffer>;
  /**
   * Claims `token` if it is the session id's pending token in the room, issued after `validSince`:
   * the pending token is removed and the token becomes a claimed one at `now`. false otherwise.
   */
  legacyClaimToken(roomId: number, sessionId: string, token: Buffer, now: number, validSince: number): Promise<boolean>;
  /** The session id holding the claimed token (lowercase hex) in the room, if claimed after `validSince`. */
  legacyTokenOwner(roomId: number, tokenHex: string, validSince: number): Promise<string | null>;
  /** Revokes every claimed token of the session id in the room; returns how many. */
  legacyRevokeTokens(roomId: number, sessionId: string): Promise<number>;
  /** Deletes claimed tokens claimed at or before `claimedBefore` and pending ones issued at or before `pendingBefore`. */
  pruneLegacyTokens(claimedBefore: number, pendingBefore: number): Promise<{ tokens: number; pending: number }>;
}
