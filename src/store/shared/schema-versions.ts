// One numbering of schema versions for both databases. Each database's migrations file
// (sqlite/migrations.ts, postgres/migrations.ts) gives the SQL of every version in its dialect;
// a version that a database had nothing to do for has empty SQL there, so the two lists always
// carry the same numbers:
//   10 the base tables            (PostgreSQL: every table up to version 13 at once)
//   11 moderation (anti-raid settings, read counts, audit log)   12 import id maps
//   13 settings and job_runs      14 legacy auth tokens           15 request nonces by timestamp
//   16 last DM ids                17 rooms_version
//   18 rooms_version only for a room's own fields (PostgreSQL; SQLite counts every change)
//   19 the overrides' user index    20 raid detection (raid_auto, held posts, room_raid_counts)
//   21 post fingerprints (flood signals)
//   22 the web console's sign-in links and sessions
// Before this numbering each database counted on its own (SQLite 1, 3-9; PostgreSQL 1-7). Shared
// numbers start at 10, above all of those, so a stored version below 10 is an old number: it is
// mapped once, when the database is next opened, and the stored rows are rewritten.

export const FIRST_SHARED_VERSION = 10;

/** A database's old version numbers and the shared version each stood for. */
export const OLD_VERSIONS: Record<'sqlite' | 'postgres', Readonly<Record<number, number>>> = {
  sqlite: { 1: 10, 3: 11, 4: 12, 5: 13, 6: 14, 7: 15, 8: 17, 9: 19 },
  postgres: { 1: 13, 2: 14, 3: 15, 4: 16, 5: 17, 6: 18, 7: 19 },
};

export interface Migration {
  version: number;
  /** Empty when this database had nothing to do at this version. */
  sql: string;
}

/** The shared version a stored version stands for (0: no schema yet). */
export function sharedVersion(kind: 'sqlite' | 'postgres', stored: number): number {
  if (stored === 0 || stored >= FIRST_SHARED_VERSION) return stored;
  const mapped = OLD_VERSIONS[kind][stored];
  if (mapped === undefined) throw new Error(`database schema version ${stored} is not one this server ever wrote`);
  return mapped;
}

/** The migrations to run from the shared version `current`, in order; refuses a newer schema. */
export function pendingMigrations(migrations: readonly Migration[], current: number): { latest: number; todo: Migration[] } {
  // Sorted, so that migrations appended out of order (parallel branches) still run in order.
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const latest = ordered[ordered.length - 1]!.version;
  if (current > latest) throw new Error(`database schema version ${current} is newer than this server (${latest}); upgrade the server`);
  return { latest, todo: ordered.filter((m) => m.version > current) };
}
