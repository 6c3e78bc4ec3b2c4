// `sogs --import-pysogs DIR`: imports a reference server (PySOGS) data folder — sogs.db, key_x25519
// and uploads/ — into our data folder. Our schema mirrors the reference's tables and columns
// (docs/protocol/api.md §11), so rows are copied one to one with their ids, seqnos and counters; only upload
// paths are rewritten to our layout (uploads/<room token>/<id>_<safe name>).
import type Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config';
import { systemUserId } from '../crypto/ids';
import { x25519PublicKey } from '../crypto/keys';
import { blobPath } from '../domain/files';
import { withoutPassword } from '../store/postgres/connect';
import { dumpToSqlite } from '../store/postgres/dump-to-sqlite';
import type { Room } from '../store/types';
import {
  ImportError,
  forgetFiles,
  importFailure,
  ImportSummary,
  Progress,
  Staging,
  checkTarget,
  closeSourceDb,
  columnsOf,
  hasTable,
  openSourceDb,
  targetOf,
} from './common';

export interface PysogsImportOptions {
  /** The PySOGS data folder (sogs.db, key_x25519, uploads/). */
  source: string;
  /** The database file, when it is not DIR/sogs.db, or the URL of a PySOGS PostgreSQL database. */
  dbFile?: string;
  /** The key file, when it is not DIR/key_x25519. */
  keyFile?: string;
  force?: boolean;
  /** Draw a progress bar (default: when stderr is a terminal and the import is large). */
  progress?: boolean;
}

/** Tables copied in this order (parents first), with the columns that must exist in the source. */
const TABLES: { table: string; required: string[]; optional?: boolean }[] = [
  { table: 'users', required: ['id', 'session_id', 'created', 'last_active', 'banned', 'moderator', 'admin', 'visible_mod'] },
  { table: 'rooms', required: ['id', 'token', 'name', 'description', 'image', 'created', 'message_sequence', 'info_updates', 'active_users', 'read', 'accessible', 'write', 'upload'] },
  { table: 'messages', required: ['id', 'room', 'user', 'posted', 'edited', 'seqno', 'seqno_data', 'seqno_reactions', 'seqno_creation', 'data', 'data_size', 'signature', 'filtered', 'whisper', 'whisper_mods'] },
  { table: 'files', required: ['id', 'room', 'uploader', 'message', 'size', 'uploaded', 'expiry', 'filename', 'path'] },
  { table: 'message_history', required: ['message', 'replaced', 'data', 'signature'] },
  { table: 'pinned_messages', required: ['room', 'message', 'pinned_by', 'pinned_at'] },
  { table: 'reactions', required: ['id', 'message', 'reaction'] },
  { table: 'user_reactions', required: ['reaction', 'user', 'at'] },
  { table: 'needs_blinding', required: ['blinded_abs', 'user'] },
  { table: 'room_users', required: ['room', 'user', 'last_active'] },
  { table: 'user_permission_overrides', required: ['room', 'user', 'banned', 'read', 'accessible', 'write', 'upload', 'moderator', 'admin', 'visible_mod'] },
  { table: 'user_permission_futures', required: ['room', 'user', 'at', 'read', 'write', 'upload'] },
  { table: 'user_ban_futures', required: ['room', 'user', 'at', 'banned'] },
  { table: 'inbox', required: ['id', 'recipient', 'sender', 'body', 'posted_at', 'expiry'] },
  { table: 'user_request_nonces', required: ['user', 'nonce', 'expiry'], optional: true },
  // Present only in databases the reference imported from a legacy server (docs/protocol/api.md §11.1).
  { table: 'room_import_hacks', required: ['room', 'old_message_id_max', 'message_id_offset'], optional: true },
  { table: 'file_id_hacks', required: ['room', 'old_file_id', 'file'], optional: true },
];
/** Copied with 64-bit integers intact (legacy file ids can exceed 2^53). */
const BIGINT_TABLES = new Set(['room_import_hacks', 'file_id_hacks']);

type Row = Record<string, unknown>;

export function readRawKey(file: string): Buffer {
  if (!fs.existsSync(file)) throw new ImportError(`key file ${file} does not exist`);
  const key = fs.readFileSync(file);
  if (key.length !== 32) {
    throw new ImportError(`key file ${file} is ${key.length} bytes; a PySOGS key_x25519 holds exactly 32 raw bytes`);
  }
  return key;
}

/** Resolves a files.path of the source: relative to the source folder, or absolute. */
function sourceBlob(source: string, row: Row, roomToken: string | null): string | null {
  const p = row['path'];
  const candidates: string[] = [];
  if (typeof p === 'string' && p !== '') {
    candidates.push(path.isAbsolute(p) ? p : path.join(source, p));
    // A reference that ran elsewhere (absolute paths into another folder): look in DIR/uploads.
    if (roomToken !== null) candidates.push(path.join(source, 'uploads', roomToken, path.basename(p)));
  }
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  return null;
}

export async function importPysogs(config: Config, opts: PysogsImportOptions): Promise<ImportSummary> {
  const source = path.resolve(opts.source);
  if (!fs.existsSync(source) || !fs.statSync(source).isDirectory()) throw new ImportError(`${source} is not a folder`);
  const key = readRawKey(path.resolve(opts.keyFile ?? path.join(source, 'key_x25519')));
  const t = targetOf(config);
  // A PySOGS on PostgreSQL: its tables are read into a temporary SQLite file first, then imported
  // like any sogs.db.
  const fromPg = opts.dbFile !== undefined && /^postgres(ql)?:\/\//.test(opts.dbFile);
  let dumpDir: string | null = null;
  let dbFile: string;
  if (fromPg) {
    if (opts.dbFile === t.pgUrl) throw new ImportError('the source database is the target database');
    dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-import-pg-'));
    dbFile = path.join(dumpDir, 'sogs.db');
    try {
      await dumpToSqlite(opts.dbFile!, dbFile, TABLES.map((x) => x.table));
    } catch (e) {
      fs.rmSync(dumpDir, { recursive: true, force: true });
      throw new ImportError(`cannot read the PySOGS database ${withoutPassword(opts.dbFile!)}: ${(e as Error).message}`);
    }
  } else {
    dbFile = path.resolve(opts.dbFile ?? path.join(source, 'sogs.db'));
    if (t.dbFile !== null && path.resolve(t.dbFile) === dbFile) throw new ImportError('the source database is the target database');
  }

  let src: Database.Database;
  try {
    src = openSourceDb(dbFile, 'PySOGS database');
  } catch (e) {
    if (dumpDir !== null) fs.rmSync(dumpDir, { recursive: true, force: true });
    throw e;
  }
  const summary = new ImportSummary();
  let staging: Staging | null = null;
  try {
    // Schema check: every table and column we copy must exist (a different schema version
    // would otherwise import silently wrong).
    for (const { table, required, optional } of TABLES) {
      if (!hasTable(src, table)) {
        if (optional) continue;
        throw new ImportError(`${dbFile} does not have the PySOGS schema this importer knows: table '${table}' is missing (PySOGS 0.3 or later is needed; run the reference server once on it to upgrade its schema)`);
      }
      const cols = new Set(columnsOf(src, table));
      const missing = required.filter((c) => !cols.has(c));
      if (missing.length > 0) {
        throw new ImportError(`${dbFile} has an unknown schema: table '${table}' lacks column(s) ${missing.join(', ')}`);
      }
    }
    // The key must belong to this database: the system user is ff + the server's public key.
    const pub = x25519PublicKey(key);
    const sysId = systemUserId(pub);
    const ffUsers = src.prepare("SELECT session_id FROM users WHERE session_id LIKE 'ff%'").all() as { session_id: string }[];
    if (ffUsers.length > 0 && !ffUsers.some((u) => u.session_id.toLowerCase() === sysId)) {
      throw new ImportError(`the key file does not belong to this database: its public key is ${pub.toString('hex')}, but the database's server user is ${ffUsers[0]!.session_id}`);
    }

    await checkTarget(t, key, Boolean(opts.force));

    staging = new Staging(t);
    const db = staging.open();
    const rooms = new Map<number, string>(
      (src.prepare('SELECT id, token FROM rooms').all() as { id: number; token: string }[]).map((r) => [r.id, r.token]),
    );
    const total = TABLES.reduce((n, { table }) => n + (hasTable(src, table) ? (src.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n : 0), 0);
    const progress = new Progress(total, opts.progress ?? (process.stderr.isTTY === true && total >= 2000));
    const skippedFiles = new Set<number>();

    db.transaction(() => {
      for (const { table } of TABLES) {
        if (!hasTable(src, table)) {
          if (!BIGINT_TABLES.has(table)) summary.notes.push(`the source has no ${table} table (optional); nothing imported for it`);
          continue;
        }
        const ours = new Set(columnsOf(db, table));
        const theirs = columnsOf(src, table);
        const cols = theirs.filter((c) => ours.has(c));
        const extra = theirs.filter((c) => !ours.has(c));
        if (extra.length > 0) summary.notes.push(`${table}: source column(s) ${extra.join(', ')} have no counterpart here and were not imported`);
        const ins = db.prepare(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
        const kind = table;
        summary.counts[kind] = 0;
        const select = src.prepare(`SELECT * FROM "${table}"`).safeIntegers(BIGINT_TABLES.has(table));
        for (const row of select.iterate() as IterableIterator<Row>) {
          progress.tick(table);
          if (table === 'files') {
            const id = row['id'] as number;
            const roomId = row['room'] as number | null;
            const token = roomId === null ? null : (rooms.get(roomId) ?? null);
            const from = sourceBlob(source, row, token);
            if (from === null) {
              summary.skip('file', id, `its upload ${String(row['path'])} is missing on disk`);
              skippedFiles.add(id);
              continue;
            }
            const rel = blobPath({ token: token ?? '_no_room' } as Room, id, (row['filename'] as string | null) ?? null);
            staging!.copyBlob(from, rel);
            const actual = fs.statSync(from).size;
            if (actual !== row['size']) summary.notes.push(`file ${id}: the database says ${String(row['size'])} bytes, the upload has ${actual}; imported as is`);
            row['path'] = rel;
          }
          ins.run(cols.map((c) => row[c] ?? null));
          summary.add(kind);
        }
      }
      forgetFiles(db, summary, skippedFiles);
      // Rows whose parents are missing in the source (dangling references the reference's
      // SQLite did not enforce): dropped, so that our foreign keys hold.
      for (const v of db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[]) {
        if (v.rowid === null) continue;
        db.prepare(`DELETE FROM "${v.table}" WHERE rowid = ?`).run(v.rowid);
        summary.counts[v.table] = (summary.counts[v.table] ?? 1) - 1;
        summary.skip(v.table, `row ${v.rowid}`, `refers to a missing ${v.parent} row`);
      }
    })();
    progress.finish();
    await staging.commit(key);
    summary.notes.push(`server key kept: public key ${pub.toString('hex')} (join URLs keep working)`);
    return summary;
  } catch (e) {
    staging?.abort();
    throw importFailure(e);
  } finally {
    closeSourceDb(src);
    if (dumpDir !== null) fs.rmSync(dumpDir, { recursive: true, force: true });
  }
}
