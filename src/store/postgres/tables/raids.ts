// PostgreSQL: room_raid_counts, held posts and the cleanup of an account window (domain/raids.ts).
import { toMessage, toStoredContent } from '../../rows';
import type { Op } from '../../shared/op';
import type { RaidTable, StoredContent } from '../../shared/tables';
import type { AccountWindow, Message, RaidCleanupCounts, RaidWindow } from '../../types';
import { one, rows, run, type Query } from '../pg-runner';
import { MESSAGE_COLUMNS, MESSAGE_FROM } from './messages';

const NOT_AN_IMAGE = 'id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)';
const ids = (r: { id: unknown }[]): number[] => r.map((x) => x.id as number);

export class PgRaids implements RaidTable {
  constructor(private readonly q: Query) {}

  countNewPost(roomId: number, minute: number, raid: boolean): Op<void> {
    return run(
      this.q,
      `INSERT INTO room_raid_counts (room, minute, posts, raid) VALUES ($1, $2, 1, $3)
       ON CONFLICT (room, minute) DO UPDATE SET posts = room_raid_counts.posts + 1, raid = room_raid_counts.raid OR excluded.raid`,
      [roomId, minute, raid],
    );
  }

  *window(roomId: number, minute: number): Op<RaidWindow> {
    const r = yield* rows(this.q, 'SELECT minute, posts FROM room_raid_counts WHERE room = $1 AND minute IN ($2, $3)', [roomId, minute, minute - 1]);
    const at = (m: number): number => (r.find((x) => Number(x['minute']) === m)?.['posts'] as number | undefined) ?? 0;
    return { current: at(minute), previous: at(minute - 1) };
  }

  *peak(roomId: number, fromMinute: number, beforeMinute: number, withRaid: boolean): Op<number> {
    const r = yield* one(this.q, 'SELECT max(posts) AS n FROM room_raid_counts WHERE room = $1 AND minute >= $2 AND minute < $3 AND ($4 OR NOT raid)', [
      roomId, fromMinute, beforeMinute, withRaid,
    ]);
    return (r!['n'] as number | null) ?? 0;
  }

  markRaid(roomId: number, fromMinute: number): Op<void> {
    return run(this.q, 'UPDATE room_raid_counts SET raid = TRUE WHERE room = $1 AND minute >= $2', [roomId, fromMinute]);
  }

  *pruneCounts(beforeMinute: number): Op<number> {
    return (yield* rows(this.q, 'DELETE FROM room_raid_counts WHERE minute < $1 RETURNING 1', [beforeMinute])).length;
  }

  *heldIds(roomId: number, only: number[] | null): Op<number[]> {
    return ids(
      (only === null
        ? yield* rows(this.q, 'SELECT id FROM messages WHERE room = $1 AND held ORDER BY id', [roomId])
        : yield* rows(this.q, 'SELECT id FROM messages WHERE room = $1 AND held AND id = ANY($2::bigint[]) ORDER BY id', [roomId, only])) as { id: unknown }[],
    );
  }

  *countHeld(roomId: number): Op<number> {
    return Number((yield* one(this.q, 'SELECT count(*) AS n FROM messages WHERE room = $1 AND held', [roomId]))!['n']);
  }

  *copyMessage(id: number, seqno: number, held: boolean): Op<number> {
    const r = yield* one(
      this.q,
      `INSERT INTO messages (room, "user", posted, seqno, seqno_data, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods, held, held_from)
       SELECT room, "user", posted, $2, $2, $2, data, data_size, signature, $3, whisper, whisper_mods, $3, CASE WHEN $3 THEN id END
         FROM messages WHERE id = $1
       RETURNING id`,
      [id, seqno, held],
    );
    return r!['id'] as number;
  }

  *recentNewcomerPosts(roomId: number, postedSince: number, createdSince: number): Op<number[]> {
    const r = yield* rows(
      this.q,
      `SELECT m.id FROM messages m JOIN users u ON u.id = m."user"
        WHERE m.room = $1 AND m.posted >= $2 AND m.data IS NOT NULL AND NOT m.filtered AND NOT m.held
          AND m.whisper IS NULL AND NOT m.whisper_mods AND u.created >= $3 AND NOT u.moderator AND NOT u.admin
          AND NOT EXISTS (SELECT 1 FROM user_permission_overrides o WHERE o.room = m.room AND o."user" = m."user" AND (o.moderator OR o.admin OR o.write))
        ORDER BY m.id`,
      [roomId, postedSince, createdSince],
    );
    return ids(r as { id: unknown }[]);
  }

  moveAttachments(fromId: number, toId: number): Op<void> {
    return run(this.q, 'UPDATE files SET message = $1 WHERE message = $2', [toId, fromId]);
  }

  *deleteHeld(list: number[]): Op<void> {
    yield* run(this.q, `UPDATE files SET expiry = 0 WHERE message = ANY($1::bigint[]) AND ${NOT_AN_IMAGE}`, [list]);
    yield* run(this.q, 'DELETE FROM messages WHERE held AND id = ANY($1::bigint[])', [list]);
  }

  *rememberPosters(list: number[]): Op<void> {
    yield* run(
      this.q,
      `INSERT INTO room_users (room, "user", last_active) SELECT room, "user", posted FROM messages WHERE id = ANY($1::bigint[])
       ON CONFLICT (room, "user") DO NOTHING`,
      [list],
    );
  }

  *heldBefore(before: number): Op<number[]> {
    return ids((yield* rows(this.q, 'SELECT id FROM messages WHERE held AND posted < $1 ORDER BY id', [before])) as { id: unknown }[]);
  }

  *targets(roomId: number, w: AccountWindow): Op<number[]> {
    // See the SQLite table: first seen in the window, seen in the room, not a moderator.
    const r = yield* rows(
      this.q,
      `SELECT u.id FROM users u
        WHERE u.created >= $2 AND u.created < $3 AND NOT u.moderator AND NOT u.admin
          AND (EXISTS (SELECT 1 FROM messages m WHERE m.room = $1 AND m."user" = u.id)
            OR EXISTS (SELECT 1 FROM room_users ru WHERE ru.room = $1 AND ru."user" = u.id))
          AND NOT EXISTS (SELECT 1 FROM user_permission_overrides o WHERE o.room = $1 AND o."user" = u.id AND (o.moderator OR o.admin))
        ORDER BY u.id`,
      [roomId, w.since, w.until],
    );
    return ids(r as { id: unknown }[]);
  }

  *counts(roomId: number, users: number[]): Op<RaidCleanupCounts> {
    const r = yield* one(
      this.q,
      `SELECT count(*) FILTER (WHERE data IS NOT NULL AND NOT held) AS posts, count(*) FILTER (WHERE held) AS held
         FROM messages WHERE room = $1 AND "user" = ANY($2::bigint[])`,
      [roomId, users],
    );
    return { accounts: users.length, posts: Number(r!['posts'] ?? 0), held: Number(r!['held'] ?? 0) };
  }

  *postIdsOf(roomId: number, users: number[], held: boolean): Op<number[]> {
    const r = yield* rows(this.q, 'SELECT id FROM messages WHERE room = $1 AND "user" = ANY($2::bigint[]) AND data IS NOT NULL AND held = $3 ORDER BY id', [
      roomId, users, held,
    ]);
    return ids(r as { id: unknown }[]);
  }

  expireUploadsOf(roomId: number, users: number[]): Op<void> {
    return run(
      this.q,
      'UPDATE files SET expiry = 0 WHERE room = $1 AND uploader = ANY($2::bigint[]) AND id IS DISTINCT FROM (SELECT image FROM rooms WHERE id = $1)',
      [roomId, users],
    );
  }

  *banInRoom(roomId: number, users: number[]): Op<void> {
    // Targets are never moderators, so no moderator list changes (no info_updates bump).
    yield* run(
      this.q,
      `INSERT INTO user_permission_overrides (room, "user", banned, moderator, admin) SELECT $1, u, TRUE, FALSE, FALSE FROM unnest($2::bigint[]) AS u
       ON CONFLICT (room, "user") DO UPDATE SET banned = TRUE, moderator = FALSE, admin = FALSE, visible_mod = TRUE`,
      [roomId, users],
    );
    yield* run(this.q, 'DELETE FROM room_users WHERE room = $1 AND "user" = ANY($2::bigint[])', [roomId, users]);
    yield* run(this.q, 'DELETE FROM user_ban_futures WHERE room = $1 AND "user" = ANY($2::bigint[])', [roomId, users]);
  }

  *banGlobally(users: number[]): Op<void> {
    yield* run(this.q, 'DELETE FROM user_ban_futures WHERE room IS NULL AND "user" = ANY($1::bigint[])', [users]);
    yield* run(this.q, 'UPDATE users SET banned = TRUE WHERE id = ANY($1::bigint[]) AND NOT moderator AND NOT admin', [users]);
  }

  *withPinsOrReactions(list: number[]): Op<number[]> {
    const r = yield* rows(
      this.q,
      'SELECT message AS id FROM pinned_messages WHERE message = ANY($1::bigint[]) UNION SELECT message FROM reactions WHERE message = ANY($1::bigint[])',
      [list],
    );
    return ids(r as { id: unknown }[]);
  }

  *bumpSequenceBy(roomId: number, n: number): Op<number> {
    return (yield* one(this.q, 'UPDATE rooms SET message_sequence = message_sequence + $2 WHERE id = $1 RETURNING message_sequence', [roomId, n]))!['message_sequence'] as number;
  }

  *contents(list: number[]): Op<(StoredContent & { id: number })[]> {
    const r = yield* rows(this.q, 'SELECT id, room, "user", data, data_size, signature FROM messages WHERE id = ANY($1::bigint[]) ORDER BY id', [list]);
    return r.map((x) => ({ id: x['id'] as number, ...toStoredContent(x) }));
  }

  // One statement for all rows: each statement is a round trip to the database.
  addHistories(list: { id: number; data: Buffer; signature: Buffer | null }[], replaced: number): Op<void> {
    return run(
      this.q,
      'INSERT INTO message_history (message, replaced, data, signature) SELECT m, $2, d, s FROM unnest($1::bigint[], $3::bytea[], $4::bytea[]) AS x(m, d, s)',
      [list.map((r) => r.id), replaced, list.map((r) => r.data), list.map((r) => r.signature)],
    );
  }

  tombstoneAll(list: { id: number; seqno: number }[], now: number): Op<void> {
    return run(
      this.q,
      `UPDATE messages m SET data = NULL, data_size = NULL, signature = NULL, seqno_data = x.seq, seqno = GREATEST(x.seq, m.seqno_reactions), edited = $3
         FROM unnest($1::bigint[], $2::bigint[]) AS x(id, seq) WHERE m.id = x.id`,
      [list.map((r) => r.id), list.map((r) => r.seqno), now],
    );
  }

  expireAttachmentsOf(list: number[]): Op<void> {
    return run(this.q, `UPDATE files SET expiry = 0 WHERE message = ANY($1::bigint[]) AND ${NOT_AN_IMAGE}`, [list]);
  }

  async held(roomId: number, limit: number, afterId: number): Promise<Message[]> {
    const r = await this.q(`SELECT ${MESSAGE_COLUMNS}, m.held_from FROM ${MESSAGE_FROM} WHERE m.room = $1 AND m.held AND m.id > $2 ORDER BY m.id LIMIT $3`, [roomId, afterId, limit]);
    return r.rows.map(toMessage);
  }
}
