// SQLite implementation of the Store (better-sqlite3, WAL). better-sqlite3 is synchronous, so each
// method runs to completion without yielding: a transaction can never interleave with another
// request's statements on this connection. Statements are prepared once, lazily.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { addPadding, removePadding } from '../../crypto/padding';
import { blindedAbs } from '../../crypto/ids';
import { migrate } from './migrations';
import {
  StoreConflict,
  type ActivityTouch,
  type CleanupOptions,
  type Message,
  type ModeratorChange,
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

type Row = Record<string, unknown>;

const b = (v: unknown): boolean => v === 1 || v === true;
const nb = (v: unknown): boolean | null => (v === null || v === undefined ? null : b(v));
const int = (v: boolean): number => (v ? 1 : 0);

function toRoom(r: Row): Room {
  return {
    id: r['id'] as number,
    token: r['token'] as string,
    name: r['name'] as string,
    description: (r['description'] as string | null) ?? null,
    image: (r['image'] as number | null) ?? null,
    created: r['created'] as number,
    messageSequence: r['message_sequence'] as number,
    infoUpdates: r['info_updates'] as number,
    activeUsers: r['active_users'] as number,
    read: b(r['read']),
    accessible: b(r['accessible']),
    write: b(r['write']),
    upload: b(r['upload']),
  };
}

function toUser(r: Row): User {
  return {
    id: r['id'] as number,
    sessionId: r['session_id'] as string,
    created: r['created'] as number,
    lastActive: r['last_active'] as number,
    banned: b(r['banned']),
    moderator: b(r['moderator']),
    admin: b(r['admin']),
    visibleMod: b(r['visible_mod']),
  };
}

function toOverride(r: Row): PermissionOverride {
  return {
    banned: b(r['banned']),
    read: nb(r['read']),
    accessible: nb(r['accessible']),
    write: nb(r['write']),
    upload: nb(r['upload']),
    moderator: b(r['moderator']),
    admin: b(r['admin']),
    visibleMod: b(r['visible_mod']),
  };
}

function toMessage(r: Row): Message {
  const data = r['data'] as Buffer | null;
  return {
    id: r['id'] as number,
    roomId: r['room'] as number,
    userId: r['user'] as number,
    sessionId: r['session_id'] as string,
    posted: r['posted'] as number,
    edited: (r['edited'] as number | null) ?? null,
    seqno: r['seqno'] as number,
    seqnoData: r['seqno_data'] as number,
    seqnoReactions: r['seqno_reactions'] as number,
    seqnoCreation: r['seqno_creation'] as number,
    data: data === null ? null : addPadding(data, (r['data_size'] as number | null) ?? data.length),
    signature: (r['signature'] as Buffer | null) ?? null,
    filtered: b(r['filtered']),
    whisperTo: (r['whisper_to'] as string | null) ?? null,
    whisperMods: b(r['whisper_mods']),
  };
}

const MESSAGE_COLUMNS = `m.id, m.room, m.user, u.session_id, m.posted, m.edited, m.seqno, m.seqno_data,
  m.seqno_reactions, m.seqno_creation, m.data, m.data_size, m.signature, m.filtered, w.session_id AS whisper_to,
  m.whisper_mods`;
const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.user LEFT JOIN users w ON w.id = m.whisper`;
// api.md §5.5: who sees which whispers.
const VISIBLE = `((m.whisper IS NULL AND NOT m.whisper_mods) OR m.whisper = @uid OR (@mod AND (m.whisper_mods OR m.user = @uid)))`;

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  file: string;
  readonly?: boolean;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly freshlyCreated: boolean;
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(opts: SqliteStoreOptions) {
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true });
    this.db = new Database(opts.file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a crash of this process; only an OS crash or power
    // loss can roll back the last moments. FULL would fsync on every poll's nonce insert.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // The admin CLI writes to the same file while the server runs.
    this.db.pragma('busy_timeout = 5000');
    this.freshlyCreated = migrate(this.db).from === 0;
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

  async close(): Promise<void> {
    this.db.close();
  }

  // --- users -------------------------------------------------------------------------------

  async findUser(sessionId: string): Promise<User | null> {
    const r = this.q('SELECT * FROM users WHERE session_id = ?').get(sessionId.toLowerCase()) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async findUserById(id: number): Promise<User | null> {
    const r = this.q('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async findUserByCandidates(candidates: string[]): Promise<User | null> {
    for (const c of candidates) {
      const u = await this.findUser(c);
      if (u) return u;
    }
    return null;
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

  async nonceSeen(nonce: Buffer): Promise<boolean> {
    return this.q('SELECT 1 FROM user_request_nonces WHERE nonce = ?').get(nonce) !== undefined;
  }

  async recordNonce(userId: number, nonce: Buffer, expiry: number): Promise<boolean> {
    return this.q('INSERT INTO user_request_nonces (user, nonce, expiry) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(userId, nonce, expiry).changes === 1;
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

  async listRooms(): Promise<Room[]> {
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
    this.tx(() => {
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
      this.q('UPDATE files SET expiry = 0 WHERE message = ?').run(messageId);
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
    });
  }

  async getMessage(roomId: number, messageId: number): Promise<Message | null> {
    const r = this.q(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = ? AND m.room = ?`).get(messageId, roomId) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  async recentMessages(roomId: number, viewer: Viewer, limit: number, beforeId?: number): Promise<Message[]> {
    const rows = this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.data IS NOT NULL AND NOT m.filtered AND m.id < @before AND ${VISIBLE}
        ORDER BY m.id DESC LIMIT @limit`,
    ).all({ room: roomId, before: beforeId ?? Number.MAX_SAFE_INTEGER, limit, uid: viewer.userId, mod: int(viewer.moderator) }) as Row[];
    return rows.map(toMessage);
  }

  async messagesSince(roomId: number, viewer: Viewer, seqno: number, limit: number, withReactions: boolean): Promise<Message[]> {
    const rows = this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.seqno > @s AND NOT m.filtered
          AND (m.data IS NOT NULL OR m.seqno_creation <= @s)
          AND (@withr OR m.seqno_data > @s)
          AND ${VISIBLE}
        ORDER BY m.seqno LIMIT @limit`,
    ).all({ room: roomId, s: seqno, withr: int(withReactions), limit, uid: viewer.userId, mod: int(viewer.moderator) }) as Row[];
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
    const byId = new Map<number, ReactionInfo>();
    for (const c of counts) {
      const list = out.get(c['message'] as number) ?? [];
      const info: ReactionInfo = { reaction: c['reaction'] as string, index: list.length, count: c['count'] as number, reactors: [], you: b(c['you']) };
      list.push(info);
      out.set(c['message'] as number, list);
      byId.set(c['id'] as number, info);
    }
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
      this.q(
        `UPDATE rooms SET active_users = (SELECT count(*) FROM room_users ru WHERE ru.room = rooms.id AND ru.last_active >= ?)`,
      ).run(now - o.activeThreshold);
      counts['nonces'] = this.q('DELETE FROM user_request_nonces WHERE expiry < ?').run(now).changes;
      return counts;
    });
  }
}
