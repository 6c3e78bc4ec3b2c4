// SQLite: room_raid_counts, held posts and the cleanup of an account window (domain/raids.ts).
import { int, toMessage, toStoredContent, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { RaidTable, StoredContent } from '../../shared/tables';
import type { AccountWindow, Message, RaidCleanupCounts, RaidWindow } from '../../types';
import { lim, type Statements } from '../statements';
import { MESSAGE_COLUMNS, MESSAGE_FROM } from './messages';

/**
 * The accounts a cleanup reaches: first seen in the window, seen in the room (a post there, held
 * or not, or activity), and not a moderator of the room or of the server.
 */
const TARGETS = `SELECT u.id FROM users u
  WHERE u.created >= @since AND u.created < @until AND NOT u.moderator AND NOT u.admin
    AND (EXISTS (SELECT 1 FROM messages m WHERE m.room = @room AND m.user = u.id)
      OR EXISTS (SELECT 1 FROM room_users ru WHERE ru.room = @room AND ru.user = u.id))
    AND NOT EXISTS (SELECT 1 FROM user_permission_overrides o WHERE o.room = @room AND o.user = u.id AND (o.moderator OR o.admin))`;
const IDS = 'SELECT value FROM json_each(@ids)';
const NOT_AN_IMAGE = 'id NOT IN (SELECT image FROM rooms WHERE image IS NOT NULL)';

export class SqliteRaids implements RaidTable {
  constructor(private readonly s: Statements) {}

  *countNewPost(roomId: number, minute: number, raid: boolean): Op<void> {
    this.s.q(
      `INSERT INTO room_raid_counts (room, minute, posts, raid) VALUES (?, ?, 1, ?)
       ON CONFLICT (room, minute) DO UPDATE SET posts = posts + 1, raid = raid OR excluded.raid`,
    ).run(roomId, minute, int(raid));
  }

  *window(roomId: number, minute: number): Op<RaidWindow> {
    const rows = this.s.q('SELECT minute, posts FROM room_raid_counts WHERE room = ? AND minute IN (?, ?)').all(roomId, minute, minute - 1) as Row[];
    const at = (m: number): number => (rows.find((r) => r['minute'] === m)?.['posts'] as number | undefined) ?? 0;
    return { current: at(minute), previous: at(minute - 1) };
  }

  *peak(roomId: number, fromMinute: number, beforeMinute: number, withRaid: boolean): Op<number> {
    const r = this.s.q('SELECT max(posts) AS n FROM room_raid_counts WHERE room = ? AND minute >= ? AND minute < ? AND (? OR NOT raid)')
      .get(roomId, fromMinute, beforeMinute, int(withRaid)) as Row;
    return (r['n'] as number | null) ?? 0;
  }

  *markRaid(roomId: number, fromMinute: number): Op<void> {
    this.s.q('UPDATE room_raid_counts SET raid = 1 WHERE room = ? AND minute >= ?').run(roomId, fromMinute);
  }

  *pruneCounts(beforeMinute: number): Op<number> {
    return this.s.q('DELETE FROM room_raid_counts WHERE minute < ?').run(beforeMinute).changes;
  }

  *heldIds(roomId: number, ids: number[] | null): Op<number[]> {
    const rows = (ids === null
      ? this.s.q('SELECT id FROM messages WHERE room = ? AND held ORDER BY id').all(roomId)
      : this.s.q(`SELECT id FROM messages WHERE room = @room AND held AND id IN (${IDS}) ORDER BY id`).all({ room: roomId, ids: JSON.stringify(ids) })) as Row[];
    return rows.map((r) => r['id'] as number);
  }

  *countHeld(roomId: number): Op<number> {
    return (this.s.q('SELECT count(*) AS n FROM messages WHERE room = ? AND held').get(roomId) as Row)['n'] as number;
  }

  *copyMessage(id: number, seqno: number, held: boolean): Op<number> {
    const r = this.s.q(
      `INSERT INTO messages (room, user, posted, seqno, seqno_data, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods, held, held_from)
       SELECT room, user, posted, @seq, @seq, @seq, data, data_size, signature, @held, whisper, whisper_mods, @held, CASE WHEN @held THEN id END
         FROM messages WHERE id = @id
       RETURNING id`,
    ).get({ id, seq: seqno, held: int(held) }) as Row;
    return r['id'] as number;
  }

  *recentNewcomerPosts(roomId: number, postedSince: number, createdSince: number): Op<number[]> {
    const rows = this.s.q(
      `SELECT m.id FROM messages m JOIN users u ON u.id = m.user
        WHERE m.room = @room AND m.posted >= @posted AND m.data IS NOT NULL AND NOT m.filtered AND NOT m.held
          AND m.whisper IS NULL AND NOT m.whisper_mods AND u.created >= @created AND NOT u.moderator AND NOT u.admin
          AND NOT EXISTS (SELECT 1 FROM user_permission_overrides o WHERE o.room = m.room AND o.user = m.user AND (o.moderator OR o.admin OR o.write))
        ORDER BY m.id`,
    ).all({ room: roomId, posted: postedSince, created: createdSince }) as Row[];
    return rows.map((r) => r['id'] as number);
  }

  *moveAttachments(fromId: number, toId: number): Op<void> {
    this.s.q('UPDATE files SET message = ? WHERE message = ?').run(toId, fromId);
  }

  *deleteHeld(ids: number[]): Op<void> {
    const p = { ids: JSON.stringify(ids) };
    this.s.q(`UPDATE files SET expiry = 0 WHERE message IN (${IDS}) AND ${NOT_AN_IMAGE}`).run(p);
    this.s.q(`DELETE FROM messages WHERE held AND id IN (${IDS})`).run(p);
  }

  *rememberPosters(ids: number[]): Op<void> {
    this.s.q(
      `INSERT INTO room_users (room, user, last_active) SELECT room, user, posted FROM messages WHERE id IN (${IDS})
       ON CONFLICT (room, user) DO NOTHING`,
    ).run({ ids: JSON.stringify(ids) });
  }

  *heldBefore(before: number): Op<number[]> {
    return (this.s.q('SELECT id FROM messages WHERE held AND posted < ? ORDER BY id').all(before) as Row[]).map((r) => r['id'] as number);
  }

  *targets(roomId: number, w: AccountWindow): Op<number[]> {
    return (this.s.q(`${TARGETS} ORDER BY u.id`).all({ room: roomId, since: w.since, until: w.until }) as Row[]).map((r) => r['id'] as number);
  }

  *counts(roomId: number, users: number[]): Op<RaidCleanupCounts> {
    const r = this.s.q(
      `SELECT count(*) FILTER (WHERE data IS NOT NULL AND NOT held) AS posts, count(*) FILTER (WHERE held) AS held
         FROM messages WHERE room = @room AND user IN (${IDS})`,
    ).get({ room: roomId, ids: JSON.stringify(users) }) as Row;
    return { accounts: users.length, posts: (r['posts'] as number | null) ?? 0, held: (r['held'] as number | null) ?? 0 };
  }

  *postIdsOf(roomId: number, users: number[], held: boolean): Op<number[]> {
    const rows = this.s.q(`SELECT id FROM messages WHERE room = @room AND user IN (${IDS}) AND data IS NOT NULL AND held = @held ORDER BY id`)
      .all({ room: roomId, ids: JSON.stringify(users), held: int(held) }) as Row[];
    return rows.map((r) => r['id'] as number);
  }

  *expireUploadsOf(roomId: number, users: number[]): Op<void> {
    this.s.q(`UPDATE files SET expiry = 0 WHERE room = @room AND uploader IN (${IDS}) AND id IS NOT (SELECT image FROM rooms WHERE id = @room)`)
      .run({ room: roomId, ids: JSON.stringify(users) });
  }

  *banInRoom(roomId: number, users: number[]): Op<void> {
    const p = { room: roomId, ids: JSON.stringify(users) };
    // Targets are never moderators, so no moderator list changes (no info_updates bump).
    this.s.q(
      `INSERT INTO user_permission_overrides (room, user, banned, moderator, admin) SELECT @room, value, 1, 0, 0 FROM json_each(@ids) WHERE TRUE
       ON CONFLICT (room, user) DO UPDATE SET banned = 1, moderator = 0, admin = 0, visible_mod = 1`,
    ).run(p);
    this.s.q(`DELETE FROM room_users WHERE room = @room AND user IN (${IDS})`).run(p);
    this.s.q(`DELETE FROM user_ban_futures WHERE room = @room AND user IN (${IDS})`).run(p);
  }

  *banGlobally(users: number[]): Op<void> {
    const p = { ids: JSON.stringify(users) };
    this.s.q(`DELETE FROM user_ban_futures WHERE room IS NULL AND user IN (${IDS})`).run(p);
    this.s.q(`UPDATE users SET banned = 1 WHERE id IN (${IDS}) AND NOT moderator AND NOT admin`).run(p);
  }

  *withPinsOrReactions(ids: number[]): Op<number[]> {
    const p = { ids: JSON.stringify(ids) };
    const rows = this.s.q(`SELECT message AS id FROM pinned_messages WHERE message IN (${IDS}) UNION SELECT message FROM reactions WHERE message IN (${IDS})`).all(p) as Row[];
    return rows.map((r) => r['id'] as number);
  }

  *bumpSequenceBy(roomId: number, n: number): Op<number> {
    return (this.s.q('UPDATE rooms SET message_sequence = message_sequence + ? WHERE id = ? RETURNING message_sequence').get(n, roomId) as Row)['message_sequence'] as number;
  }

  *contents(ids: number[]): Op<(StoredContent & { id: number })[]> {
    const rows = this.s.q(`SELECT id, room, user, data, data_size, signature FROM messages WHERE id IN (${IDS}) ORDER BY id`).all({ ids: JSON.stringify(ids) }) as Row[];
    return rows.map((r) => ({ id: r['id'] as number, ...toStoredContent(r) }));
  }

  // One prepared statement run per row: SQLite runs them in-process, there is no round trip to save.
  *addHistories(rows: { id: number; data: Buffer; signature: Buffer | null }[], replaced: number): Op<void> {
    const st = this.s.q('INSERT INTO message_history (message, replaced, data, signature) VALUES (?, ?, ?, ?)');
    for (const r of rows) st.run(r.id, replaced, r.data, r.signature);
  }

  *tombstoneAll(rows: { id: number; seqno: number }[], now: number): Op<void> {
    const st = this.s.q('UPDATE messages SET data = NULL, data_size = NULL, signature = NULL, seqno_data = ?, seqno = max(?, seqno_reactions), edited = ? WHERE id = ?');
    for (const r of rows) st.run(r.seqno, r.seqno, now, r.id);
  }

  *expireAttachmentsOf(ids: number[]): Op<void> {
    this.s.q(`UPDATE files SET expiry = 0 WHERE message IN (${IDS}) AND ${NOT_AN_IMAGE}`).run({ ids: JSON.stringify(ids) });
  }

  async held(roomId: number, limit: number, afterId: number): Promise<Message[]> {
    const rows = this.s.q(`SELECT ${MESSAGE_COLUMNS}, m.held_from FROM ${MESSAGE_FROM} WHERE m.room = ? AND m.held AND m.id > ? ORDER BY m.id LIMIT ${lim(limit)}`).all(roomId, afterId) as Row[];
    return rows.map(toMessage);
  }
}
