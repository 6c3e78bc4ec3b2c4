// SQLite's base tables: schema version 10 of migrations.ts, kept apart as the longest of them.
// Table and column names follow the reference server (docs/protocol/api.md §11).

/** The current time as the column defaults store it: unix seconds. */
const NOW = `((julianday('now') - 2440587.5) * 86400.0)`;

/** Schema version 10 (shared/schema-versions.ts). */
export const BASE_TABLES = `
CREATE TABLE rooms (
  id INTEGER PRIMARY KEY,
  token TEXT NOT NULL UNIQUE COLLATE NOCASE
    CHECK (length(token) BETWEEN 1 AND 64 AND token NOT GLOB '*[^a-zA-Z0-9_-]*'),
  name TEXT NOT NULL,
  description TEXT,
  image INTEGER REFERENCES files(id) ON DELETE SET NULL,
  created FLOAT NOT NULL DEFAULT ${NOW},
  message_sequence INTEGER NOT NULL DEFAULT 0,
  info_updates INTEGER NOT NULL DEFAULT 0,
  active_users INTEGER NOT NULL DEFAULT 0,
  read BOOLEAN NOT NULL DEFAULT TRUE,
  accessible BOOLEAN NOT NULL DEFAULT TRUE,
  write BOOLEAN NOT NULL DEFAULT TRUE,
  upload BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE,
  created FLOAT NOT NULL DEFAULT ${NOW},
  last_active FLOAT NOT NULL DEFAULT ${NOW},
  banned BOOLEAN NOT NULL DEFAULT FALSE,
  moderator BOOLEAN NOT NULL DEFAULT FALSE,
  admin BOOLEAN NOT NULL DEFAULT FALSE,
  visible_mod BOOLEAN NOT NULL DEFAULT FALSE,
  CHECK (NOT (banned AND (moderator OR admin)))
);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user INTEGER NOT NULL REFERENCES users(id),
  posted FLOAT NOT NULL DEFAULT ${NOW},
  edited FLOAT,
  seqno INTEGER NOT NULL DEFAULT 0,
  seqno_data INTEGER NOT NULL DEFAULT 0,
  seqno_reactions INTEGER NOT NULL DEFAULT 0,
  seqno_creation INTEGER NOT NULL DEFAULT 0,
  data BLOB,
  data_size INTEGER,
  signature BLOB,
  filtered BOOLEAN NOT NULL DEFAULT FALSE,
  whisper INTEGER REFERENCES users(id),
  whisper_mods BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX messages_room_seqno ON messages(room, seqno);
CREATE INDEX messages_room_id ON messages(room, id);
CREATE INDEX messages_room_user_posted ON messages(room, user, posted);

CREATE TABLE message_history (
  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  replaced FLOAT NOT NULL DEFAULT ${NOW},
  data BLOB,
  signature BLOB
);
CREATE INDEX message_history_message ON message_history(message);
CREATE INDEX message_history_replaced ON message_history(replaced);

CREATE TABLE pinned_messages (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  pinned_by INTEGER NOT NULL REFERENCES users(id),
  pinned_at FLOAT NOT NULL DEFAULT ${NOW},
  PRIMARY KEY (room, message)
);

CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  room INTEGER REFERENCES rooms(id) ON DELETE SET NULL,
  uploader INTEGER REFERENCES users(id),
  message INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  size INTEGER NOT NULL,
  uploaded FLOAT NOT NULL DEFAULT ${NOW},
  expiry FLOAT,
  filename TEXT,
  path TEXT NOT NULL
);
CREATE INDEX files_room ON files(room);
CREATE INDEX files_message ON files(message);
CREATE INDEX files_expiry ON files(expiry);

CREATE TABLE needs_blinding (
  blinded_abs TEXT NOT NULL PRIMARY KEY,
  user INTEGER NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE
);

CREATE TABLE reactions (
  id INTEGER PRIMARY KEY,
  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  reaction TEXT NOT NULL,
  UNIQUE (message, reaction)
);

CREATE TABLE user_reactions (
  reaction INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
  user INTEGER NOT NULL REFERENCES users(id),
  at FLOAT NOT NULL DEFAULT ${NOW},
  PRIMARY KEY (reaction, user)
);
CREATE INDEX user_reactions_at ON user_reactions(reaction, at);

CREATE TABLE room_users (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  last_active FLOAT NOT NULL DEFAULT ${NOW},
  PRIMARY KEY (room, user)
);
CREATE INDEX room_users_activity ON room_users(room, last_active);

CREATE TABLE user_permission_overrides (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  banned BOOLEAN NOT NULL DEFAULT FALSE,
  read BOOLEAN,
  accessible BOOLEAN,
  write BOOLEAN,
  upload BOOLEAN,
  moderator BOOLEAN NOT NULL DEFAULT FALSE,
  admin BOOLEAN NOT NULL DEFAULT FALSE,
  visible_mod BOOLEAN NOT NULL DEFAULT TRUE,
  PRIMARY KEY (room, user),
  CHECK (NOT (banned AND (moderator OR admin)))
);
CREATE INDEX user_permission_overrides_mods ON user_permission_overrides(room) WHERE moderator;

CREATE TABLE user_permission_futures (
  room INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  at FLOAT NOT NULL,
  read BOOLEAN,
  write BOOLEAN,
  upload BOOLEAN
);
CREATE INDEX user_permission_futures_at ON user_permission_futures(at);

CREATE TABLE user_ban_futures (
  room INTEGER REFERENCES rooms(id) ON DELETE CASCADE,
  user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  at FLOAT NOT NULL,
  banned BOOLEAN NOT NULL
);
CREATE INDEX user_ban_futures_at ON user_ban_futures(at);

CREATE TABLE user_request_nonces (
  user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  nonce BLOB NOT NULL UNIQUE,
  expiry FLOAT NOT NULL
);
CREATE INDEX user_request_nonces_expiry ON user_request_nonces(expiry);

CREATE TABLE inbox (
  id INTEGER PRIMARY KEY,
  recipient INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sender INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  body BLOB NOT NULL,
  posted_at FLOAT NOT NULL DEFAULT ${NOW},
  expiry FLOAT NOT NULL
);
CREATE INDEX inbox_recipient ON inbox(recipient, id);
CREATE INDEX inbox_sender ON inbox(sender, id);
CREATE INDEX inbox_expiry ON inbox(expiry);
`;
