// SQLite: reactions, user_reactions and pinned_messages.
import { groupReactions, toPinnedMessage, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { PinsTable, ReactionsTable, UserReaction } from '../../shared/tables';
import type { PinnedMessage, ReactionInfo } from '../../types';
import { lim, type Statements } from '../statements';

export class SqliteReactions implements ReactionsTable {
  constructor(private readonly s: Statements) {}

  *ensureKind(messageId: number, reaction: string): Op<number> {
    this.s.q('INSERT INTO reactions (message, reaction) VALUES (?, ?) ON CONFLICT DO NOTHING').run(messageId, reaction);
    return (yield* this.kind(messageId, reaction))!;
  }

  *kind(messageId: number, reaction: string): Op<number | null> {
    const r = this.s.q('SELECT id FROM reactions WHERE message = ? AND reaction = ?').get(messageId, reaction) as Row | undefined;
    return r ? (r['id'] as number) : null;
  }

  *add(kind: number, userId: number, now: number): Op<boolean> {
    return this.s.q('INSERT INTO user_reactions (reaction, user, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(kind, userId, now).changes === 1;
  }

  *remove(kind: number, userId: number): Op<boolean> {
    return this.s.q('DELETE FROM user_reactions WHERE reaction = ? AND user = ?').run(kind, userId).changes === 1;
  }

  /** rowid is user_reactions' insertion order (PostgreSQL's seq). */
  *ofMessage(messageId: number, reaction: string | null): Op<UserReaction[]> {
    const rows = this.s.q(
      `SELECT ur.reaction, ur.user FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction
        WHERE r.message = @m AND (@r IS NULL OR r.reaction = @r) ORDER BY ur.at, ur.rowid`,
    ).all({ m: messageId, r: reaction }) as Row[];
    return rows.map((r) => ({ kind: r['reaction'] as number, userId: r['user'] as number }));
  }

  *dropUnused(messageId: number, reaction: string | null): Op<void> {
    this.s.q(
      `DELETE FROM reactions WHERE message = @m AND (@r IS NULL OR reaction = @r)
         AND NOT EXISTS (SELECT 1 FROM user_reactions ur WHERE ur.reaction = reactions.id)`,
    ).run({ m: messageId, r: reaction });
  }

  *dropAll(messageId: number): Op<void> {
    this.s.q('DELETE FROM reactions WHERE message = ?').run(messageId);
  }

  *reactors(messageId: number, reaction: string, limit: number): Op<[string, number][]> {
    const rows = this.s.q(
      `SELECT u.session_id, ur.at FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur.user
        WHERE r.message = ? AND r.reaction = ? ORDER BY ur.at, ur.rowid LIMIT ${lim(limit > 0 ? limit : -1)}`,
    ).all(messageId, reaction) as Row[];
    return rows.map((r) => [r['session_id'] as string, r['at'] as number]);
  }

  async reactedBy(messageIds: number[]): Promise<number[]> {
    if (messageIds.length === 0) return [];
    const rows = this.s.q(
      `SELECT DISTINCT ur.user FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id
        WHERE r.message IN (SELECT value FROM json_each(@ids))`,
    ).all({ ids: JSON.stringify(messageIds) }) as Row[];
    return rows.map((r) => r['user'] as number);
  }

  async summary(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>> {
    const out = new Map<number, ReactionInfo[]>();
    if (messageIds.length === 0) return out;
    const ids = JSON.stringify(messageIds);
    const counts = this.s.q(
      `SELECT r.id, r.message, r.reaction, count(*) AS count, max(ur.user = @uid) AS you
         FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id
        WHERE r.message IN (SELECT value FROM json_each(@ids))
        GROUP BY r.id ORDER BY r.message, r.id`,
    ).all({ ids, uid: viewerUserId }) as Row[];
    if (counts.length === 0) return out;
    const byId = groupReactions(counts, out);
    if (reactors > 0) {
      const first = this.s.q(
        `SELECT reaction, session_id FROM (
           SELECT ur.reaction, u.session_id, ur.at, ur.rowid AS seq, rank() OVER (PARTITION BY ur.reaction ORDER BY ur.at) AS rk
             FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur.user
            WHERE r.message IN (SELECT value FROM json_each(@ids)))
         WHERE rk <= @n ORDER BY reaction, at, seq`,
      ).all({ ids, n: reactors }) as Row[];
      for (const f of first) byId.get(f['reaction'] as number)?.reactors.push(f['session_id'] as string);
    }
    return out;
  }
}

export class SqlitePins implements PinsTable {
  constructor(private readonly s: Statements) {}

  *list(roomId: number): Op<PinnedMessage[]> {
    const rows = this.s.q(
      'SELECT p.message, p.pinned_at, u.session_id FROM pinned_messages p JOIN users u ON u.id = p.pinned_by WHERE p.room = ? ORDER BY p.pinned_at',
    ).all(roomId) as Row[];
    return rows.map(toPinnedMessage);
  }

  *pin(roomId: number, messageId: number, userId: number, now: number): Op<void> {
    this.s.q(
      `INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (room, message) DO UPDATE SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at`,
    ).run(roomId, messageId, userId, now);
  }

  *unpin(roomId: number, messageId: number | null): Op<number[]> {
    const rows = this.s.q('DELETE FROM pinned_messages WHERE room = @room AND (@m IS NULL OR message = @m) RETURNING message').all({ room: roomId, m: messageId }) as Row[];
    return rows.map((r) => r['message'] as number);
  }

  *isPinned(messageId: number): Op<boolean> {
    return this.s.q('SELECT 1 FROM pinned_messages WHERE message = ?').get(messageId) !== undefined;
  }
}
