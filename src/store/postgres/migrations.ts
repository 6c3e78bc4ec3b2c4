// Versioned PostgreSQL schema, numbered as SQLite's (shared/schema-versions.ts): the same tables
// and columns as the SQLite store (and so as the reference server, docs/protocol/api.md §11), in
// PostgreSQL's types. Differences that matter to the code:
// "user" is a reserved word and always quoted; room tokens are unique case-insensitively through
// an index on lower(token); the two scheduled-change tables and user_reactions carry an identity
// column where the SQLite store relies on rowid order.
import type pg from 'pg';
import { DatabaseRefusedError, assertOwnSchema } from '../schema-guard';
import { BASE_TABLES } from './base-tables';
import { pendingMigrations, sharedVersion, type Migration } from '../shared/schema-versions';

export const PG_MIGRATIONS: readonly Migration[] = [
  {
    // Every table of SQLite's versions 10 to 13 at once: PostgreSQL support came after them.
    version: 10,
    sql: BASE_TABLES,
  },
  // In version 10 here.
  { version: 11, sql: '' },
  { version: 12, sql: '' },
  { version: 13, sql: '' },
  {
    // Legacy (v1) auth tokens per room (docs/protocol/legacy.md §4): pending challenge tokens,
    // one per (room, session id), and claimed tokens. Keyed by session id: a challenge proves
    // nothing, so it must not create users rows.
    version: 14,
    sql: `
CREATE TABLE legacy_pending_tokens (
  room BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  token BYTEA NOT NULL,
  created DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (room, session_id)
);
CREATE INDEX legacy_pending_tokens_created ON legacy_pending_tokens(created);

CREATE TABLE legacy_tokens (
  token TEXT PRIMARY KEY,
  room BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  claimed DOUBLE PRECISION NOT NULL
);
CREATE INDEX legacy_tokens_room_session ON legacy_tokens(room, session_id);
CREATE INDEX legacy_tokens_claimed ON legacy_tokens(claimed);
`,
  },
  {
    // Request nonces keyed by (signed timestamp, nonce), as on SQLite: inserts land at the
    // right edge of the primary key instead of at a random page of a unique nonce index.
    version: 15,
    sql: `
CREATE TABLE request_nonces (
  ts BIGINT NOT NULL,
  nonce BYTEA NOT NULL,
  "user" BIGINT NOT NULL,
  PRIMARY KEY (ts, nonce)
);
`,
  },
  {
    // The highest DM id each user received / sent: a poll since that id is
    // answered without a query. Kept by a trigger so that no writer (importers included) can
    // forget it.
    version: 16,
    sql: `
ALTER TABLE users ADD COLUMN last_inbox_id BIGINT NOT NULL DEFAULT 0, ADD COLUMN last_outbox_id BIGINT NOT NULL DEFAULT 0;
UPDATE users SET
  last_inbox_id = coalesce((SELECT max(id) FROM inbox WHERE recipient = users.id), 0),
  last_outbox_id = coalesce((SELECT max(id) FROM inbox WHERE sender = users.id), 0);
CREATE FUNCTION inbox_last_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE users SET last_inbox_id = greatest(last_inbox_id, NEW.id) WHERE id = NEW.recipient;
  UPDATE users SET last_outbox_id = greatest(last_outbox_id, NEW.id) WHERE id = NEW.sender;
  RETURN NULL;
END $$;
CREATE TRIGGER inbox_last_ids AFTER INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION inbox_last_ids();
`,
  },
  {
    // rooms_version: bumped by any change to the rooms table, so that a poll
    // checks one integer, in the same round trip as the user's overrides, instead of reading every
    // room row again. Per row, so that a statement changing no room (the job's recount on an idle
    // server) writes nothing. Writers of room rows (posts bump message_sequence) share this row's
    // lock until they commit; a deadlock that this can add is retried like any other.
    version: 17,
    sql: `
CREATE TABLE rooms_version (
  id INT PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO rooms_version (id, version) VALUES (1, 0);
CREATE FUNCTION bump_rooms_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE rooms_version SET version = version + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER rooms_version AFTER INSERT OR UPDATE OR DELETE ON rooms FOR EACH ROW EXECUTE FUNCTION bump_rooms_version();
`,
  },
  {
    // rooms_version moves only with what a room row says of itself (token, name, description,
    // image, default permissions) or with rooms added and removed; the counters every post and
    // pin moves (message_sequence, info_updates, active_users) are read fresh with each poll's
    // overrides instead. Otherwise every post on every instance waited for this one row's lock
    // until the post before it had committed, whatever its room.
    version: 18,
    sql: `
DROP TRIGGER rooms_version ON rooms;
CREATE TRIGGER rooms_version AFTER INSERT OR DELETE OR UPDATE OF token, name, description, image, read, accessible, write, upload
  ON rooms FOR EACH ROW EXECUTE FUNCTION bump_rooms_version();
`,
  },
  {
    // Every poll reads the user's overrides in all rooms; the primary key (room, user) cannot
    // serve that, so each poll scanned the table (every ban and moderator of every room).
    version: 19,
    sql: `CREATE INDEX user_permission_overrides_user ON user_permission_overrides("user");`,
  },
  {
    // Automatic raid detection: see the SQLite migration of the same version.
    version: 20,
    sql: `
ALTER TABLE rooms ADD COLUMN raid_auto BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN held_from BIGINT;
CREATE INDEX messages_held ON messages(room, id) WHERE held;
CREATE TABLE room_raid_counts (
  room BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  minute BIGINT NOT NULL,
  posts INTEGER NOT NULL DEFAULT 0,
  raid BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (room, minute)
);
CREATE INDEX users_created ON users(created);
`,
  },
  {
    // Flood signals (domain/flood.ts): a fingerprint of each recent post's normalised text, so
    // that every instance on the database sees the same copies. Rows live for the flood windows
    // (cleanup prunes them), so the table stays small and has no foreign keys to keep.
    version: 21,
    sql: `
CREATE TABLE post_fingerprints (
  fingerprint BYTEA NOT NULL,
  room BIGINT NOT NULL,
  "user" BIGINT NOT NULL,
  at DOUBLE PRECISION NOT NULL
);
CREATE INDEX post_fingerprints_text ON post_fingerprints(fingerprint, at);
CREATE INDEX post_fingerprints_at ON post_fingerprints(at);
`,
  },
  {
    // The web console's one-time sign-in links and sessions (by the SHA-256 of their tokens):
    // several server processes on one database share them.
    version: 22,
    sql: `
CREATE TABLE console_links (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  created DOUBLE PRECISION NOT NULL,
  expires DOUBLE PRECISION NOT NULL
);
CREATE TABLE console_sessions (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created DOUBLE PRECISION NOT NULL,
  expires DOUBLE PRECISION NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions(expires);
CREATE INDEX console_sessions_user ON console_sessions(session_id);
`,
  },
];

/** Advisory lock key held while migrating, so that instances starting together migrate once. */
const MIGRATION_LOCK = 0x50675f6d; // "PG_m"

/** Our schema version in the connection's schema (0: none) and the tables there, without writing anything. */
export async function pgSchemaState(client: pg.ClientBase): Promise<{ version: number; tables: string[] }> {
  const r = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()');
  const tables = r.rows.map((x) => x.table_name);
  if (!tables.includes('schema_version')) return { version: 0, tables };
  const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
  return { version: v.rows[0]?.v ?? 0, tables };
}

/**
 * Creates or migrates our schema; `where` names the database in errors. Refuses (DatabaseRefusedError)
 * another server's tables, and with `mustExist` a database without our schema.
 */
export async function migratePg(client: pg.PoolClient, where = 'the database', mustExist = false): Promise<{ from: number; to: number }> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    const state = await pgSchemaState(client);
    assertOwnSchema(where, state.tables, state.version, false);
    if (mustExist && state.version === 0) throw new DatabaseRefusedError(`${where} holds no database of this server (no schema_version table)`, 'missing');
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version');
    const stored = r.rows[0]?.v ?? 0;
    const current = sharedVersion('postgres', stored);
    const { latest, todo } = pendingMigrations(PG_MIGRATIONS, current);
    if (current !== stored) {
      // A version of the old PostgreSQL numbering: from now on the database says the shared one.
      await inTransaction(client, async () => {
        await client.query('DELETE FROM schema_version');
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [current]);
      });
    }
    for (const m of todo) {
      await inTransaction(client, async () => {
        if (m.sql !== '') await client.query(m.sql);
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [m.version]);
      });
    }
    return { from: current, to: latest };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

async function inTransaction(client: pg.PoolClient, fn: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await fn();
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}
