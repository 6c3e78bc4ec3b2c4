// PostgreSQL: files (upload metadata) and inbox (direct messages).
import { b, toDirectMessage, toFile } from '../../rows';
import type { Op } from '../../shared/op';
import type { DmsTable, FilesTable } from '../../shared/tables';
import type { DirectMessage, DmRecipients, FileRecord, NewDirectMessage, NewFile } from '../../types';
import { count, one, rows, run, type Query } from '../pg-runner';

/** Files that are some room's image never expire. */
const NOT_AN_IMAGE = 'id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)';

export class PgFiles implements FilesTable {
  constructor(private readonly q: Query) {}

  *insert(f: NewFile): Op<number> {
    const r = yield* one(this.q, `INSERT INTO files (room, uploader, size, uploaded, expiry, filename, path) VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id`, [
      f.roomId, f.uploaderId, f.size, f.now, f.expiry, f.filename,
    ]);
    return r!['id'] as number;
  }

  *setPath(id: number, path: string): Op<FileRecord> {
    return toFile((yield* one(this.q, 'UPDATE files SET path = $1 WHERE id = $2 RETURNING *', [path, id]))!);
  }

  *get(id: number): Op<FileRecord | null> {
    const r = yield* one(this.q, 'SELECT * FROM files WHERE id = $1', [id]);
    return r ? toFile(r) : null;
  }

  delete(id: number): Op<void> {
    return run(this.q, 'DELETE FROM files WHERE id = $1', [id]);
  }

  setExpiry(id: number, expiry: number | null): Op<void> {
    return run(this.q, 'UPDATE files SET expiry = $1 WHERE id = $2', [expiry, id]);
  }

  *isUsable(id: number, roomId: number, now: number): Op<boolean> {
    return (yield* one(this.q, 'SELECT id FROM files WHERE id = $1 AND room = $2 AND (expiry IS NULL OR expiry >= $3)', [id, roomId, now])) !== null;
  }

  expireRoom(roomId: number): Op<void> {
    return run(this.q, 'UPDATE files SET expiry = 0 WHERE room = $1', [roomId]);
  }

  expireUploads(roomId: number, userId: number): Op<void> {
    return run(this.q, 'UPDATE files SET expiry = 0 WHERE room = $1 AND uploader = $2 AND id IS DISTINCT FROM (SELECT image FROM rooms WHERE id = $1)', [roomId, userId]);
  }

  expireAttachments(messageId: number): Op<void> {
    return run(this.q, `UPDATE files SET expiry = 0 WHERE message = $1 AND ${NOT_AN_IMAGE}`, [messageId]);
  }

  keepAttachments(messageId: number, now: number): Op<void> {
    return run(this.q, 'UPDATE files SET expiry = NULL WHERE message = $1 AND expiry >= $2', [messageId, now]);
  }

  restartAttachments(messageId: number, ttl: number | null): Op<void> {
    return run(this.q, `UPDATE files SET expiry = CASE WHEN $1::float8 IS NULL THEN NULL ELSE uploaded + $1::float8 END WHERE message = $2 AND ${NOT_AN_IMAGE}`, [ttl, messageId]);
  }

  *attach(messageId: number, fileIds: number[], roomId: number, userId: number, since: number, now: number, expiry: number | null): Op<number[]> {
    const r = yield* rows(
      this.q,
      `UPDATE files SET message = $1, expiry = $2
        WHERE id = ANY($3::bigint[]) AND room = $4 AND uploader = $5 AND message IS NULL
          AND uploaded >= $6 AND expiry IS NOT NULL AND expiry >= $7
      RETURNING id`,
      [messageId, expiry, fileIds, roomId, userId, since, now],
    );
    return r.map((x) => x['id'] as number);
  }

  *attachedTo(fileId: number): Op<{ live: boolean; pinned: boolean } | null> {
    const f = yield* one(
      this.q,
      `SELECT m.data IS NOT NULL AS live, EXISTS (SELECT 1 FROM pinned_messages p WHERE p.message = m.id) AS pinned
         FROM files f JOIN messages m ON m.id = f.message WHERE f.id = $1`,
      [fileId],
    );
    return f ? { live: b(f['live']), pinned: b(f['pinned']) } : null;
  }

  /** One statement: its row locks decide which instance removes which file. */
  *takeExpired(now: number): Op<string[]> {
    return (yield* rows(this.q, 'DELETE FROM files WHERE expiry < $1 RETURNING path', [now])).map((r) => r['path'] as string);
  }

  *allPaths(): Op<Set<string>> {
    return new Set((yield* rows(this.q, 'SELECT path FROM files')).map((r) => r['path'] as string));
  }
}

const DM_SELECT = `SELECT i.id, i.posted_at, i.expiry, s.session_id AS sender, r.session_id AS recipient, i.body
  FROM inbox i JOIN users s ON s.id = i.sender JOIN users r ON r.id = i.recipient`;

/** Distinct recipients of $1 since $3 except those who wrote to $1, and whether $2 is one of them or wrote. */
const RECIPIENTS = `SELECT
  (SELECT count(DISTINCT recipient) FROM inbox WHERE sender = $1 AND posted_at >= $3
    AND recipient NOT IN (SELECT sender FROM inbox WHERE recipient = $1)) AS strangers,
  EXISTS (SELECT 1 FROM inbox WHERE sender = $1 AND recipient = $2 AND posted_at >= $3)
    OR EXISTS (SELECT 1 FROM inbox WHERE sender = $2 AND recipient = $1) AS known`;

export class PgDms implements DmsTable {
  constructor(private readonly q: Query) {}

  *insert(m: NewDirectMessage): Op<number> {
    const r = yield* one(this.q, 'INSERT INTO inbox (recipient, sender, body, posted_at, expiry) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
      m.recipientId, m.senderId, m.body, m.now, m.expiry,
    ]);
    return r!['id'] as number;
  }

  *get(id: number): Op<DirectMessage> {
    return toDirectMessage((yield* one(this.q, `${DM_SELECT} WHERE i.id = $1`, [id]))!);
  }

  deleteInbox(userId: number): Op<number> {
    return count(this.q, 'DELETE FROM inbox WHERE recipient = $1', [userId]);
  }

  *countSentSince(userId: number, since: number): Op<number> {
    return (yield* one(this.q, 'SELECT count(*) AS n FROM inbox WHERE sender = $1 AND posted_at >= $2', [userId, since]))!['n'] as number;
  }

  *recipientsSince(senderId: number, recipientId: number, since: number): Op<DmRecipients> {
    const r = (yield* one(this.q, RECIPIENTS, [senderId, recipientId, since]))!;
    return { strangers: r['strangers'] as number, known: r['known'] === true };
  }

  deleteExpired(now: number): Op<number> {
    return count(this.q, 'DELETE FROM inbox WHERE expiry < $1', [now]);
  }

  async list(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]> {
    const col = box === 'inbox' ? 'recipient' : 'sender';
    const r = await this.q(`${DM_SELECT} WHERE i.${col} = $1 AND i.id > $2 AND i.expiry >= $3 ORDER BY i.id LIMIT $4`, [userId, afterId, now, limit]);
    return r.rows.map(toDirectMessage);
  }
}
