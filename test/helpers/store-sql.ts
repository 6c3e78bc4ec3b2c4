// Reading a test server's database directly, whichever store it runs on: tests check rows the API
// does not show (expiry, counts). SQL is written with `?` placeholders and works in both dialects.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '../../src/store/types';
import { PgStore } from '../../src/store/postgres/pg-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { DiskBlobs, type FileBlobs } from '../../src/store/blobs';
import type { Services } from '../../src/domain/services';
import { TEST_PG_URL, testDbUrl } from './server';

export type SqlRow = Record<string, unknown>;

export async function sqlAll<R = SqlRow>(store: Store, sql: string, ...params: unknown[]): Promise<R[]> {
  if (store instanceof SqliteStore) {
    const st = store.db.prepare(sql);
    if (!st.reader) {
      st.run(...params);
      return [];
    }
    return st.all(...params) as R[];
  }
  if (store instanceof PgStore) {
    let n = 0;
    return (await store.pool.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as R[];
  }
  throw new Error(`no SQL access to a ${store.kind} store`);
}

export async function sqlGet<R = SqlRow>(store: Store, sql: string, ...params: unknown[]): Promise<R | undefined> {
  return (await sqlAll<R>(store, sql, ...params))[0];
}

/** Every stored upload's path (on disk or in the database), sorted. */
export async function blobPaths(blobs: FileBlobs): Promise<string[]> {
  return (await blobs.list()).map((b) => b.path).sort();
}

export async function blobExists(blobs: FileBlobs, path: string): Promise<boolean> {
  return (await blobs.read(path)) !== null;
}

/** Runs SQL on the database of a data folder no server has open (an import target). */
export async function targetSql<R = SqlRow>(dataDir: string, sql: string, ...params: unknown[]): Promise<R[]> {
  const dbUrl = testDbUrl(dataDir);
  if (!dbUrl) {
    // A plain connection: opening the store would switch the file to WAL mode, changing its bytes.
    const db = new Database(path.join(dataDir, 'sogs.db'));
    try {
      const st = db.prepare(sql);
      return st.reader ? (st.all(...params) as R[]) : (st.run(...params), []);
    } finally {
      db.close();
    }
  }
  const store = await PgStore.open({ url: dbUrl, poolSize: 1 });
  try {
    return await sqlAll<R>(store, sql, ...params);
  } finally {
    await store.close();
  }
}

/** A checksum of every path, mode and content under a folder. */
export function dirChecksum(dir: string): string {
  const h = crypto.createHash('sha256');
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = fs.statSync(full);
      h.update(`${path.relative(dir, full)}\0${st.mode}\0`);
      if (st.isDirectory()) walk(full);
      else h.update(fs.readFileSync(full));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/**
 * A checksum of everything an import may change: every file under the data folder and, on
 * PostgreSQL, every row of the folder's schema.
 */
export async function targetChecksum(dataDir: string): Promise<string> {
  const h = crypto.createHash('sha256');
  h.update(dirChecksum(dataDir));
  const dbUrl = testDbUrl(dataDir);
  if (dbUrl) {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      const schema = new URL(dbUrl).searchParams.get('schema')!;
      const tables = (await c.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).rows;
      for (const { t } of tables) {
        const rows = await c.query(`SELECT * FROM ${schema}."${t}" ORDER BY 1`);
        h.update(`${t}\0${JSON.stringify(rows.rows)}\0`);
      }
    } finally {
      await c.end();
    }
  }
  return h.digest('hex');
}

/** Booleans as SQLite's 0/1, so rows of either store compare with rows of a reference SQLite file. */
export function sqliteBools<R extends SqlRow>(rows: R[]): R[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : v])) as R);
}

/** Makes stored blobs look `seconds` older than now (disk: mtime; database: the modified column). */
export async function ageBlobs(s: Services, paths: string[], seconds: number): Promise<void> {
  for (const p of paths) {
    if (s.blobs instanceof DiskBlobs) {
      const old = new Date(Date.now() - seconds * 1000);
      fs.utimesSync(path.join(s.config.dataDir, p), old, old);
    } else {
      await sqlAll(s.store, 'UPDATE file_blobs SET modified = modified - ? WHERE path = ?', seconds, p);
    }
  }
}
