// PostgreSQL: reactions, user_reactions and pinned_messages.
import { groupReactions, toPinnedMessage } from '../../rows';
import type { Op } from '../../shared/op';
import type { PinsTable, ReactionsTable, UserReaction } from '../../shared/tables';
import type { PinnedMessage, ReactionInfo } from '../../types';
import { count, one, rows, run, type Query } from '../pg-runner';

export class PgReactions implements ReactionsTable {
  constructor(private readonly q: Query) {}

  *ensureKind(messageId: number, reaction: string): Op<number> {
    yield* run(this.q, 'INSERT INTO reactions (message, reaction) VALUES ($1, $2) ON CONFLICT DO NOTHING', [messageId, reaction]);
    return (yield* this.kind(messageId, reaction))!;
  }

  *kind(messageId: number, reaction: string): Op<number | null> {
    const r = yield* one(this.q, 'SELECT id FROM reactions WHERE message = $1 AND reaction = $2', [messageId, reaction]);
    return r ? (r['id'] as number) : null;
  }

  *add(kind: number, userId: number, now: number): Op<boolean> {
    return (yield* count(this.q, 'INSERT INTO user_reactions (reaction, "user", at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [kind, userId, now])) === 1;
  }

  *remove(kind: number, userId: number): Op<boolean> {
    return (yield* count(this.q, 'DELETE FROM user_reactions WHERE reaction = $1 AND "user" = $2', [kind, userId])) === 1;
  }

  *ofMessage(messageId: number, reaction: string | null): Op<UserReaction[]> {
    const r = yield* rows(
      this.q,
      `SELECT ur.reaction, ur."user" FROM user_reactions ur JOIN reactions r ON r.id = ur.reaction
        WHERE r.message = $1 AND ($2::text IS NULL OR r.reaction = $2) ORDER BY ur.at, ur.seq`,
      [messageId, reaction],
    );
    return r.map((x) => ({ kind: x['reaction'] as number, userId: x['user'] as number }));
  }

  dropUnused(messageId: number, reaction: string | null): Op<void> {
    return run(
      this.q,
      `DELETE FROM reactions WHERE message = $1 AND ($2::text IS NULL OR reaction = $2)
         AND NOT EXISTS (SELECT 1 FROM user_reactions ur WHERE ur.reaction = reactions.id)`,
      [messageId, reaction],
    );
  }

  dropAll(messageId: number): Op<void> {
    return run(this.q, 'DELETE FROM reactions WHERE message = $1', [messageId]);
  }

  *reactors(messageId: number, reaction: string, limit: number): Op<[string, number][]> {
    const r = yield* rows(
      this.q,
      `SELECT u.session_id, ur.at FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur."user"
        WHERE r.message = $1 AND r.reaction = $2 ORDER BY ur.at, ur.seq LIMIT $3`,
      [messageId, reaction, limit > 0 ? limit : null],
    );
    return r.map((x) => [x['session_id'] as string, x['at'] as number]);
  }

  async reactedBy(messageIds: number[]): Promise<number[]> {
    if (messageIds.length === 0) return [];
    const r = await this.q(
      `SELECT DISTINCT ur."user" FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id
        WHERE r.message = ANY($1::bigint[])`,
      [messageIds],
    );
    return r.rows.map((x) => Number(x['user']));
  }

  async summary(messageIds: number[], viewerUserId: number | null, reactors: number): Promise<Map<number, ReactionInfo[]>> {
    const out = new Map<number, ReactionInfo[]>();
    if (messageIds.length === 0) return out;
    const counts = (
      await this.q(
        `SELECT r.id, r.message, r.reaction, count(*) AS count, coalesce(bool_or(ur."user" = $2::bigint), FALSE) AS you
           FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id
          WHERE r.message = ANY($1::bigint[])
          GROUP BY r.id ORDER BY r.message, r.id`,
        [messageIds, viewerUserId],
      )
    ).rows;
    if (counts.length === 0) return out;
    const byId = groupReactions(counts, out);
    if (reactors > 0) {
      const first = (
        await this.q(
          `SELECT reaction, session_id FROM (
             SELECT ur.reaction, u.session_id, ur.at, ur.seq, rank() OVER (PARTITION BY ur.reaction ORDER BY ur.at) AS rk
               FROM reactions r JOIN user_reactions ur ON ur.reaction = r.id JOIN users u ON u.id = ur."user"
              WHERE r.message = ANY($1::bigint[])) x
           WHERE rk <= $2 ORDER BY reaction, at, seq`,
          [messageIds, reactors],
        )
      ).rows;
      for (const f of first) byId.get(f['reaction'] as number)?.reactors.push(f['session_id'] as string);
    }
    return out;
  }
}

export class PgPins implements PinsTable {
  constructor(private readonly q: Query) {}

  *list(roomId: number): Op<PinnedMessage[]> {
    const r = yield* rows(
      this.q,
      'SELECT p.message, p.pinned_at, u.session_id FROM pinned_messages p JOIN users u ON u.id = p.pinned_by WHERE p.room = $1 ORDER BY p.pinned_at',
      [roomId],
    );
    return r.map(toPinnedMessage);
  }

  pin(roomId: number, messageId: number, userId: number, now: number): Op<void> {
    return run(
      this.q,
      `INSERT INTO pinned_messages (room, message, pinned_by, pinned_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (room, message) DO UPDATE SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at`,
      [roomId, messageId, userId, now],
    );
  }

  *unpin(roomId: number, messageId: number | null): Op<number[]> {
    const r = yield* rows(this.q, 'DELETE FROM pinned_messages WHERE room = $1 AND ($2::bigint IS NULL OR message = $2) RETURNING message', [roomId, messageId]);
    return r.map((x) => x['message'] as number);
  }

  *isPinned(messageId: number): Op<boolean> {
    return (yield* one(this.q, 'SELECT 1 FROM pinned_messages WHERE message = $1', [messageId])) !== null;
  }
}
