// Before a store creates or migrates a schema it checks that the database is ours (or empty): an
// operator's SOGS_CONFIG or dbUrl may point at a PySOGS or legacy server database, and adding our
// tables to it (or failing halfway with "table rooms already exists") damages what the import
// commands read. Pure: each store lists its tables and asks here.

/** Why a database was not opened: another server's schema, or none where one must already exist. */
export class DatabaseRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: 'foreign' | 'missing',
  ) {
    super(message);
  }
}

// Tables of the reference server (PySOGS) that a database of ours also has once migrated.
const PYSOGS_TABLES = ['rooms', 'messages', 'users', 'room_users', 'user_permission_overrides', 'needs_blinding', 'inbox', 'files'];
// The legacy (pre-0.2 Rust) server: database.db lists rooms in `main`; each rooms/TOKEN.db has these.
const LEGACY_TABLES = ['main', 'block_list', 'pending_tokens', 'deleted_messages', 'user_activity', 'tokens'];

const IMPORT_HINT =
  'This server never writes to another server\'s database. Import it into a data folder (or database) of its own instead: ' +
  'sogs --import-pysogs PYSOGS_DATA_DIR --data-dir NEW_DIR, or sogs --import-legacy LEGACY_VOLUME --data-dir NEW_DIR ' +
  '(README: "Migrating from PySOGS", "Migrating from the legacy server"), and point --data-dir/--db-url/--config at the new one.';

/**
 * Throws DatabaseRefusedError when a database without our schema (`version` 0: no or an empty
 * `schema_version`) already has tables of another server. `strict` (SQLite files) refuses any
 * other table too; a PostgreSQL schema may legitimately hold unrelated tables, so there only the
 * names a migration would collide with count.
 */
export function assertOwnSchema(where: string, tables: readonly string[], version: number, strict: boolean): void {
  if (version > 0) return;
  const has = new Set(tables.map((t) => t.toLowerCase()));
  const legacy = LEGACY_TABLES.filter((t) => has.has(t));
  const pysogs = PYSOGS_TABLES.filter((t) => has.has(t));
  if (legacy.length > 0 && (has.has('main') || has.has('block_list')) && !has.has('rooms')) {
    throw new DatabaseRefusedError(`${where} is a legacy (pre-0.2) server database (tables ${legacy.join(', ')}), not one of this server's. ${IMPORT_HINT}`, 'foreign');
  }
  if (has.has('rooms') && has.has('messages')) {
    throw new DatabaseRefusedError(`${where} is a PySOGS database (tables ${pysogs.join(', ')} without this server's schema_version), not one of this server's. ${IMPORT_HINT}`, 'foreign');
  }
  const other = [...has].filter((t) => t !== 'schema_version' && !t.startsWith('sqlite_'));
  if (pysogs.length > 0 || (strict && other.length > 0)) {
    // e.g. a shared PostgreSQL schema whose `users` table belongs to another application.
    const names = pysogs.length > 0 ? pysogs : other;
    throw new DatabaseRefusedError(
      `${where} holds tables of another program (${names.slice(0, 5).join(', ')}), not this server's schema; point dbUrl at a new SQLite file, an empty PostgreSQL database or a schema of its own (postgres://…?schema=NAME).`,
      'foreign',
    );
  }
}
