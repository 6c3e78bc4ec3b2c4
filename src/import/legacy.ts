// `sogs --import-legacy DIR`: imports a legacy (pre-0.2 Rust open-group-server) data volume —
// database.db, rooms/<room>.db, files/, x25519_private_key.pem — the way the reference server does
// (docs/protocol/legacy.md §8), including its id maps (room_import_hacks, file_id_hacks) so that legacy clients'
// message and file ids keep working. The volume itself is only read, never changed.
import type Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { systemUserId } from '../crypto/ids';
import { x25519PublicKey } from '../crypto/keys';
import { removePadding } from '../crypto/padding';
import { blobPath } from '../domain/files';
import { LEGACY_TOKEN_HEX_RE, legacyTokenLifetime } from '../domain/legacy-tokens';
import type { Room } from '../store/types';
import { UPLOADS_DIR } from '../store/blobs';
import { ImportError,
  importFailure, ImportSummary, Progress, Staging, checkTarget, closeSourceDb, columnsOf, hasTable, openSourceDb, targetOf } from './common';

export interface LegacyImportOptions {
  /** The legacy volume (database.db, rooms/, files/, x25519_private_key.pem). */
  source: string;
  force?: boolean;
  /** Unix seconds used as "now" (room creation, nanosecond-timestamp files, the 60-day cutoff). */
  now?: number;
  /** Shift of imported message times in ms (the reference's IMPORT_ADJUST_MS). */
  adjustMs?: number;
  progress?: boolean;
}

const FILE_TTL = 15 * 86400;
const ACTIVITY_CUTOFF = 60 * 86400;
const SESSION_ID_RE = /^05[0-9a-f]{64}$/;

/** The raw 32-byte X25519 secret of a legacy PKCS#8 PEM key file. */
export function readPemKey(file: string): Buffer {
  if (!fs.existsSync(file)) throw new ImportError(`key file ${file} does not exist`);
  let d: string | undefined;
  try {
    const key = crypto.createPrivateKey({ key: fs.readFileSync(file), format: 'pem' });
    if (key.asymmetricKeyType !== 'x25519') throw new ImportError(`${file} holds a ${key.asymmetricKeyType} key, not an X25519 key`);
    d = key.export({ format: 'jwk' }).d;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${file} is not a PEM (PKCS#8) X25519 private key (${(e as Error).message})`);
  }
  const raw = Buffer.from(d ?? '', 'base64url');
  if (raw.length !== 32) throw new ImportError(`${file}: the X25519 key is ${raw.length} bytes, expected 32`);
  return raw;
}

function readPemPublic(file: string): Buffer | null {
  if (!fs.existsSync(file)) return null;
  try {
    const key = crypto.createPublicKey({ key: fs.readFileSync(file), format: 'pem' });
    return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
  } catch {
    return null;
  }
}

type Row = Record<string, unknown>;

interface Staged {
  db: Database.Database;
  staging: Staging;
  summary: ImportSummary;
  now: number;
  /** Seconds a claimed legacy auth token stays valid (legacyTokenDays). */
  tokenLifetime: number;
  userId(sessionId: string): number;
  touchUser(sessionId: string, lastActive: number): void;
}

function decodeB64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.trim())) throw new ImportError(`${what} is not base64`);
  return Buffer.from(v.trim(), 'base64');
}

/** Imports one legacy room database into the staged database. */
function importRoom(s: Staged, token: string, name: string, roomDb: Database.Database, volume: string, progress: Progress, adjustMs: number): void {
  const { db, summary, now } = s;
  for (const t of ['messages', 'moderators', 'block_list']) {
    if (!hasTable(roomDb, t)) throw new ImportError(`rooms/${token}.db has no ${t} table: not a legacy room database`);
  }
  const msgCols = new Set(columnsOf(roomDb, 'messages'));
  for (const c of ['id', 'public_key', 'timestamp', 'data', 'signature']) {
    if (!msgCols.has(c)) throw new ImportError(`rooms/${token}.db: messages lacks column ${c}`);
  }
  const roomId = Number(
    db.prepare('INSERT INTO rooms (token, name, created) VALUES (?, ?, ?) RETURNING id').pluck().get(token, name ?? token, now),
  );
  summary.add('rooms');

  // Messages, in id order, with the reference's id offset: this room's ids follow those already imported.
  const span = roomDb.prepare('SELECT min(id) AS lo, max(id) AS hi FROM messages').get() as { lo: number | null; hi: number | null };
  const maxSoFar = Number(db.prepare('SELECT coalesce(max(id), 0) FROM messages').pluck().get());
  const offset = span.lo === null ? 0 : maxSoFar + 1 - span.lo;
  if (span.hi !== null && offset !== 0) {
    db.prepare('INSERT INTO room_import_hacks (room, old_message_id_max, message_id_offset) VALUES (?, ?, ?)').run(roomId, span.hi, offset);
    summary.add('room_import_hacks');
  }
  const hasIsDeleted = msgCols.has('is_deleted');
  const ins = db.prepare(
    `INSERT INTO messages (id, room, user, posted, seqno, seqno_data, seqno_creation, data, data_size, signature)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let seqno = 0;
  const deletedUser = s.userId('deleted');
  for (const m of roomDb.prepare(`SELECT id, public_key, timestamp, data, signature${hasIsDeleted ? ', is_deleted' : ''} FROM messages ORDER BY id`).iterate() as IterableIterator<Row>) {
    progress.tick(`${token} messages`);
    const oldId = Number(m['id']);
    const flagged = hasIsDeleted && m['is_deleted'] !== null && Number(m['is_deleted']) !== 0;
    const looksDeleted = m['public_key'] === 'deleted' || m['data'] === 'deleted' || m['signature'] === 'deleted';
    if (flagged !== looksDeleted && !(looksDeleted && hasIsDeleted && m['is_deleted'] === null)) {
      throw new ImportError(`rooms/${token}.db message ${oldId} has an inconsistent deletion state (is_deleted=${String(m['is_deleted'])}, public_key=${String(m['public_key'])})`);
    }
    if (flagged || looksDeleted) {
      seqno++;
      // seqno_creation 0: a client at any cursor may have seen the original, so every `since`
      // poll returns the tombstone (as the reference's import does).
      ins.run(oldId + offset, roomId, deletedUser, 0, seqno, seqno, 0, null, null, null);
      summary.add('messages (deleted)');
      continue;
    }
    const sender = String(m['public_key'] ?? '').toLowerCase();
    if (!SESSION_ID_RE.test(sender)) throw new ImportError(`rooms/${token}.db message ${oldId}: sender ${String(m['public_key'])} is not a 05 session id`);
    const padded = decodeB64(m['data'], `rooms/${token}.db message ${oldId} data`);
    const sig = decodeB64(m['signature'], `rooms/${token}.db message ${oldId} signature`);
    if (sig.length !== 64) throw new ImportError(`rooms/${token}.db message ${oldId}: the signature is ${sig.length} bytes, not 64`);
    const data = removePadding(padded);
    const ts = Number(m['timestamp']);
    ins.run(oldId + offset, roomId, s.userId(sender), (ts + adjustMs) / 1000, seqno, seqno, seqno, data, padded.length, sig);
    summary.add('messages');
  }
  // Deletion cursors of legacy clients (deleted_messages ids) must stay valid.
  let maxDeletion = 0;
  if (hasTable(roomDb, 'deleted_messages')) {
    maxDeletion = Number(roomDb.prepare('SELECT coalesce(max(id), 0) FROM deleted_messages').pluck().get());
  }
  db.prepare('UPDATE rooms SET message_sequence = ? WHERE id = ?').run(Math.max(seqno, maxDeletion), roomId);

  // Attachments: files/<room>_files/<id> (early versions: files/<id>), uploaded = legacy
  // timestamp (nanosecond values → now), expiry 15 days later.
  const room = { token } as Room;
  if (hasTable(roomDb, 'files')) {
    for (const f of roomDb.prepare('SELECT id, timestamp FROM files ORDER BY rowid').safeIntegers(true).iterate() as IterableIterator<Row>) {
      progress.tick(`${token} files`);
      const oldIdText = String(f['id']);
      if (!/^\d+$/.test(oldIdText)) {
        s.summary.skip('file', `${token}/${oldIdText}`, 'its id is not a decimal number');
        continue;
      }
      const from = [path.join(volume, 'files', `${token}_files`, oldIdText), path.join(volume, 'files', oldIdText)].find((p) => {
        try {
          return fs.statSync(p).isFile();
        } catch {
          return false;
        }
      });
      if (!from) {
        summary.skip('file', `${token}/${oldIdText}`, `files/${token}_files/${oldIdText} is missing on disk`);
        continue;
      }
      let ts = Number(f['timestamp']);
      if (!Number.isFinite(ts) || ts > 1e10) {
        summary.notes.push(`file ${token}/${oldIdText}: bogus timestamp ${String(f['timestamp'])} (nanoseconds?), imported with the import time`);
        ts = now;
      }
      const size = fs.statSync(from).size;
      const id = Number(
        db.prepare('INSERT INTO files (room, size, uploaded, expiry, filename, path) VALUES (?, ?, ?, ?, NULL, ?) RETURNING id').pluck().get(roomId, size, ts, ts + FILE_TTL, ''),
      );
      const rel = blobPath(room, id, null);
      s.staging.copyBlob(from, rel);
      db.prepare('UPDATE files SET path = ? WHERE id = ?').run(rel, id);
      db.prepare('INSERT INTO file_id_hacks (room, old_file_id, file) VALUES (?, ?, ?)').run(roomId, BigInt(oldIdText), id);
      summary.add('files (attachments)');
      summary.add('file_id_hacks');
    }
  }
  // The room image: files/<room>, uploaded = its mtime, never expires.
  const image = path.join(volume, 'files', token);
  if (fs.existsSync(image) && fs.statSync(image).isFile()) {
    const st = fs.statSync(image);
    const id = Number(
      db.prepare('INSERT INTO files (room, size, uploaded, expiry, filename, path) VALUES (?, ?, ?, NULL, NULL, ?) RETURNING id').pluck().get(roomId, st.size, st.mtimeMs / 1000, ''),
    );
    const rel = `${UPLOADS_DIR}/${token}/${id}_(imported_room_image)`;
    s.staging.copyBlob(image, rel);
    db.prepare('UPDATE files SET path = ? WHERE id = ?').run(rel, id);
    db.prepare('UPDATE rooms SET image = ?, info_updates = info_updates + 1 WHERE id = ?').run(id, roomId);
    summary.add('files (room images)');
  }

  // Moderators had admin-equivalent powers; block_list entries become room bans.
  const override = db.prepare(
    `INSERT INTO user_permission_overrides (room, user, read, write, upload, moderator, admin) VALUES (?, ?, TRUE, TRUE, TRUE, TRUE, TRUE)
     ON CONFLICT (room, user) DO NOTHING`,
  );
  for (const k of roomDb.prepare('SELECT public_key FROM moderators').pluck().all() as unknown[]) {
    const id = String(k ?? '').toLowerCase();
    if (!SESSION_ID_RE.test(id)) {
      summary.skip('moderator', `${token}/${String(k)}`, 'not a 05 session id');
      continue;
    }
    if (override.run(roomId, s.userId(id)).changes > 0) {
      db.prepare('UPDATE rooms SET info_updates = info_updates + 1 WHERE id = ?').run(roomId);
      summary.add('moderators (as room admins)');
    } else summary.skip('moderator', `${token}/${id}`, 'listed twice');
  }
  const ban = db.prepare(
    `INSERT INTO user_permission_overrides (room, user, banned) VALUES (?, ?, TRUE)
     ON CONFLICT (room, user) DO NOTHING`,
  );
  for (const k of roomDb.prepare('SELECT public_key FROM block_list').pluck().all() as unknown[]) {
    const id = String(k ?? '').toLowerCase();
    if (!SESSION_ID_RE.test(id)) {
      summary.skip('ban', `${token}/${String(k)}`, 'not a 05 session id');
      continue;
    }
    if (ban.run(roomId, s.userId(id)).changes > 0) summary.add('bans');
    else summary.skip('ban', `${token}/${id}`, 'duplicate, or the user is a moderator of the room');
  }

  // Activity of the last 60 days.
  if (hasTable(roomDb, 'user_activity')) {
    const act = db.prepare('INSERT INTO room_users (room, user, last_active) VALUES (?, ?, ?) ON CONFLICT (room, user) DO UPDATE SET last_active = max(last_active, excluded.last_active)');
    for (const a of roomDb.prepare('SELECT public_key, last_active FROM user_activity').all() as Row[]) {
      const id = String(a['public_key'] ?? '').toLowerCase();
      const at = Number(a['last_active']);
      if (!SESSION_ID_RE.test(id) || !Number.isFinite(at)) continue;
      if (at < now - ACTIVITY_CUTOFF) {
        summary.skip('activity', `${token}/${id}`, 'older than 60 days');
        continue;
      }
      act.run(roomId, s.userId(id), at);
      s.touchUser(id, at);
      summary.add('room activity');
    }
  }
  // Claimed auth tokens still within their lifetime carry over (docs/protocol/legacy.md §8 suggests it), so
  // those clients keep polling without signing in again. Pending ones (10 minutes) do not.
  if (hasTable(roomDb, 'tokens') && ['public_key', 'timestamp', 'token'].every((c) => columnsOf(roomDb, 'tokens').includes(c))) {
    const insToken = db.prepare('INSERT INTO legacy_tokens (token, room, session_id, claimed) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
    let expired = 0;
    for (const r of roomDb.prepare('SELECT public_key, timestamp, token FROM tokens').all() as Row[]) {
      const id = String(r['public_key'] ?? '').toLowerCase();
      const claimed = Number(r['timestamp']);
      const tok = r['token'];
      if (!SESSION_ID_RE.test(id) || typeof tok !== 'string' || !LEGACY_TOKEN_HEX_RE.test(tok) || !Number.isFinite(claimed)) {
        summary.skip('token', `${token}/${id}`, 'not a 05 session id with a 48-byte hex token');
      } else if (claimed <= now - s.tokenLifetime) {
        // Expired sign-ins are what a long-lived server has most of: counted, not listed.
        expired++;
      } else if (insToken.run(tok, roomId, id, claimed).changes > 0) {
        summary.add('auth tokens (still valid)');
      } else {
        summary.skip('token', `${token}/${id}`, 'the same token was already imported');
      }
    }
    if (expired > 0) summary.notes.push(`${token}: ${expired} expired auth tokens dropped`);
  }
  if (hasTable(roomDb, 'pending_tokens')) {
    const n = Number(roomDb.prepare('SELECT count(*) FROM pending_tokens').pluck().get());
    if (n > 0) summary.notes.push(`${token}: ${n} unclaimed auth token challenges dropped`);
  }
}

export async function importLegacy(config: Config, opts: LegacyImportOptions): Promise<ImportSummary> {
  const volume = path.resolve(opts.source);
  if (!fs.existsSync(volume) || !fs.statSync(volume).isDirectory()) throw new ImportError(`${volume} is not a folder`);
  const key = readPemKey(path.join(volume, 'x25519_private_key.pem'));
  const pub = x25519PublicKey(key);
  const pemPub = readPemPublic(path.join(volume, 'x25519_public_key.pem'));
  if (pemPub && !pemPub.equals(pub)) {
    throw new ImportError('x25519_private_key.pem and x25519_public_key.pem do not belong together');
  }
  const now = opts.now ?? Date.now() / 1000;
  const t = targetOf(config);
  const main = openSourceDb(path.join(volume, 'database.db'), 'legacy room list');
  const opened: Database.Database[] = [main];
  const summary = new ImportSummary();
  let staging: Staging | null = null;
  try {
    if (!hasTable(main, 'main') || !new Set(columnsOf(main, 'main')).has('id')) {
      throw new ImportError(`${volume}/database.db has no table 'main' (id, name): not a legacy server volume`);
    }
    const rooms: { token: string; name: string; db: Database.Database }[] = [];
    for (const r of main.prepare('SELECT id, name FROM main ORDER BY rowid').all() as { id: string; name: string | null }[]) {
      const token = String(r.id);
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(token)) {
        summary.skip('room', token, 'not a valid room token');
        continue;
      }
      const file = path.join(volume, 'rooms', `${token}.db`);
      if (!fs.existsSync(file)) {
        summary.skip('room', token, `rooms/${token}.db does not exist`);
        continue;
      }
      const db = openSourceDb(file, `room database of ${token}`);
      opened.push(db);
      rooms.push({ token, name: r.name ?? token, db });
    }
    const listed = new Set(rooms.map((r) => `${r.token}.db`));
    const roomsDir = path.join(volume, 'rooms');
    for (const f of fs.existsSync(roomsDir) ? fs.readdirSync(roomsDir) : []) {
      if (f.endsWith('.db') && !listed.has(f) && !summary.skipped.some((s) => `${s.id}.db` === f)) {
        summary.skip('room', f.slice(0, -3), 'not listed in database.db (left over from a deleted room)');
      }
    }

    await checkTarget(t, key, Boolean(opts.force));
    staging = new Staging(t);
    const db = staging.open();
    const total = rooms.reduce((n, r) => n + Number(r.db.prepare('SELECT count(*) FROM messages').pluck().get()), 0);
    const progress = new Progress(total, opts.progress ?? (process.stderr.isTTY === true && total >= 2000));

    const userIds = new Map<string, number>();
    const st: Staged = {
      db,
      staging,
      summary,
      now,
      tokenLifetime: legacyTokenLifetime(config),
      userId(sessionId) {
        let id = userIds.get(sessionId);
        if (id === undefined) {
          id = Number(db.prepare('INSERT INTO users (session_id, created, last_active) VALUES (?, ?, ?) RETURNING id').pluck().get(sessionId, now, now));
          userIds.set(sessionId, id);
          summary.add('users');
        }
        return id;
      },
      touchUser(sessionId, at) {
        db.prepare('UPDATE users SET last_active = max(last_active, ?) WHERE session_id = ?').run(at, sessionId);
      },
    };
    db.transaction(() => {
      for (const r of rooms) importRoom(st, r.token, r.name, r.db, volume, progress, opts.adjustMs ?? 0);
      // The server's own user (hidden global admin), as the reference creates it after the import:
      // like any global moderator change it bumps every room's info_updates.
      db.prepare('INSERT INTO users (session_id, created, last_active, moderator, admin, visible_mod) VALUES (?, ?, ?, TRUE, TRUE, FALSE)').run(systemUserId(pub), now, now);
      db.prepare('UPDATE rooms SET info_updates = info_updates + 1').run();
    })();
    progress.finish();
    await staging.commit(key);
    summary.notes.push(`server key converted from PEM and kept: public key ${pub.toString('hex')} (join URLs keep working)`);
    summary.notes.push('the legacy volume was not changed; remove it once the new server runs well');
    return summary;
  } catch (e) {
    staging?.abort();
    throw importFailure(e);
  } finally {
    for (const d of opened) closeSourceDb(d);
  }
}
