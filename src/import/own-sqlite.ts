// `sogs --import-sqlite DIR`: moves one of our own data folders (sogs.db, key_x25519, uploads/) to
// the configured database, typically from the embedded SQLite default to PostgreSQL when a
// community outgrows one process. Same guarantees as the other imports (an empty target unless
// --force, all or nothing, the key kept): it is the staging of those imports, with our own schema
// as the source, so nothing needs translating.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { x25519PublicKey } from '../crypto/keys';
import { SERVER_KEY_SETTING } from '../store/types';
import { UPLOADS_DIR, blobFile } from '../store/blobs';
import { ImportError,
  forgetFiles, importFailure, ImportSummary, Staging, checkTarget, closeSourceDb, hasTable, openSourceDb, targetOf } from './common';

export interface OwnImportOptions {
  /** Our data folder: sogs.db, key_x25519 and uploads/ (the reference layout we keep). */
  source: string;
  force?: boolean;
}

/** The source's file of a stored upload path, or null for a path that would leave its uploads folder. */
function insideUploads(source: string, rel: string): string | null {
  try {
    return blobFile(path.join(source, UPLOADS_DIR), rel);
  } catch {
    return null;
  }
}

export async function importOwnSqlite(config: Config, opts: OwnImportOptions): Promise<ImportSummary> {
  const source = path.resolve(opts.source);
  const dbFile = path.join(source, 'sogs.db');
  const t = targetOf(config);
  if (t.dbFile !== null && path.resolve(t.dbFile) === dbFile) throw new ImportError('the source database is the target database');
  const src = openSourceDb(dbFile, 'sogs database');
  const summary = new ImportSummary();
  let staging: Staging | null = null;
  try {
    if (!hasTable(src, 'schema_version') || !hasTable(src, 'rooms')) {
      throw new ImportError(`${dbFile} is not a database of this server (no schema_version table); for a PySOGS database use --import-pysogs`);
    }
    const keyFile = path.join(source, 'key_x25519');
    const fromFile = fs.existsSync(keyFile) ? fs.readFileSync(keyFile) : null;
    const fromDb = hasTable(src, 'settings')
      ? ((src.prepare('SELECT value FROM settings WHERE key = ?').get(SERVER_KEY_SETTING) as { value: Buffer } | undefined)?.value ?? null)
      : null;
    const key = fromFile ?? fromDb;
    if (key === null || key.length !== 32) throw new ImportError(`${keyFile} is missing or not 32 raw bytes, and the database holds no key`);
    if (fromFile && fromDb && !fromFile.equals(fromDb)) throw new ImportError(`${keyFile} does not hold the key recorded in ${dbFile}`);
    await checkTarget(t, key, Boolean(opts.force));

    staging = new Staging(t);
    const db = await staging.openCopyOf(src);
    for (const table of ['rooms', 'users', 'messages', 'files', 'inbox', 'reactions', 'user_permission_overrides']) {
      summary.add(table, (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n);
    }
    const missing: number[] = [];
    for (const { id, path: rel } of db.prepare('SELECT id, path FROM files').all() as { id: number; path: string }[]) {
      const from = insideUploads(source, rel);
      if (from === null || !fs.existsSync(from)) {
        summary.skip('file', id, from === null ? `its upload path ${JSON.stringify(rel)} leaves the uploads folder` : `its upload ${rel} is missing on disk`);
        missing.push(id);
        continue;
      }
      staging.copyBlob(from, rel);
    }
    forgetFiles(db, summary, missing);
    await staging.commit(key);
    summary.notes.push(`server key kept: public key ${x25519PublicKey(key).toString('hex')} (join URLs keep working)`);
    summary.notes.push(`the source ${source} was not changed; remove it once the server runs well on the new database`);
    return summary;
  } catch (e) {
    staging?.abort();
    throw importFailure(e);
  } finally {
    closeSourceDb(src);
  }
}
