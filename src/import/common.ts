// Shared machinery of the importers (issue 10): refusing a non-empty target, building the new
// database and uploads folder beside the target and swapping them in only at the end, a progress
// bar, and the summary.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, resolveInDataDir, sqlitePath } from '../config';
import { UPLOADS_DIR } from '../store/blobs';
import { migrate } from '../store/sqlite/migrations';

/** A problem with the input or the target: printed as `Error: …`, exit 1, target untouched. */
export class ImportError extends Error {}

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
  dbFile: string;
  keyFile: string;
  uploadsDir: string;
}

export function targetOf(config: Config): Target {
  const dbFile = sqlitePath(config);
  if (dbFile === null) {
    throw new ImportError(`importing into ${config.dbUrl} is not supported: only a SQLite target (sqlite:///FILE) exists so far`);
  }
  return {
    dataDir: path.resolve(config.dataDir),
    dbFile: path.resolve(dbFile),
    keyFile: path.resolve(resolveInDataDir(config, config.keyFile)),
    uploadsDir: path.join(path.resolve(config.dataDir), UPLOADS_DIR),
  };
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
export function checkTarget(t: Target, newKey: Buffer, force: boolean): void {
  const problems: string[] = [];
  if (fs.existsSync(t.dbFile)) {
    try {
      const db = new Database(t.dbFile, { readonly: true, fileMustExist: true });
      try {
        const one = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
        const has = (table: string): boolean =>
          db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
        if (has('messages') && one('SELECT count(*) AS n FROM messages') > 0) problems.push('its database has messages');
        if (has('rooms') && one("SELECT count(*) AS n FROM rooms WHERE token != 'main'") > 0) problems.push('its database has rooms besides the default `main`');
        if (has('files') && one('SELECT count(*) AS n FROM files') > 0) problems.push('its database has files');
        if (has('inbox') && one('SELECT count(*) AS n FROM inbox') > 0) problems.push('its database has direct messages');
      } finally {
        db.close();
      }
    } catch (e) {
      problems.push(`its database ${t.dbFile} cannot be read (${(e as Error).message})`);
    }
  }
  if (fs.existsSync(t.keyFile)) {
    const old = fs.readFileSync(t.keyFile);
    if (!old.equals(newKey)) problems.push(`it has a different server key (${t.keyFile}); replacing it changes the server's public key`);
  }
  if (hasFiles(t.uploadsDir)) problems.push(`it has uploaded files in ${t.uploadsDir}`);
  if (problems.length > 0 && !force) {
    throw new ImportError(`the target data folder ${t.dataDir} is not empty: ${problems.join('; ')}. Use --force to replace its contents`);
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
    fs.mkdirSync(path.dirname(t.dbFile), { recursive: true });
    this.dbTmp = `${t.dbFile}.import-${tag}.tmp`;
    this.uploadsTmp = path.join(t.dataDir, `.import-uploads-${tag}`);
  }

  /** Creates the temporary database with our current schema; foreign keys off while copying. */
  open(): Database.Database {
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
    if (!relPath.startsWith(UPLOADS_DIR + '/')) throw new Error(`bad blob path ${relPath}`);
    return path.join(this.uploadsTmp, ...relPath.slice(UPLOADS_DIR.length + 1).split('/'));
  }

  /** Copies (or hard-links) a source file into the staged uploads. */
  copyBlob(from: string, relPath: string): void {
    const to = this.stagedBlob(relPath);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to, fs.constants.COPYFILE_FICLONE);
  }

  /** Swaps the staged database, uploads and key into place; restores the old ones on failure. */
  commit(key: Buffer): void {
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
      const keyTmp = `${t.keyFile}.import-${tag}.tmp`;
      fs.mkdirSync(path.dirname(t.keyFile), { recursive: true });
      fs.writeFileSync(keyTmp, key, { mode: 0o400 });
      trash.push(keyTmp);
      moveAside(t.uploadsDir);
      fs.renameSync(this.uploadsTmp, t.uploadsDir);
      undo.push(() => fs.renameSync(t.uploadsDir, this.uploadsTmp));
      for (const suffix of ['-wal', '-shm']) moveAside(t.dbFile + suffix);
      moveAside(t.dbFile);
      fs.renameSync(this.dbTmp, t.dbFile);
      undo.push(() => fs.renameSync(t.dbFile, this.dbTmp));
      moveAside(t.keyFile);
      fs.renameSync(keyTmp, t.keyFile);
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
    const keyDir = path.dirname(this.t.keyFile);
    for (const f of fs.existsSync(keyDir) ? fs.readdirSync(keyDir) : []) {
      if (f.startsWith(path.basename(this.t.keyFile) + '.import-')) fs.rmSync(path.join(keyDir, f), { force: true });
    }
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
