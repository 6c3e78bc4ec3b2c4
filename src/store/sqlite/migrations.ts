// Versioned SQLite schema, numbered as PostgreSQL's (shared/schema-versions.ts). Table and column
// names follow the reference server (docs/protocol/api.md §11) so an imported PySOGS database maps
// one to one. The reference's trigger semantics (sequence counters, edit history, tombstones) live
// in the shared rules (store/shared/) so that both databases share them; only the two derived
// values no writer may forget (the last DM ids, rooms_version) are kept by SQL triggers here.
import type Database from 'better-sqlite3';
import { assertOwnSchema } from '../schema-guard';
import { BASE_TABLES } from './base-tables';
import { pendingMigrations, sharedVersion, type Migration } from '../shared/schema-versions';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 10,
    sql: BASE_TABLES,
  },
  {
    // Moderation: per-room anti-raid settings, read counts for the new-account slow
    // mode, the audit log, and indexes for scheduled changes.
    version: 11,
    sql: `
ALTER TABLE rooms ADD COLUMN rate_limit_posts INTEGER;
ALTER TABLE rooms ADD COLUMN rate_limit_interval FLOAT;
ALTER TABLE rooms ADD COLUMN raid_since FLOAT;

CREATE TABLE user_reads (
  user INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  reads INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at FLOAT NOT NULL,
  actor TEXT,
  action TEXT NOT NULL,
  target TEXT,
  room TEXT COLLATE NOCASE,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_room ON audit_log(room, id);

CREATE INDEX user_permission_futures_room_user ON user_permission_futures(room, user);
CREATE INDEX user_ban_futures_room_user ON user_ban_futures(room, user);
CREATE INDEX user_ban_futures_user ON user_ban_futures(user);
`,
  },
  {
    // Import: the reference's id maps for data imported from a legacy (pre-0.2)
    // server (docs/protocol/legacy.md §8–§9, docs/protocol/api.md §11.1). Legacy clients keep using their old per-room
    // message ids (<= old_message_id_max: add message_id_offset) and old file ids.
    version: 12,
    sql: `
CREATE TABLE room_import_hacks (
  room INTEGER PRIMARY KEY REFERENCES rooms(id) ON DELETE CASCADE,
  old_message_id_max INTEGER NOT NULL,
  message_id_offset INTEGER NOT NULL
);

CREATE TABLE file_id_hacks (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  old_file_id INTEGER NOT NULL,
  file INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  PRIMARY KEY (room, old_file_id)
);
CREATE INDEX file_id_hacks_file ON file_id_hacks(file);
`,
  },
  {
    // Several processes on one database: server-wide settings (the server key) and the
    // last claimed tick of each background job.
    version: 13,
    sql: `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

CREATE TABLE job_runs (
  name TEXT PRIMARY KEY,
  tick INTEGER NOT NULL
);
`,
  },
  {
    // Legacy (v1) auth tokens, stored per room as the legacy server stores them (docs/protocol/legacy.md §4,
    // §7.2): one pending challenge token per (room, session id), then claimed tokens, which the
    // background job prunes. Keyed by session id, not users(id): asking for a challenge proves
    // nothing, so it must not create users rows.
    version: 14,
    sql: `
CREATE TABLE legacy_pending_tokens (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  token BLOB NOT NULL,
  created FLOAT NOT NULL,
  PRIMARY KEY (room, session_id)
);
CREATE INDEX legacy_pending_tokens_created ON legacy_pending_tokens(created);

CREATE TABLE legacy_tokens (
  token TEXT PRIMARY KEY,
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL,
  claimed FLOAT NOT NULL
);
CREATE INDEX legacy_tokens_room_session ON legacy_tokens(room, session_id);
CREATE INDEX legacy_tokens_claimed ON legacy_tokens(claimed);
`,
  },
  {
    // Request nonces keyed by (signed timestamp, nonce). A replay repeats both (the signature
    // covers them), so this stops every replay, and because timestamps are close to now each
    // insert lands at the right edge of one b-tree: measured 9 us instead of 38 us for the old
    // table, whose random nonce index dirtied a different page (a 4 KiB WAL write) per request.
    // No expiry column: rows are pruned by timestamp. user_request_nonces keeps the nonces
    // recorded before this version and those imported from PySOGS, is still checked, and
    // drains as they expire.
    version: 15,
    sql: `
CREATE TABLE request_nonces (
  ts INTEGER NOT NULL,
  nonce BLOB NOT NULL,
  user INTEGER NOT NULL,
  PRIMARY KEY (ts, nonce)
) WITHOUT ROWID;
`,
  },
  {
    // The highest DM id each user ever received / sent, derived from inbox and kept by a trigger
    // (not by store code, like every other invariant) so that no writer can forget it: the
    // importers copy tables wholesale. A poll since that id has nothing to fetch, so it is
    // answered without a query.
    version: 16,
    sql: `
ALTER TABLE users ADD COLUMN last_inbox_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_outbox_id INTEGER NOT NULL DEFAULT 0;
UPDATE users SET
  last_inbox_id = coalesce((SELECT max(id) FROM inbox WHERE recipient = users.id), 0),
  last_outbox_id = coalesce((SELECT max(id) FROM inbox WHERE sender = users.id), 0);
CREATE TRIGGER inbox_last_ids AFTER INSERT ON inbox BEGIN
  UPDATE users SET last_inbox_id = max(last_inbox_id, NEW.id) WHERE id = NEW.recipient;
  UPDATE users SET last_outbox_id = max(last_outbox_id, NEW.id) WHERE id = NEW.sender;
END;
`,
  },
  {
    // rooms_version, bumped by a trigger on every change to the rooms table (any process, any
    // column), so that a process can keep the room rows between requests and check one integer
    // instead of reading them all again. (Before the shared numbering, 16 and 17 were SQLite's 8.)
    version: 17,
    sql: `
CREATE TABLE rooms_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
INSERT INTO rooms_version (id, version) VALUES (1, 0);
CREATE TRIGGER rooms_version_insert AFTER INSERT ON rooms BEGIN UPDATE rooms_version SET version = version + 1; END;
CREATE TRIGGER rooms_version_update AFTER UPDATE ON rooms BEGIN UPDATE rooms_version SET version = version + 1; END;
CREATE TRIGGER rooms_version_delete AFTER DELETE ON rooms BEGIN UPDATE rooms_version SET version = version + 1; END;
`,
  },
  {
    // PostgreSQL only: there rooms_version stops counting the counters. SQLite keeps counting
    // every change (one writer at a time, so no post waits on that row for another room's).
    version: 18,
    sql: '',
  },
  {
    // Every poll reads the user's overrides in all rooms; the primary key (room, user) cannot
    // serve that, so each poll scanned the table (every ban and moderator of every room).
    version: 19,
    sql: `CREATE INDEX user_permission_overrides_user ON user_permission_overrides(user);`,
  },
  {
    // Automatic raid detection (domain/raids.ts): whether a room's raid state was entered by the
    // server (it then ends by itself), posts held for moderators (held_from: the published post a
    // detected raid took back, whose deletion still counts for the rate limits), per-minute counts
    // of new accounts posting, and the index a cleanup of the accounts first seen in a time window
    // reads.
    version: 20,
    sql: `
ALTER TABLE rooms ADD COLUMN raid_auto BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN held_from INTEGER;
CREATE INDEX messages_held ON messages(room, id) WHERE held;
CREATE TABLE room_raid_counts (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  minute INTEGER NOT NULL,
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
  fingerprint BLOB NOT NULL,
  room INTEGER NOT NULL,
  user INTEGER NOT NULL,
  at FLOAT NOT NULL
);
CREATE INDEX post_fingerprints_text ON post_fingerprints(fingerprint, at);
CREATE INDEX post_fingerprints_at ON post_fingerprints(at);
`,
  },
  {
    // The web console's one-time sign-in links and sessions (by the SHA-256 of their tokens), in
    // the database so that every server process on it honours them.
    version: 22,
    sql: `
CREATE TABLE console_links (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  created FLOAT NOT NULL,
  expires FLOAT NOT NULL
);
CREATE TABLE console_sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created FLOAT NOT NULL,
  expires FLOAT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions(expires);
CREATE INDEX console_sessions_user ON console_sessions(session_id);
`,
  },
];

/** Our schema version of the database (0: none), without writing anything. */
export function schemaVersion(db: Database.Database): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (!has) return 0;
  return (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
}

/** Refuses (DatabaseRefusedError) a database that holds another server's schema instead of ours. */
export function assertOwnSqlite(db: Database.Database, where: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  assertOwnSchema(where, tables, schemaVersion(db), true);
}

/** Creates or migrates our schema; `from` is the shared version found (0: none, a new database). */
export function migrate(db: Database.Database, where = 'the database'): { from: number; to: number } {
  assertOwnSqlite(db, where);
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  let current = 0;
  db.transaction(() => {
    const stored = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
    current = sharedVersion('sqlite', stored);
    if (current !== stored) {
      // A version of the old SQLite numbering: from now on the database says the shared one.
      db.exec('DELETE FROM schema_version');
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(current);
    }
  }).immediate();
  const { latest, todo } = pendingMigrations(MIGRATIONS, current);
  for (const m of todo) {
    db.transaction(() => {
      if (m.sql !== '') db.exec(m.sql);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    }).immediate();
  }
  return { from: current, to: latest };
}
