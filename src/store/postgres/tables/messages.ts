// PostgreSQL: messages and message_history.
import { toMessage, toStoredContent } from '../../rows';
import type { Op } from '../../shared/op';
import type { MessagesTable, StoredContent } from '../../shared/tables';
import type { Message, NewMessage, Viewer } from '../../types';
import { count, one, rows, run, type Query } from '../pg-runner';

export const MESSAGE_COLUMNS = `m.id, m.room, m."user", u.session_id, m.posted, m.edited, m.seqno, m.seqno_data,
  m.seqno_reactions, m.seqno_creation, m.data, m.data_size, m.signature, m.filtered, w.session_id AS whisper_to,
  m.whisper_mods`;
export const MESSAGE_FROM = `messages m JOIN users u ON u.id = m."user" LEFT JOIN users w ON w.id = m.whisper`;
/** docs/protocol/api.md §5.5: who sees which whispers; $uid and $mod are the viewer's user id and moderator flag. */
const visible = (uid: string, mod: string): string =>
  `((m.whisper IS NULL AND NOT m.whisper_mods) OR m.whisper = ${uid}::bigint OR (${mod}::boolean AND (m.whisper_mods OR m."user" = ${uid}::bigint)))`;

export class PgMessages implements MessagesTable {
  constructor(private readonly q: Query) {}

  *get(id: number): Op<Message> {
    return toMessage((yield* one(this.q, `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1`, [id]))!);
  }

  *inRoom(roomId: number, id: number): Op<Message | null> {
    const r = yield* one(this.q, `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = $1 AND m.room = $2`, [id, roomId]);
    return r ? toMessage(r) : null;
  }

  *content(id: number): Op<StoredContent | null> {
    const r = yield* one(this.q, 'SELECT room, "user", data, data_size, signature FROM messages WHERE id = $1', [id]);
    return r ? toStoredContent(r) : null;
  }

  *insert(m: NewMessage, data: Buffer, seqno: number): Op<number> {
    const r = yield* one(
      this.q,
      `INSERT INTO messages (room, "user", posted, seqno, seqno_data, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods, held)
       VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [m.roomId, m.userId, m.now, seqno, data, m.data.length, m.signature, m.filtered, m.whisperTo, m.whisperMods, m.held ?? false],
    );
    return r!['id'] as number;
  }

  setContent(id: number, data: Buffer | null, size: number | null, signature: Buffer | null, seqno: number, now: number): Op<void> {
    return run(
      this.q,
      'UPDATE messages SET data = $1, data_size = $2, signature = $3, seqno_data = $4, seqno = GREATEST($4, seqno_reactions), edited = $5 WHERE id = $6',
      [data, size, signature, seqno, now, id],
    );
  }

  setSignature(id: number, signature: Buffer, size: number): Op<void> {
    return run(this.q, 'UPDATE messages SET signature = $1, data_size = $2 WHERE id = $3', [signature, size, id]);
  }

  setReactionSeqno(id: number, seqno: number): Op<void> {
    return run(this.q, 'UPDATE messages SET seqno_reactions = $1, seqno = GREATEST(seqno_data, $1) WHERE id = $2', [seqno, id]);
  }

  *seqno(id: number): Op<number> {
    return (yield* one(this.q, 'SELECT seqno FROM messages WHERE id = $1', [id]))!['seqno'] as number;
  }

  *isRegular(roomId: number, id: number): Op<boolean> {
    const r = yield* one(this.q, 'SELECT 1 FROM messages WHERE id = $1 AND room = $2 AND data IS NOT NULL AND NOT filtered AND whisper IS NULL AND NOT whisper_mods', [id, roomId]);
    return r !== null;
  }

  *liveIds(roomId: number, userId: number): Op<number[]> {
    return (yield* rows(this.q, 'SELECT id FROM messages WHERE room = $1 AND "user" = $2 AND data IS NOT NULL AND NOT held ORDER BY id', [roomId, userId])).map((r) => r['id'] as number);
  }

  *countPostsSince(roomId: number, userId: number, since: number): Op<number> {
    return (yield* one(this.q, 'SELECT count(*) AS n FROM messages WHERE room = $1 AND "user" = $2 AND posted >= $3 AND held_from IS NULL', [roomId, userId, since]))!['n'] as number;
  }

  addHistory(id: number, replaced: number, data: Buffer | null, signature: Buffer | null): Op<void> {
    return run(this.q, 'INSERT INTO message_history (message, replaced, data, signature) VALUES ($1, $2, $3, $4)', [id, replaced, data, signature]);
  }

  pruneHistory(before: number): Op<number> {
    return count(this.q, 'DELETE FROM message_history WHERE replaced < $1', [before]);
  }

  *legacyAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Op<Message[]> {
    const r = yield* rows(
      this.q,
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = $1 AND m.data IS NOT NULL AND NOT m.filtered AND m.id > $2 AND ${visible('$4', '$5')}
        ORDER BY m.id LIMIT $3`,
      [roomId, afterId, limit, viewer.userId, viewer.moderator],
    );
    return r.map(toMessage);
  }

  *legacyDeletions(roomId: number, after: number | null, limit: number): Op<{ id: number; deletedMessageId: number }[]> {
    const r =
      after === null
        ? yield* rows(this.q, 'SELECT seqno_data AS s, id FROM messages WHERE room = $1 AND data IS NULL ORDER BY seqno_data DESC LIMIT $2', [roomId, limit])
        : yield* rows(this.q, 'SELECT seqno_data AS s, id FROM messages WHERE room = $1 AND data IS NULL AND seqno_data > $2 ORDER BY seqno_data LIMIT $3', [roomId, after, limit]);
    return r.map((x) => ({ id: x['s'] as number, deletedMessageId: x['id'] as number }));
  }

  async recent(roomId: number, viewer: Viewer | 'everyone', limit: number, beforeId?: number): Promise<Message[]> {
    const all = viewer === 'everyone';
    const r = await this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = $1 AND m.data IS NOT NULL AND NOT m.filtered AND m.id < $2 AND ($6::boolean OR ${visible('$4', '$5')})
        ORDER BY m.id DESC LIMIT $3`,
      [roomId, beforeId ?? Number.MAX_SAFE_INTEGER, limit, all ? null : viewer.userId, !all && viewer.moderator, all],
    );
    return r.rows.map(toMessage);
  }

  async since(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]> {
    const all = viewer === 'everyone';
    const r = await this.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = $1 AND m.seqno > $2 AND NOT m.filtered
          AND (m.data IS NOT NULL OR m.seqno_creation <= $2)
          AND ($3::boolean OR m.seqno_data > $2)
          AND ($7::boolean OR ${visible('$5', '$6')})
        ORDER BY m.seqno LIMIT $4`,
      [roomId, seqno, withReactions, limit, all ? null : viewer.userId, !all && viewer.moderator, all],
    );
    return r.rows.map(toMessage);
  }
}
