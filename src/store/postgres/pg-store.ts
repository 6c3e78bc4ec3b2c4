// PostgreSQL implementation of the Store (node-postgres). It keeps the invariants of the SQLite
// store (store/sqlite/sqlite-store.ts) with the same statements, translated; what differs is
// concurrency: several processes and hosts write at once. So:
// - every multi-statement method runs in one transaction on one pooled connection, retried on a
//   deadlock or serialization failure;
// - counters are bumped with UPDATE ... RETURNING, whose row lock orders concurrent writers of a
//   room (a room row is always locked before its messages' rows);
// - batched bookkeeping writes touch rows in key order, so two instances flushing at once cannot
//   deadlock each other;
// - work a background job claims (scheduled changes, expired files) is taken with DELETE ...
//   RETURNING, so no two instances apply the same row.
// Statements are named, so each pooled connection prepares each one once.
import crypto from 'node:crypto';
import type pg from 'pg';
import { addPadding, removePadding } from '../../crypto/padding';
import { blindedAbs } from '../../crypto/ids';
import { b, nb, groupReactions, toAuditEntry, toDirectMessage, toFile, toFutureChange, toMessage, toOverride, toOverrideMap, toRoom, toUser, type Row } from '../rows';
import {
  StoreConflict,
  type ActivityTouch,
  type AppliedSchedule,
  type AuditEntry,
  type BanEntry,
  type CleanupOptions,
  type DirectMessage,
  type FileRecord,
  type FutureChange,
  type FuturePerms,
  type LegacyMessageIdMap,
  type Message,
  type ModeratorChange,
  type NonceCheck,
  type NonceLookup,
  type RoomsView,
  type NewAuditEntry,
  type NewDirectMessage,
  type NewFile,
  type NewMessage,
  type NewRoom,
  type PermissionChange,
  type PermissionOverride,
  type PinnedMessage,
  type ReactionChange,
  type ReactionInfo,
  type Room,
  type RoomDefaults,
  type RoomLimits,
  type RoomModerator,
  type RoomUpdate,
  type Store,
  type User,
  type Viewer,
} from '../types';
import { createPool, ensureSchema, parsePgUrl, withoutPassword } from './connect';
import { migratePg } from './migrations';
import { TurnBatch } from '../turn-batch';

/**
 * The poll path's batched statements run one at a time (TurnBatch): at a steady arrival rate
 * several single-poll statements at once cost PostgreSQL 2-6 times the CPU per poll of fewer,
 * larger ones (README, "Benchmarks").
 */
const ONE_IN_FLIGHT = { maxInFlight: 1 };

/** Runs one statement: on the pool, or on a transaction's connection. */
type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResult<Row>>;
/** [room id, message_sequence, info_updates, active_users] */
type RoomCounters = [number, number, number, number];

const MESSAGE_COLUMNS = `m.id, m.room, m."user", u.session_id, m.posted, m.edited, m.seqno, m.seqno_data,
  m.seqno_reactions, m.seqno_creation, m.data, m.data_size, m.signature, m.filtered, w.session_id AS whisper_to,
  m.whisper_mods`;
const MESSAGE_FROM = `messages m JOIN users u ON u.id = m."user" LEFT JOIN users w ON w.id = m.whisper`;
/** api.md §5.5: who sees which whispers; $uid and $mod are the viewer's user id and moderator flag. */
const visible = (uid: string, mod: string): string =>
  `((m.whisper IS NULL AND NOT m.whisper_mods) OR m.whisper = ${uid}::bigint OR (${mod}::boolean AND (m.whisper_mods OR m."user" = ${uid}::bigint)))`;

const PERMISSION_COLUMNS = ['read', 'accessible', 'write', 'upload'] as const;

/** SQLSTATEs after which a transaction is simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export interface PgStoreOptions {
  url: string;
  /** Connections in the pool (per process). */
  poolSize: number;
  /** Open only a database that has our schema already (admin commands): create nothing. */
  mustExist?: boolean;
}

export class PgStore implements Store {
  readonly kind = 'postgres' as const;
  readonly freshlyCreated: boolean;
  private readonly names = new Map<string, string>();
  /** Bumped when prepared statements went stale (see renamedAfterStalePlan): part of every name. */
  private generation = 0;
  /** The room rows as of a rooms_version (see roomsAndOverrides). */
  private rooms: { version: number; rooms: Room[] } | null = null;

  private constructor(
    readonly pool: pg.Pool,
    freshlyCreated: boolean,
  ) {
    this.freshlyCreated = freshlyCreated;
  }

  /** Connects, creates the schema if needed and migrates it. */
  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const target = parsePgUrl(opts.url);
    if (!opts.mustExist) await ensureSchema(target);
    const pool = createPool(target, opts.poolSize);
    try {
      const client = await pool.connect();
      let from: number;
      try {
        from = (await migratePg(client, withoutPassword(opts.url), opts.mustExist)).from;
      } finally {
        client.release();
      }
      return new PgStore(pool, from === 0);
    } catch (e) {
      await pool.end();
      throw e;
    }
  }

  /** The statement's name: each pooled connection prepares a named statement once. */
  private nameOf(sql: string): string {
    let n = this.names.get(sql);
    if (n === undefined) {
      n = 's' + crypto.createHash('sha1').update(`${this.generation}:${sql}`).digest('hex').slice(0, 20);
      this.names.set(sql, n);
    }
    return n;
  }

  /**
   * True for the error of a statement prepared before another instance's migration changed a
   * table it reads (`SELECT *`: "cached plan must not change result type"). Every name then
   * changes, so each connection prepares its statements again, and the statement is retried.
   */
  private renamedAfterStalePlan(e: unknown): boolean {
    if ((e as { code?: string }).code !== '0A000') return false;
    this.generation++;
    this.names.clear();
    return true;
  }

  private runner(client: pg.Pool | pg.PoolClient): Query {
    return (sql, params = []) => client.query<Row>({ name: this.nameOf(sql), text: sql, values: params });
  }

  /** A statement outside any transaction. */
  private readonly q: Query = async (sql, params) => {
    try {
      return await this.runner(this.pool)(sql, params);
    } catch (e) {
      if (!this.renamedAfterStalePlan(e)) throw e;
      return this.runner(this.pool)(sql, params);
    }
  };

  private async one(sql: string, params: unknown[] = [], q: Query = this.q): Promise<Row | null> {
    return (await q(sql, params)).rows[0] ?? null;
  }

  private async tx<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(this.runner(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (e as { code?: string }).code;
        if (attempt < 5 && ((code !== undefined && RETRYABLE.has(code)) || this.renamedAfterStalePlan(e))) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    // Requests already waiting for this turn's statements get their answers first.
    await Promise.all([this.authBatch.drain(), this.roomsBatch.drain()]);
    await this.pool.end();
  }

  /** PostgreSQL does its own upkeep (checkpoints, autovacuum). */
  startUpkeep(): void {}

  // --- users -------------------------------------------------------------------------------

  async findUser(sessionId: string): Promise<User | null> {
    const r = await this.one('SELECT * FROM users WHERE session_id = $1', [sessionId.toLowerCase()]);
    return r ? toUser(r) : null;
  }

  async authLookup(sessionId: string, nonce: Buffer, ts: number): Promise<{ user: User | null; nonceSeen: boolean }> {
    const r = (await this.one(
      `SELECT EXISTS (SELECT 1 FROM request_nonces WHERE ts = $3 AND nonce = $1)
              OR EXISTS (SELECT 1 FROM user_request_nonces WHERE nonce = $1) AS nonce_seen, u.*
         FROM (SELECT 1) x LEFT JOIN users u ON u.session_id = $2`,
      [nonce, sessionId.toLowerCase(), ts],
    ))!;
    return { user: r['id'] === null ? null : toUser(r), nonceSeen: b(r['nonce_seen']) };
  }

  async findUserById(id: number): Promise<User | null> {
    const r = await this.one('SELECT * FROM users WHERE id = $1', [id]);
    return r ? toUser(r) : null;
  }

  async ensureUser(sessionId: string, now: number): Promise<User> {
    const id = sessionId.toLowerCase();
    const existing = await this.findUser(id);
    if (existing) return existing;
    return this.tx(async (q) => {
      const inserted = await this.one(
        'INSERT INTO users (session_id, created, last_active) VALUES ($1, $2, $2) ON CONFLICT DO NOTHING RETURNING id',
        [id, now],
        q,
      );
      if (!inserted) return toUser((await this.one('SELECT * FROM users WHERE session_id = $1', [id], q))!);
      if (id.startsWith('15')) await this.migrateBlinded(q, inserted['id'] as number, blindedAbs(id));
      return toUser((await this.one('SELECT * FROM users WHERE id = $1', [inserted['id']], q))!);
    });
  }

  /** api.md §2.4: move what was recorded for an unblinded id onto its newly seen blinded user. */
  private async migrateBlinded(q: Query, newId: number, abs: string): Promise<void> {
    const pending = await this.one('DELETE FROM needs_blinding WHERE blinded_abs = $1 RETURNING "user"', [abs], q);
    if (!pending) return;
    const oldId = pending['user'] as number;
    const old = (await this.one('SELECT * FROM users WHERE id = $1 FOR UPDATE', [oldId], q))!;
    await q('UPDATE users SET banned = $1, moderator = $2, admin = $3, visible_mod = $4 WHERE id = $5', [
      old['banned'], old['moderator'], old['admin'], old['visible_mod'], newId,
    ]);
    await q('UPDATE users SET banned = FALSE, moderator = FALSE, admin = FALSE, visible_mod = FALSE WHERE id = $1', [oldId]);
    const modRooms = (await q('SELECT room FROM user_permission_overrides WHERE "user" = $1 AND moderator ORDER BY room', [oldId])).rows;
    for (const t of ['user_permission_overrides', 'user_permission_futures', 'user_ban_futures']) {
      await q(`UPDATE ${t} SET "user" = $1 WHERE "user" = $2`, [newId, oldId]);
    }
    // The displayed moderator id changes from 05 to 15: tell clients to refresh room details.
    if (b(old['moderator'])) await q('UPDATE rooms SET info_updates = info_updates + 1');
    else for (const r of modRooms) await q('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = $1', [r['room']]);
  }

  async recordNeedsBlinding(userId: number, abs: string): Promise<void> {
    await this.q('INSERT INTO needs_blinding (blinded_abs, "user") VALUES ($1, $2) ON CONFLICT DO NOTHING', [abs, userId]);
  }

  async touchUsers(touches: { userId: number; at: number }[]): Promise<void> {
    if (touches.length === 0) return;
    const sorted = [...touches].sort((x, y) => x.userId - y.userId);
    // In a retried transaction: instances flushing overlapping rows can deadlock.
    await this.tx((q) =>
      q(
        `UPDATE users u SET last_active = t.at FROM unnest($1::bigint[], $2::float8[]) AS t(id, at)
          WHERE u.id = t.id AND u.last_active < t.at`,
        [sorted.map((t) => t.userId), sorted.map((t) => t.at)],
      ),
    );
  }

  async setGlobalModerator(c: ModeratorChange): Promise<void> {
    await this.tx(async (q) => {
      const before = await this.one('SELECT * FROM users WHERE id = $1 FOR UPDATE', [c.userId], q);
      if (!before) throw new StoreConflict(`no user ${c.userId}`);
      const moderator = c.moderator || c.admin;
      // A moderator cannot also be banned (schema CHECK); appointing lifts a global ban.
      await q('UPDATE users SET moderator = $1, admin = $2, visible_mod = $3, banned = banned AND NOT $1 WHERE id = $4', [
        moderator, c.admin, moderator ? c.visible : false, c.userId,
      ]);
      const changed =
        b(before['moderator']) !== moderator || b(before['admin']) !== c.admin || (moderator && b(before['visible_mod']) !== c.visible);
      if (changed) await q('UPDATE rooms SET info_updates = info_updates + 1');
    });
  }

  async setGlobalBan(userId: number, banned: boolean): Promise<void> {
    try {
      await this.q('UPDATE users SET banned = $1 WHERE id = $2', [banned, userId]);
    } catch (e) {
      if ((e as { code?: string }).code === '23514') throw new StoreConflict('a global moderator or admin cannot be banned');
      throw e;
    }
  }

  async listGlobalModerators(): Promise<User[]> {
    return (await this.q("SELECT * FROM users WHERE moderator AND session_id NOT LIKE 'ff%' ORDER BY session_id")).rows.map(toUser);
  }

  // --- nonces ------------------------------------------------------------------------------

  /**
   * One insert per signed request: committed without waiting for the WAL flush (measured here:
   * 131 -> 81 us per insert at 32 in flight). Only a crash of the database could forget the last
   * fraction of a second of nonces, which would let a request captured in that moment be replayed
   * once; messages and everything else keep synchronous commits.
   */
  async recordNonce(userId: number, nonce: Buffer, ts: number): Promise<boolean> {
    const r = await this.q(
      `WITH async AS (SELECT set_config('synchronous_commit', 'off', true))
       INSERT INTO request_nonces (ts, nonce, "user") SELECT $1, $2, $3 FROM async ON CONFLICT DO NOTHING`,
      [ts, nonce, userId],
    );
    return r.rowCount === 1;
  }

  /**
   * The poll's hot path: the lookups and nonce inserts of all requests authenticated in one
   * turn of the event loop go to the database as one statement (see TurnBatch), committed as
   * recordNonce is. One such statement at a time: requests authenticated while it runs go into
   * the next, so that a slower database gets larger statements rather than more of them. A pair
   * (timestamp, nonce) repeated within a batch is looked up after the others, so that it sees
   * their inserts. Keys are inserted in key order, so that two instances inserting overlapping
   * batches (replays) cannot deadlock.
   */
  lookupAndRecordNonce(sessionId: string, nonce: Buffer, ts: number): Promise<NonceLookup> {
    return this.authBatch.add({ sessionId: sessionId.toLowerCase(), nonce, ts });
  }

  private readonly authBatch = new TurnBatch<NonceCheck, NonceLookup>(async (items) => {
    const firsts: NonceCheck[] = [];
    const seen = new Set<string>();
    const repeats = new Map<number, NonceCheck>();
    items.forEach((it, i) => {
      const key = `${it.ts}:${it.nonce.toString('hex')}`;
      if (seen.has(key)) repeats.set(i, it);
      else {
        seen.add(key);
        firsts.push(it);
      }
    });
    const found = await this.lookupAndRecordMany(firsts);
    const out: NonceLookup[] = [];
    let next = 0;
    for (let i = 0; i < items.length; i++) {
      const again = repeats.get(i);
      out.push(again ? (await this.lookupAndRecordMany([again]))[0]! : found[next++]!);
    }
    return out;
  }, ONE_IN_FLIGHT);

  private async lookupAndRecordMany(items: NonceCheck[]): Promise<NonceLookup[]> {
    const rows = (
      await this.q(
        `WITH input AS (SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[]) WITH ORDINALITY AS t(sid, nonce_in, ts_in, ord)),
              async AS (SELECT set_config('synchronous_commit', 'off', true)),
              found AS (SELECT i.ord, i.nonce_in, i.ts_in, u.*,
                               EXISTS (SELECT 1 FROM request_nonces r WHERE r.ts = i.ts_in AND r.nonce = i.nonce_in)
                               OR EXISTS (SELECT 1 FROM user_request_nonces n WHERE n.nonce = i.nonce_in) AS seen_before
                          FROM input i LEFT JOIN users u ON u.session_id = i.sid),
              ins AS (INSERT INTO request_nonces (ts, nonce, "user") SELECT f.ts_in, f.nonce_in, f.id FROM found f, async
                       WHERE f.id IS NOT NULL AND NOT f.banned AND NOT f.seen_before
                       ORDER BY f.ts_in, f.nonce_in
                      ON CONFLICT DO NOTHING RETURNING ts, nonce)
         SELECT f.*, EXISTS (SELECT 1 FROM ins WHERE ins.ts = f.ts_in AND ins.nonce = f.nonce_in) AS recorded,
                (SELECT version FROM rooms_version) AS rooms_version,
                (SELECT json_agg(json_build_array(id, message_sequence, info_updates, active_users)) FROM rooms) AS room_counters,
                (SELECT json_agg(o) FROM user_permission_overrides o WHERE o."user" = f.id) AS user_overrides
           FROM found f
          ORDER BY f.ord`,
        [items.map((i) => i.sessionId), items.map((i) => i.nonce), items.map((i) => i.ts)],
      )
    ).rows;
    // The rooms and each user's overrides come along (NonceLookup.view), so that a poll asks
    // PostgreSQL one statement per turn instead of two (the other being roomsBatch's).
    const first = rows.find((r) => b(r['recorded']));
    const rooms = first ? await this.roomsWithCounters(first['rooms_version'] as number | null, first['room_counters'] as RoomCounters[] | null) : [];
    // The main query's snapshot does not see the CTE's insert: seen_before is what was there.
    return rows.map((r) => {
      const user = r['id'] === null ? null : toUser(r);
      const recorded = b(r['recorded']);
      const seenBefore = b(r['seen_before']);
      if (!user || user.banned) return { user, nonceSeen: seenBefore, recorded: false };
      if (!recorded) return { user, nonceSeen: true, recorded };
      return { user, nonceSeen: seenBefore, recorded, view: { rooms: [...rooms], overrides: toOverrideMap((r['user_overrides'] as Row[] | null) ?? []) } };
    });
  }

  // --- rooms -------------------------------------------------------------------------------

  async getRoom(token: string): Promise<Room | null> {
    const r = await this.one('SELECT * FROM rooms WHERE lower(token) = lower($1)', [token]);
    return r ? toRoom(r) : null;
  }

  async getRoomById(id: number): Promise<Room | null> {
    const r = await this.one('SELECT * FROM rooms WHERE id = $1', [id]);
    return r ? toRoom(r) : null;
  }

  async listRooms(): Promise<Room[]> {
    // SQLite's order: rooms.token is COLLATE NOCASE there, ASCII case folded, then byte order
    // (whatever this database's locale is). Tokens are ASCII.
    return (await this.q('SELECT * FROM rooms ORDER BY lower(token) COLLATE "C"')).rows.map(toRoom);
  }

  async createRoom(room: NewRoom): Promise<Room> {
    try {
      const r = await this.one('INSERT INTO rooms (token, name, description, created) VALUES ($1, $2, $3, $4) RETURNING *', [
        room.token, room.name, room.description ?? null, room.now,
      ]);
      return toRoom(r!);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new StoreConflict(`room '${room.token}' already exists`);
      throw e;
    }
  }

  async deleteRoom(token: string): Promise<boolean> {
    return this.tx(async (q) => {
      const room = await this.one('SELECT id FROM rooms WHERE lower(token) = lower($1) FOR UPDATE', [token], q);
      if (!room) return false;
      // Files outlive their room row (ON DELETE SET NULL) and are removed by cleanup from disk too.
      await q('UPDATE files SET expiry = 0 WHERE room = $1', [room['id']]);
      await q('DELETE FROM rooms WHERE id = $1', [room['id']]);
      return true;
    });
  }

  async roomModerators(roomId: number): Promise<RoomModerator[]> {
    const rows = (
      await this.q(
        `SELECT u.session_id, (o.admin OR u.admin) AS admin, o.visible_mod AS visible
           FROM user_permission_overrides o JOIN users u ON u.id = o."user"
          WHERE o.room = $1 AND o.moderator AND u.session_id NOT LIKE 'ff%'
         UNION ALL
         SELECT u.session_id, u.admin, u.visible_mod FROM users u
          WHERE u.moderator AND u.session_id NOT LIKE 'ff%' AND NOT EXISTS (
            SELECT 1 FROM user_permission_overrides o WHERE o.room = $1 AND o."user" = u.id AND o.moderator)
         ORDER BY 1`,
        [roomId],
      )
    ).rows;
    return rows.map((r) => ({ sessionId: r['session_id'] as string, admin: b(r['admin']), visible: b(r['visible']) }));
  }

  async getOverride(roomId: number, userId: number): Promise<PermissionOverride | null> {
    const r = await this.one('SELECT * FROM user_permission_overrides WHERE room = $1 AND "user" = $2', [roomId, userId]);
    return r ? toOverride(r) : null;
  }

  /**
   * One round trip while the rooms are unchanged: the rooms_version (bumped by a trigger when a
   * room row's own fields change, by any instance) and every room's counters come with the
   * overrides, and the room rows kept from the last read supply the rest while the version stays
   * the same. The version is read before the rows, so a change racing the read can only make the
   * kept copy look older than it is; the counters are always this statement's.
   */
  roomsAndOverrides(userId: number | null): Promise<RoomsView> {
    return this.roomsBatch.add(userId);
  }

  /** Every poll of one turn asks this: one statement for all of them, one at a time (see TurnBatch). */
  private readonly roomsBatch = new TurnBatch<number | null, RoomsView>(async (users) => {
    const ids = [...new Set(users.filter((u): u is number => u !== null))];
    const rows = (
      await this.q(
        `SELECT (SELECT version FROM rooms_version) AS rooms_version,
                (SELECT json_agg(json_build_array(id, message_sequence, info_updates, active_users)) FROM rooms) AS counters, o.*
           FROM (SELECT 1) x LEFT JOIN user_permission_overrides o ON o."user" = ANY($1::bigint[])`,
        [ids],
      )
    ).rows;
    const byUser = new Map<number, Row[]>();
    for (const r of rows) {
      if (r['room'] === null) continue;
      const u = Number(r['user']);
      const list = byUser.get(u);
      if (list) list.push(r);
      else byUser.set(u, [r]);
    }
    const rooms = await this.roomsWithCounters(rows[0]!['rooms_version'] as number | null, rows[0]!['counters'] as RoomCounters[] | null);
    return users.map((u) => ({ rooms: [...rooms], overrides: u === null ? null : toOverrideMap(byUser.get(u) ?? []) }));
  }, ONE_IN_FLIGHT);

  private async roomsWithCounters(version: number | null, counterRows: RoomCounters[] | null): Promise<Room[]> {
    if (version === null) return this.listRooms();
    if (this.rooms?.version !== version) this.rooms = { version, rooms: (await this.listRooms()).map((r) => Object.freeze(r)) };
    const counters = new Map((counterRows ?? []).map((c) => [c[0], c]));
    const rooms: Room[] = [];
    for (const r of this.rooms.rooms) {
      const c = counters.get(r.id);
      // A room missing from the counters was deleted after the kept rows were read.
      if (c) rooms.push(Object.freeze({ ...r, messageSequence: c[1], infoUpdates: c[2], activeUsers: c[3] }));
    }
    return rooms;
  }

  async userOverrides(userId: number): Promise<Map<number, PermissionOverride>> {
    return toOverrideMap((await this.q('SELECT * FROM user_permission_overrides WHERE "user" = $1', [userId])).rows);
  }

  async setRoomModerator(c: ModeratorChange & { roomId: number }): Promise<void> {
    await this.tx(async (q) => {
      await this.lockRoom(q, c.roomId);
      const before = await this.one('SELECT * FROM user_permission_overrides WHERE room = $1 AND "user" = $2', [c.roomId, c.userId], q);
      const moderator = c.moderator || c.admin;
      const visible = moderator ? c.visible : true;
      // Appointing lifts a room ban: the schema forbids a banned moderator.
      await q(
        `INSERT INTO user_permission_overrides (room, "user", moderator, admin, visible_mod) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room, "user") DO UPDATE SET moderator = $3, admin = $4, visible_mod = $5,
           banned = user_permission_overrides.banned AND NOT $3`,
        [c.roomId, c.userId, moderator, c.admin, visible],
      );
      await this.deleteEmptyOverride(q, c.roomId, c.userId);
      const wasMod = before ? b(before['moderator']) : false;
      const wasAdmin = before ? b(before['admin']) : false;
      const wasVisible = before ? b(before['visible_mod']) : true;
      // Unlike the reference (api.md §12.13) a visibility-only change also bumps, so clients refresh.
      if (wasMod !== moderator || wasAdmin !== c.admin || (moderator && wasVisible !== visible)) {
        await this.bumpInfoUpdates(q, c.roomId);
      }
    });
  }

  async pinnedMessages(roomId: number): Promise<PinnedMessage[]> {
    const rows = (
      await this.q(
        'SELECT p.message, p.pinned_at, u.session_id FROM pinned_messages p JOIN users u ON u.id = p.pinned_by WHERE p.room = $1 ORDER BY p.pinned_at',
        [roomId],
      )
    ).rows;
    return rows.map((r) => ({ id: r['message'] as number, pinnedAt: r['pinned_at'] as number, pinnedBy: r['session_id'] as string }));
  }

  private async deleteEmptyOverride(q: Query, roomId: number, userId: number): Promise<void> {
    await q(
      `DELETE FROM user_permission_overrides WHERE room = $1 AND "user" = $2 AND NOT banned AND NOT moderator AND NOT admin
         AND read IS NULL AND accessible IS NULL AND write IS NULL AND upload IS NULL`,
      [roomId, userId],
    );
  }

  /** Takes the room row's lock first, so that every writer of a room locks in the same order. */
  private async lockRoom(q: Query, roomId: number): Promise<Row | null> {
    return this.one('SELECT * FROM rooms WHERE id = $1 FOR UPDATE', [roomId], q);
  }

  // --- messages ----------------------------------------------------------------------------

  private async bumpSequence(q: Query, roomId: number): Promise<number> {
    const r = await this.one('UPDATE rooms SET message_sequence = message_sequence + 1 WHERE id = $1 RETURNING message_sequence', [roomId], q);
    return r!['message_sequence'] as number;
  }

  private async bumpInfoUpdates(q: Query, roomId: number): Promise<number> {
    const r = await this.one('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = $1 RETURNING info_updates', [roomId], q);
    return r!['info_updates'] as number;
  }

  private async messageById(q: Query, id: number): Promise<Message> {
    return toMessage((await this.one(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1`, [id], q))!);
  }

  /** The room of a message, with the room's lock taken before the message is touched. */
  private async lockMessageRoom(q: Query, messageId: number): Promise<number | null> {
    const m = await this.one('SELECT room FROM messages WHERE id = $1', [messageId], q);
    if (!m) return null;
    await this.lockRoom(q, m['room'] as number);
    return m['room'] as number;
  }

  async insertMessage(m: NewMessage): Promise<Message> {
    return this.tx(async (q) => {
      const seq = await this.bumpSequence(q, m.roomId);
      const r = await this.one(
        `INSERT INTO messages (room, "user", posted, seqno, seqno_data, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods)
         VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [m.roomId, m.userId, m.now, seq, removePadding(m.data), m.data.length, m.signature, m.filtered, m.whisperTo, m.whisperMods],
        q,
      );
      return this.messageById(q, r!['id'] as number);
    });
  }

  async editMessage(messageId: number, data: Buffer, signature: Buffer, now: number): Promise<Message> {
    return this.tx(async (q) => {
      const roomId = await this.lockMessageRoom(q, messageId);
      const old = (await this.one('SELECT data, data_size, signature FROM messages WHERE id = $1', [messageId], q))!;
      const stored = removePadding(data);
      const oldData = old['data'] as Buffer | null;
      if (oldData !== null && oldData.equals(stored)) {
        await q('UPDATE messages SET signature = $1, data_size = $2 WHERE id = $3', [signature, data.length, messageId]);
      } else {
        await q('INSERT INTO message_history (message, replaced, data, signature) VALUES ($1, $2, $3, $4)', [
          messageId, now, oldData === null ? null : addPadding(oldData, old['data_size'] as number), old['signature'],
        ]);
        const seq = await this.bumpSequence(q, roomId!);
        await q(
          `UPDATE messages SET data = $1, data_size = $2, signature = $3, seqno_data = $4, seqno = GREATEST($4, seqno_reactions), edited = $5
           WHERE id = $6`,
          [stored, data.length, signature, seq, now, messageId],
        );
      }
      return this.messageById(q, messageId);
    });
  }

  async deleteMessage(messageId: number, now: number): Promise<void> {
    await this.tx(async (q) => {
      const roomId = await this.lockMessageRoom(q, messageId);
      if (roomId !== null) await this.tombstone(q, roomId, messageId, now);
    });
  }

  /** The body of deleteMessage, inside the caller's transaction (which holds the room's lock). */
  private async tombstone(q: Query, roomId: number, messageId: number, now: number): Promise<void> {
    const old = await this.one('SELECT data, data_size, signature FROM messages WHERE id = $1', [messageId], q);
    if (!old || old['data'] === null) return;
    await q('INSERT INTO message_history (message, replaced, data, signature) VALUES ($1, $2, $3, $4)', [
      messageId, now, addPadding(old['data'] as Buffer, old['data_size'] as number), old['signature'],
    ]);
    const seq = await this.bumpSequence(q, roomId);
    await q(
      `UPDATE messages SET data = NULL, data_size = NULL, signature = NULL, seqno_data = $1, seqno = GREATEST($1, seqno_reactions), edited = $2
       WHERE id = $3`,
      [seq, now, messageId],
    );
    if ((await q('DELETE FROM pinned_messages WHERE message = $1', [messageId])).rowCount! > 0) await this.bumpInfoUpdates(q, roomId);
    // Attachments go at once, except a file that is (also) a room image: that never expires.
    await q('UPDATE files SET expiry = 0 WHERE message = $1 AND id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)', [messageId]);
    // Each removed user reaction is its own event (api.md §4.3).
    const userReactions = (
      await q(
        'SELECT ur.reaction, ur."user" FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction WHERE r.message = $1 ORDER BY ur.at, ur.seq',
        [messageId],
      )
    ).rows;
    for (const ur of userReactions) {
      await q('DELETE FROM user_reactions WHERE reaction = $1 AND "user" = $2', [ur['reaction'], ur['user']]);
      await this.reactionEvent(q, roomId, messageId);
    }
    await q('DELETE FROM reactions WHERE message = $1', [messageId]);
  }

  async getMessage(roomId: number, messageId: number): Promise<Message | null> {
    const r = await this.one(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1 AND m.room = $2`, [messageId, roomId]);
    return r ? toMessage(r) : null;
  }

  async recentMessages(roomId: number, viewer: Viewer, limit: number, beforeId?: number): Promise<Message[]> {
    const rows = (
      await this.q(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
          WHERE m.room = $1 AND m.data IS NOT NULL AND NOT m.filtered AND m.id < $2 AND ${visible('$4', '$5')}
          ORDER BY m.id DESC LIMIT $3`,
        [roomId, beforeId ?? Number.MAX_SAFE_INTEGER, limit, viewer.userId, viewer.moderator],
      )
    ).rows;
    return rows.map(toMessage);
  }

  async messagesSince(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]> {
    const all = viewer === 'everyone';
    const rows = (
      await this.q(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
          WHERE m.room = $1 AND m.seqno > $2 AND NOT m.filtered
            AND (m.data IS NOT NULL OR m.seqno_creation <= $2)
            AND ($3::boolean OR m.seqno_data > $2)
            AND ($7::boolean OR ${visible('$5', '$6')})
          ORDER BY m.seqno LIMIT $4`,
        [roomId, seqno, withReactions, limit, all ? null : viewer.userId, !all && viewer.moderator, all],
      )
    ).rows;
    return rows.map(toMessage);
  }

  async reactions(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>> {
    const out = new Map<number, ReactionInfo[]>();
    if (messageIds.length === 0) return out;
    const counts = (
      await this.q(
        `SELECT r.id, r.message, r.reaction, count(*) AS count, coalesce(bool_or(ur."user" = $2::bigint), FALSE) AS you
           FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id
          WHERE r.message = ANY($1::bigint[])
          GROUP BY r.id ORDER BY r.message, r.id`,
        [messageIds, viewerUserId],
      )
    ).rows;
    if (counts.length === 0) return out;
    const byId = groupReactions(counts, out);
    if (reactors > 0) {
      const first = (
        await this.q(
          `SELECT reaction, session_id FROM (
             SELECT ur.reaction, u.session_id, ur.at, ur.seq, rank() OVER (PARTITION BY ur.reaction ORDER BY ur.at) AS rk
               FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur."user"
              WHERE r.message = ANY($1::bigint[])) x
           WHERE rk <= $2 ORDER BY reaction, at, seq`,
          [messageIds, reactors],
        )
      ).rows;
      for (const f of first) byId.get(f['reaction'] as number)?.reactors.push(f['session_id'] as string);
    }
    return out;
  }

  async countPostsSince(roomId: number, userId: number, since: number): Promise<number> {
    const r = await this.one('SELECT count(*) AS n FROM messages WHERE room = $1 AND "user" = $2 AND posted >= $3', [roomId, userId, since]);
    return r!['n'] as number;
  }

  // --- reactions ---------------------------------------------------------------------------

  /** A live, unfiltered, non-whisper message of the room (the only kind that takes reactions and pins). */
  private async isRegularMessage(q: Query, roomId: number, messageId: number): Promise<boolean> {
    return (
      (await this.one(
        'SELECT 1 FROM messages WHERE id = $1 AND room = $2 AND data IS NOT NULL AND NOT filtered AND whisper IS NULL AND NOT whisper_mods',
        [messageId, roomId],
        q,
      )) !== null
    );
  }

  private async messageSeqno(q: Query, messageId: number): Promise<number> {
    return (await this.one('SELECT seqno FROM messages WHERE id = $1', [messageId], q))!['seqno'] as number;
  }

  /** One reaction event: bumps the room sequence and moves the message's seqno_reactions to it. */
  private async reactionEvent(q: Query, roomId: number, messageId: number): Promise<void> {
    const s = await this.bumpSequence(q, roomId);
    await q('UPDATE messages SET seqno_reactions = $1, seqno = GREATEST(seqno_data, $1) WHERE id = $2', [s, messageId]);
  }

  /** Locks the room, then checks the message: the start of every reaction and pin change. */
  private async lockRegular(q: Query, roomId: number, messageId: number): Promise<boolean> {
    await this.lockRoom(q, roomId);
    return this.isRegularMessage(q, roomId, messageId);
  }

  async addReaction(roomId: number, messageId: number, userId: number, reaction: string, now: number): Promise<ReactionChange | null> {
    return this.tx(async (q) => {
      if (!(await this.lockRegular(q, roomId, messageId))) return null;
      await q('INSERT INTO reactions (message, reaction) VALUES ($1, $2) ON CONFLICT DO NOTHING', [messageId, reaction]);
      const kind = (await this.one('SELECT id FROM reactions WHERE message = $1 AND reaction = $2', [messageId, reaction], q))!['id'];
      const changed = (await q('INSERT INTO user_reactions (reaction, "user", at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [kind, userId, now])).rowCount === 1;
      if (changed) await this.reactionEvent(q, roomId, messageId);
      return { changed, seqno: await this.messageSeqno(q, messageId) };
    });
  }

  async removeReaction(roomId: number, messageId: number, userId: number, reaction: string): Promise<ReactionChange | null> {
    return this.tx(async (q) => {
      if (!(await this.lockRegular(q, roomId, messageId))) return null;
      const kind = await this.one('SELECT id FROM reactions WHERE message = $1 AND reaction = $2', [messageId, reaction], q);
      let changed = false;
      if (kind) {
        changed = (await q('DELETE FROM user_reactions WHERE reaction = $1 AND "user" = $2', [kind['id'], userId])).rowCount === 1;
        if (changed) {
          await this.reactionEvent(q, roomId, messageId);
          // The kind goes with its last user, so a later re-add gets a new index (api.md §4.4).
          await q('DELETE FROM reactions WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM user_reactions WHERE reaction = $1)', [kind['id']]);
        }
      }
      return { changed, seqno: await this.messageSeqno(q, messageId) };
    });
  }

  async clearReactions(roomId: number, messageId: number, reaction: string | null): Promise<{ removed: number; seqno: number } | null> {
    return this.tx(async (q) => {
      if (!(await this.lockRegular(q, roomId, messageId))) return null;
      const rows = (
        await q(
          `SELECT ur.reaction, ur."user" FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction
            WHERE r.message = $1 AND ($2::text IS NULL OR r.reaction = $2) ORDER BY ur.at, r.id, ur.seq`,
          [messageId, reaction],
        )
      ).rows;
      for (const ur of rows) {
        await q('DELETE FROM user_reactions WHERE reaction = $1 AND "user" = $2', [ur['reaction'], ur['user']]);
        await this.reactionEvent(q, roomId, messageId);
      }
      await q(
        `DELETE FROM reactions WHERE message = $1 AND ($2::text IS NULL OR reaction = $2)
           AND NOT EXISTS (SELECT 1 FROM user_reactions ur WHERE ur.reaction = reactions.id)`,
        [messageId, reaction],
      );
      return { removed: rows.length, seqno: await this.messageSeqno(q, messageId) };
    });
  }

  async reactors(messageId: number, reaction: string, limit: number): Promise<[string, number][]> {
    const rows = (
      await this.q(
        `SELECT u.session_id, ur.at FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur."user"
          WHERE r.message = $1 AND r.reaction = $2 ORDER BY ur.at, ur.seq LIMIT $3`,
        [messageId, reaction, limit > 0 ? limit : null],
      )
    ).rows;
    return rows.map((r) => [r['session_id'] as string, r['at'] as number]);
  }

  // --- pins --------------------------------------------------------------------------------

  async pinMessage(roomId: number, messageId: number, userId: number, now: number): Promise<{ infoUpdates: number } | null> {
    return this.tx(async (q) => {
      if (!(await this.lockRegular(q, roomId, messageId))) return null;
      await q(
        `INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room, message) DO UPDATE SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at`,
        [roomId, messageId, userId, now],
      );
      // Attachments of a pinned post never expire; files that already expired stay expired.
      await q('UPDATE files SET expiry = NULL WHERE message = $1 AND expiry >= $2', [messageId, now]);
      return { infoUpdates: await this.bumpInfoUpdates(q, roomId) };
    });
  }

  async unpinMessages(roomId: number, messageId: number | null, ttl: number | null): Promise<{ unpinned: number; infoUpdates: number }> {
    return this.tx(async (q) => {
      const room = await this.lockRoom(q, roomId);
      const pins = (await q('DELETE FROM pinned_messages WHERE room = $1 AND ($2::bigint IS NULL OR message = $2) RETURNING message', [roomId, messageId])).rows;
      for (const p of pins) {
        // api.md §4.5: expiry restarts from the upload time (the reference's quirk §12.17); a room
        // image never expires.
        await q(
          `UPDATE files SET expiry = CASE WHEN $1::float8 IS NULL THEN NULL ELSE uploaded + $1::float8 END
            WHERE message = $2 AND id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)`,
          [ttl, p['message']],
        );
      }
      // One info_updates bump per removed pin.
      const r = pins.length === 0 ? null : await this.one('UPDATE rooms SET info_updates = info_updates + $2 WHERE id = $1 RETURNING info_updates', [roomId, pins.length], q);
      return { unpinned: pins.length, infoUpdates: (r ?? room)?.['info_updates'] as number };
    });
  }

  // --- files -------------------------------------------------------------------------------

  async insertFile(f: NewFile): Promise<FileRecord> {
    return this.tx(async (q) => {
      const r = await this.one(
        `INSERT INTO files (room, uploader, size, uploaded, expiry, filename, path) VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id`,
        [f.roomId, f.uploaderId, f.size, f.now, f.expiry, f.filename],
        q,
      );
      const id = r!['id'] as number;
      return toFile((await this.one('UPDATE files SET path = $1 WHERE id = $2 RETURNING *', [f.pathFor(id), id], q))!);
    });
  }

  async getFile(id: number): Promise<FileRecord | null> {
    const r = await this.one('SELECT * FROM files WHERE id = $1', [id]);
    return r ? toFile(r) : null;
  }

  async deleteFileRow(id: number): Promise<void> {
    await this.q('DELETE FROM files WHERE id = $1', [id]);
  }

  async attachFiles(messageId: number, fileIds: number[], uploadedSince: number, now: number, expiry: number | null): Promise<number[]> {
    if (fileIds.length === 0) return [];
    return this.tx(async (q) => {
      // The room lock first, as every message writer takes it: a deletion or a pin committing
      // between the checks below and the update would otherwise be missed.
      if ((await this.lockMessageRoom(q, messageId)) === null) return [];
      const m = await this.one('SELECT room, "user", data IS NOT NULL AS live FROM messages WHERE id = $1', [messageId], q);
      if (!m || !b(m['live'])) return [];
      const pinned = (await this.one('SELECT 1 FROM pinned_messages WHERE message = $1', [messageId], q)) !== null;
      const rows = (
        await q(
          `UPDATE files SET message = $1, expiry = $2
            WHERE id = ANY($3::bigint[]) AND room = $4 AND uploader = $5 AND message IS NULL
              AND uploaded >= $6 AND expiry IS NOT NULL AND expiry >= $7
          RETURNING id`,
          [messageId, pinned ? null : expiry, fileIds, m['room'], m['user'], uploadedSince, now],
        )
      ).rows;
      return rows.map((r) => r['id'] as number).sort((x, y) => x - y);
    });
  }

  async updateRoom(roomId: number, u: RoomUpdate, now: number, replacedImageExpiry: number | null): Promise<{ infoUpdates: number } | 'no-such-image'> {
    return this.tx(async (q) => {
      const room = (await this.lockRoom(q, roomId))!;
      if (u.image !== undefined) {
        const f = await this.one('SELECT id FROM files WHERE id = $1 AND room = $2 AND (expiry IS NULL OR expiry >= $3)', [u.image, roomId, now], q);
        if (!f) return 'no-such-image';
      }
      if (u.name !== undefined && u.name !== room['name']) {
        await q('UPDATE rooms SET name = $1 WHERE id = $2', [u.name, roomId]);
        await this.bumpInfoUpdates(q, roomId);
      }
      if (u.description !== undefined && u.description !== room['description']) {
        await q('UPDATE rooms SET description = $1 WHERE id = $2', [u.description, roomId]);
        await this.bumpInfoUpdates(q, roomId);
      }
      if (u.image !== undefined) {
        await q('UPDATE files SET expiry = NULL WHERE id = $1', [u.image]);
        const old = (room['image'] as number | null) ?? null;
        if (old !== u.image) {
          await q('UPDATE rooms SET image = $1 WHERE id = $2', [u.image, roomId]);
          await this.bumpInfoUpdates(q, roomId);
          if (old !== null) await this.expireReplacedImage(q, old, replacedImageExpiry);
        }
      }
      await this.setDefaults(q, roomId, u);
      return { infoUpdates: (await this.one('SELECT info_updates FROM rooms WHERE id = $1', [roomId], q))!['info_updates'] as number };
    });
  }

  /** Room default permissions given in `d` (the others are left alone). */
  private async setDefaults(q: Query, roomId: number, d: Partial<RoomDefaults>): Promise<void> {
    for (const k of PERMISSION_COLUMNS) {
      const v = d[k];
      if (v !== undefined) await q(`UPDATE rooms SET ${k} = $1 WHERE id = $2`, [v, roomId]);
    }
  }

  /**
   * A replaced room image expires at once, unless it is also attached to a live post (api.md
   * §12.12): then it gets the normal attachment expiry, or none while that post is pinned. An
   * image still used by another room keeps not expiring.
   */
  private async expireReplacedImage(q: Query, fileId: number, normalExpiry: number | null): Promise<void> {
    if (await this.one('SELECT 1 FROM rooms WHERE image = $1', [fileId], q)) return;
    const f = await this.one(
      `SELECT m.data IS NOT NULL AS live, EXISTS (SELECT 1 FROM pinned_messages p WHERE p.message = m.id) AS pinned
         FROM files f JOIN messages m ON m.id = f.message WHERE f.id = $1`,
      [fileId],
      q,
    );
    const expiry = !f || !b(f['live']) ? 0 : b(f['pinned']) ? null : normalExpiry;
    await q('UPDATE files SET expiry = $1 WHERE id = $2', [expiry, fileId]);
  }

  async takeExpiredFiles(now: number): Promise<string[]> {
    return (await this.q('DELETE FROM files WHERE expiry < $1 RETURNING path', [now])).rows.map((r) => r['path'] as string);
  }

  async allFilePaths(): Promise<Set<string>> {
    return new Set((await this.q('SELECT path FROM files')).rows.map((r) => r['path'] as string));
  }

  // --- direct messages ---------------------------------------------------------------------

  private static readonly DM_SELECT = `SELECT i.id, i.posted_at, i.expiry, s.session_id AS sender, r.session_id AS recipient, i.body
    FROM inbox i JOIN users s ON s.id = i.sender JOIN users r ON r.id = i.recipient`;

  async insertDirectMessage(m: NewDirectMessage): Promise<DirectMessage> {
    return this.tx(async (q) => {
      const r = await this.one('INSERT INTO inbox (recipient, sender, body, posted_at, expiry) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
        m.recipientId, m.senderId, m.body, m.now, m.expiry,
      ], q);
      return toDirectMessage((await this.one(`${PgStore.DM_SELECT} WHERE i.id = $1`, [r!['id']], q))!);
    });
  }

  async directMessages(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]> {
    const col = box === 'inbox' ? 'recipient' : 'sender';
    const rows = (
      await this.q(`${PgStore.DM_SELECT} WHERE i.${col} = $1 AND i.id > $2 AND i.expiry >= $3 ORDER BY i.id LIMIT $4`, [userId, afterId, now, limit])
    ).rows;
    return rows.map(toDirectMessage);
  }

  async deleteInbox(userId: number): Promise<number> {
    return (await this.q('DELETE FROM inbox WHERE recipient = $1', [userId])).rowCount ?? 0;
  }

  // --- permissions (moderation, issue 5) ----------------------------------------------------

  async listOverrides(roomId: number): Promise<{ sessionId: string; override: PermissionOverride }[]> {
    const rows = (
      await this.q(
        'SELECT u.session_id, o.* FROM user_permission_overrides o JOIN users u ON u.id = o."user" WHERE o.room = $1 ORDER BY u.session_id COLLATE "C"',
        [roomId],
      )
    ).rows;
    return rows.map((r) => ({ sessionId: r['session_id'] as string, override: toOverride(r) }));
  }

  /** Sets explicit per-user permissions (null = back to the room default) and drops a row left empty. */
  private async upsertOverride(q: Query, roomId: number, userId: number, change: Record<string, boolean | null>): Promise<void> {
    const cols = Object.keys(change);
    if (cols.length === 0) return;
    await q(
      `INSERT INTO user_permission_overrides (room, "user", ${cols.join(', ')}) VALUES ($1, $2, ${cols.map((_, i) => `$${i + 3}::boolean`).join(', ')})
       ON CONFLICT (room, "user") DO UPDATE SET ${cols.map((k) => `${k} = excluded.${k}`).join(', ')}`,
      [roomId, userId, ...cols.map((k) => change[k])],
    );
    await this.deleteEmptyOverride(q, roomId, userId);
  }

  async setPermissionOverrides(roomId: number, userId: number, change: PermissionChange): Promise<PermissionOverride | null> {
    return this.tx(async (q) => {
      const set: Record<string, boolean | null> = {};
      for (const k of PERMISSION_COLUMNS) if (change[k] !== undefined) set[k] = change[k] ?? null;
      await this.upsertOverride(q, roomId, userId, set);
      const r = await this.one('SELECT * FROM user_permission_overrides WHERE room = $1 AND "user" = $2', [roomId, userId], q);
      return r ? toOverride(r) : null;
    });
  }

  async setRoomDefaults(roomId: number, d: Partial<RoomDefaults>): Promise<Room> {
    return this.tx(async (q) => {
      await this.setDefaults(q, roomId, d);
      return toRoom((await this.one('SELECT * FROM rooms WHERE id = $1', [roomId], q))!);
    });
  }

  async futurePermissions(roomId: number, userId?: number): Promise<FutureChange[]> {
    const rows = (
      await this.q(
        `SELECT u.session_id, f.at, f.read, f.write, f.upload, f.banned FROM (
           SELECT "user", at, read, write, upload, NULL::boolean AS banned FROM user_permission_futures WHERE room = $1
           UNION ALL
           SELECT "user", at, NULL, NULL, NULL, banned FROM user_ban_futures WHERE room = $1
         ) f JOIN users u ON u.id = f."user"
         WHERE $2::bigint IS NULL OR f."user" = $2
         ORDER BY f.at, u.session_id COLLATE "C"`,
        [roomId, userId ?? null],
      )
    ).rows;
    return rows.map(toFutureChange);
  }

  async addFuturePermission(roomId: number, userId: number, at: number, p: FuturePerms): Promise<void> {
    await this.q('INSERT INTO user_permission_futures (room, "user", at, read, write, upload) VALUES ($1, $2, $3, $4, $5, $6)', [
      roomId, userId, at, p.read, p.write, p.upload,
    ]);
  }

  async clearFuturePermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Promise<void> {
    if (columns.length === 0) return;
    await this.tx(async (q) => {
      await q(`UPDATE user_permission_futures SET ${columns.map((c) => `${c} = NULL`).join(', ')} WHERE room = $1 AND "user" = $2`, [roomId, userId]);
      // Unlike the reference (api.md §12.7), rows left with nothing to do are really deleted.
      await q('DELETE FROM user_permission_futures WHERE room = $1 AND "user" = $2 AND read IS NULL AND write IS NULL AND upload IS NULL', [roomId, userId]);
    });
  }

  async applyDueSchedules(now: number): Promise<AppliedSchedule[]> {
    return this.tx(async (q) => {
      // Deleting claims the rows: an instance running the job at the same time gets none of them.
      const perms = (await q('DELETE FROM user_permission_futures WHERE at <= $1 RETURNING id, room, "user", at, read, write, upload', [now])).rows;
      const bans = (await q('DELETE FROM user_ban_futures WHERE at <= $1 RETURNING id, room, "user", at, banned', [now])).rows;
      // Oldest first; at the same time a permission change before a ban change (as the SQLite store).
      const due = [...perms.map((r) => ({ kind: 'p', r })), ...bans.map((r) => ({ kind: 'b', r }))].sort(
        (x, y) => (x.r['at'] as number) - (y.r['at'] as number) || (x.kind === y.kind ? (x.r['id'] as number) - (y.r['id'] as number) : x.kind === 'p' ? -1 : 1),
      );
      const applied: AppliedSchedule[] = [];
      for (const { kind, r: d } of due) {
        const userId = d['user'] as number;
        const roomId = (d['room'] as number | null) ?? null;
        const sessionId = (await this.one('SELECT session_id FROM users WHERE id = $1', [userId], q))!['session_id'] as string;
        const room = roomId === null ? null : await this.lockRoom(q, roomId);
        if (kind === 'p') {
          const p: FuturePerms = { read: nb(d['read']), write: nb(d['write']), upload: nb(d['upload']) };
          // A value equal to the room default is stored as "no override" (api.md §4.7).
          const change: Record<string, boolean | null> = {};
          for (const k of ['read', 'write', 'upload'] as const) {
            const v = p[k];
            if (v !== null) change[k] = v === b(room![k]) ? null : v;
          }
          await this.upsertOverride(q, roomId!, userId, change);
          applied.push({ kind: 'permissions', roomToken: room!['token'] as string, sessionId, perms: p });
        } else {
          const banned = b(d['banned']);
          if (roomId === null) {
            const u = (await this.one('SELECT moderator, admin FROM users WHERE id = $1', [userId], q))!;
            // A moderator cannot be banned (schema CHECK): such a scheduled ban lapses.
            if (banned && (b(u['moderator']) || b(u['admin']))) continue;
            await q('UPDATE users SET banned = $1 WHERE id = $2', [banned, userId]);
          } else if (banned) {
            await this.banInRoom(q, roomId, userId);
          } else {
            await q('UPDATE user_permission_overrides SET banned = FALSE WHERE room = $1 AND "user" = $2', [roomId, userId]);
            await this.deleteEmptyOverride(q, roomId, userId);
          }
          applied.push({ kind: 'ban', roomToken: room === null ? null : (room['token'] as string), sessionId, banned });
        }
      }
      return applied;
    });
  }

  // --- bans ----------------------------------------------------------------------------------

  /** Room ban: banned, demoted (bumping info_updates if it was a moderator), activity dropped. */
  private async banInRoom(q: Query, roomId: number, userId: number): Promise<void> {
    const before = await this.one('SELECT moderator, admin FROM user_permission_overrides WHERE room = $1 AND "user" = $2', [roomId, userId], q);
    await q(
      `INSERT INTO user_permission_overrides (room, "user", banned, moderator, admin) VALUES ($1, $2, TRUE, FALSE, FALSE)
       ON CONFLICT (room, "user") DO UPDATE SET banned = TRUE, moderator = FALSE, admin = FALSE, visible_mod = TRUE`,
      [roomId, userId],
    );
    if (before && (b(before['moderator']) || b(before['admin']))) await this.bumpInfoUpdates(q, roomId);
    await q('DELETE FROM room_users WHERE room = $1 AND "user" = $2', [roomId, userId]);
  }

  async banInRooms(userId: number, roomIds: number[], unbanAt: number | null): Promise<void> {
    await this.tx(async (q) => {
      for (const roomId of [...roomIds].sort((x, y) => x - y)) {
        await this.lockRoom(q, roomId);
        await this.banInRoom(q, roomId, userId);
        await q('DELETE FROM user_ban_futures WHERE room = $1 AND "user" = $2', [roomId, userId]);
        if (unbanAt !== null) await q('INSERT INTO user_ban_futures (room, "user", at, banned) VALUES ($1, $2, $3, FALSE)', [roomId, userId, unbanAt]);
      }
    });
  }

  async unbanInRooms(userId: number, roomIds: number[]): Promise<void> {
    await this.tx(async (q) => {
      for (const roomId of roomIds) {
        await q('UPDATE user_permission_overrides SET banned = FALSE WHERE room = $1 AND "user" = $2', [roomId, userId]);
        await this.deleteEmptyOverride(q, roomId, userId);
        // A leftover scheduled unban would be harmless; a scheduled ban would not (api.md §4.8).
        await q('DELETE FROM user_ban_futures WHERE room = $1 AND "user" = $2', [roomId, userId]);
      }
    });
  }

  async banGlobally(userId: number, unbanAt: number | null): Promise<void> {
    await this.tx(async (q) => {
      const u = await this.one('SELECT moderator, admin FROM users WHERE id = $1 FOR UPDATE', [userId], q);
      if (!u) throw new StoreConflict(`no user ${userId}`);
      if (b(u['moderator']) || b(u['admin'])) throw new StoreConflict('a global moderator or admin cannot be banned');
      await q('UPDATE users SET banned = TRUE WHERE id = $1', [userId]);
      await q('DELETE FROM user_ban_futures WHERE room IS NULL AND "user" = $1', [userId]);
      if (unbanAt !== null) await q('INSERT INTO user_ban_futures (room, "user", at, banned) VALUES (NULL, $1, $2, FALSE)', [userId, unbanAt]);
    });
  }

  async unbanGlobally(userId: number): Promise<void> {
    await this.tx(async (q) => {
      await q('UPDATE users SET banned = FALSE WHERE id = $1', [userId]);
      await q('DELETE FROM user_ban_futures WHERE room IS NULL AND "user" = $1', [userId]);
    });
  }

  async listBans(roomId?: number): Promise<BanEntry[]> {
    const rows = (
      await this.q(
        `SELECT * FROM (
           SELECT u.session_id, r.token,
                  (SELECT min(f.at) FROM user_ban_futures f WHERE f.room = o.room AND f."user" = o."user" AND NOT f.banned) AS unban_at
             FROM user_permission_overrides o JOIN users u ON u.id = o."user" JOIN rooms r ON r.id = o.room
            WHERE o.banned AND ($1::bigint IS NULL OR o.room = $1)
           UNION ALL
           SELECT u.session_id, NULL, (SELECT min(f.at) FROM user_ban_futures f WHERE f.room IS NULL AND f."user" = u.id AND NOT f.banned)
             FROM users u WHERE u.banned) x
         ORDER BY lower(token) COLLATE "C" NULLS FIRST, session_id COLLATE "C"`,
        [roomId ?? null],
      )
    ).rows;
    return rows.map((r) => ({
      sessionId: r['session_id'] as string,
      roomToken: (r['token'] as string | null) ?? null,
      unbanAt: (r['unban_at'] as number | null) ?? null,
    }));
  }

  async deleteUserMessages(roomId: number, userId: number, now: number): Promise<number> {
    return this.tx(async (q) => {
      await this.lockRoom(q, roomId);
      const ids = (await q('SELECT id FROM messages WHERE room = $1 AND "user" = $2 AND data IS NOT NULL ORDER BY id', [roomId, userId])).rows;
      for (const r of ids) await this.tombstone(q, roomId, r['id'] as number, now);
      // api.md §4.9: every upload of theirs in the room goes, except the current room image.
      await q(
        `UPDATE files SET expiry = 0 WHERE room = $1 AND uploader = $2
           AND id IS DISTINCT FROM (SELECT image FROM rooms WHERE id = $1)`,
        [roomId, userId],
      );
      return ids.length;
    });
  }

  // --- anti-raid -----------------------------------------------------------------------------

  async roomLimits(roomId: number): Promise<RoomLimits> {
    const r = await this.one('SELECT rate_limit_posts, rate_limit_interval, raid_since FROM rooms WHERE id = $1', [roomId]);
    return {
      rateLimitPosts: (r?.['rate_limit_posts'] as number | null) ?? null,
      rateLimitInterval: (r?.['rate_limit_interval'] as number | null) ?? null,
      raidSince: (r?.['raid_since'] as number | null) ?? null,
    };
  }

  async setRoomLimits(roomId: number, l: Partial<RoomLimits>): Promise<RoomLimits> {
    await this.tx(async (q) => {
      if (l.rateLimitPosts !== undefined) await q('UPDATE rooms SET rate_limit_posts = $1 WHERE id = $2', [l.rateLimitPosts, roomId]);
      if (l.rateLimitInterval !== undefined) await q('UPDATE rooms SET rate_limit_interval = $1 WHERE id = $2', [l.rateLimitInterval, roomId]);
      if (l.raidSince !== undefined) await q('UPDATE rooms SET raid_since = $1 WHERE id = $2', [l.raidSince, roomId]);
    });
    return this.roomLimits(roomId);
  }

  async addUserReads(reads: { userId: number; count: number }[]): Promise<void> {
    if (reads.length === 0) return;
    const sorted = [...reads].sort((x, y) => x.userId - y.userId);
    // In a retried transaction: instances flushing overlapping rows can deadlock.
    await this.tx((q) =>
      q(
        `INSERT INTO user_reads ("user", reads) SELECT * FROM unnest($1::bigint[], $2::bigint[])
         ON CONFLICT ("user") DO UPDATE SET reads = user_reads.reads + excluded.reads`,
        [sorted.map((r) => r.userId), sorted.map((r) => r.count)],
      ),
    );
  }

  async userReads(userId: number): Promise<number> {
    const r = await this.one('SELECT reads FROM user_reads WHERE "user" = $1', [userId]);
    return (r?.['reads'] as number | undefined) ?? 0;
  }

  async countDmsSince(userId: number, since: number): Promise<number> {
    return (await this.one('SELECT count(*) AS n FROM inbox WHERE sender = $1 AND posted_at >= $2', [userId, since]))!['n'] as number;
  }

  // --- audit ---------------------------------------------------------------------------------

  async addAuditEntry(e: NewAuditEntry): Promise<void> {
    await this.q('INSERT INTO audit_log (at, actor, action, target, room, details) VALUES ($1, $2, $3, $4, $5, $6)', [
      e.at, e.actor, e.action, e.target, e.roomToken, JSON.stringify(e.details),
    ]);
  }

  async auditLog(q: { roomToken?: string; limit: number }): Promise<AuditEntry[]> {
    const rows = (
      await this.q('SELECT * FROM audit_log WHERE $1::text IS NULL OR lower(room) = lower($1) ORDER BY id DESC LIMIT $2', [q.roomToken ?? null, q.limit])
    ).rows;
    return rows.map(toAuditEntry);
  }

  // --- activity and jobs -------------------------------------------------------------------

  async touchRoomActivity(touches: ActivityTouch[]): Promise<void> {
    if (touches.length === 0) return;
    const sorted = [...touches].sort((x, y) => x.roomId - y.roomId || x.userId - y.userId);
    // In a retried transaction: instances flushing overlapping rows can deadlock.
    await this.tx((q) =>
      q(
        `INSERT INTO room_users (room, "user", last_active) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[])
         ON CONFLICT (room, "user") DO UPDATE SET last_active = GREATEST(room_users.last_active, excluded.last_active)`,
        [sorted.map((t) => t.roomId), sorted.map((t) => t.userId), sorted.map((t) => t.at)],
      ),
    );
  }

  async cleanup(now: number, o: CleanupOptions): Promise<Record<string, number>> {
    return this.tx(async (q) => {
      const counts: Record<string, number> = {};
      counts['history'] = (await q('DELETE FROM message_history WHERE replaced < $1', [now - o.historyPruneThreshold])).rowCount ?? 0;
      counts['dms'] = (await q('DELETE FROM inbox WHERE expiry < $1', [now])).rowCount ?? 0;
      counts['activity'] = (await q('DELETE FROM room_users WHERE last_active < $1', [now - o.activePruneThreshold])).rowCount ?? 0;
      // Only rooms whose count changes are written, so that an idle server's job locks nothing.
      await q(
        `UPDATE rooms SET active_users = c.n FROM (
           SELECT r.id, (SELECT count(*) FROM room_users ru WHERE ru.room = r.id AND ru.last_active >= $1) AS n FROM rooms r) c
         WHERE rooms.id = c.id AND rooms.active_users <> c.n`,
        [now - o.activeThreshold],
      );
      counts['nonces'] =
        ((await q('DELETE FROM request_nonces WHERE ts < $1', [Math.floor(now - o.nonceRetention)])).rowCount ?? 0) +
        ((await q('DELETE FROM user_request_nonces WHERE expiry < $1', [now])).rowCount ?? 0);
      return counts;
    });
  }

  async getSetting(key: string): Promise<Buffer | null> {
    const r = await this.one('SELECT value FROM settings WHERE key = $1', [key]);
    return r ? (r['value'] as Buffer) : null;
  }

  async initSetting(key: string, value: Buffer): Promise<Buffer> {
    await this.q('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, value]);
    return (await this.getSetting(key))!;
  }

  async setSetting(key: string, value: Buffer): Promise<void> {
    await this.q('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async claimJobTick(name: string, tick: number): Promise<boolean> {
    const r = await this.q(
      `INSERT INTO job_runs (name, tick) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET tick = excluded.tick WHERE job_runs.tick < excluded.tick RETURNING tick`,
      [name, tick],
    );
    return r.rowCount === 1;
  }

  async databaseBytes(): Promise<number> {
    // The tables of our schema (with indexes and TOAST), not the whole database: several servers may share one.
    const r = await this.one(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS n FROM pg_class c
        WHERE c.relkind IN ('r', 'm') AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
    );
    return Number(r?.['n'] ?? 0);
  }

  // --- legacy --- (the v1 API, issue 6)
  async legacyMessagesAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Promise<Message[]> {
    const rows = (
      await this.q(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
          WHERE m.room = $1 AND m.data IS NOT NULL AND NOT m.filtered AND m.id > $2 AND ${visible('$4', '$5')}
          ORDER BY m.id LIMIT $3`,
        [roomId, afterId, limit, viewer.userId, viewer.moderator],
      )
    ).rows;
    return rows.map(toMessage);
  }

  async legacyDeletions(roomId: number, after: number | null, limit: number): Promise<{ id: number; deletedMessageId: number }[]> {
    const rows = (
      after === null
        ? await this.q('SELECT seqno_data AS s, id FROM messages WHERE room = $1 AND data IS NULL ORDER BY seqno_data DESC LIMIT $2', [roomId, limit])
        : await this.q('SELECT seqno_data AS s, id FROM messages WHERE room = $1 AND data IS NULL AND seqno_data > $2 ORDER BY seqno_data LIMIT $3', [roomId, after, limit])
    ).rows;
    return rows.map((r) => ({ id: r['s'] as number, deletedMessageId: r['id'] as number }));
  }

  async legacyActiveUsers(roomId: number, since: number): Promise<number> {
    return (await this.one('SELECT count(*) AS n FROM room_users WHERE room = $1 AND last_active >= $2', [roomId, since]))!['n'] as number;
  }

  async legacyMessageIdMap(roomId: number): Promise<LegacyMessageIdMap | null> {
    const r = await this.one('SELECT old_message_id_max, message_id_offset FROM room_import_hacks WHERE room = $1', [roomId]);
    return r ? { oldMessageIdMax: r['old_message_id_max'] as number, messageIdOffset: r['message_id_offset'] as number } : null;
  }

  async importedFileId(roomId: number, oldFileId: bigint): Promise<number | null> {
    // Sent as text: the id may exceed 2^53, and PostgreSQL casts it to the BIGINT column exactly.
    const r = await this.one('SELECT file FROM file_id_hacks WHERE room = $1 AND old_file_id = $2', [roomId, oldFileId.toString()]);
    return r ? (r['file'] as number) : null;
  }

  // --- legacy auth tokens ----------------------------------------------------------------

  async legacyPendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Promise<Buffer> {
    // One statement: two challenges at once (on any instance) agree on the token.
    const r = await this.one(
      `INSERT INTO legacy_pending_tokens (room, session_id, token, created) VALUES ($1, $2, $3, $4)
       ON CONFLICT (room, session_id) DO UPDATE SET
         token = CASE WHEN legacy_pending_tokens.created > $5 THEN legacy_pending_tokens.token ELSE excluded.token END,
         created = excluded.created
       RETURNING token`,
      [roomId, sessionId, fresh, now, validSince],
    );
    return r!['token'] as Buffer;
  }

  async legacyClaimToken(roomId: number, sessionId: string, token: Buffer, now: number, validSince: number): Promise<boolean> {
    return this.tx(async (q) => {
      const pending = await q('DELETE FROM legacy_pending_tokens WHERE room = $1 AND session_id = $2 AND token = $3 AND created > $4', [roomId, sessionId, token, validSince]);
      if ((pending.rowCount ?? 0) === 0) return false;
      await q('INSERT INTO legacy_tokens (token, room, session_id, claimed) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [token.toString('hex'), roomId, sessionId, now]);
      return true;
    });
  }

  async legacyTokenOwner(roomId: number, tokenHex: string, validSince: number): Promise<string | null> {
    const r = await this.one('SELECT session_id FROM legacy_tokens WHERE token = $1 AND room = $2 AND claimed > $3', [tokenHex, roomId, validSince]);
    return r ? (r['session_id'] as string) : null;
  }

  async legacyRevokeTokens(roomId: number, sessionId: string): Promise<number> {
    return (await this.q('DELETE FROM legacy_tokens WHERE room = $1 AND session_id = $2', [roomId, sessionId])).rowCount ?? 0;
  }

  async pruneLegacyTokens(claimedBefore: number, pendingBefore: number): Promise<{ tokens: number; pending: number }> {
    return this.tx(async (q) => ({
      tokens: (await q('DELETE FROM legacy_tokens WHERE claimed <= $1', [claimedBefore])).rowCount ?? 0,
      pending: (await q('DELETE FROM legacy_pending_tokens WHERE created <= $1', [pendingBefore])).rowCount ?? 0,
    }));
  }
}
