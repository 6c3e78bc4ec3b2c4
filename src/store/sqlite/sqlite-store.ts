// SQLite implementation of the Store (better-sqlite3, WAL). better-sqlite3 is synchronous, so each
// method runs to completion without yielding: a transaction can never interleave with another
// request's statements on this connection. Statements are prepared once, lazily.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { addPadding, removePadding } from '../../crypto/padding';
import { b, int, nb, groupReactions, toAuditEntry, toDirectMessage, toFile, toFutureChange, toMessage, toOverride, toOverrideMap, toRoom, toUser, type Row } from '../rows';
import { blindedAbs } from '../../crypto/ids';
import { TurnBatch } from '../turn-batch';
import { WalCheckpointer } from './checkpointer';
import { assertOwnSqlite, migrate, schemaVersion } from './migrations';
import { DatabaseRefusedError } from '../schema-guard';
import {
  StoreConflict,
  type ActivityTouch,
  type AppliedSchedule,
  type AuditEntry,
  type BanEntry,
  type FutureChange,
  type FuturePerms,
  type LegacyMessageIdMap,
  type NewAuditEntry,
  type PermissionChange,
  type RoomDefaults,
  type RoomLimits,
  type CleanupOptions,
  type DirectMessage,
  type FileRecord,
  type NewDirectMessage,
  type NewFile,
  type ReactionChange,
  type RoomUpdate,
  type Message,
  type ModeratorChange,
  type NonceCheck,
  type NonceLookup,
  type RoomsView,
  type NewMessage,
  type NewRoom,
  type PermissionOverride,
  type PinnedMessage,
  type ReactionInfo,
  type Room,
  type RoomModerator,
  type Store,
  type User,
  type Viewer,
} from '../types';

const MESSAGE_COLUMNS = `m.id, m.room, m.user, u.session_id, m.posted, m.edited, m.seqno, m.seqno_data,
  m.seqno_reactions, m.seqno_creation, m.data, m.data_size, m.signature, m.filtered, w.session_id AS whisper_to,
  m.whisper_mods`;
const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.user LEFT JOIN users w ON w.id = m.whisper`;
// api.md §5.5: who sees which whispers.
const VISIBLE = `((m.whisper IS NULL AND NOT m.whisper_mods) OR m.whisper = @uid OR (@mod AND (m.whisper_mods OR m.user = @uid)))`;

/**
 * A LIMIT as a literal. SQLite plans `LIMIT ?` far worse than a constant (measured here: 47 us
 * instead of 4 us for an empty since-query), and limits are small validated integers, so each
 * distinct limit simply gets its own prepared statement.
 */
function lim(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`bad LIMIT ${n}`);
  return String(n);
}

/** How long a write waits for another process's write lock before failing (busy_timeout). */
const BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  file: string;
  readonly?: boolean;
  /** Open only a database that exists with our schema (admin commands): never create one. */
  mustExist?: boolean;
}

/**
 * Refuses another server's database through a read-only connection first: closing the last
 * read-write connection of a WAL database checkpoints it and removes its -wal and -shm files.
 */
function checkReadOnly(file: string): void {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return; // unreadable this way (e.g. a WAL database in a read-only folder): checked again below
  }
  try {
    assertOwnSqlite(db, path.resolve(file));
  } finally {
    db.close();
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly freshlyCreated: boolean;
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly file: string;
  private checkpointer: WalCheckpointer | null = null;
  /** Set by close(): the last group commit then waits for the write lock as other writes do. */
  private closing = false;
  /** The room rows as of a rooms_version (see listRooms). */
  private rooms: { version: number; rooms: Room[] } | null = null;

  constructor(opts: SqliteStoreOptions) {
    if (opts.mustExist && !fs.existsSync(opts.file)) throw new DatabaseRefusedError(`there is no database ${path.resolve(opts.file)}`, 'missing');
    if (opts.file !== ':memory:' && fs.existsSync(opts.file)) checkReadOnly(opts.file);
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
    this.file = opts.file;
    this.db = new Database(opts.file);
    try {
      // Before any pragma: journal_mode = WAL alone would rewrite another server's database file.
      assertOwnSqlite(this.db, path.resolve(opts.file));
      if (opts.mustExist && schemaVersion(this.db) === 0) throw new DatabaseRefusedError(`${path.resolve(opts.file)} is empty: no database of this server`, 'missing');
    } catch (e) {
      this.db.close();
      throw e;
    }
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a crash of this process; only an OS crash or power
    // loss can roll back the last moments. FULL would fsync on every poll's nonce insert.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // The admin CLI writes to the same file while the server runs.
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.freshlyCreated = migrate(this.db, path.resolve(opts.file)).from === 0;
  }

  private q(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  startUpkeep(onError: (e: Error) => void): void {
    if (this.checkpointer || this.file === ':memory:') return;
    this.checkpointer = new WalCheckpointer(this.db, this.file, onError);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.authBatch.drain();
    await this.checkpointer?.stop();
    this.checkpointer = null;
    this.db.close();
  }

  // --- users -------------------------------------------------------------------------------

  async findUser(sessionId: string): Promise<User | null> {
    const r = this.q('SELECT * FROM users WHERE session_id = ?').get(sessionId.toLowerCase()) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async authLookup(sessionId: string, nonce: Buffer, ts: number): Promise<{ user: User | null; nonceSeen: boolean }> {
    return this.authLookupSync(sessionId, nonce, ts);
  }

  private authLookupSync(sessionId: string, nonce: Buffer, ts: number): { user: User | null; nonceSeen: boolean } {
    const r = this.q(
      `SELECT EXISTS (SELECT 1 FROM request_nonces WHERE ts = ? AND nonce = ?)
              OR EXISTS (SELECT 1 FROM user_request_nonces WHERE nonce = ?) AS nonce_seen, u.*
         FROM (SELECT 1) LEFT JOIN users u ON u.session_id = ?`,
    ).get(ts, nonce, nonce, sessionId.toLowerCase()) as Row;
    return { user: r['id'] === null ? null : toUser(r), nonceSeen: b(r['nonce_seen']) };
  }

  async findUserById(id: number): Promise<User | null> {
    const r = this.q('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async ensureUser(sessionId: string, now: number): Promise<User> {
    const id = sessionId.toLowerCase();
    const existing = this.q('SELECT * FROM users WHERE session_id = ?').get(id) as Row | undefined;
    if (existing) return toUser(existing);
    return this.tx(() => {
      const inserted = this.q(
        'INSERT INTO users (session_id, created, last_active) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING *',
      ).get(id, now, now) as Row | undefined;
      if (!inserted) return toUser(this.q('SELECT * FROM users WHERE session_id = ?').get(id) as Row);
      if (id.startsWith('15')) this.migrateBlinded(inserted['id'] as number, blindedAbs(id));
      return toUser(this.q('SELECT * FROM users WHERE id = ?').get(inserted['id']) as Row);
    });
  }

  /** api.md §2.4: move what was recorded for an unblinded id onto its newly seen blinded user. */
  private migrateBlinded(newId: number, abs: string): void {
    const pending = this.q('SELECT user FROM needs_blinding WHERE blinded_abs = ?').get(abs) as Row | undefined;
    if (!pending) return;
    const oldId = pending['user'] as number;
    const old = this.q('SELECT * FROM users WHERE id = ?').get(oldId) as Row;
    this.q('UPDATE users SET banned = ?, moderator = ?, admin = ?, visible_mod = ? WHERE id = ?').run(
      old['banned'], old['moderator'], old['admin'], old['visible_mod'], newId,
    );
    this.q('UPDATE users SET banned = 0, moderator = 0, admin = 0, visible_mod = 0 WHERE id = ?').run(oldId);
    const modRooms = this.q('SELECT room FROM user_permission_overrides WHERE user = ? AND moderator').all(oldId) as Row[];
    for (const t of ['user_permission_overrides', 'user_permission_futures', 'user_ban_futures']) {
      this.q(`UPDATE ${t} SET user = ? WHERE user = ?`).run(newId, oldId);
    }
    this.q('DELETE FROM needs_blinding WHERE blinded_abs = ?').run(abs);
    // The displayed moderator id changes from 05 to 15: tell clients to refresh room details.
    if (b(old['moderator'])) this.q('UPDATE rooms SET info_updates = info_updates + 1').run();
    else for (const r of modRooms) this.q('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ?').run(r['room']);
  }

  async recordNeedsBlinding(userId: number, abs: string): Promise<void> {
    this.q('INSERT INTO needs_blinding (blinded_abs, user) VALUES (?, ?) ON CONFLICT DO NOTHING').run(abs, userId);
  }

  async touchUsers(touches: { userId: number; at: number }[]): Promise<void> {
    if (touches.length === 0) return;
    this.tx(() => {
      for (const t of touches) this.q('UPDATE users SET last_active = ? WHERE id = ? AND last_active < ?').run(t.at, t.userId, t.at);
    });
  }

  async setGlobalModerator(c: ModeratorChange): Promise<void> {
    this.tx(() => {
      const before = this.q('SELECT * FROM users WHERE id = ?').get(c.userId) as Row | undefined;
      if (!before) throw new StoreConflict(`no user ${c.userId}`);
      const moderator = c.moderator || c.admin;
      // A moderator cannot also be banned (schema CHECK); appointing lifts a global ban.
      this.q('UPDATE users SET moderator = ?, admin = ?, visible_mod = ?, banned = banned AND NOT ? WHERE id = ?').run(
        int(moderator), int(c.admin), int(moderator ? c.visible : false), int(moderator), c.userId,
      );
      const changed =
        b(before['moderator']) !== moderator ||
        b(before['admin']) !== c.admin ||
        (moderator && b(before['visible_mod']) !== c.visible);
      if (changed) this.q('UPDATE rooms SET info_updates = info_updates + 1').run();
    });
  }

  async setGlobalBan(userId: number, banned: boolean): Promise<void> {
    try {
      this.q('UPDATE users SET banned = ? WHERE id = ?').run(int(banned), userId);
    } catch (e) {
      if (e instanceof Error && /CHECK/.test(e.message)) throw new StoreConflict('a global moderator or admin cannot be banned');
      throw e;
    }
  }

  async listGlobalModerators(): Promise<User[]> {
    return (this.q("SELECT * FROM users WHERE moderator AND session_id NOT LIKE 'ff%' ORDER BY session_id").all() as Row[]).map(toUser);
  }

  // --- nonces ------------------------------------------------------------------------------

  async recordNonce(userId: number, nonce: Buffer, ts: number): Promise<boolean> {
    return this.q('INSERT INTO request_nonces (ts, nonce, user) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(ts, nonce, userId).changes === 1;
  }

  /**
   * Group commit (see TurnBatch): the lookups and nonce inserts of every request authenticated
   * in one turn of the event loop run in one write transaction. Each statement on its own is a
   * transaction of its own, with its lock calls and its WAL commit: measured here 93 us per poll
   * for the lookup and insert, the largest cost of a poll after its cryptography. Nothing is
   * weaker for it: each request still waits for its own insert to commit, and the unique key
   * still decides between processes which of two requests with one nonce wins.
   */
  lookupAndRecordNonce(sessionId: string, nonce: Buffer, ts: number): Promise<NonceLookup> {
    return this.authBatch.add({ sessionId, nonce, ts });
  }

  private readonly authBatch = new TurnBatch<NonceCheck, NonceLookup>((items) =>
    this.commitAuths(items, performance.now()),
  );

  /**
   * While another process holds the write lock, SQLite's busy handler would sleep (1 ms, then
   * longer) with the event loop stopped. The group commit instead tries without waiting and, if
   * the lock is taken, tries again on a later turn, serving other requests meanwhile. It gives
   * up after busy_timeout, as a waiting write would; when closing it waits.
   */
  private async commitAuths(items: NonceCheck[], since: number): Promise<NonceLookup[]> {
    const block = this.closing;
    try {
      // Prepared once (db.pragma() prepares its statement on every call).
      if (!block) this.q('PRAGMA busy_timeout = 0').get();
      try {
        return this.tx(() => {
          const found = items.map((p) => this.lookupAndRecordSync(p.sessionId, p.nonce, p.ts));
          this.attachViews(found);
          return found;
        });
      } finally {
        if (!block) this.q(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).get();
      }
    } catch (e) {
      const waited = performance.now() - since;
      if (block || (e as { code?: unknown }).code !== 'SQLITE_BUSY' || waited >= BUSY_TIMEOUT_MS) throw e;
      // The next turn first; after a couple of milliseconds, every millisecond (no busy loop).
      await new Promise((r) => (waited < 2 ? setImmediate(r) : setTimeout(r, 1)));
      return this.commitAuths(items, since);
    }
  }

  /**
   * The rooms and each admitted user's overrides, read in the group commit's transaction: one
   * statement each there, instead of a read transaction of their own per poll, each with its
   * own lock calls (measured here 10.8 us per poll). This transaction writes no room, so the
   * rooms_version it reads is a committed one and the rows kept for it are right.
   */
  private attachViews(found: NonceLookup[]): void {
    let rooms: Room[] | null = null;
    for (const f of found) {
      if (!f.recorded || !f.user) continue;
      rooms ??= this.roomsAsOf((this.q('SELECT version FROM rooms_version').get() as Row)['version'] as number);
      f.view = { rooms: [...rooms], overrides: this.userOverridesSync(f.user.id) };
    }
  }

  private lookupAndRecordSync(sessionId: string, nonce: Buffer, ts: number): NonceLookup {
    const { user, nonceSeen } = this.authLookupSync(sessionId, nonce, ts);
    if (!user || user.banned || nonceSeen) return { user, nonceSeen, recorded: false };
    const recorded = this.q('INSERT INTO request_nonces (ts, nonce, user) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(ts, nonce, user.id).changes === 1;
    return { user, nonceSeen: !recorded, recorded };
  }

  // --- rooms -------------------------------------------------------------------------------

  async getRoom(token: string): Promise<Room | null> {
    const r = this.q('SELECT * FROM rooms WHERE token = ?').get(token) as Row | undefined;
    return r ? toRoom(r) : null;
  }

  async getRoomById(id: number): Promise<Room | null> {
    const r = this.q('SELECT * FROM rooms WHERE id = ?').get(id) as Row | undefined;
    return r ? toRoom(r) : null;
  }

  /**
   * Rooms are read on every poll and change rarely: the rows are kept with the rooms_version
   * they were read at (a trigger bumps it on any change to the table, by any process), and read
   * again only when it moved. The version is read first, so a change racing the read of the
   * rows can only make the kept copy look older than it is. Not inside a transaction, whose
   * rollback could reuse a version number for other contents.
   */
  async listRooms(): Promise<Room[]> {
    const row = this.db.inTransaction ? undefined : (this.q('SELECT version FROM rooms_version').get() as Row | undefined);
    if (row === undefined) return this.readRooms();
    return this.roomsAsOf(row['version'] as number);
  }

  private roomsAsOf(version: number): Room[] {
    if (this.rooms?.version !== version) this.rooms = { version, rooms: this.readRooms().map((r) => Object.freeze(r)) };
    return [...this.rooms.rooms];
  }

  private readRooms(): Room[] {
    return (this.q('SELECT * FROM rooms ORDER BY token').all() as Row[]).map(toRoom);
  }

  async createRoom(room: NewRoom): Promise<Room> {
    try {
      const r = this.q('INSERT INTO rooms (token, name, description, created) VALUES (?, ?, ?, ?) RETURNING *').get(
        room.token, room.name, room.description ?? null, room.now,
      ) as Row;
      return toRoom(r);
    } catch (e) {
      if (e instanceof Error && /UNIQUE/.test(e.message)) throw new StoreConflict(`room '${room.token}' already exists`);
      throw e;
    }
  }

  async deleteRoom(token: string): Promise<boolean> {
    return this.tx(() => {
      const room = this.q('SELECT id FROM rooms WHERE token = ?').get(token) as Row | undefined;
      if (!room) return false;
      // Files outlive their room row (ON DELETE SET NULL) and are removed by cleanup from disk too.
      this.q('UPDATE files SET expiry = 0 WHERE room = ?').run(room['id']);
      this.q('DELETE FROM rooms WHERE id = ?').run(room['id']);
      return true;
    });
  }

  async roomModerators(roomId: number): Promise<RoomModerator[]> {
    const rows = this.q(
      `SELECT u.session_id, (o.admin OR u.admin) AS admin, o.visible_mod AS visible
         FROM user_permission_overrides o JOIN users u ON u.id = o.user
        WHERE o.room = @room AND o.moderator AND u.session_id NOT LIKE 'ff%'
       UNION ALL
       SELECT u.session_id, u.admin, u.visible_mod FROM users u
        WHERE u.moderator AND u.session_id NOT LIKE 'ff%' AND NOT EXISTS (
          SELECT 1 FROM user_permission_overrides o WHERE o.room = @room AND o.user = u.id AND o.moderator)
       ORDER BY 1`,
    ).all({ room: roomId }) as Row[];
    return rows.map((r) => ({ sessionId: r['session_id'] as string, admin: b(r['admin']), visible: b(r['visible']) }));
  }

  async getOverride(roomId: number, userId: number): Promise<PermissionOverride | null> {
    const r = this.q('SELECT * FROM user_permission_overrides WHERE room = ? AND user = ?').get(roomId, userId) as Row | undefined;
    return r ? toOverride(r) : null;
  }

  async roomsAndOverrides(userId: number | null): Promise<RoomsView> {
    if (userId === null || this.db.inTransaction) {
      return { rooms: await this.listRooms(), overrides: userId === null ? null : await this.userOverrides(userId) };
    }
    // Every poll asks this: the rooms' version and the user's overrides in one statement, since
    // each statement outside a transaction pays for its own read locks.
    const rows = this.q(
      'SELECT (SELECT version FROM rooms_version) AS rooms_version, o.* FROM (SELECT 1) LEFT JOIN user_permission_overrides o ON o.user = ?',
    ).all(userId) as Row[];
    return { rooms: this.roomsAsOf(rows[0]!['rooms_version'] as number), overrides: toOverrideMap(rows.filter((r) => r['room'] !== null)) };
  }

  async userOverrides(userId: number): Promise<Map<number, PermissionOverride>> {
    return this.userOverridesSync(userId);
  }

  private userOverridesSync(userId: number): Map<number, PermissionOverride> {
    return toOverrideMap(this.q('SELECT * FROM user_permission_overrides WHERE user = ?').all(userId) as Row[]);
  }

  async setRoomModerator(c: ModeratorChange & { roomId: number }): Promise<void> {
    this.tx(() => {
      const before = this.q('SELECT * FROM user_permission_overrides WHERE room = ? AND user = ?').get(c.roomId, c.userId) as Row | undefined;
      const moderator = c.moderator || c.admin;
      const visible = moderator ? c.visible : true;
      // Appointing lifts a room ban: the schema forbids a banned moderator.
      this.q(
        `INSERT INTO user_permission_overrides (room, user, moderator, admin, visible_mod) VALUES (@room, @user, @mod, @admin, @vis)
         ON CONFLICT (room, user) DO UPDATE SET moderator = @mod, admin = @admin, visible_mod = @vis,
           banned = banned AND NOT @mod`,
      ).run({ room: c.roomId, user: c.userId, mod: int(moderator), admin: int(c.admin), vis: int(visible) });
      this.deleteEmptyOverride(c.roomId, c.userId);
      const wasMod = before ? b(before['moderator']) : false;
      const wasAdmin = before ? b(before['admin']) : false;
      const wasVisible = before ? b(before['visible_mod']) : true;
      // Unlike the reference (api.md §12.13) a visibility-only change also bumps, so clients refresh.
      if (wasMod !== moderator || wasAdmin !== c.admin || (moderator && wasVisible !== visible)) {
        this.q('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ?').run(c.roomId);
      }
    });
  }

  async pinnedMessages(roomId: number): Promise<PinnedMessage[]> {
    const rows = this.q(
      'SELECT p.message, p.pinned_at, u.session_id FROM pinned_messages p JOIN users u ON u.id = p.pinned_by WHERE p.room = ? ORDER BY p.pinned_at',
    ).all(roomId) as Row[];
    return rows.map((r) => ({ id: r['message'] as number, pinnedAt: r['pinned_at'] as number, pinnedBy: r['session_id'] as string }));
  }

  /** Sets the given columns of a user's override in a room (creating it), dropping it if left empty. */
  private upsertOverride(roomId: number, userId: number, values: Record<string, unknown>): void {
    const cols = Object.keys(values);
    this.q(
      `INSERT INTO user_permission_overrides (room, user, ${cols.join(', ')}) VALUES (@room, @user, ${cols.map((k) => '@' + k).join(', ')})
       ON CONFLICT (room, user) DO UPDATE SET ${cols.map((k) => `${k} = excluded.${k}`).join(', ')}`,
    ).run({ ...values, room: roomId, user: userId });
    this.deleteEmptyOverride(roomId, userId);
  }

  private deleteEmptyOverride(roomId: number, userId: number): void {
    this.q(
      `DELETE FROM user_permission_overrides WHERE room = ? AND user = ? AND NOT banned AND NOT moderator AND NOT admin
         AND read IS NULL AND accessible IS NULL AND write IS NULL AND upload IS NULL`,
    ).run(roomId, userId);
  }

  // --- messages ----------------------------------------------------------------------------

  private bumpSequence(roomId: number): number {
    return (this.q('UPDATE rooms SET message_sequence = message_sequence + 1 WHERE id = ? RETURNING message_sequence').get(roomId) as Row)[
      'message_sequence'
    ] as number;
  }

  private messageById(id: number): Message {
    return toMessage(this.q(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = ?`).get(id) as Row);
  }

  async insertMessage(m: NewMessage): Promise<Message> {
    return this.tx(() => {
      const seq = this.bumpSequence(m.roomId);
      const stored = removePadding(m.data);
      const r = this.q(
        `INSERT INTO messages (room, user, posted, seqno, seqno_data, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods)
         VALUES (@room, @user, @now, @seq, @seq, @seq, @data, @size, @sig, @filtered, @whisper, @wmods) RETURNING id`,
      ).get({
        room: m.roomId, user: m.userId, now: m.now, seq, data: stored, size: m.data.length, sig: m.signature,
        filtered: int(m.filtered), whisper: m.whisperTo, wmods: int(m.whisperMods),
      }) as Row;
      return this.messageById(r['id'] as number);
    });
  }

  async editMessage(messageId: number, data: Buffer, signature: Buffer, now: number): Promise<Message> {
    return this.tx(() => {
      const old = this.q('SELECT room, data, data_size, signature FROM messages WHERE id = ?').get(messageId) as Row;
      const stored = removePadding(data);
      const oldData = old['data'] as Buffer | null;
      if (oldData !== null && oldData.equals(stored)) {
        this.q('UPDATE messages SET signature = ?, data_size = ? WHERE id = ?').run(signature, data.length, messageId);
      } else {
        this.q('INSERT INTO message_history (message, replaced, data, signature) VALUES (?, ?, ?, ?)').run(
          messageId, now, oldData === null ? null : addPadding(oldData, old['data_size'] as number), old['signature'],
        );
        const seq = this.bumpSequence(old['room'] as number);
        this.q(
          `UPDATE messages SET data = ?, data_size = ?, signature = ?, seqno_data = ?, seqno = max(?, seqno_reactions), edited = ?
           WHERE id = ?`,
        ).run(stored, data.length, signature, seq, seq, now, messageId);
      }
      return this.messageById(messageId);
    });
  }

  async deleteMessage(messageId: number, now: number): Promise<void> {
    this.tx(() => this.deleteMessageSync(messageId, now));
  }

  /** The body of deleteMessage, callable inside another transaction (bulk deletion). */
  private deleteMessageSync(messageId: number, now: number): void {
    {
      const old = this.q('SELECT room, data, data_size, signature FROM messages WHERE id = ?').get(messageId) as Row | undefined;
      if (!old || old['data'] === null) return;
      const roomId = old['room'] as number;
      this.q('INSERT INTO message_history (message, replaced, data, signature) VALUES (?, ?, ?, ?)').run(
        messageId, now, addPadding(old['data'] as Buffer, old['data_size'] as number), old['signature'],
      );
      const seq = this.bumpSequence(roomId);
      this.q(
        `UPDATE messages SET data = NULL, data_size = NULL, signature = NULL, seqno_data = ?, seqno = max(?, seqno_reactions), edited = ?
         WHERE id = ?`,
      ).run(seq, seq, now, messageId);
      if (this.q('DELETE FROM pinned_messages WHERE message = ?').run(messageId).changes > 0) {
        this.q('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ?').run(roomId);
      }
      // Attachments go at once, except a file that is (also) a room image: that never expires.
      this.q('UPDATE files SET expiry = 0 WHERE message = ? AND id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)').run(messageId);
      // Each removed user reaction is its own event (api.md §4.3).
      const userReactions = this.q(
        'SELECT ur.reaction, ur.user FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction WHERE r.message = ? ORDER BY ur.at',
      ).all(messageId) as Row[];
      for (const ur of userReactions) {
        this.q('DELETE FROM user_reactions WHERE reaction = ? AND user = ?').run(ur['reaction'], ur['user']);
        const s = this.bumpSequence(roomId);
        this.q('UPDATE messages SET seqno_reactions = ?, seqno = max(seqno_data, ?) WHERE id = ?').run(s, s, messageId);
      }
      this.q('DELETE FROM reactions WHERE message = ?').run(messageId);
    }
  }

  async getMessage(roomId: number, messageId: number): Promise<Message | null> {
    const r = this.q(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = ? AND m.room = ?`).get(messageId, roomId) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  async recentMessages(roomId: number, viewer: Viewer, limit: number, beforeId?: number): Promise<Message[]> {
    const rows = this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.data IS NOT NULL AND NOT m.filtered AND m.id < @before AND ${VISIBLE}
        ORDER BY m.id DESC LIMIT ${lim(limit)}`,
    ).all({ room: roomId, before: beforeId ?? Number.MAX_SAFE_INTEGER, uid: viewer.userId, mod: int(viewer.moderator) }) as Row[];
    return rows.map(toMessage);
  }

  async messagesSince(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]> {
    const all = viewer === 'everyone';
    const rows = this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.seqno > @s AND NOT m.filtered
          AND (m.data IS NOT NULL OR m.seqno_creation <= @s)
          AND (@withr OR m.seqno_data > @s)
          AND (@all OR ${VISIBLE})
        ORDER BY m.seqno LIMIT ${lim(limit)}`,
    ).all({ room: roomId, s: seqno, withr: int(withReactions), uid: all ? null : viewer.userId, mod: int(!all && viewer.moderator), all: int(all) }) as Row[];
    return rows.map(toMessage);
  }

  async reactions(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>> {
    const out = new Map<number, ReactionInfo[]>();
    if (messageIds.length === 0) return out;
    const ids = JSON.stringify(messageIds);
    const counts = this.q(
      `SELECT r.id, r.message, r.reaction, count(*) AS count, max(ur.user = @uid) AS you
         FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id
        WHERE r.message IN (SELECT value FROM json_each(@ids))
        GROUP BY r.id ORDER BY r.message, r.id`,
    ).all({ ids, uid: viewerUserId }) as Row[];
    if (counts.length === 0) return out;
    const byId = groupReactions(counts, out);
    if (reactors > 0) {
      const first = this.q(
        `SELECT reaction, session_id FROM (
           SELECT ur.reaction, u.session_id, ur.at, rank() OVER (PARTITION BY ur.reaction ORDER BY ur.at) AS rk
             FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur.user
            WHERE r.message IN (SELECT value FROM json_each(@ids)))
         WHERE rk <= @n ORDER BY reaction, at`,
      ).all({ ids, n: reactors }) as Row[];
      for (const f of first) byId.get(f['reaction'] as number)?.reactors.push(f['session_id'] as string);
    }
    return out;
  }

  async countPostsSince(roomId: number, userId: number, since: number): Promise<number> {
    return (this.q('SELECT count(*) AS n FROM messages WHERE room = ? AND user = ? AND posted >= ?').get(roomId, userId, since) as Row)['n'] as number;
  }

  // --- reactions ---------------------------------------------------------------------------

  /** A live, unfiltered, non-whisper message of the room (the only kind that takes reactions and pins). */
  private isRegularMessage(roomId: number, messageId: number): boolean {
    return (
      this.q(
        `SELECT 1 FROM messages WHERE id = ? AND room = ? AND data IS NOT NULL AND NOT filtered AND whisper IS NULL AND NOT whisper_mods`,
      ).get(messageId, roomId) !== undefined
    );
  }

  private messageSeqno(messageId: number): number {
    return (this.q('SELECT seqno FROM messages WHERE id = ?').get(messageId) as Row)['seqno'] as number;
  }

  /** One reaction event: bumps the room sequence and moves the message's seqno_reactions to it. */
  private reactionEvent(roomId: number, messageId: number): void {
    const s = this.bumpSequence(roomId);
    this.q('UPDATE messages SET seqno_reactions = ?, seqno = max(seqno_data, ?) WHERE id = ?').run(s, s, messageId);
  }

  async addReaction(roomId: number, messageId: number, userId: number, reaction: string, now: number): Promise<ReactionChange | null> {
    return this.tx(() => {
      if (!this.isRegularMessage(roomId, messageId)) return null;
      this.q('INSERT INTO reactions (message, reaction) VALUES (?, ?) ON CONFLICT DO NOTHING').run(messageId, reaction);
      const kind = (this.q('SELECT id FROM reactions WHERE message = ? AND reaction = ?').get(messageId, reaction) as Row)['id'];
      const changed = this.q('INSERT INTO user_reactions (reaction, user, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(kind, userId, now).changes === 1;
      if (changed) this.reactionEvent(roomId, messageId);
      return { changed, seqno: this.messageSeqno(messageId) };
    });
  }

  async removeReaction(roomId: number, messageId: number, userId: number, reaction: string): Promise<ReactionChange | null> {
    return this.tx(() => {
      if (!this.isRegularMessage(roomId, messageId)) return null;
      const kind = this.q('SELECT id FROM reactions WHERE message = ? AND reaction = ?').get(messageId, reaction) as Row | undefined;
      let changed = false;
      if (kind) {
        changed = this.q('DELETE FROM user_reactions WHERE reaction = ? AND user = ?').run(kind['id'], userId).changes === 1;
        if (changed) {
          this.reactionEvent(roomId, messageId);
          // The kind goes with its last user, so a later re-add gets a new index (api.md §4.4).
          this.q('DELETE FROM reactions WHERE id = ? AND NOT EXISTS (SELECT 1 FROM user_reactions WHERE reaction = ?)').run(kind['id'], kind['id']);
        }
      }
      return { changed, seqno: this.messageSeqno(messageId) };
    });
  }

  async clearReactions(roomId: number, messageId: number, reaction: string | null): Promise<{ removed: number; seqno: number } | null> {
    return this.tx(() => {
      if (!this.isRegularMessage(roomId, messageId)) return null;
      const rows = this.q(
        `SELECT ur.reaction, ur.user FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction
          WHERE r.message = @m AND (@r IS NULL OR r.reaction = @r) ORDER BY ur.at, r.id`,
      ).all({ m: messageId, r: reaction }) as Row[];
      for (const ur of rows) {
        this.q('DELETE FROM user_reactions WHERE reaction = ? AND user = ?').run(ur['reaction'], ur['user']);
        this.reactionEvent(roomId, messageId);
      }
      this.q(
        `DELETE FROM reactions WHERE message = @m AND (@r IS NULL OR reaction = @r)
           AND NOT EXISTS (SELECT 1 FROM user_reactions ur WHERE ur.reaction = reactions.id)`,
      ).run({ m: messageId, r: reaction });
      return { removed: rows.length, seqno: this.messageSeqno(messageId) };
    });
  }

  async reactors(messageId: number, reaction: string, limit: number): Promise<[string, number][]> {
    const rows = this.q(
      `SELECT u.session_id, ur.at FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur.user
        WHERE r.message = ? AND r.reaction = ? ORDER BY ur.at, ur.rowid LIMIT ${lim(limit > 0 ? limit : -1)}`,
    ).all(messageId, reaction) as Row[];
    return rows.map((r) => [r['session_id'] as string, r['at'] as number]);
  }

  // --- pins --------------------------------------------------------------------------------

  private bumpInfoUpdates(roomId: number): number {
    return (this.q('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ? RETURNING info_updates').get(roomId) as Row)[
      'info_updates'
    ] as number;
  }

  async pinMessage(roomId: number, messageId: number, userId: number, now: number): Promise<{ infoUpdates: number } | null> {
    return this.tx(() => {
      if (!this.isRegularMessage(roomId, messageId)) return null;
      this.q(
        `INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (room, message) DO UPDATE SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at`,
      ).run(roomId, messageId, userId, now);
      // Attachments of a pinned post never expire; files that already expired stay expired.
      this.q('UPDATE files SET expiry = NULL WHERE message = ? AND expiry >= ?').run(messageId, now);
      return { infoUpdates: this.bumpInfoUpdates(roomId) };
    });
  }

  async unpinMessages(roomId: number, messageId: number | null, ttl: number | null): Promise<{ unpinned: number; infoUpdates: number }> {
    return this.tx(() => {
      const pins = this.q('SELECT message FROM pinned_messages WHERE room = @room AND (@m IS NULL OR message = @m)').all({ room: roomId, m: messageId }) as Row[];
      for (const p of pins) {
        this.q('DELETE FROM pinned_messages WHERE room = ? AND message = ?').run(roomId, p['message']);
        this.bumpInfoUpdates(roomId);
        // api.md §4.5: expiry restarts from the upload time (the reference's quirk §12.17); a room
        // image never expires.
        this.q(
          `UPDATE files SET expiry = CASE WHEN @ttl IS NULL THEN NULL ELSE uploaded + @ttl END
            WHERE message = @m AND id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)`,
        ).run({ ttl, m: p['message'] });
      }
      const infoUpdates = (this.q('SELECT info_updates FROM rooms WHERE id = ?').get(roomId) as Row)['info_updates'] as number;
      return { unpinned: pins.length, infoUpdates };
    });
  }

  // --- files -------------------------------------------------------------------------------

  async insertFile(f: NewFile): Promise<FileRecord> {
    return this.tx(() => {
      const r = this.q(
        `INSERT INTO files (room, uploader, size, uploaded, expiry, filename, path) VALUES (?, ?, ?, ?, ?, ?, '') RETURNING id`,
      ).get(f.roomId, f.uploaderId, f.size, f.now, f.expiry, f.filename) as Row;
      const id = r['id'] as number;
      this.q('UPDATE files SET path = ? WHERE id = ?').run(f.pathFor(id), id);
      return toFile(this.q('SELECT * FROM files WHERE id = ?').get(id) as Row);
    });
  }

  async getFile(id: number): Promise<FileRecord | null> {
    const r = this.q('SELECT * FROM files WHERE id = ?').get(id) as Row | undefined;
    return r ? toFile(r) : null;
  }

  async deleteFileRow(id: number): Promise<void> {
    this.q('DELETE FROM files WHERE id = ?').run(id);
  }

  async attachFiles(messageId: number, fileIds: number[], uploadedSince: number, now: number, expiry: number | null): Promise<number[]> {
    if (fileIds.length === 0) return [];
    return this.tx(() => {
      const m = this.q('SELECT room, user, data IS NOT NULL AS live FROM messages WHERE id = ?').get(messageId) as Row | undefined;
      if (!m || !b(m['live'])) return [];
      const pinned = this.q('SELECT 1 FROM pinned_messages WHERE message = ?').get(messageId) !== undefined;
      const rows = this.q(
        `UPDATE files SET message = @msg, expiry = @expiry
          WHERE id IN (SELECT value FROM json_each(@ids)) AND room = @room AND uploader = @user AND message IS NULL
            AND uploaded >= @since AND expiry IS NOT NULL AND expiry >= @now
        RETURNING id`,
      ).all({
        msg: messageId, expiry: pinned ? null : expiry, ids: JSON.stringify(fileIds), room: m['room'], user: m['user'],
        since: uploadedSince, now,
      }) as Row[];
      return rows.map((r) => r['id'] as number).sort((x, y) => x - y);
    });
  }

  async updateRoom(roomId: number, u: RoomUpdate, now: number, replacedImageExpiry: number | null): Promise<{ infoUpdates: number } | 'no-such-image'> {
    return this.tx(() => {
      const room = this.q('SELECT * FROM rooms WHERE id = ?').get(roomId) as Row;
      if (u.image !== undefined) {
        const f = this.q('SELECT id FROM files WHERE id = ? AND room = ? AND (expiry IS NULL OR expiry >= ?)').get(u.image, roomId, now);
        if (!f) return 'no-such-image';
      }
      if (u.name !== undefined && u.name !== room['name']) {
        this.q('UPDATE rooms SET name = ? WHERE id = ?').run(u.name, roomId);
        this.bumpInfoUpdates(roomId);
      }
      if (u.description !== undefined && u.description !== room['description']) {
        this.q('UPDATE rooms SET description = ? WHERE id = ?').run(u.description, roomId);
        this.bumpInfoUpdates(roomId);
      }
      if (u.image !== undefined) {
        this.q('UPDATE files SET expiry = NULL WHERE id = ?').run(u.image);
        const old = room['image'] as number | null;
        if (old !== u.image) {
          this.q('UPDATE rooms SET image = ? WHERE id = ?').run(u.image, roomId);
          this.bumpInfoUpdates(roomId);
          if (old !== null) this.expireReplacedImage(old, replacedImageExpiry);
        }
      }
      for (const k of ['read', 'accessible', 'write', 'upload'] as const) {
        const v = u[k];
        if (v !== undefined) this.q(`UPDATE rooms SET ${k} = ? WHERE id = ?`).run(int(v), roomId);
      }
      return { infoUpdates: (this.q('SELECT info_updates FROM rooms WHERE id = ?').get(roomId) as Row)['info_updates'] as number };
    });
  }

  /**
   * A replaced room image expires at once, unless it is also attached to a live post (api.md
   * §12.12): then it gets the normal attachment expiry, or none while that post is pinned. An
   * image still used by another room keeps not expiring.
   */
  private expireReplacedImage(fileId: number, normalExpiry: number | null): void {
    if (this.q('SELECT 1 FROM rooms WHERE image = ?').get(fileId)) return;
    const f = this.q(
      `SELECT m.data IS NOT NULL AS live, EXISTS (SELECT 1 FROM pinned_messages p WHERE p.message = m.id) AS pinned
         FROM files f JOIN messages m ON m.id = f.message WHERE f.id = ?`,
    ).get(fileId) as Row | undefined;
    const expiry = !f || !b(f['live']) ? 0 : b(f['pinned']) ? null : normalExpiry;
    this.q('UPDATE files SET expiry = ? WHERE id = ?').run(expiry, fileId);
  }

  async takeExpiredFiles(now: number): Promise<string[]> {
    return this.tx(() => {
      const rows = this.q('DELETE FROM files WHERE expiry < ? RETURNING path').all(now) as Row[];
      return rows.map((r) => r['path'] as string);
    });
  }

  async allFilePaths(): Promise<Set<string>> {
    return new Set((this.q('SELECT path FROM files').all() as Row[]).map((r) => r['path'] as string));
  }

  // --- direct messages ---------------------------------------------------------------------

  private static readonly DM_SELECT = `SELECT i.id, i.posted_at, i.expiry, s.session_id AS sender, r.session_id AS recipient, i.body
    FROM inbox i JOIN users s ON s.id = i.sender JOIN users r ON r.id = i.recipient`;

  async insertDirectMessage(m: NewDirectMessage): Promise<DirectMessage> {
    return this.tx(() => {
      const r = this.q('INSERT INTO inbox (recipient, sender, body, posted_at, expiry) VALUES (?, ?, ?, ?, ?) RETURNING id').get(
        m.recipientId, m.senderId, m.body, m.now, m.expiry,
      ) as Row;
      return toDirectMessage(this.q(`${SqliteStore.DM_SELECT} WHERE i.id = ?`).get(r['id']) as Row);
    });
  }

  async directMessages(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]> {
    const col = box === 'inbox' ? 'recipient' : 'sender';
    const rows = this.q(`${SqliteStore.DM_SELECT} WHERE i.${col} = ? AND i.id > ? AND i.expiry >= ? ORDER BY i.id LIMIT ${lim(limit)}`).all(
      userId, afterId, now,
    ) as Row[];
    return rows.map(toDirectMessage);
  }

  async deleteInbox(userId: number): Promise<number> {
    return this.q('DELETE FROM inbox WHERE recipient = ?').run(userId).changes;
  }

  // --- permissions (moderation, issue 5) ----------------------------------------------------

  async listOverrides(roomId: number): Promise<{ sessionId: string; override: PermissionOverride }[]> {
    const rows = this.q(
      'SELECT u.session_id, o.* FROM user_permission_overrides o JOIN users u ON u.id = o.user WHERE o.room = ? ORDER BY u.session_id',
    ).all(roomId) as Row[];
    return rows.map((r) => ({ sessionId: r['session_id'] as string, override: toOverride(r) }));
  }

  async setPermissionOverrides(roomId: number, userId: number, change: PermissionChange): Promise<PermissionOverride | null> {
    return this.tx(() => {
      const values: Record<string, number | null> = {};
      for (const k of ['read', 'accessible', 'write', 'upload'] as const) {
        const v = change[k];
        if (v !== undefined) values[k] = v === null ? null : int(v);
      }
      if (Object.keys(values).length > 0) this.upsertOverride(roomId, userId, values);
      const r = this.q('SELECT * FROM user_permission_overrides WHERE room = ? AND user = ?').get(roomId, userId) as Row | undefined;
      return r ? toOverride(r) : null;
    });
  }

  async setRoomDefaults(roomId: number, d: Partial<RoomDefaults>): Promise<Room> {
    return this.tx(() => {
      for (const k of ['read', 'accessible', 'write', 'upload'] as const) {
        const v = d[k];
        if (v !== undefined) this.q(`UPDATE rooms SET ${k} = ? WHERE id = ?`).run(int(v), roomId);
      }
      return toRoom(this.q('SELECT * FROM rooms WHERE id = ?').get(roomId) as Row);
    });
  }

  async futurePermissions(roomId: number, userId?: number): Promise<FutureChange[]> {
    const rows = this.q(
      `SELECT u.session_id, f.at, f.read, f.write, f.upload, f.banned FROM (
         SELECT user, at, read, write, upload, NULL AS banned FROM user_permission_futures WHERE room = @room
         UNION ALL
         SELECT user, at, NULL, NULL, NULL, banned FROM user_ban_futures WHERE room = @room
       ) f JOIN users u ON u.id = f.user
       WHERE @user IS NULL OR f.user = @user
       ORDER BY f.at, u.session_id`,
    ).all({ room: roomId, user: userId ?? null }) as Row[];
    return rows.map(toFutureChange);
  }

  async addFuturePermission(roomId: number, userId: number, at: number, p: FuturePerms): Promise<void> {
    const v = (x: boolean | null): number | null => (x === null ? null : int(x));
    this.q('INSERT INTO user_permission_futures (room, user, at, read, write, upload) VALUES (?, ?, ?, ?, ?, ?)').run(
      roomId, userId, at, v(p.read), v(p.write), v(p.upload),
    );
  }

  async clearFuturePermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Promise<void> {
    if (columns.length === 0) return;
    this.tx(() => {
      this.q(`UPDATE user_permission_futures SET ${columns.map((c) => `${c} = NULL`).join(', ')} WHERE room = ? AND user = ?`).run(roomId, userId);
      // Unlike the reference (api.md §12.7), rows left with nothing to do are really deleted.
      this.q(
        'DELETE FROM user_permission_futures WHERE room = ? AND user = ? AND read IS NULL AND write IS NULL AND upload IS NULL',
      ).run(roomId, userId);
    });
  }

  async applyDueSchedules(now: number): Promise<AppliedSchedule[]> {
    return this.tx(() => {
      const due = this.q(
        `SELECT 'p' AS kind, f.rowid AS rid, f.room, f.user, f.at, f.read, f.write, f.upload, NULL AS banned
           FROM user_permission_futures f WHERE f.at <= @now
         UNION ALL
         SELECT 'b', b.rowid, b.room, b.user, b.at, NULL, NULL, NULL, b.banned FROM user_ban_futures b WHERE b.at <= @now
         ORDER BY 5, 1 DESC`,
      ).all({ now }) as Row[];
      const applied: AppliedSchedule[] = [];
      for (const d of due) {
        const userId = d['user'] as number;
        const roomId = (d['room'] as number | null) ?? null;
        const sessionId = (this.q('SELECT session_id FROM users WHERE id = ?').get(userId) as Row)['session_id'] as string;
        const room = roomId === null ? null : (this.q('SELECT * FROM rooms WHERE id = ?').get(roomId) as Row);
        if (d['kind'] === 'p') {
          this.q('DELETE FROM user_permission_futures WHERE rowid = ?').run(d['rid']);
          const perms: FuturePerms = { read: nb(d['read']), write: nb(d['write']), upload: nb(d['upload']) };
          // A value equal to the room default is stored as "no override" (api.md §4.7).
          const change: Record<string, number | null> = {};
          for (const k of ['read', 'write', 'upload'] as const) {
            const v = perms[k];
            if (v !== null) change[k] = v === b(room![k]) ? null : int(v);
          }
          if (Object.keys(change).length > 0) this.upsertOverride(roomId!, userId, change);
          applied.push({ kind: 'permissions', roomToken: room!['token'] as string, sessionId, perms });
        } else {
          this.q('DELETE FROM user_ban_futures WHERE rowid = ?').run(d['rid']);
          const banned = b(d['banned']);
          if (roomId === null) {
            const u = this.q('SELECT moderator, admin FROM users WHERE id = ?').get(userId) as Row;
            // A moderator cannot be banned (schema CHECK): such a scheduled ban lapses.
            if (banned && (b(u['moderator']) || b(u['admin']))) continue;
            this.q('UPDATE users SET banned = ? WHERE id = ?').run(int(banned), userId);
          } else if (banned) {
            this.banRoomSync(roomId, userId);
          } else {
            this.q('UPDATE user_permission_overrides SET banned = 0 WHERE room = ? AND user = ?').run(roomId, userId);
            this.deleteEmptyOverride(roomId, userId);
          }
          applied.push({ kind: 'ban', roomToken: room === null ? null : (room['token'] as string), sessionId, banned });
        }
      }
      return applied;
    });
  }

  // --- bans ----------------------------------------------------------------------------------

  /** Room ban: banned, demoted (bumping info_updates if it was a moderator), activity dropped. */
  private banRoomSync(roomId: number, userId: number): void {
    const before = this.q('SELECT moderator, admin FROM user_permission_overrides WHERE room = ? AND user = ?').get(roomId, userId) as Row | undefined;
    this.q(
      `INSERT INTO user_permission_overrides (room, user, banned, moderator, admin) VALUES (?, ?, 1, 0, 0)
       ON CONFLICT (room, user) DO UPDATE SET banned = 1, moderator = 0, admin = 0, visible_mod = 1`,
    ).run(roomId, userId);
    if (before && (b(before['moderator']) || b(before['admin']))) {
      this.q('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ?').run(roomId);
    }
    this.q('DELETE FROM room_users WHERE room = ? AND user = ?').run(roomId, userId);
  }

  async banInRooms(userId: number, roomIds: number[], unbanAt: number | null): Promise<void> {
    this.tx(() => {
      for (const roomId of roomIds) {
        this.banRoomSync(roomId, userId);
        this.q('DELETE FROM user_ban_futures WHERE room = ? AND user = ?').run(roomId, userId);
        if (unbanAt !== null) this.q('INSERT INTO user_ban_futures (room, user, at, banned) VALUES (?, ?, ?, 0)').run(roomId, userId, unbanAt);
      }
    });
  }

  async unbanInRooms(userId: number, roomIds: number[]): Promise<void> {
    this.tx(() => {
      for (const roomId of roomIds) {
        this.q('UPDATE user_permission_overrides SET banned = 0 WHERE room = ? AND user = ?').run(roomId, userId);
        this.deleteEmptyOverride(roomId, userId);
        // A leftover scheduled unban would be harmless; a scheduled ban would not (api.md §4.8).
        this.q('DELETE FROM user_ban_futures WHERE room = ? AND user = ?').run(roomId, userId);
      }
    });
  }

  async banGlobally(userId: number, unbanAt: number | null): Promise<void> {
    this.tx(() => {
      const u = this.q('SELECT moderator, admin FROM users WHERE id = ?').get(userId) as Row | undefined;
      if (!u) throw new StoreConflict(`no user ${userId}`);
      if (b(u['moderator']) || b(u['admin'])) throw new StoreConflict('a global moderator or admin cannot be banned');
      this.q('UPDATE users SET banned = 1 WHERE id = ?').run(userId);
      this.q('DELETE FROM user_ban_futures WHERE room IS NULL AND user = ?').run(userId);
      if (unbanAt !== null) this.q('INSERT INTO user_ban_futures (room, user, at, banned) VALUES (NULL, ?, ?, 0)').run(userId, unbanAt);
    });
  }

  async unbanGlobally(userId: number): Promise<void> {
    this.tx(() => {
      this.q('UPDATE users SET banned = 0 WHERE id = ?').run(userId);
      this.q('DELETE FROM user_ban_futures WHERE room IS NULL AND user = ?').run(userId);
    });
  }

  async listBans(roomId?: number): Promise<BanEntry[]> {
    const rows = this.q(
      `SELECT u.session_id, r.token, (SELECT min(f.at) FROM user_ban_futures f WHERE f.room = o.room AND f.user = o.user AND NOT f.banned) AS unban_at
         FROM user_permission_overrides o JOIN users u ON u.id = o.user JOIN rooms r ON r.id = o.room
        WHERE o.banned AND (@room IS NULL OR o.room = @room)
       UNION ALL
       SELECT u.session_id, NULL, (SELECT min(f.at) FROM user_ban_futures f WHERE f.room IS NULL AND f.user = u.id AND NOT f.banned)
         FROM users u WHERE u.banned
       ORDER BY 2, 1`,
    ).all({ room: roomId ?? null }) as Row[];
    return rows.map((r) => ({
      sessionId: r['session_id'] as string,
      roomToken: (r['token'] as string | null) ?? null,
      unbanAt: (r['unban_at'] as number | null) ?? null,
    }));
  }

  async deleteUserMessages(roomId: number, userId: number, now: number): Promise<number> {
    return this.tx(() => {
      const ids = this.q('SELECT id FROM messages WHERE room = ? AND user = ? AND data IS NOT NULL ORDER BY id').all(roomId, userId) as Row[];
      for (const r of ids) this.deleteMessageSync(r['id'] as number, now);
      // api.md §4.9: every upload of theirs in the room goes, except the current room image.
      this.q(
        `UPDATE files SET expiry = 0 WHERE room = @room AND uploader = @user
           AND id IS NOT (SELECT image FROM rooms WHERE id = @room)`,
      ).run({ room: roomId, user: userId });
      return ids.length;
    });
  }

  // --- anti-raid -----------------------------------------------------------------------------

  async roomLimits(roomId: number): Promise<RoomLimits> {
    const r = this.q('SELECT rate_limit_posts, rate_limit_interval, raid_since FROM rooms WHERE id = ?').get(roomId) as Row | undefined;
    return {
      rateLimitPosts: (r?.['rate_limit_posts'] as number | null) ?? null,
      rateLimitInterval: (r?.['rate_limit_interval'] as number | null) ?? null,
      raidSince: (r?.['raid_since'] as number | null) ?? null,
    };
  }

  async setRoomLimits(roomId: number, l: Partial<RoomLimits>): Promise<RoomLimits> {
    this.tx(() => {
      if (l.rateLimitPosts !== undefined) this.q('UPDATE rooms SET rate_limit_posts = ? WHERE id = ?').run(l.rateLimitPosts, roomId);
      if (l.rateLimitInterval !== undefined) this.q('UPDATE rooms SET rate_limit_interval = ? WHERE id = ?').run(l.rateLimitInterval, roomId);
      if (l.raidSince !== undefined) this.q('UPDATE rooms SET raid_since = ? WHERE id = ?').run(l.raidSince, roomId);
    });
    return this.roomLimits(roomId);
  }

  async addUserReads(reads: { userId: number; count: number }[]): Promise<void> {
    if (reads.length === 0) return;
    this.tx(() => {
      for (const r of reads) {
        this.q('INSERT INTO user_reads (user, reads) VALUES (?, ?) ON CONFLICT (user) DO UPDATE SET reads = reads + excluded.reads').run(r.userId, r.count);
      }
    });
  }

  async userReads(userId: number): Promise<number> {
    const r = this.q('SELECT reads FROM user_reads WHERE user = ?').get(userId) as Row | undefined;
    return (r?.['reads'] as number | undefined) ?? 0;
  }

  async countDmsSince(userId: number, since: number): Promise<number> {
    return (this.q('SELECT count(*) AS n FROM inbox WHERE sender = ? AND posted_at >= ?').get(userId, since) as Row)['n'] as number;
  }

  // --- audit ---------------------------------------------------------------------------------

  async addAuditEntry(e: NewAuditEntry): Promise<void> {
    this.q('INSERT INTO audit_log (at, actor, action, target, room, details) VALUES (?, ?, ?, ?, ?, ?)').run(
      e.at, e.actor, e.action, e.target, e.roomToken, JSON.stringify(e.details),
    );
  }

  async auditLog(q: { roomToken?: string; limit: number }): Promise<AuditEntry[]> {
    const rows = this.q(`SELECT * FROM audit_log WHERE @room IS NULL OR room = @room ORDER BY id DESC LIMIT ${lim(q.limit)}`).all({
      room: q.roomToken ?? null,
    }) as Row[];
    return rows.map(toAuditEntry);
  }

  // --- activity and jobs -------------------------------------------------------------------

  async touchRoomActivity(touches: ActivityTouch[]): Promise<void> {
    if (touches.length === 0) return;
    this.tx(() => {
      for (const t of touches) {
        this.q(
          `INSERT INTO room_users (room, user, last_active) VALUES (?, ?, ?)
           ON CONFLICT (room, user) DO UPDATE SET last_active = max(last_active, excluded.last_active)`,
        ).run(t.roomId, t.userId, t.at);
      }
    });
  }

  async cleanup(now: number, o: CleanupOptions): Promise<Record<string, number>> {
    return this.tx(() => {
      const counts: Record<string, number> = {};
      counts['history'] = this.q('DELETE FROM message_history WHERE replaced < ?').run(now - o.historyPruneThreshold).changes;
      counts['dms'] = this.q('DELETE FROM inbox WHERE expiry < ?').run(now).changes;
      counts['activity'] = this.q('DELETE FROM room_users WHERE last_active < ?').run(now - o.activePruneThreshold).changes;
      // Only rooms whose count changes are written: each written row moves rooms_version, which
      // would make every process read all rooms again after each tick of an idle server.
      this.q(
        `UPDATE rooms SET active_users = c.n FROM (
           SELECT r.id, (SELECT count(*) FROM room_users ru WHERE ru.room = r.id AND ru.last_active >= ?) AS n FROM rooms r) c
         WHERE rooms.id = c.id AND rooms.active_users <> c.n`,
      ).run(now - o.activeThreshold);
      counts['nonces'] =
        this.q('DELETE FROM request_nonces WHERE ts < ?').run(Math.floor(now - o.nonceRetention)).changes +
        this.q('DELETE FROM user_request_nonces WHERE expiry < ?').run(now).changes;
      return counts;
    });
  }

  // --- server settings and jobs -----------------------------------------------------------

  async getSetting(key: string): Promise<Buffer | null> {
    const r = this.q('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined;
    return r ? (r['value'] as Buffer) : null;
  }

  async initSetting(key: string, value: Buffer): Promise<Buffer> {
    this.q('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING').run(key, value);
    return (await this.getSetting(key))!;
  }

  async setSetting(key: string, value: Buffer): Promise<void> {
    this.q('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  async claimJobTick(name: string, tick: number): Promise<boolean> {
    return (
      this.q(
        `INSERT INTO job_runs (name, tick) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET tick = excluded.tick WHERE job_runs.tick < excluded.tick RETURNING tick`,
      ).get(name, tick) !== undefined
    );
  }

  async databaseBytes(): Promise<number> {
    const file = this.db.name;
    if (file === ':memory:') return 0;
    const size = (f: string): number => {
      try {
        return fs.statSync(f).size;
      } catch {
        return 0;
      }
    };
    return size(file) + size(`${file}-wal`);
  }

  // --- legacy --- (the v1 API, issue 6)
  async legacyMessagesAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Promise<Message[]> {
    const rows = this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.data IS NOT NULL AND NOT m.filtered AND m.id > @after AND ${VISIBLE}
        ORDER BY m.id LIMIT ${lim(limit)}`,
    ).all({ room: roomId, after: afterId, uid: viewer.userId, mod: int(viewer.moderator) }) as Row[];
    return rows.map(toMessage);
  }

  async legacyDeletions(roomId: number, after: number | null, limit: number): Promise<{ id: number; deletedMessageId: number }[]> {
    const rows = (after === null
      ? this.q(`SELECT seqno_data AS s, id FROM messages WHERE room = ? AND data IS NULL ORDER BY seqno_data DESC LIMIT ${lim(limit)}`).all(roomId)
      : this.q(`SELECT seqno_data AS s, id FROM messages WHERE room = ? AND data IS NULL AND seqno_data > ? ORDER BY seqno_data LIMIT ${lim(limit)}`).all(roomId, after)) as Row[];
    return rows.map((r) => ({ id: r['s'] as number, deletedMessageId: r['id'] as number }));
  }

  async legacyActiveUsers(roomId: number, since: number): Promise<number> {
    return (this.q('SELECT count(*) AS n FROM room_users WHERE room = ? AND last_active >= ?').get(roomId, since) as Row)['n'] as number;
  }

  async legacyMessageIdMap(roomId: number): Promise<LegacyMessageIdMap | null> {
    const r = this.q('SELECT old_message_id_max, message_id_offset FROM room_import_hacks WHERE room = ?').get(roomId) as Row | undefined;
    return r ? { oldMessageIdMax: r['old_message_id_max'] as number, messageIdOffset: r['message_id_offset'] as number } : null;
  }

  async importedFileId(roomId: number, oldFileId: bigint): Promise<number | null> {
    const r = this.q('SELECT file FROM file_id_hacks WHERE room = ? AND old_file_id = ?').get(roomId, oldFileId) as Row | undefined;
    return r ? (r['file'] as number) : null;
  }

  // --- legacy auth tokens ----------------------------------------------------------------

  async legacyPendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Promise<Buffer> {
    // One statement: two challenges at once agree on the token.
    const r = this.q(
      `INSERT INTO legacy_pending_tokens (room, session_id, token, created) VALUES (?, ?, ?, ?)
       ON CONFLICT (room, session_id) DO UPDATE SET
         token = CASE WHEN legacy_pending_tokens.created > ? THEN legacy_pending_tokens.token ELSE excluded.token END,
         created = excluded.created
       RETURNING token`,
    ).get(roomId, sessionId, fresh, now, validSince) as Row;
    return r['token'] as Buffer;
  }

  async legacyClaimToken(roomId: number, sessionId: string, token: Buffer, now: number, validSince: number): Promise<boolean> {
    return this.tx(() => {
      const pending = this.q('DELETE FROM legacy_pending_tokens WHERE room = ? AND session_id = ? AND token = ? AND created > ?').run(roomId, sessionId, token, validSince);
      if (pending.changes === 0) return false;
      this.q('INSERT INTO legacy_tokens (token, room, session_id, claimed) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(token.toString('hex'), roomId, sessionId, now);
      return true;
    });
  }

  async legacyTokenOwner(roomId: number, tokenHex: string, validSince: number): Promise<string | null> {
    const r = this.q('SELECT session_id FROM legacy_tokens WHERE token = ? AND room = ? AND claimed > ?').get(tokenHex, roomId, validSince) as Row | undefined;
    return r ? (r['session_id'] as string) : null;
  }

  async legacyRevokeTokens(roomId: number, sessionId: string): Promise<number> {
    return this.q('DELETE FROM legacy_tokens WHERE room = ? AND session_id = ?').run(roomId, sessionId).changes;
  }

  async pruneLegacyTokens(claimedBefore: number, pendingBefore: number): Promise<{ tokens: number; pending: number }> {
    return this.tx(() => ({
      tokens: this.q('DELETE FROM legacy_tokens WHERE claimed <= ?').run(claimedBefore).changes,
      pending: this.q('DELETE FROM legacy_pending_tokens WHERE created <= ?').run(pendingBefore).changes,
    }));
  }
}
