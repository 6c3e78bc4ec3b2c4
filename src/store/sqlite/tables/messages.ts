// SQLite: messages and message_history.
import { int, MESSAGE_ROW, toMessage, toMessageRow, toStoredContent, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { MessagesTable, StoredContent } from '../../shared/tables';
import type { Message, NewMessage, Viewer } from '../../types';
import { lim, type Statements } from '../statements';

// In MESSAGE_ROW's order (checked by Statements.rows).
export const MESSAGE_COLUMNS = `m.id, m.room, m.user, u.session_id, m.posted, m.edited, m.seqno, m.seqno_data,
  m.seqno_reactions, m.seqno_creation, m.data, m.data_size, m.signature, m.filtered, w.session_id AS whisper_to,
  m.whisper_mods`;
export const MESSAGE_FROM = `messages m JOIN users u ON u.id = m.user LEFT JOIN users w ON w.id = m.whisper`;
// docs/protocol/api.md §5.5: who sees which whispers.
const VISIBLE = `((m.whisper IS NULL AND NOT m.whisper_mods) OR m.whisper = @uid OR (@mod AND (m.whisper_mods OR m.user = @uid)))`;

export class SqliteMessages implements MessagesTable {
  constructor(private readonly s: Statements) {}

  *get(id: number): Op<Message> {
    return toMessage(this.s.q(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = ?`).get(id) as Row);
  }

  *inRoom(roomId: number, id: number): Op<Message | null> {
    const r = this.s.q(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.id = ? AND m.room = ?`).get(id, roomId) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  *content(id: number): Op<StoredContent | null> {
    const r = this.s.q('SELECT room, user, data, data_size, signature FROM messages WHERE id = ?').get(id) as Row | undefined;
    return r ? toStoredContent(r) : null;
  }

  *insert(m: NewMessage, data: Buffer, seqno: number): Op<number> {
    const r = this.s.q(
      `INSERT INTO messages (room, user, posted, seqno, seqno_data, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods, held)
       VALUES (@room, @user, @now, @seq, @seq, @seq, @data, @size, @sig, @filtered, @whisper, @wmods, @held) RETURNING id`,
    ).get({
      room: m.roomId, user: m.userId, now: m.now, seq: seqno, data, size: m.data.length, sig: m.signature,
      filtered: int(m.filtered), whisper: m.whisperTo, wmods: int(m.whisperMods), held: int(m.held ?? false),
    }) as Row;
    return r['id'] as number;
  }

  *setContent(id: number, data: Buffer | null, size: number | null, signature: Buffer | null, seqno: number, now: number): Op<void> {
    this.s.q('UPDATE messages SET data = ?, data_size = ?, signature = ?, seqno_data = ?, seqno = max(?, seqno_reactions), edited = ? WHERE id = ?').run(
      data, size, signature, seqno, seqno, now, id,
    );
  }

  *setSignature(id: number, signature: Buffer, size: number): Op<void> {
    this.s.q('UPDATE messages SET signature = ?, data_size = ? WHERE id = ?').run(signature, size, id);
  }

  *setReactionSeqno(id: number, seqno: number): Op<void> {
    this.s.q('UPDATE messages SET seqno_reactions = ?, seqno = max(seqno_data, ?) WHERE id = ?').run(seqno, seqno, id);
  }

  *seqno(id: number): Op<number> {
    return (this.s.q('SELECT seqno FROM messages WHERE id = ?').get(id) as Row)['seqno'] as number;
  }

  *isRegular(roomId: number, id: number): Op<boolean> {
    return this.s.q('SELECT 1 FROM messages WHERE id = ? AND room = ? AND data IS NOT NULL AND NOT filtered AND whisper IS NULL AND NOT whisper_mods').get(id, roomId) !== undefined;
  }

  *liveIds(roomId: number, userId: number): Op<number[]> {
    return (this.s.q('SELECT id FROM messages WHERE room = ? AND user = ? AND data IS NOT NULL AND NOT held ORDER BY id').all(roomId, userId) as Row[]).map((r) => r['id'] as number);
  }

  *countPostsSince(roomId: number, userId: number, since: number): Op<number> {
    return (this.s.q('SELECT count(*) AS n FROM messages WHERE room = ? AND user = ? AND posted >= ? AND held_from IS NULL').get(roomId, userId, since) as Row)['n'] as number;
  }

  *addHistory(id: number, replaced: number, data: Buffer | null, signature: Buffer | null): Op<void> {
    this.s.q('INSERT INTO message_history (message, replaced, data, signature) VALUES (?, ?, ?, ?)').run(id, replaced, data, signature);
  }

  *pruneHistory(before: number): Op<number> {
    return this.s.q('DELETE FROM message_history WHERE replaced < ?').run(before).changes;
  }

  *legacyAfter(roomId: number, viewer: Viewer, afterId: number, limit: number): Op<Message[]> {
    const rows = this.s.q(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.data IS NOT NULL AND NOT m.filtered AND m.id > @after AND ${VISIBLE}
        ORDER BY m.id LIMIT ${lim(limit)}`,
    ).all({ room: roomId, after: afterId, uid: viewer.userId, mod: int(viewer.moderator) }) as Row[];
    return rows.map(toMessage);
  }

  *legacyDeletions(roomId: number, after: number | null, limit: number): Op<{ id: number; deletedMessageId: number }[]> {
    const rows = (after === null
      ? this.s.q(`SELECT seqno_data AS s, id FROM messages WHERE room = ? AND data IS NULL ORDER BY seqno_data DESC LIMIT ${lim(limit)}`).all(roomId)
      : this.s.q(`SELECT seqno_data AS s, id FROM messages WHERE room = ? AND data IS NULL AND seqno_data > ? ORDER BY seqno_data LIMIT ${lim(limit)}`).all(roomId, after)) as Row[];
    return rows.map((r) => ({ id: r['s'] as number, deletedMessageId: r['id'] as number }));
  }

  async recent(roomId: number, viewer: Viewer | 'everyone', limit: number, beforeId?: number): Promise<Message[]> {
    const all = viewer === 'everyone';
    const rows = this.s.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.data IS NOT NULL AND NOT m.filtered AND m.id < @before AND (@all OR ${VISIBLE})
        ORDER BY m.id DESC LIMIT ${lim(limit)}`,
      MESSAGE_ROW,
    ).all({ room: roomId, before: beforeId ?? Number.MAX_SAFE_INTEGER, uid: all ? null : viewer.userId, mod: int(!all && viewer.moderator), all: int(all) }) as unknown[][];
    return rows.map(toMessageRow);
  }

  async since(roomId: number, viewer: Viewer | 'everyone', seqno: number, limit: number, withReactions: boolean): Promise<Message[]> {
    const all = viewer === 'everyone';
    const rows = this.s.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
        WHERE m.room = @room AND m.seqno > @s AND NOT m.filtered
          AND (m.data IS NOT NULL OR m.seqno_creation <= @s)
          AND (@withr OR m.seqno_data > @s)
          AND (@all OR ${VISIBLE})
        ORDER BY m.seqno LIMIT ${lim(limit)}`,
      MESSAGE_ROW,
    ).all({ room: roomId, s: seqno, withr: int(withReactions), uid: all ? null : viewer.userId, mod: int(!all && viewer.moderator), all: int(all) }) as unknown[][];
    return rows.map(toMessageRow);
  }
}
