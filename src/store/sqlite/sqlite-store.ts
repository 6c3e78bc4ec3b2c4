// SQLite implementation of the Store (better-sqlite3, WAL): the shared rules (store/shared/) over
// the SQLite tables (sqlite/tables/). better-sqlite3 is synchronous and so are these tables: a
// rule runs inside one `db.transaction(...).immediate()` from start to commit without returning
// to the event loop, so no other request's statement can run inside it (runSync throws if a rule
// ever yields). What stays here is the connection and the poll's group commit.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { TurnBatch } from '../turn-batch';
import { runSync, type Rule } from '../shared/op';
import { RoomRows } from '../shared/room-rows';
import { SharedStore } from '../shared/base-store';
import type { Tables } from '../shared/tables';
import { toOverrideMap, toRoom, type Row } from '../rows';
import { WalCheckpointer } from './checkpointer';
import { assertOwnSqlite, migrate, schemaVersion } from './migrations';
import { DatabaseRefusedError } from '../schema-guard';
import { Statements } from './statements';
import { sqliteTables } from './tables';
import { overridesOf } from './tables/permissions';
import { authLookupRow } from './tables/users';
import type { NonceCheck, NonceLookup, Room, RoomsView, User } from '../types';

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

export class SqliteStore extends SharedStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly freshlyCreated: boolean;
  private readonly s: Statements;
  protected readonly t: Tables;
  private readonly file: string;
  private checkpointer: WalCheckpointer | null = null;
  /** Set by close(): the last group commit then waits for the write lock as other writes do. */
  private closing = false;
  private readonly rooms = new RoomRows();

  constructor(opts: SqliteStoreOptions) {
    super();
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
    this.s = new Statements(this.db);
    this.t = sqliteTables(this.s);
  }

  /** The rule in one immediate (write-locked) transaction, synchronously: nothing else runs until it commits or rolls back. */
  runInTransaction<T>(rule: Rule<Tables, T>): T {
    return this.db.transaction(() => runSync(rule(this.t))).immediate();
  }

  protected tx<T>(rule: Rule<Tables, T>): Promise<T> {
    try {
      return Promise.resolve(this.runInTransaction(rule));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  protected read<T>(rule: Rule<Tables, T>): Promise<T> {
    try {
      return Promise.resolve(runSync(rule(this.t)));
    } catch (e) {
      return Promise.reject(e);
    }
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

  // --- the poll's fast paths -------------------------------------------------------------------

  async authLookup(sessionId: string, nonce: Buffer, ts: number): Promise<{ user: User | null; nonceSeen: boolean }> {
    return authLookupRow(this.s, sessionId.toLowerCase(), nonce, ts);
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

  private readonly authBatch = new TurnBatch<NonceCheck, NonceLookup>((items) => this.commitAuths(items, performance.now()));

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
      if (!block) this.s.q('PRAGMA busy_timeout = 0').get();
      try {
        return this.db
          .transaction(() => {
            const found = items.map((p) => this.lookupAndRecordSync(p.sessionId, p.nonce, p.ts));
            this.attachViews(found);
            return found;
          })
          .immediate();
      } finally {
        if (!block) this.s.q(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`).get();
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
      rooms ??= this.roomsAsOf((this.s.q('SELECT version FROM rooms_version').get() as Row)['version'] as number);
      f.view = { rooms: [...rooms], overrides: overridesOf(this.s, f.user.id) };
    }
  }

  private lookupAndRecordSync(sessionId: string, nonce: Buffer, ts: number): NonceLookup {
    const { user, nonceSeen } = authLookupRow(this.s, sessionId.toLowerCase(), nonce, ts);
    if (!user || user.banned || nonceSeen) return { user, nonceSeen, recorded: false };
    const recorded = this.s.q('INSERT INTO request_nonces (ts, nonce, user) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(ts, nonce, user.id).changes === 1;
    return { user, nonceSeen: !recorded, recorded };
  }

  /**
   * The room rows, kept with the rooms_version they were read at (shared/room-rows.ts). Not
   * inside a transaction, whose rollback could reuse a version number for other contents.
   */
  async listRooms(): Promise<Room[]> {
    const row = this.db.inTransaction ? undefined : (this.s.q('SELECT version FROM rooms_version').get() as Row | undefined);
    if (row === undefined) return this.readRooms();
    return this.roomsAsOf(row['version'] as number);
  }

  private roomsAsOf(version: number): Room[] {
    return this.rooms.at(version) ?? this.rooms.keep(version, this.readRooms());
  }

  private readRooms(): Room[] {
    return (this.s.q('SELECT * FROM rooms ORDER BY token').all() as Row[]).map(toRoom);
  }

  async roomsAndOverrides(userId: number | null): Promise<RoomsView> {
    if (userId === null || this.db.inTransaction) {
      return { rooms: await this.listRooms(), overrides: userId === null ? null : overridesOf(this.s, userId) };
    }
    // Every poll asks this: the rooms' version and the user's overrides in one statement, since
    // each statement outside a transaction pays for its own read locks.
    const rows = this.s.q(
      'SELECT (SELECT version FROM rooms_version) AS rooms_version, o.* FROM (SELECT 1) LEFT JOIN user_permission_overrides o ON o.user = ?',
    ).all(userId) as Row[];
    return { rooms: this.roomsAsOf(rows[0]!['rooms_version'] as number), overrides: toOverrideMap(rows.filter((r) => r['room'] !== null)) };
  }
}
