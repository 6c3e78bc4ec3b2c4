// The Store as both databases implement it: every method is a table read or a rule from this
// folder, run by the database's driver. A subclass supplies the tables, the two ways of running a
// rule (`tx`: in one transaction; `read`: without one, for single statements and reads) and the
// poll's batched fast paths, which stay per database (one SQLite transaction, one PostgreSQL
// statement per turn of the event loop).
import type {
  AccountWindow, RaidCleanupCounts, RaidWindow,
  ActivityTouch, AppliedSchedule, AuditEntry, AuditQuery, BanEntry, CleanupOptions, ConsoleSession, DailyPosts, DirectMessage, DmRecipients, FileRecord, FloodCounts, FloodQuery,
  FutureChange, FuturePerms, NewConsoleSession, NewFingerprint,
  LegacyMessageIdMap, Message, ModeratorChange, NewAuditEntry, NewDirectMessage, NewFile, NewMessage, NewRoom, NonceLookup,
  PermissionChange, PermissionOverride, PinnedMessage, ReactionChange, ReactionInfo, Room, RoomDefaults, RoomLimits, RoomModerator,
  RoomUpdate, RoomsView, Store, User, Viewer,
} from '../types';
import { deleteMessage, deleteUserMessages, editMessage, insertMessage } from './messages';
import { applyDueSchedules, banInRooms, setPermissionOverrides, unbanInRooms } from './moderation';
import type { Rule } from './op';
import { countNewPost, dropHeld, expireHeld, holdMessage, holdRecent, raidCleanup, raidCleanupCounts, releaseHeld } from './raids';
import { addReaction, clearReactions, pinMessage, removeReaction, unpinMessages } from './reactions';
import { attachFiles, deleteRoom, insertFile, setRoomDefaults, setRoomModerator, updateRoom } from './rooms';
import type { Tables } from './tables';
import { cleanup, legacyClaimToken, pruneLegacyTokens } from './upkeep';
import { banGlobally, byRoomAndUser, byUser, ensureUser, setGlobalModerator, unbanGlobally } from './users';

export abstract class SharedStore implements Store {
  abstract readonly kind: 'sqlite' | 'postgres';
  abstract readonly freshlyCreated: boolean;
  /** The tables outside any transaction, for the hot reads. */
  protected abstract readonly t: Tables;
  /** Runs a rule in one transaction (PostgreSQL: retried on deadlock or serialization failure). */
  protected abstract tx<T>(rule: Rule<Tables, T>): Promise<T>;
  /** Runs a rule of single statements without a transaction of its own. */
  protected abstract read<T>(rule: Rule<Tables, T>): Promise<T>;

  abstract close(): Promise<void>;
  abstract startUpkeep(onError: (e: Error) => void): void;
  abstract authLookup(sessionId: string, nonce: Buffer, ts: number): Promise<{ user: User | null; nonceSeen: boolean }>;
  abstract lookupAndRecordNonce(sessionId: string, nonce: Buffer, ts: number): Promise<NonceLookup>;
  abstract listRooms(): Promise<Room[]>;
  abstract roomsAndOverrides(userId: number | null): Promise<RoomsView>;
  abstract databaseBytes(): Promise<number>;

  // --- users and nonces ----------------------------------------------------------------------
  findUser(sessionId: string): Promise<User | null> {
    return this.read((t) => t.users.find(sessionId.toLowerCase()));
  }
  findUserById(id: number): Promise<User | null> {
    return this.read((t) => t.users.get(id));
  }
  async ensureUser(sessionId: string, now: number): Promise<User> {
    const id = sessionId.toLowerCase();
    return (await this.findUser(id)) ?? this.tx((t) => ensureUser(t, id, now));
  }
  recordNeedsBlinding(userId: number, abs: string): Promise<void> {
    return this.read((t) => t.users.recordNeedsBlinding(userId, abs));
  }
  async touchUsers(touches: { userId: number; at: number }[]): Promise<void> {
    if (touches.length > 0) await this.tx((t) => t.users.touch(byUser(touches)));
  }
  setGlobalModerator(c: ModeratorChange): Promise<void> {
    return this.tx((t) => setGlobalModerator(t, c));
  }
  setGlobalBan(userId: number, banned: boolean): Promise<void> {
    return this.read((t) => t.users.setBanned(userId, banned));
  }
  listGlobalModerators(): Promise<User[]> {
    return this.read((t) => t.users.globalModerators());
  }
  recordNonce(userId: number, nonce: Buffer, ts: number): Promise<boolean> {
    return this.read((t) => t.nonces.record(userId, nonce, ts));
  }

  // --- rooms ---------------------------------------------------------------------------------
  getRoom(token: string): Promise<Room | null> {
    return this.read((t) => t.rooms.byToken(token));
  }
  getRoomById(id: number): Promise<Room | null> {
    return this.read((t) => t.rooms.get(id));
  }
  createRoom(room: NewRoom): Promise<Room> {
    return this.read((t) => t.rooms.insert(room));
  }
  deleteRoom(token: string): Promise<boolean> {
    return this.tx((t) => deleteRoom(t, token));
  }
  roomModerators(roomId: number): Promise<RoomModerator[]> {
    return this.read((t) => t.overrides.moderators(roomId));
  }
  getOverride(roomId: number, userId: number): Promise<PermissionOverride | null> {
    return this.read((t) => t.overrides.get(roomId, userId));
  }
  userOverrides(userId: number): Promise<Map<number, PermissionOverride>> {
    return this.t.overrides.ofUser(userId);
  }
  setRoomModerator(c: ModeratorChange & { roomId: number }): Promise<void> {
    return this.tx((t) => setRoomModerator(t, c));
  }
  pinnedMessages(roomId: number): Promise<PinnedMessage[]> {
    return this.read((t) => t.pins.list(roomId));
  }

  // --- messages ------------------------------------------------------------------------------
  insertMessage(m: NewMessage): Promise<Message> {
    return this.tx((t) => insertMessage(t, m));
  }
  editMessage(messageId: number, data: Buffer, signature: Buffer, now: number): Promise<Message> {
    return this.tx((t) => editMessage(t, messageId, data, signature, now));
  }
  deleteMessage(messageId: number, now: number): Promise<void> {
    return this.tx((t) => deleteMessage(t, messageId, now));
  }
  getMessage(roomId: number, messageId: number): Promise<Message | null> {
    return this.read((t) => t.messages.inRoom(roomId, messageId));
  }
  recentMessages(roomId: number, viewer: Viewer | 'everyone', limit: number, beforeId?: number): Promise<Message[]> {
    return this.t.messages.recent(roomId, viewer, limit, beforeId);
  }
  messagesSince(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]> {
    return this.t.messages.since(roomId, viewer, seqno, limit, withReactions);
  }
  reactions(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>> {
    return this.t.reactions.summary(messageIds, viewerUserId, reactors);
  }
  reactedBy(messageIds: number[]): Promise<number[]> {
    return this.t.reactions.reactedBy(messageIds);
  }
  countPostsSince(roomId: number, userId: number, since: number): Promise<number> {
    return this.read((t) => t.messages.countPostsSince(roomId, userId, since));
  }

  // --- permissions and bans ------------------------------------------------------------------
  listOverrides(roomId: number): Promise<{ sessionId: string; override: PermissionOverride }[]> {
    return this.read((t) => t.overrides.list(roomId));
  }
  setPermissionOverrides(roomId: number, userId: number, change: PermissionChange): Promise<PermissionOverride | null> {
    return this.tx((t) => setPermissionOverrides(t, roomId, userId, change));
  }
  setRoomDefaults(roomId: number, defaults: Partial<RoomDefaults>): Promise<Room> {
    return this.tx((t) => setRoomDefaults(t, roomId, defaults));
  }
  futurePermissions(roomId: number, userId?: number): Promise<FutureChange[]> {
    return this.read((t) => t.futures.list(roomId, userId ?? null));
  }
  addFuturePermission(roomId: number, userId: number, at: number, perms: FuturePerms): Promise<void> {
    return this.read((t) => t.futures.addPermissions(roomId, userId, at, perms));
  }
  async clearFuturePermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Promise<void> {
    if (columns.length > 0) await this.tx((t) => t.futures.clearPermissions(roomId, userId, columns));
  }
  applyDueSchedules(now: number): Promise<AppliedSchedule[]> {
    return this.tx((t) => applyDueSchedules(t, now));
  }
  banInRooms(userId: number, roomIds: number[], unbanAt: number | null): Promise<void> {
    return this.tx((t) => banInRooms(t, userId, roomIds, unbanAt));
  }
  unbanInRooms(userId: number, roomIds: number[]): Promise<void> {
    return this.tx((t) => unbanInRooms(t, userId, roomIds));
  }
  banGlobally(userId: number, unbanAt: number | null): Promise<void> {
    return this.tx((t) => banGlobally(t, userId, unbanAt));
  }
  unbanGlobally(userId: number): Promise<void> {
    return this.tx((t) => unbanGlobally(t, userId));
  }
  listBans(roomId?: number): Promise<BanEntry[]> {
    return this.read((t) => t.overrides.bans(roomId ?? null));
  }
  deleteUserMessages(roomId: number, userId: number, now: number): Promise<number> {
    return this.tx((t) => deleteUserMessages(t, roomId, userId, now));
  }

  // --- anti-raid and audit -------------------------------------------------------------------
  roomLimits(roomId: number): Promise<RoomLimits> {
    return this.read((t) => t.rooms.limits(roomId));
  }
  setRoomLimits(roomId: number, limits: Partial<RoomLimits>): Promise<RoomLimits> {
    return this.tx(function* (t) {
      yield* t.rooms.setLimits(roomId, limits);
      return yield* t.rooms.limits(roomId);
    });
  }
  async addUserReads(reads: { userId: number; count: number }[]): Promise<void> {
    if (reads.length > 0) await this.tx((t) => t.activity.addReads(byUser(reads)));
  }
  userReads(userId: number): Promise<number> {
    return this.read((t) => t.activity.reads(userId));
  }
  countDmsSince(userId: number, since: number): Promise<number> {
    return this.read((t) => t.dms.countSentSince(userId, since));
  }

  // --- raid detection, held posts, cleanup ---------------------------------------------------
  countNewPost(roomId: number, minute: number, raid: boolean): Promise<RaidWindow> {
    return this.tx((t) => countNewPost(t, roomId, minute, raid));
  }
  peakNewPosts(roomId: number, fromMinute: number, beforeMinute: number, withRaid: boolean): Promise<number> {
    return this.read((t) => t.raids.peak(roomId, fromMinute, beforeMinute, withRaid));
  }
  markRaidMinutes(roomId: number, fromMinute: number): Promise<void> {
    return this.read((t) => t.raids.markRaid(roomId, fromMinute));
  }
  holdMessage(m: NewMessage): Promise<Message> {
    return this.tx((t) => holdMessage(t, m));
  }
  holdRecentPosts(roomId: number, postedSince: number, createdSince: number, now: number): Promise<number> {
    return this.tx((t) => holdRecent(t, roomId, postedSince, createdSince, now));
  }
  heldMessages(roomId: number, limit: number, afterId: number): Promise<Message[]> {
    return this.t.raids.held(roomId, limit, afterId);
  }
  countHeld(roomId: number): Promise<number> {
    return this.read((t) => t.raids.countHeld(roomId));
  }
  releaseHeld(roomId: number, ids: number[] | null): Promise<number[]> {
    return this.tx((t) => releaseHeld(t, roomId, ids));
  }
  dropHeld(roomId: number, ids: number[] | null): Promise<number> {
    return this.tx((t) => dropHeld(t, roomId, ids));
  }
  expireHeld(before: number): Promise<number> {
    return this.tx((t) => expireHeld(t, before));
  }
  pruneRaidCounts(beforeMinute: number): Promise<number> {
    return this.read((t) => t.raids.pruneCounts(beforeMinute));
  }
  raidCleanupCounts(roomId: number, w: AccountWindow): Promise<RaidCleanupCounts> {
    return this.tx((t) => raidCleanupCounts(t, roomId, w));
  }
  raidCleanup(roomId: number, w: AccountWindow, ban: 'room' | 'global' | null, now: number): Promise<RaidCleanupCounts> {
    return this.tx((t) => raidCleanup(t, roomId, w, ban, now));
  }
  floodCounts(q: FloodQuery): Promise<FloodCounts> {
    return this.read((t) => t.fingerprints.counts(q));
  }
  addFingerprint(f: NewFingerprint): Promise<void> {
    return this.read((t) => t.fingerprints.add(f));
  }
  dmRecipients(senderId: number, recipientId: number, since: number): Promise<DmRecipients> {
    return this.read((t) => t.dms.recipientsSince(senderId, recipientId, since));
  }
  addAuditEntry(e: NewAuditEntry): Promise<void> {
    return this.read((t) => t.audit.add(e));
  }
  auditLog(q: AuditQuery): Promise<AuditEntry[]> {
    return this.read((t) => t.audit.list(q));
  }

  // --- reactions and pins --------------------------------------------------------------------
  addReaction(roomId: number, messageId: number, userId: number, reaction: string, now: number): Promise<ReactionChange | null> {
    return this.tx((t) => addReaction(t, roomId, messageId, userId, reaction, now));
  }
  removeReaction(roomId: number, messageId: number, userId: number, reaction: string): Promise<ReactionChange | null> {
    return this.tx((t) => removeReaction(t, roomId, messageId, userId, reaction));
  }
  clearReactions(roomId: number, messageId: number, reaction: string | null): Promise<{ removed: number; seqno: number } | null> {
    return this.tx((t) => clearReactions(t, roomId, messageId, reaction));
  }
  reactors(messageId: number, reaction: string, limit: number): Promise<[string, number][]> {
    return this.read((t) => t.reactions.reactors(messageId, reaction, limit));
  }
  pinMessage(roomId: number, messageId: number, userId: number, now: number): Promise<{ infoUpdates: number } | null> {
    return this.tx((t) => pinMessage(t, roomId, messageId, userId, now));
  }
  unpinMessages(roomId: number, messageId: number | null, ttl: number | null): Promise<{ unpinned: number; infoUpdates: number }> {
    return this.tx((t) => unpinMessages(t, roomId, messageId, ttl));
  }

  // --- files ---------------------------------------------------------------------------------
  insertFile(f: NewFile): Promise<FileRecord> {
    return this.tx((t) => insertFile(t, f));
  }
  getFile(id: number): Promise<FileRecord | null> {
    return this.read((t) => t.files.get(id));
  }
  deleteFileRow(id: number): Promise<void> {
    return this.read((t) => t.files.delete(id));
  }
  async attachFiles(messageId: number, fileIds: number[], uploadedSince: number, now: number, expiry: number | null): Promise<number[]> {
    return fileIds.length === 0 ? [] : this.tx((t) => attachFiles(t, messageId, fileIds, uploadedSince, now, expiry));
  }
  updateRoom(roomId: number, u: RoomUpdate, now: number, replacedImageExpiry: number | null): Promise<{ infoUpdates: number } | 'no-such-image'> {
    return this.tx((t) => updateRoom(t, roomId, u, now, replacedImageExpiry));
  }
  takeExpiredFiles(now: number): Promise<string[]> {
    return this.read((t) => t.files.takeExpired(now));
  }
  allFilePaths(): Promise<Set<string>> {
    return this.read((t) => t.files.allPaths());
  }

  // --- direct messages -----------------------------------------------------------------------
  insertDirectMessage(m: NewDirectMessage): Promise<DirectMessage> {
    return this.tx(function* (t) {
      return yield* t.dms.get(yield* t.dms.insert(m));
    });
  }
  directMessages(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]> {
    return this.t.dms.list(userId, box, afterId, limit, now);
  }
  deleteInbox(userId: number): Promise<number> {
    return this.read((t) => t.dms.deleteInbox(userId));
  }

  // --- activity, jobs and settings -----------------------------------------------------------
  async touchRoomActivity(touches: ActivityTouch[]): Promise<void> {
    if (touches.length > 0) await this.tx((t) => t.activity.touch(byRoomAndUser(touches)));
  }
  cleanup(now: number, opts: CleanupOptions): Promise<Record<string, number>> {
    return this.tx((t) => cleanup(t, now, opts));
  }
  getSetting(key: string): Promise<Buffer | null> {
    return this.read((t) => t.settings.get(key));
  }
  initSetting(key: string, value: Buffer): Promise<Buffer> {
    return this.read(function* (t) {
      yield* t.settings.init(key, value);
      return (yield* t.settings.get(key))!;
    });
  }
  setSetting(key: string, value: Buffer): Promise<void> {
    return this.read((t) => t.settings.set(key, value));
  }
  claimJobTick(name: string, tick: number): Promise<boolean> {
    return this.read((t) => t.settings.claimJobTick(name, tick));
  }

  // --- the web console -----------------------------------------------------------------------
  addConsoleLink(tokenHash: string, sessionId: string, now: number, expires: number): Promise<void> {
    return this.read((t) => t.console.addLink(tokenHash, sessionId, now, expires));
  }
  async takeConsoleLink(tokenHash: string, now: number): Promise<string | null> {
    const link = await this.read((t) => t.console.takeLink(tokenHash));
    return link !== null && link.expires > now ? link.sessionId : null;
  }
  addConsoleSession(s: NewConsoleSession): Promise<ConsoleSession> {
    return this.read((t) => t.console.addSession(s));
  }
  consoleSession(tokenHash: string, now: number): Promise<ConsoleSession | null> {
    return this.read((t) => t.console.session(tokenHash, now));
  }
  consoleSessions(now: number): Promise<ConsoleSession[]> {
    return this.read((t) => t.console.sessions(now));
  }
  endConsoleSessions(which: { id: number } | { sessionId: string } | 'all'): Promise<number> {
    return this.read((t) => t.console.endSessions(which));
  }
  dailyPosts(since: number): Promise<DailyPosts[]> {
    return this.read((t) => t.console.dailyPosts(since));
  }
  newUsersSince(since: number): Promise<number> {
    return this.read((t) => t.console.newUsersSince(since));
  }
  moderationMessages(roomId: number, limit: number): Promise<Message[]> {
    return this.read((t) => t.console.moderationMessages(roomId, limit));
  }
  userMessages(userId: number, limit: number): Promise<Message[]> {
    return this.read((t) => t.console.userMessages(userId, limit));
  }

  // --- legacy (the v1 API) -------------------------------------------------------------------
  legacyMessagesAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Promise<Message[]> {
    return this.read((t) => t.messages.legacyAfter(roomId, viewer, afterId, limit));
  }
  legacyDeletions(roomId: number, after: number | null, limit: number): Promise<{ id: number; deletedMessageId: number }[]> {
    return this.read((t) => t.messages.legacyDeletions(roomId, after, limit));
  }
  legacyActiveUsers(roomId: number, since: number): Promise<number> {
    return this.read((t) => t.activity.activeUsers(roomId, since));
  }
  legacyMessageIdMap(roomId: number): Promise<LegacyMessageIdMap | null> {
    return this.read((t) => t.legacy.messageIdMap(roomId));
  }
  importedFileId(roomId: number, oldFileId: bigint): Promise<number | null> {
    return this.read((t) => t.legacy.importedFileId(roomId, oldFileId));
  }
  legacyPendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Promise<Buffer> {
    return this.read((t) => t.legacy.pendingToken(roomId, sessionId, fresh, now, validSince));
  }
  legacyClaimToken(roomId: number, sessionId: string, token: Buffer, now: number, validSince: number): Promise<boolean> {
    return this.tx((t) => legacyClaimToken(t, roomId, sessionId, token, now, validSince));
  }
  legacyTokenOwner(roomId: number, tokenHex: string, validSince: number): Promise<string | null> {
    return this.read((t) => t.legacy.tokenOwner(roomId, tokenHex, validSince));
  }
  legacyRevokeTokens(roomId: number, sessionId: string): Promise<number> {
    return this.read((t) => t.legacy.revoke(roomId, sessionId));
  }
  pruneLegacyTokens(claimedBefore: number, pendingBefore: number): Promise<{ tokens: number; pending: number }> {
    return this.tx((t) => pruneLegacyTokens(t, claimedBefore, pendingBefore));
  }
}
