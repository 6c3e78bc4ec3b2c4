// Reading a test server's database directly, whichever store it runs on: tests check rows the API
// does not show (expiry, counts). SQL is written with `?` placeholders and works in both dialects.
import type { Store } from '../../src/store/types';
import { PgStore } from '../../src/store/postgres/pg-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { FileBlobs } from '../../src/store/blobs';

export type SqlRow = Record<string, unknown>;

export async function sqlAll<R = SqlRow>(store: Store, sql: string, ...params: unknown[]): Promise<R[]> {
  if (store instanceof SqliteStore) return store.db.prepare(sql).all(...params) as R[];
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
