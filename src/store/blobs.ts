// Where uploaded file contents live. The files table holds each upload's metadata and a blob path
// chosen by the server (never taken from a request); a FileBlobs keeps the bytes under that path.
// The disk implementation roots every path in the data folder; several hosts on one PostgreSQL
// database keep the bytes in the database instead (store/postgres/pg-blobs.ts), or share the folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface BlobEntry {
  path: string;
  /** Last modification, unix seconds (wall clock). */
  modified: number;
  size: number;
}

export interface FileBlobs {
  /** Stores the bytes atomically: a reader never sees a partly written blob. */
  write(relPath: string, bytes: Buffer): Promise<void>;
  /** The bytes, or null when there is no such blob. */
  read(relPath: string): Promise<Buffer | null>;
  /** Removes a blob; removing a missing blob is not an error. */
  remove(relPath: string): Promise<void>;
  /** Every stored blob (for the orphan sweep), including partly written ones. */
  list(): Promise<BlobEntry[]>;
}

/** The folder (relative to the root) that holds uploads. */
export const UPLOADS_DIR = 'uploads';

/**
 * The file of a stored path (`uploads/...`) under the folder `uploads` holds it, refusing
 * anything that would leave that folder (an absolute path, `..`, a NUL).
 */
export function blobFile(uploads: string, relPath: string): string {
  const prefix = UPLOADS_DIR + '/';
  const full = path.resolve(uploads, relPath.slice(prefix.length));
  if (!relPath.startsWith(prefix) || relPath.includes('\0') || !full.startsWith(path.resolve(uploads) + path.sep)) {
    throw new Error(`blob path ${JSON.stringify(relPath)} is outside ${uploads}`);
  }
  return full;
}

export class DiskBlobs implements FileBlobs {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private resolve(relPath: string): string {
    return blobFile(path.join(this.root, UPLOADS_DIR), relPath);
  }

  async write(relPath: string, bytes: Buffer): Promise<void> {
    const full = this.resolve(relPath);
    await fs.promises.mkdir(path.dirname(full), { recursive: true });
    const tmp = `${full}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    try {
      await fs.promises.writeFile(tmp, bytes, { flag: 'wx' });
      await fs.promises.rename(tmp, full);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  async read(relPath: string): Promise<Buffer | null> {
    try {
      return await fs.promises.readFile(this.resolve(relPath));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async remove(relPath: string): Promise<void> {
    let full: string;
    try {
      full = this.resolve(relPath);
    } catch {
      return; // an imported row pointing elsewhere: never delete outside the uploads folder
    }
    await fs.promises.rm(full, { force: true });
  }

  async list(): Promise<BlobEntry[]> {
    const out: BlobEntry[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile()) {
          const st = await fs.promises.stat(full).catch(() => null);
          if (st) out.push({ path: path.relative(this.root, full).split(path.sep).join('/'), modified: st.mtimeMs / 1000, size: st.size });
        }
      }
    };
    await walk(path.join(this.root, UPLOADS_DIR));
    return out;
  }
}
