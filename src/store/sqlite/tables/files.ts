// SQLite: files (upload metadata) and inbox (direct messages).
import { b, toDirectMessage, toFile, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { DmsTable, FilesTable } from '../../shared/tables';
import type { DirectMessage, DmRecipients, FileRecord, NewDirectMessage, NewFile } from '../../types';
import { lim, type Statements } from '../statements';

/** Files that are some room's image never expire. */
const NOT_AN_IMAGE = 'id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)';

export class SqliteFiles implements FilesTable {
  constructor(private readonly s: Statements) {}

  *insert(f: NewFile): Op<number> {
    const r = this.s.q(`INSERT INTO files (room, uploader, size, uploaded, expiry, filename, path) VALUES (?, ?, ?, ?, ?, ?, '') RETURNING id`).get(
      f.roomId, f.uploaderId, f.size, f.now, f.expiry, f.filename,
    ) as Row;
    return r['id'] as number;
  }

  *setPath(id: number, path: string): Op<FileRecord> {
    return toFile(this.s.q('UPDATE files SET path = ? WHERE id = ? RETURNING *').get(path, id) as Row);
  }

  *get(id: number): Op<FileRecord | null> {
    const r = this.s.q('SELECT * FROM files WHERE id = ?').get(id) as Row | undefined;
    return r ? toFile(r) : null;
  }

  *delete(id: number): Op<void> {
    this.s.q('DELETE FROM files WHERE id = ?').run(id);
  }

  *setExpiry(id: number, expiry: number | null): Op<void> {
    this.s.q('UPDATE files SET expiry = ? WHERE id = ?').run(expiry, id);
  }

  *isUsable(id: number, roomId: number, now: number): Op<boolean> {
    return this.s.q('SELECT 1 FROM files WHERE id = ? AND room = ? AND (expiry IS NULL OR expiry >= ?)').get(id, roomId, now) !== undefined;
  }

  *expireRoom(roomId: number): Op<void> {
    this.s.q('UPDATE files SET expiry = 0 WHERE room = ?').run(roomId);
  }

  *expireUploads(roomId: number, userId: number): Op<void> {
    this.s.q('UPDATE files SET expiry = 0 WHERE room = @room AND uploader = @user AND id IS NOT (SELECT image FROM rooms WHERE id = @room)').run({ room: roomId, user: userId });
  }

  *expireAttachments(messageId: number): Op<void> {
    this.s.q(`UPDATE files SET expiry = 0 WHERE message = ? AND ${NOT_AN_IMAGE}`).run(messageId);
  }

  *keepAttachments(messageId: number, now: number): Op<void> {
    this.s.q('UPDATE files SET expiry = NULL WHERE message = ? AND expiry >= ?').run(messageId, now);
  }

  *restartAttachments(messageId: number, ttl: number | null): Op<void> {
    this.s.q(`UPDATE files SET expiry = CASE WHEN @ttl IS NULL THEN NULL ELSE uploaded + @ttl END WHERE message = @m AND ${NOT_AN_IMAGE}`).run({ ttl, m: messageId });
  }

  *attach(messageId: number, fileIds: number[], roomId: number, userId: number, since: number, now: number, expiry: number | null): Op<number[]> {
    const rows = this.s.q(
      `UPDATE files SET message = @msg, expiry = @expiry
        WHERE id IN (SELECT value FROM json_each(@ids)) AND room = @room AND uploader = @user AND message IS NULL
          AND uploaded >= @since AND expiry IS NOT NULL AND expiry >= @now
      RETURNING id`,
    ).all({ msg: messageId, expiry, ids: JSON.stringify(fileIds), room: roomId, user: userId, since, now }) as Row[];
    return rows.map((r) => r['id'] as number);
  }

  *attachedTo(fileId: number): Op<{ live: boolean; pinned: boolean } | null> {
    const f = this.s.q(
      `SELECT m.data IS NOT NULL AS live, EXISTS (SELECT 1 FROM pinned_messages p WHERE p.message = m.id) AS pinned
         FROM files f JOIN messages m ON m.id = f.message WHERE f.id = ?`,
    ).get(fileId) as Row | undefined;
    return f ? { live: b(f['live']), pinned: b(f['pinned']) } : null;
  }

  *takeExpired(now: number): Op<string[]> {
    return (this.s.q('DELETE FROM files WHERE expiry < ? RETURNING path').all(now) as Row[]).map((r) => r['path'] as string);
  }

  *allPaths(): Op<Set<string>> {
    return new Set((this.s.q('SELECT path FROM files').all() as Row[]).map((r) => r['path'] as string));
  }
}

const DM_SELECT = `SELECT i.id, i.posted_at, i.expiry, s.session_id AS sender, r.session_id AS recipient, i.body
  FROM inbox i JOIN users s ON s.id = i.sender JOIN users r ON r.id = i.recipient`;

/** Distinct recipients since @since except those who wrote to @me, and whether @to is one of them or wrote. */
const RECIPIENTS = `SELECT
  (SELECT count(DISTINCT recipient) FROM inbox WHERE sender = @me AND posted_at >= @since
    AND recipient NOT IN (SELECT sender FROM inbox WHERE recipient = @me)) AS strangers,
  EXISTS (SELECT 1 FROM inbox WHERE sender = @me AND recipient = @to AND posted_at >= @since)
    OR EXISTS (SELECT 1 FROM inbox WHERE sender = @to AND recipient = @me) AS known`;

export class SqliteDms implements DmsTable {
  constructor(private readonly s: Statements) {}

  *insert(m: NewDirectMessage): Op<number> {
    const r = this.s.q('INSERT INTO inbox (recipient, sender, body, posted_at, expiry) VALUES (?, ?, ?, ?, ?) RETURNING id').get(m.recipientId, m.senderId, m.body, m.now, m.expiry) as Row;
    return r['id'] as number;
  }

  *get(id: number): Op<DirectMessage> {
    return toDirectMessage(this.s.q(`${DM_SELECT} WHERE i.id = ?`).get(id) as Row);
  }

  *deleteInbox(userId: number): Op<number> {
    return this.s.q('DELETE FROM inbox WHERE recipient = ?').run(userId).changes;
  }

  *countSentSince(userId: number, since: number): Op<number> {
    return (this.s.q('SELECT count(*) AS n FROM inbox WHERE sender = ? AND posted_at >= ?').get(userId, since) as Row)['n'] as number;
  }

  *recipientsSince(senderId: number, recipientId: number, since: number): Op<DmRecipients> {
    const r = this.s.q(RECIPIENTS).get({ me: senderId, to: recipientId, since }) as Row;
    return { strangers: r['strangers'] as number, known: r['known'] === 1 };
  }

  *deleteExpired(now: number): Op<number> {
    return this.s.q('DELETE FROM inbox WHERE expiry < ?').run(now).changes;
  }

  async list(userId: number, box: 'inbox' | 'outbox', afterId: number, limit: number, now: number): Promise<DirectMessage[]> {
    const col = box === 'inbox' ? 'recipient' : 'sender';
    const rows = this.s.q(`${DM_SELECT} WHERE i.${col} = ? AND i.id > ? AND i.expiry >= ? ORDER BY i.id LIMIT ${lim(limit)}`).all(userId, afterId, now) as Row[];
    return rows.map(toDirectMessage);
  }
}
