// Uploaded file contents kept in PostgreSQL (table file_blobs), so that every server instance on
// the database can serve every upload without a shared folder. Uploads are at most filesMaxSize
// (10 MB by default), well within a bytea value.
import type pg from 'pg';
import type { BlobEntry, FileBlobs } from '../blobs';

export class PgBlobs implements FileBlobs {
  constructor(private readonly pool: pg.Pool) {}

  async write(relPath: string, bytes: Buffer): Promise<void> {
    await this.pool.query(
      `INSERT INTO file_blobs (path, data, modified) VALUES ($1, $2, extract(epoch from now()))
       ON CONFLICT (path) DO UPDATE SET data = excluded.data, modified = excluded.modified`,
      [relPath, bytes],
    );
  }

  async read(relPath: string): Promise<Buffer | null> {
    const r = await this.pool.query<{ data: Buffer }>('SELECT data FROM file_blobs WHERE path = $1', [relPath]);
    return r.rows[0]?.data ?? null;
  }

  async remove(relPath: string): Promise<void> {
    await this.pool.query('DELETE FROM file_blobs WHERE path = $1', [relPath]);
  }

  async list(): Promise<BlobEntry[]> {
    const r = await this.pool.query<BlobEntry>('SELECT path, modified, octet_length(data) AS size FROM file_blobs');
    return r.rows;
  }
}
