// Filling a PostgreSQL database from one of our SQLite databases in one transaction: how an import
// lands in PostgreSQL. The importers build our SQLite schema first (they share that code
// with a SQLite target); this copies it table by table, so that a failure anywhere leaves the
// PostgreSQL database exactly as it was. Tables and columns have the same names in both stores.
import Database from 'better-sqlite3';
import type pg from 'pg';
import { SERVER_KEY_SETTING } from '../types';
import { createPool, parsePgUrl } from './connect';
import { PgStore } from './pg-store';

/** Parents before children, so that every foreign key holds as rows arrive. */
const TABLE_ORDER = [
  'rooms', 'users', 'messages', 'message_history', 'pinned_messages', 'files', 'needs_blinding', 'reactions',
  'user_reactions', 'room_users', 'user_permission_overrides', 'user_permission_futures', 'user_ban_futures',
  'user_request_nonces', 'request_nonces', 'inbox', 'user_reads', 'audit_log', 'room_import_hacks', 'file_id_hacks', 'settings', 'job_runs',
];
/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMS = 30_000;

/** What a PostgreSQL target already holds (an import refuses a non-empty target). */
export interface PgContents {
  messages: number;
  otherRooms: number;
  files: number;
  dms: number;
}

/** Reads without creating anything: a target without our tables is empty. */
export async function pgContents(url: string): Promise<PgContents> {
  const pool = createPool(parsePgUrl(url), 1);
  try {
    const has = async (table: string): Promise<boolean> =>
      (await pool.query('SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1', [table])).rowCount === 1;
    const n = async (table: string, where = 'TRUE'): Promise<number> =>
      (await has(table)) ? Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).rows[0]!.n) : 0;
    return { messages: await n('messages'), otherRooms: await n('rooms', "token <> 'main'"), files: await n('files'), dms: await n('inbox') };
  } finally {
    await pool.end();
  }
}

export interface LoadOptions {
  /** Our SQLite database (current schema) to copy. */
  sqliteFile: string;
  /** The server key to record. */
  key: Buffer;
  /** Uploads to store in the database (file_blobs), or null when they stay on disk. */
  blobs: Iterable<{ path: string; bytes: Buffer }> | null;
}

/** Replaces everything in the PostgreSQL database with the SQLite database's rows, atomically. */
export async function replaceWithSqlite(url: string, opts: LoadOptions): Promise<Record<string, number>> {
  const store = await PgStore.open({ url, poolSize: 1 });
  // Opened inside the try, so that a failure to open either still closes what was opened.
  let src: Database.Database | null = null;
  let client: pg.PoolClient | null = null;
  try {
    src = new Database(opts.sqliteFile, { readonly: true, fileMustExist: true });
    client = await store.pool.connect();
    await client.query('BEGIN');
    const pgTables = (
      await client.query<{ t: string }>(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
      )
    ).rows.map((r) => r.t);
    // rooms_version stays this database's own counter (its triggers keep counting the copy).
    const copied = pgTables.filter((t) => t !== 'schema_version' && t !== 'file_blobs' && t !== 'rooms_version');
    await client.query(`TRUNCATE ${[...copied, 'file_blobs'].map((t) => `"${t}"`).join(', ')} RESTART IDENTITY CASCADE`);
    const srcTables = new Set((src.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const order = [...TABLE_ORDER, ...copied.filter((t) => !TABLE_ORDER.includes(t)).sort()];
    const counts: Record<string, number> = {};
    for (const table of order) {
      if (!srcTables.has(table) || !copied.includes(table)) continue;
      counts[table] = await copyTable(client, src, table);
    }
    // rooms.image and files.room refer to each other: images are set once the files exist.
    const images = src.prepare('SELECT id, image FROM rooms WHERE image IS NOT NULL').all() as { id: number; image: number }[];
    for (const r of images) await client.query('UPDATE rooms SET image = $1 WHERE id = $2', [r.image, r.id]);
    await resetIdentities(client);
    await client.query(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [SERVER_KEY_SETTING, opts.key],
    );
    for (const b of opts.blobs ?? []) {
      await client.query('INSERT INTO file_blobs (path, data) VALUES ($1, $2)', [b.path, b.bytes]);
      counts['file_blobs'] = (counts['file_blobs'] ?? 0) + 1;
    }
    await client.query('COMMIT');
    return counts;
  } catch (e) {
    await client?.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client?.release();
    src?.close();
    await store.close();
  }
}

async function copyTable(client: pg.PoolClient, src: Database.Database, table: string): Promise<number> {
  const pgCols = new Set(
    (
      await client.query<{ c: string }>(
        "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' AND (identity_generation IS NULL OR identity_generation <> 'ALWAYS')",
        [table],
      )
    ).rows.map((r) => r.c),
  );
  const cols = (src.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name).filter((c) => pgCols.has(c));
  if (cols.length === 0) return 0;
  // Integers come as BigInt so that none loses precision (legacy file ids reach 19 digits); they
  // go to PostgreSQL as decimal text, which it parses for BIGINT, DOUBLE PRECISION and BOOLEAN
  // (0/1) columns alike.
  const select = src.prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}"${table === 'rooms' ? ' ORDER BY id' : ''}`).safeIntegers(true).raw(true);
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / cols.length));
  const colList = cols.map((c) => `"${c}"`).join(', ');
  let batch: unknown[][] = [];
  let n = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const values = batch.map((_, r) => `(${cols.map((__, c) => `$${r * cols.length + c + 1}`).join(', ')})`).join(', ');
    await client.query(`INSERT INTO "${table}" (${colList}) VALUES ${values}`, batch.flat());
    n += batch.length;
    batch = [];
  };
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    const out = row.map((v) => (typeof v === 'bigint' ? v.toString() : v));
    // A room's image is set after the files are in (see above).
    if (table === 'rooms') out[cols.indexOf('image')] = null;
    batch.push(out);
    if (batch.length >= perBatch) await flush();
  }
  await flush();
  return n;
}

/** Identity columns continue after the highest copied id. */
async function resetIdentities(client: pg.PoolClient): Promise<void> {
  const ids = (
    await client.query<{ t: string; c: string }>(
      "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
  ).rows;
  for (const { t, c } of ids) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max("${c}") FROM "${t}"), 0) + 1, false)`,
      [`"${t}"`, c],
    );
  }
}
