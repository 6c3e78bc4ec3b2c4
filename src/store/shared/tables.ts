// The tables as the shared rules see them: one interface per table (or per few tables that are
// only ever used together), free of SQL. Each database implements them in one small file per
// table family (sqlite/tables/, postgres/tables/) holding only that family's statements and row
// mapping. Methods returning Op<T> run inside rules (`yield*`); the few returning Promise<T> are
// the poll's hot reads, which the store calls directly with no rule around them.
import type { Op } from './op';
import type { AuditEntry, AuditQuery, BanEntry, FutureChange, FuturePerms, NewAuditEntry, PermissionOverride } from '../model/moderation';
import type { ConsoleSession, DailyPosts, NewConsoleSession } from '../model/console';
import type { DirectMessage, DmRecipients, FileRecord, NewDirectMessage, NewFile } from '../model/files';
import type { FloodCounts, FloodQuery, Message, NewFingerprint, NewMessage, ReactionInfo, Viewer } from '../model/messages';
import type { NewRoom, PinnedMessage, Room, RoomLimits, RoomModerator, RoomUpdate } from '../model/rooms';
import type { AccountWindow, RaidCleanupCounts, RaidWindow } from '../model/raids';
import type { LegacyMessageIdMap } from '../model/server';
import type { User } from '../model/users';

/** A user's global roles, as copied from an unblinded user to its blinded one. */
export interface Roles {
  banned: boolean;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
}

/** users and needs_blinding. Session ids are given lowercase. */
export interface UsersTable {
  find(sessionId: string): Op<User | null>;
  get(id: number): Op<User | null>;
  /** get, with the row locked until the transaction ends (PostgreSQL). */
  lock(id: number): Op<User | null>;
  /** The new user's id, or null when the session id exists already. */
  insert(sessionId: string, now: number): Op<number | null>;
  setRoles(id: number, r: Roles): Op<void>;
  /** Sets the global moderator flags; being a moderator lifts a global ban. */
  appoint(id: number, moderator: boolean, admin: boolean, visible: boolean): Op<void>;
  /** StoreConflict when the schema forbids it (a global moderator cannot be banned). */
  setBanned(id: number, banned: boolean): Op<void>;
  globalModerators(): Op<User[]>;
  /** Raises last_active; `touches` are in user id order. */
  touch(touches: { userId: number; at: number }[]): Op<void>;
  recordNeedsBlinding(userId: number, blindedAbs: string): Op<void>;
  /** Removes the needs_blinding record of a blinded id and returns its unblinded user, if any. */
  takeNeedsBlinding(blindedAbs: string): Op<number | null>;
}

/** request_nonces and the older user_request_nonces. */
export interface NoncesTable {
  /** false when the (timestamp, nonce) pair was recorded already. */
  record(userId: number, nonce: Buffer, ts: number): Op<boolean>;
  /** Forgets nonces of requests signed before `tsBefore` and old-style ones expired at `now`. */
  prune(tsBefore: number, now: number): Op<number>;
}

/** The columns of a room row that PUT /room and the default permissions change. */
export type RoomColumns = RoomUpdate;

export interface RoomsTable {
  get(id: number): Op<Room | null>;
  /** Case-insensitively. */
  byToken(token: string): Op<Room | null>;
  /** get, with the room row locked until the transaction ends: every writer of a room's messages takes it first. */
  lock(id: number): Op<Room | null>;
  /** The id of the room, locked as `lock` does. */
  lockByToken(token: string): Op<number | null>;
  /** StoreConflict when the token exists (case-insensitively). */
  insert(room: NewRoom): Op<Room>;
  delete(id: number): Op<void>;
  update(id: number, columns: RoomColumns): Op<void>;
  /** One room event: message_sequence + 1, returned. */
  bumpSequence(id: number): Op<number>;
  /** info_updates + by, returned. */
  bumpInfoUpdates(id: number, by: number): Op<number>;
  bumpEveryInfoUpdates(): Op<void>;
  infoUpdates(id: number): Op<number>;
  /** Whether the file is some room's image. */
  hasImage(fileId: number): Op<boolean>;
  limits(id: number): Op<RoomLimits>;
  setLimits(id: number, limits: Partial<RoomLimits>): Op<void>;
  /** Sets active_users from room_users, writing only the rooms whose count changes. */
  recountActiveUsers(since: number): Op<void>;
}

/** room_users (activity per room) and user_reads (anti-raid read counts). */
export interface ActivityTable {
  /** `touches` in (room, user) order. */
  touch(touches: { roomId: number; userId: number; at: number }[]): Op<void>;
  forget(roomId: number, userId: number): Op<void>;
  prune(before: number): Op<number>;
  activeUsers(roomId: number, since: number): Op<number>;
  /** `reads` in user id order. */
  addReads(reads: { userId: number; count: number }[]): Op<void>;
  reads(userId: number): Op<number>;
}

/** A message's stored content: data without padding, and the padded size. */
export interface StoredContent {
  room: number;
  user: number;
  data: Buffer | null;
  dataSize: number | null;
  signature: Buffer | null;
}

/** messages and message_history. */
export interface MessagesTable {
  get(id: number): Op<Message>;
  inRoom(roomId: number, id: number): Op<Message | null>;
  content(id: number): Op<StoredContent | null>;
  /** The new message's id; `data` is stored as given (unpadded), `size` is the padded length. */
  insert(m: NewMessage, data: Buffer, seqno: number): Op<number>;
  /** Sets data, size and signature (null: a tombstone), seqno_data = seqno = max(`seqno`, seqno_reactions), edited. */
  setContent(id: number, data: Buffer | null, size: number | null, signature: Buffer | null, seqno: number, now: number): Op<void>;
  /** A byte-identical edit: only the signature and padded size change. */
  setSignature(id: number, signature: Buffer, size: number): Op<void>;
  /** A reaction event: seqno_reactions = seqno = max(seqno_data, `seqno`). */
  setReactionSeqno(id: number, seqno: number): Op<void>;
  seqno(id: number): Op<number>;
  /** Live, unfiltered and no whisper: the only messages that take reactions and pins. */
  isRegular(roomId: number, id: number): Op<boolean>;
  /** Ids of the user's live messages in the room (held ones excepted), ascending. */
  liveIds(roomId: number, userId: number): Op<number[]>;
  /** Posts, deleted and held ones too; a held copy of a post a raid's detection took back counts once, as its original. */
  countPostsSince(roomId: number, userId: number, since: number): Op<number>;
  addHistory(id: number, replaced: number, data: Buffer | null, signature: Buffer | null): Op<void>;
  pruneHistory(before: number): Op<number>;
  legacyAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Op<Message[]>;
  legacyDeletions(roomId: number, after: number | null, limit: number): Op<{ id: number; deletedMessageId: number }[]>;
  // Hot reads.
  recent(roomId: number, viewer: Viewer | 'everyone', limit: number, beforeId?: number): Promise<Message[]>;
  since(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]>;
}

/** One user's reaction: the reaction kind's id (reactions.id) and the user. */
export interface UserReaction {
  kind: number;
  userId: number;
}

/** reactions (one row per message and reaction kind) and user_reactions. */
export interface ReactionsTable {
  /** The kind's id, created if needed. */
  ensureKind(messageId: number, reaction: string): Op<number>;
  kind(messageId: number, reaction: string): Op<number | null>;
  add(kind: number, userId: number, now: number): Op<boolean>;
  remove(kind: number, userId: number): Op<boolean>;
  /** Every user's reaction to the message (of one kind, or all when null), oldest first (at, then insertion). */
  ofMessage(messageId: number, reaction: string | null): Op<UserReaction[]>;
  /** Deletes the message's kinds (one, or all when null) that no user has any more. */
  dropUnused(messageId: number, reaction: string | null): Op<void>;
  dropAll(messageId: number): Op<void>;
  reactors(messageId: number, reaction: string, limit: number): Op<[string, number][]>;
  // Hot read.
  summary(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>>;
  reactedBy(messageIds: number[]): Promise<number[]>;
}

export interface PinsTable {
  list(roomId: number): Op<PinnedMessage[]>;
  pin(roomId: number, messageId: number, userId: number, now: number): Op<void>;
  /** Removes the room's pin of one message (or all when null); returns the unpinned message ids. */
  unpin(roomId: number, messageId: number | null): Op<number[]>;
  isPinned(messageId: number): Op<boolean>;
}

export interface FilesTable {
  /** The new row's id; its path is set afterwards (setPath), once the id is known. */
  insert(f: NewFile): Op<number>;
  setPath(id: number, path: string): Op<FileRecord>;
  get(id: number): Op<FileRecord | null>;
  delete(id: number): Op<void>;
  setExpiry(id: number, expiry: number | null): Op<void>;
  /** An unexpired file of the room. */
  isUsable(id: number, roomId: number, now: number): Op<boolean>;
  /** Expires every file of the room now. */
  expireRoom(roomId: number): Op<void>;
  /** Expires the user's uploads in the room now, except the room's current image. */
  expireUploads(roomId: number, userId: number): Op<void>;
  /** Expires the message's attachments now, except files that are some room's image. */
  expireAttachments(messageId: number): Op<void>;
  /** Attachments stop expiring; files that expired before `now` stay expired. */
  keepAttachments(messageId: number, now: number): Op<void>;
  /** Attachments expire at upload + ttl (null: never), except room images. */
  restartAttachments(messageId: number, ttl: number | null): Op<void>;
  /** Attaches the given files, if of the room and user, unattached, uploaded since `since`, unexpired; their ids. */
  attach(messageId: number, fileIds: number[], roomId: number, userId: number, since: number, now: number, expiry: number | null): Op<number[]>;
  /** For a file attached to a message: whether that message is live and pinned. */
  attachedTo(fileId: number): Op<{ live: boolean; pinned: boolean } | null>;
  /** Deletes the rows of files expired at `now`; their blob paths. */
  takeExpired(now: number): Op<string[]>;
  allPaths(): Op<Set<string>>;
}

/** inbox. */
export interface DmsTable {
  insert(m: NewDirectMessage): Op<number>;
  get(id: number): Op<DirectMessage>;
  deleteInbox(userId: number): Op<number>;
  countSentSince(userId: number, since: number): Op<number>;
  /** Different recipients since `since`, without those who wrote to the sender; whether `recipientId` is one of them or wrote. */
  recipientsSince(senderId: number, recipientId: number, since: number): Op<DmRecipients>;
  deleteExpired(now: number): Op<number>;
  // Hot read.
  list(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]>;
}

/** post_fingerprints: recent posts' normalised texts (domain/flood.ts), kept for the flood windows. */
export interface FingerprintsTable {
  counts(q: FloodQuery): Op<FloodCounts>;
  add(f: NewFingerprint): Op<void>;
  prune(before: number): Op<number>;
}

export type PermissionColumn = 'read' | 'accessible' | 'write' | 'upload';

/** user_permission_overrides. */
export interface OverridesTable {
  get(roomId: number, userId: number): Op<PermissionOverride | null>;
  list(roomId: number): Op<{ sessionId: string; override: PermissionOverride }[]>;
  moderators(roomId: number): Op<RoomModerator[]>;
  roomsModeratedBy(userId: number): Op<number[]>;
  /** Sets the room moderator flags (creating the row); being a moderator lifts a room ban. */
  appoint(roomId: number, userId: number, moderator: boolean, admin: boolean, visible: boolean): Op<void>;
  /** Sets the given permission columns (creating the row). */
  set(roomId: number, userId: number, values: Partial<Record<PermissionColumn, boolean | null>>): Op<void>;
  /** Banned and demoted (creating the row). */
  ban(roomId: number, userId: number): Op<void>;
  unban(roomId: number, userId: number): Op<void>;
  /** Deletes the row when it holds nothing any more. */
  deleteIfEmpty(roomId: number, userId: number): Op<void>;
  /** Moves every override and scheduled change of one user to another. */
  reassign(fromUserId: number, toUserId: number): Op<void>;
  /** Room bans (of one room, or all) and global bans, with their scheduled unban times. */
  bans(roomId: number | null): Op<BanEntry[]>;
  // Hot read.
  ofUser(userId: number): Promise<Map<number, PermissionOverride>>;
}

/** A scheduled change claimed for applying. */
export type DueChange =
  | { kind: 'permissions'; id: number; roomId: number; userId: number; at: number; perms: FuturePerms }
  | { kind: 'ban'; id: number; roomId: number | null; userId: number; at: number; banned: boolean };

/** user_permission_futures and user_ban_futures. */
export interface FuturesTable {
  list(roomId: number, userId: number | null): Op<FutureChange[]>;
  addPermissions(roomId: number, userId: number, at: number, perms: FuturePerms): Op<void>;
  /** Nulls the columns in the user's pending changes and deletes the rows left empty. */
  clearPermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Op<void>;
  /** Deletes the scheduled (un)bans of the user in the room (null: global). */
  dropBans(roomId: number | null, userId: number): Op<void>;
  scheduleUnban(roomId: number | null, userId: number, at: number): Op<void>;
  /** Deletes and returns every change due at `now`: deleting claims them from other instances. */
  takeDue(now: number): Op<DueChange[]>;
}

export interface AuditTable {
  add(e: NewAuditEntry): Op<void>;
  list(q: AuditQuery): Op<AuditEntry[]>;
}

/** The web console's links and sessions (by token hash), and the reads of its pages. */
export interface ConsoleTable {
  addLink(tokenHash: string, sessionId: string, now: number, expires: number): Op<void>;
  /** Deletes the link and returns its Session id and expiry, or null. */
  takeLink(tokenHash: string): Op<{ sessionId: string; expires: number } | null>;
  addSession(s: NewConsoleSession): Op<ConsoleSession>;
  session(tokenHash: string, now: number): Op<ConsoleSession | null>;
  sessions(now: number): Op<ConsoleSession[]>;
  endSessions(which: { id: number } | { sessionId: string } | 'all'): Op<number>;
  /** Deletes expired links and sessions; how many. */
  prune(now: number): Op<number>;
  dailyPosts(since: number): Op<DailyPosts[]>;
  newUsersSince(since: number): Op<number>;
  moderationMessages(roomId: number, limit: number): Op<Message[]>;
  userMessages(userId: number, limit: number): Op<Message[]>;
}

/** settings and job_runs. */
export interface SettingsTable {
  get(key: string): Op<Buffer | null>;
  init(key: string, value: Buffer): Op<void>;
  set(key: string, value: Buffer): Op<void>;
  claimJobTick(name: string, tick: number): Op<boolean>;
}

/** The import id maps and the legacy auth tokens. */
export interface LegacyTable {
  messageIdMap(roomId: number): Op<LegacyMessageIdMap | null>;
  importedFileId(roomId: number, oldFileId: bigint): Op<number | null>;
  pendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Op<Buffer>;
  /** Deletes the pending token if it is this one and issued after `validSince`. */
  takePending(roomId: number, sessionId: string, token: Buffer, validSince: number): Op<boolean>;
  addClaimed(roomId: number, sessionId: string, token: Buffer, now: number): Op<void>;
  tokenOwner(roomId: number, tokenHex: string, validSince: number): Op<string | null>;
  revoke(roomId: number, sessionId: string): Op<number>;
  pruneClaimed(before: number): Op<number>;
  prunePending(before: number): Op<number>;
}

/** room_raid_counts, held posts (messages.held) and the cleanup of an account window. */
export interface RaidTable {
  countNewPost(roomId: number, minute: number, raid: boolean): Op<void>;
  window(roomId: number, minute: number): Op<RaidWindow>;
  peak(roomId: number, fromMinute: number, beforeMinute: number, withRaid: boolean): Op<number>;
  markRaid(roomId: number, fromMinute: number): Op<void>;
  pruneCounts(beforeMinute: number): Op<number>;
  /** Of these ids (all when null), those of the room's held posts, ascending. */
  heldIds(roomId: number, ids: number[] | null): Op<number[]>;
  countHeld(roomId: number): Op<number>;
  /** Inserts a copy of a post with this sequence number, published or held; the new id. */
  copyMessage(id: number, seqno: number, held: boolean): Op<number>;
  /**
   * Live published posts of the room posted since `postedSince` by accounts first seen since
   * `createdSince` that the anti-raid rules do not exempt (moderators, explicit write permission).
   */
  recentNewcomerPosts(roomId: number, postedSince: number, createdSince: number): Op<number[]>;
  moveAttachments(fromId: number, toId: number): Op<void>;
  /** Expires the attachments of these held posts and deletes them. */
  deleteHeld(ids: number[]): Op<void>;
  /** Records the authors of these posts as seen in their rooms (room_users, at the post's time) where they are not yet. */
  rememberPosters(ids: number[]): Op<void>;
  /** Ids of held posts posted before `before`, every room. */
  heldBefore(before: number): Op<number[]>;
  /** The accounts a cleanup of the window reaches in the room: seen there (a post, held or not, or activity), no moderators; ascending. */
  targets(roomId: number, w: AccountWindow): Op<number[]>;
  counts(roomId: number, users: number[]): Op<RaidCleanupCounts>;
  /** Ids of the users' live posts in the room, the held ones or the published ones. */
  postIdsOf(roomId: number, users: number[], held: boolean): Op<number[]>;
  expireUploadsOf(roomId: number, users: number[]): Op<void>;
  /** Bans the users in the room (dropping their activity and scheduled (un)bans there); none is a moderator. */
  banInRoom(roomId: number, users: number[]): Op<void>;
  banGlobally(users: number[]): Op<void>;
  // A bulk tombstone of posts without pins or reactions (the raid cleanup).
  /** Of these ids, those of messages that are pinned or have reactions. */
  withPinsOrReactions(ids: number[]): Op<number[]>;
  /** message_sequence + n; the new value (the n events are the values up to it). */
  bumpSequenceBy(roomId: number, n: number): Op<number>;
  /** The stored contents of these messages. */
  contents(ids: number[]): Op<(StoredContent & { id: number })[]>;
  addHistories(rows: { id: number; data: Buffer; signature: Buffer | null }[], replaced: number): Op<void>;
  /** Tombstones each message with its seqno (as MessagesTable.setContent with null content does). */
  tombstoneAll(rows: { id: number; seqno: number }[], now: number): Op<void>;
  /** Expires the attachments of these messages, except room images. */
  expireAttachmentsOf(ids: number[]): Op<void>;
  // Hot read.
  held(roomId: number, limit: number, afterId: number): Promise<Message[]>;
}

export interface Tables {
  users: UsersTable;
  nonces: NoncesTable;
  rooms: RoomsTable;
  activity: ActivityTable;
  messages: MessagesTable;
  reactions: ReactionsTable;
  pins: PinsTable;
  files: FilesTable;
  dms: DmsTable;
  fingerprints: FingerprintsTable;
  overrides: OverridesTable;
  futures: FuturesTable;
  audit: AuditTable;
  settings: SettingsTable;
  legacy: LegacyTable;
  console: ConsoleTable;
  raids: RaidTable;
}
