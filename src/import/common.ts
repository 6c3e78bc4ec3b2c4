// Shared machinery of the importers (--import-pysogs, --import-legacy, --import-db): refusing a non-empty target, building the new
// database and uploads folder beside the target and swapping them in only at the end, a progress
// bar, and the summary.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, blobsInDatabase, resolveInDataDir, sqlitePath } from '../config';
import { UPLOADS_DIR, blobFile } from '../store/blobs';
import { migrate } from '../store/sqlite/migrations';
import { withoutPassword } from '../store/postgres/connect';
import { pgContents, replaceWithSqlite } from '../store/postgres/load-from-sqlite';

/** A problem with the input or the target: printed as `Error: …`, exit 1, target untouched. */
export class ImportError extends Error {}

/** What an import throws after staging was aborted: its own ImportError, or any other failure wrapped. */
export function importFailure(e: unknown): ImportError {
  return e instanceof ImportError ? e : new ImportError(`import failed, target left untouched: ${(e as Error).message}`);
}

export interface Skipped {
  kind: string;
  id: string;
  reason: string;
}

export class ImportSummary {
  readonly counts: Record<string, number> = {};
  readonly skipped: Skipped[] = [];
  readonly notes: string[] = [];

  add(kind: string, n = 1): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
  }

  skip(kind: string, id: string | number | bigint, reason: string): void {
    this.skipped.push({ kind, id: String(id), reason });
  }

  lines(header: string): string[] {
    const out = [header, 'Imported:'];
    for (const [k, v] of Object.entries(this.counts)) out.push(`  ${k.padEnd(26)} ${v}`);
    if (this.skipped.length === 0) out.push('Skipped: nothing');
    else {
      out.push(`Skipped (${this.skipped.length}):`);
      for (const s of this.skipped) out.push(`  ${s.kind} ${s.id}: ${s.reason}`);
    }
    for (const n of this.notes) out.push(`Note: ${n}`);
    return out;
  }
}

/** A progress bar on stderr, drawn only when stderr is a terminal and the import is large. */
export class Progress {
  private done = 0;
  private lastDrawn = -1;
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    enabled = process.stderr.isTTY === true && total >= 2000,
  ) {
    this.enabled = enabled;
  }

  tick(label: string, n = 1): void {
    this.done += n;
    if (!this.enabled) return;
    const pct = Math.min(100, Math.floor((this.done * 100) / Math.max(1, this.total)));
    if (pct === this.lastDrawn) return;
    this.lastDrawn = pct;
    const width = 30;
    const filled = Math.round((pct * width) / 100);
    process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}% ${label.padEnd(24)}`);
  }

  finish(): void {
    if (this.enabled && this.lastDrawn >= 0) process.stderr.write('\n');
  }
}

export interface Target {
  dataDir: string;
  /** SQLite: the database file; null for PostgreSQL. */
  dbFile: string | null;
  /** PostgreSQL: the database URL; null for SQLite. */
  pgUrl: string | null;
  /** Uploads go into the database (PostgreSQL, fileStore database or auto) instead of uploadsDir. */
  blobsInDb: boolean;
  keyFile: string;
  uploadsDir: string;
}

export function targetOf(config: Config): Target {
  const dbFile = sqlitePath(config);
  return {
    dataDir: path.resolve(config.dataDir),
    dbFile: dbFile === null ? null : path.resolve(dbFile),
    pgUrl: dbFile === null ? config.dbUrl : null,
    blobsInDb: blobsInDatabase(config),
    keyFile: path.resolve(resolveInDataDir(config, config.keyFile)),
    uploadsDir: path.join(path.resolve(config.dataDir), UPLOADS_DIR),
  };
}

/** What the target's database holds that an import would replace (SQLite file or PostgreSQL). */
async function databaseProblems(t: Target): Promise<string[]> {
  const problems: string[] = [];
  let c: { messages: number; otherRooms: number; files: number; dms: number };
  if (t.pgUrl !== null) {
    try {
      c = await pgContents(t.pgUrl);
    } catch (e) {
      throw new ImportError(`cannot read the target database ${withoutPassword(t.pgUrl)}: ${(e as Error).message}`);
    }
  } else {
    if (!fs.existsSync(t.dbFile!)) return [];
    try {
      c = sqliteContents(t.dbFile!);
    } catch (e) {
      return [`its database ${t.dbFile} cannot be read (${(e as Error).message})`];
    }
  }
  if (c.messages > 0) problems.push('its database has messages');
  if (c.otherRooms > 0) problems.push('its database has rooms besides the default `main`');
  if (c.files > 0) problems.push('its database has files');
  if (c.dms > 0) problems.push('its database has direct messages');
  return problems;
}

function sqliteContents(file: string): { messages: number; otherRooms: number; files: number; dms: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = (table: string): boolean => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    const n = (table: string, where = '1'): number => (has(table) ? (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n : 0);
    return { messages: n('messages'), otherRooms: n('rooms', "token != 'main'"), files: n('files'), dms: n('inbox') };
  } finally {
    db.close();
  }
}

function hasFiles(dir: string): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => (e.isDirectory() ? hasFiles(path.join(dir, e.name)) : true));
}

/**
 * Refuses a target that holds anything besides a fresh server's default `main` room, or a
 * different key, unless `force`.
 */
export async function checkTarget(t: Target, newKey: Buffer, force: boolean): Promise<void> {
  const problems = await databaseProblems(t);
  if (fs.existsSync(t.keyFile)) {
    const old = fs.readFileSync(t.keyFile);
    if (!old.equals(newKey)) problems.push(`it has a different server key (${t.keyFile}); replacing it changes the server's public key`);
  }
  if (!t.blobsInDb && hasFiles(t.uploadsDir)) problems.push(`it has uploaded files in ${t.uploadsDir}`);
  if (problems.length > 0 && !force) {
    const where = t.pgUrl === null ? `data folder ${t.dataDir}` : `database ${withoutPassword(t.pgUrl)} (data folder ${t.dataDir})`;
    throw new ImportError(`the target ${where} is not empty: ${problems.join('; ')}. Use --force to replace its contents`);
  }
}

/** The new database and uploads folder, built beside the target and swapped in by commit(). */
export class Staging {
  readonly dbTmp: string;
  readonly uploadsTmp: string;
  db: Database.Database | null = null;
  private committed = false;

  constructor(readonly t: Target) {
    const tag = `${process.pid}-${Date.now()}`;
    fs.mkdirSync(t.dataDir, { recursive: true });
    // For PostgreSQL the staged SQLite database is only a step on the way; it lives in the data folder.
    const dbFile = t.dbFile ?? path.join(t.dataDir, 'import.db');
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    this.dbTmp = `${dbFile}.import-${tag}.tmp`;
    this.uploadsTmp = path.join(t.dataDir, `.import-uploads-${tag}`);
  }

  /** Creates the temporary database with our current schema; foreign keys off while copying. */
  open(): Database.Database {
    return this.openDb();
  }

  /** The same, starting from a copy of one of our own databases (migrated to the current schema). */
  async openCopyOf(src: Database.Database): Promise<Database.Database> {
    // An online backup is a consistent copy, even of a database in WAL mode.
    await src.backup(this.dbTmp);
    return this.openDb();
  }

  private openDb(): Database.Database {
    const db = new Database(this.dbTmp);
    db.pragma('journal_mode = DELETE');
    db.pragma('foreign_keys = OFF');
    migrate(db);
    this.db = db;
    fs.mkdirSync(this.uploadsTmp, { recursive: true });
    return db;
  }

  /** Where an upload goes inside the temporary uploads folder, for a path `uploads/…`. */
  stagedBlob(relPath: string): string {
    return blobFile(this.uploadsTmp, relPath);
  }

  /** Copies (or hard-links) a source file into the staged uploads. */
  copyBlob(from: string, relPath: string): void {
    const to = this.stagedBlob(relPath);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE);
  }

  /**
   * Swaps the staged database, uploads and key into place; restores the old ones on failure. For
   * PostgreSQL the staged rows (and uploads, when they live in the database) are loaded in one
   * transaction, which is the moment the import takes effect.
   */
  async commit(key: Buffer): Promise<void> {
    const db = this.db;
    if (!db) throw new Error('staging not opened');
    const bad = db.pragma('foreign_key_check') as unknown[];
    if (bad.length > 0) throw new ImportError(`internal error: ${bad.length} foreign key violations in the imported database`);
    db.close();
    this.db = null;
    const t = this.t;
    const tag = path.basename(this.uploadsTmp).replace('.import-uploads-', '');
    const undo: (() => void)[] = [];
    const trash: string[] = [];
    const moveAside = (p: string): void => {
      if (!fs.existsSync(p)) return;
      const aside = `${p}.import-old-${tag}`;
      fs.renameSync(p, aside);
      undo.push(() => fs.renameSync(aside, p));
      trash.push(aside);
    };
    try {
      // The key goes into place first, the old one kept beside it until the end: whichever
      // database a crash leaves behind (the committed new one, or the old one), its key is on
      // disk, the new one as the key file and the old one as key_x25519.import-old-*. Swapped
      // after the PostgreSQL commit, a crash between the two left a database whose key only a
      // temporary file held (removed by the next import's clean-up) and a server refusing to
      // start on the old key file.
      const keyTmp = `${t.keyFile}.import-${tag}.tmp`;
      fs.mkdirSync(path.dirname(t.keyFile), { recursive: true });
      fs.writeFileSync(keyTmp, key, { mode: 0o400 });
      moveAside(t.keyFile);
      fs.renameSync(keyTmp, t.keyFile);
      undo.push(() => fs.renameSync(t.keyFile, keyTmp));
      trash.push(keyTmp);
      if (!t.blobsInDb) {
        moveAside(t.uploadsDir);
        fs.renameSync(this.uploadsTmp, t.uploadsDir);
        undo.push(() => fs.renameSync(t.uploadsDir, this.uploadsTmp));
      }
      if (t.pgUrl !== null) {
        await replaceWithSqlite(t.pgUrl, { sqliteFile: this.dbTmp, key, blobs: t.blobsInDb ? stagedBlobs(this.uploadsTmp) : null });
        trash.push(this.dbTmp, this.uploadsTmp);
      } else {
        const dbFile = t.dbFile!;
        for (const suffix of ['-wal', '-shm']) moveAside(dbFile + suffix);
        moveAside(dbFile);
        fs.renameSync(this.dbTmp, dbFile);
        undo.push(() => fs.renameSync(dbFile, this.dbTmp));
      }
      this.committed = true;
    } catch (e) {
      for (const u of undo.reverse()) {
        try {
          u();
        } catch {
          /* best effort */
        }
      }
      throw e;
    } finally {
      if (this.committed) for (const p of trash) fs.rmSync(p, { recursive: true, force: true });
    }
  }

  /** Removes whatever was staged (after a failure). */
  abort(): void {
    if (this.committed) return;
    try {
      this.db?.close();
    } catch {
      /* already closed */
    }
    this.db = null;
    for (const p of [this.dbTmp, `${this.dbTmp}-journal`, this.uploadsTmp]) fs.rmSync(p, { recursive: true, force: true });
    // Only this import's temporary key: a key_x25519.import-old-* of an import that crashed may be
    // the only copy of the key its database holds.
    const tag = path.basename(this.uploadsTmp).replace('.import-uploads-', '');
    fs.rmSync(`${this.t.keyFile}.import-${tag}.tmp`, { force: true });
  }
}

/** The staged uploads as blobs (`uploads/…` paths), read one at a time. */
function* stagedBlobs(root: string): Generator<{ path: string; bytes: Buffer }> {
  const walk = function* (dir: string): Generator<string> {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) yield* walk(full);
      else if (e.isFile()) yield full;
    }
  };
  for (const f of walk(root)) {
    yield { path: [UPLOADS_DIR, ...path.relative(root, f).split(path.sep)].join('/'), bytes: fs.readFileSync(f) };
  }
}

/** True when the file's header says WAL mode (read and write version bytes 2). */
function isWalMode(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 18) === 2 && b[0] === 2 && b[1] === 2;
  } finally {
    fs.closeSync(fd);
  }
}

/** Temporary copies of WAL-mode sources, removed by closeSourceDb(). */
const sourceCopies = new Map<Database.Database, string>();

/**
 * Opens a source SQLite database read-only and checks that it is intact. A WAL-mode database is
 * read from a temporary copy (with its -wal file): opening it in place needs a writable folder
 * for the -shm file, which a read-only mount of the old server's data does not give.
 */
export function openSourceDb(file: string, what: string): Database.Database {
  if (!fs.existsSync(file)) throw new ImportError(`${what} ${file} does not exist`);
  let db: Database.Database;
  let copy: string | null = null;
  try {
    let open = file;
    if (isWalMode(file)) {
      copy = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-import-src-'));
      open = path.join(copy, 'source.db');
      fs.copyFileSync(file, open);
      if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${open}-wal`);
    }
    db = new Database(open, { readonly: true, fileMustExist: true });
    if (copy !== null) sourceCopies.set(db, copy);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      db.close();
      sourceCopies.delete(db);
      throw new ImportError(`${what} ${file} is corrupt (integrity check: ${String(check)})`);
    }
  } catch (e) {
    if (copy !== null) fs.rmSync(copy, { recursive: true, force: true });
    if (e instanceof ImportError) throw e;
    throw new ImportError(`${what} ${file} is not a readable SQLite database (${(e as Error).message})`);
  }
  return db;
}

/** Closes a database opened by openSourceDb() and removes its temporary copy. */
export function closeSourceDb(db: Database.Database): void {
  db.close();
  const copy = sourceCopies.get(db);
  if (copy !== undefined) {
    sourceCopies.delete(db);
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

export function columnsOf(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info("${table.replace(/"/g, '""')}")`).all() as { name: string }[]).map((c) => c.name);
}

export function hasTable(db: Database.Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?").get(table) !== undefined;
}

/**
 * Forgets files of a staged database whose uploads are missing, as the schema's ON DELETE rules
 * would (staging runs with foreign keys off): a room whose image it was keeps none, a legacy id
 * mapped to it goes, and so does its row (if it had one).
 */
export function forgetFiles(db: Database.Database, summary: ImportSummary, ids: Iterable<number>): void {
  for (const id of ids) {
    for (const { token } of db.prepare('UPDATE rooms SET image = NULL WHERE image = ? RETURNING token').all(id) as { token: string }[]) {
      summary.notes.push(`room ${token}: its image (file ${id}) was missing, so it now has none`);
    }
    db.prepare('DELETE FROM file_id_hacks WHERE file = ?').run(id);
    db.prepare('DELETE FROM files WHERE id = ?').run(id);
  }
}
