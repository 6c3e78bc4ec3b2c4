// PostgreSQL implementation of the Store (node-postgres): the shared rules (store/shared/) over the
// PostgreSQL tables (postgres/tables/). Several processes and hosts write at once, so:
// - every rule runs in one transaction on one pooled connection, retried on a deadlock or
//   serialization failure (pg-runner.ts);
// - the rules take a room's row lock (rooms.lock: SELECT ... FOR UPDATE) before touching its
//   messages, and counters are bumped with UPDATE ... RETURNING under that lock;
// - batched bookkeeping is written in key order (the rules sort it), so two instances flushing at
//   once cannot deadlock each other;
// - work a background job claims (scheduled changes, expired files) is taken with DELETE ...
//   RETURNING, so no two instances apply the same row.
// What stays here is the pool and the poll's batched statements.
import type pg from 'pg';
import { b, toOverrideMap, toRoom, toUser, type Row } from '../rows';
import { SharedStore } from '../shared/base-store';
import { runAsync, type Rule } from '../shared/op';
import { RoomRows } from '../shared/room-rows';
import type { Tables } from '../shared/tables';
import { TurnBatch } from '../turn-batch';
import type { NonceCheck, NonceLookup, Room, RoomsView, User } from '../types';
import { createPool, ensureSchema, parsePgUrl, withoutPassword } from './connect';
import { migratePg } from './migrations';
import { PgRunner } from './pg-runner';
import { pgTables } from './tables';

/**
 * The poll path's batched statements run one at a time (TurnBatch): at a steady arrival rate
 * several single-poll statements at once cost PostgreSQL 2-6 times the CPU per poll of fewer,
 * larger ones (README, "Benchmarks").
 */
const ONE_IN_FLIGHT = { maxInFlight: 1 };

/**
 * The poll's two batched statements (one in flight each) run on connections of their own, which
 * plan each statement once (plan_cache_mode=force_generic_plan). Left to choose, PostgreSQL kept
 * planning the authentication statement afresh on every call (a custom plan: its generic cost,
 * costed for 10 requests, looked worse than one for the 1-6 of a turn), which cost more than
 * running it: 315 us of planning against 145 us of execution a call. Its joins are written as
 * LATERAL ... LIMIT 1 index probes so that the one plan does not depend on how many requests a
 * batch holds or on the tables' sizes when it was made. Their only write, the nonces, commits
 * without waiting for the WAL flush, as PgNonces.record does (see there why that is safe).
 */
const POLL_CONNECTIONS = 2;
export const POLL_SESSION = { plan_cache_mode: 'force_generic_plan', synchronous_commit: 'off' };

/** The authentication batch (PgStore.lookupAndRecordNonce): $1 session ids, $2 nonces, $3 timestamps, at least one. */
export const AUTH_BATCH_SQL = `
  WITH input AS (SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[]) WITH ORDINALITY AS t(sid, nonce_in, ts_in, ord)),
       found AS (SELECT i.ord, i.nonce_in, i.ts_in, u.*, (rn.hit IS NOT NULL OR un.hit IS NOT NULL) AS seen_before
                   FROM input i LEFT JOIN LATERAL (SELECT * FROM users WHERE session_id = i.sid LIMIT 1) u ON true
                   LEFT JOIN LATERAL (SELECT true AS hit FROM request_nonces r WHERE r.ts = i.ts_in AND r.nonce = i.nonce_in LIMIT 1) rn ON true
                   LEFT JOIN LATERAL (SELECT true AS hit FROM user_request_nonces n WHERE n.nonce = i.nonce_in LIMIT 1) un ON true),
       ins AS (INSERT INTO request_nonces (ts, nonce, "user") SELECT f.ts_in, f.nonce_in, f.id FROM found f
                WHERE f.id IS NOT NULL AND NOT f.banned AND NOT f.seen_before
                ORDER BY f.ts_in, f.nonce_in
               ON CONFLICT DO NOTHING RETURNING ts, nonce)
  SELECT f.*, EXISTS (SELECT 1 FROM ins WHERE ins.ts = f.ts_in AND ins.nonce = f.nonce_in) AS recorded,
         CASE WHEN f.ord = 1 THEN (SELECT version FROM rooms_version) END AS rooms_version,
         CASE WHEN f.ord = 1 THEN (SELECT json_agg(json_build_array(id, message_sequence, info_updates, active_users)) FROM rooms) END AS room_counters,
         (SELECT json_agg(o) FROM user_permission_overrides o WHERE o."user" = f.id) AS user_overrides
    FROM found f
   ORDER BY f.ord`;

/** [room id, message_sequence, info_updates, active_users] */
type RoomCounters = [number, number, number, number];

export interface PgStoreOptions {
  url: string;
  /** Connections in the pool (per process). */
  poolSize: number;
  /** Open only a database that has our schema already (admin commands): create nothing. */
  mustExist?: boolean;
}

export class PgStore extends SharedStore {
  readonly kind = 'postgres' as const;
  readonly freshlyCreated: boolean;
  private readonly runner: PgRunner;
  /** The poll's batched statements (POLL_CONNECTIONS). */
  private readonly pollRunner: PgRunner;
  protected readonly t: Tables;
  private readonly rooms = new RoomRows();

  private constructor(
    readonly pool: pg.Pool,
    private readonly pollPool: pg.Pool,
    freshlyCreated: boolean,
  ) {
    super();
    this.freshlyCreated = freshlyCreated;
    this.runner = new PgRunner(pool);
    this.pollRunner = new PgRunner(pollPool);
    this.t = pgTables(this.runner.q);
  }

  /** Connects, creates the schema if needed and migrates it. */
  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const target = parsePgUrl(opts.url);
    if (!opts.mustExist) await ensureSchema(target);
    // The poll's connections are part of poolSize (at least one other is always kept).
    const pool = createPool(target, Math.max(1, opts.poolSize - POLL_CONNECTIONS));
    const pollPool = createPool(target, POLL_CONNECTIONS, POLL_SESSION);
    try {
      const client = await pool.connect();
      let from: number;
      try {
        from = (await migratePg(client, withoutPassword(opts.url), opts.mustExist)).from;
      } finally {
        client.release();
      }
      return new PgStore(pool, pollPool, from === 0);
    } catch (e) {
      await Promise.all([pool.end(), pollPool.end()]);
      throw e;
    }
  }

  protected tx<T>(rule: Rule<Tables, T>): Promise<T> {
    return this.runner.tx((q) => rule(pgTables(q)));
  }

  protected read<T>(rule: Rule<Tables, T>): Promise<T> {
    return runAsync(rule(this.t));
  }

  async close(): Promise<void> {
    // Requests already waiting for this turn's statements get their answers first.
    await Promise.all([this.authBatch.drain(), this.roomsBatch.drain()]);
    await Promise.all([this.pool.end(), this.pollPool.end()]);
  }

  /** PostgreSQL does its own upkeep (checkpoints, autovacuum). */
  startUpkeep(): void {}

  async databaseBytes(): Promise<number> {
    // The tables of our schema (with indexes and TOAST), not the whole database: several servers may share one.
    const r = await this.runner.q(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS n FROM pg_class c
        WHERE c.relkind IN ('r', 'm') AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
    );
    return Number(r.rows[0]?.['n'] ?? 0);
  }

  // --- the poll's fast paths -------------------------------------------------------------------

  async authLookup(sessionId: string, nonce: Buffer, ts: number): Promise<{ user: User | null; nonceSeen: boolean }> {
    const r = (
      await this.runner.q(
        `SELECT EXISTS (SELECT 1 FROM request_nonces WHERE ts = $3 AND nonce = $1)
                OR EXISTS (SELECT 1 FROM user_request_nonces WHERE nonce = $1) AS nonce_seen, u.*
           FROM (SELECT 1) x LEFT JOIN users u ON u.session_id = $2`,
        [nonce, sessionId.toLowerCase(), ts],
      )
    ).rows[0]!;
    return { user: r['id'] === null ? null : toUser(r), nonceSeen: b(r['nonce_seen']) };
  }

  /**
   * The poll's hot path: the lookups and nonce inserts of all requests authenticated in one
   * turn of the event loop go to the database as one statement (see TurnBatch), committed
   * asynchronously (POLL_SESSION). One such statement at a time: requests authenticated while it
   * runs go into the next, so that a slower database gets larger statements rather than more of
   * them. A pair (timestamp, nonce) repeated within a batch is looked up after the others, so
   * that it sees their inserts. Keys are inserted in key order, so that two instances inserting
   * overlapping batches (replays) cannot deadlock. The user and nonce lookups are LATERAL ...
   * LIMIT 1 so that they stay index probes in the one generic plan (POLL_CONNECTIONS): as a plain
   * join the generic plan hashed all users, and as EXISTS the planner hashed the whole of
   * request_nonces while its statistics still said the table was small (a fresh or imported
   * database, autoanalyze behind under load), which cost a poll up to 228 us of database CPU.
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
      await this.pollRunner.q(
        AUTH_BATCH_SQL,
        [items.map((i) => i.sessionId), items.map((i) => i.nonce), items.map((i) => i.ts)],
      )
    ).rows;
    // The rooms and each user's overrides come along (NonceLookup.view), so that a poll asks
    // PostgreSQL one statement per turn instead of two (the other being roomsBatch's). The rooms
    // are the same for every request of the statement: they come once, on the first row.
    const first = rows[0]!;
    const rooms = rows.some((r) => b(r['recorded'])) ? await this.roomsWithCounters(first['rooms_version'] as number | null, first['room_counters'] as RoomCounters[] | null) : [];
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

  async listRooms(): Promise<Room[]> {
    // SQLite's order: rooms.token is COLLATE NOCASE there, ASCII case folded, then byte order
    // (whatever this database's locale is). Tokens are ASCII.
    return (await this.runner.q('SELECT * FROM rooms ORDER BY lower(token) COLLATE "C"')).rows.map(toRoom);
  }

  /**
   * One round trip while the rooms are unchanged: the rooms_version and every room's counters
   * come with the overrides, and the room rows kept from the last read (shared/room-rows.ts)
   * supply the rest while the version stays the same.
   */
  roomsAndOverrides(userId: number | null): Promise<RoomsView> {
    return this.roomsBatch.add(userId);
  }

  /** Every poll of one turn asks this: one statement for all of them, one at a time (see TurnBatch). */
  private readonly roomsBatch = new TurnBatch<number | null, RoomsView>(async (users) => {
    const ids = [...new Set(users.filter((u): u is number => u !== null))];
    const rows = (
      await this.pollRunner.q(
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
    const kept = this.rooms.at(version) ?? this.rooms.keep(version, await this.listRooms());
    const counters = new Map((counterRows ?? []).map((c) => [c[0], c]));
    const rooms: Room[] = [];
    for (const r of kept) {
      const c = counters.get(r.id);
      // A room missing from the counters was deleted after the kept rows were read.
      if (c) rooms.push(Object.freeze({ ...r, messageSequence: c[1], infoUpdates: c[2], activeUsers: c[3] }));
    }
    return rooms;
  }
}
