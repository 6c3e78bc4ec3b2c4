// SQLite: rooms (with their anti-raid settings) and the activity tables room_users and user_reads.
import { int, toRoom, toRoomLimits, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { ActivityTable, RoomColumns, RoomsTable } from '../../shared/tables';
import { StoreConflict, type NewRoom, type Room, type RoomLimits } from '../../types';
import type { Statements } from '../statements';

const LIMIT_COLUMNS = { rateLimitPosts: 'rate_limit_posts', rateLimitInterval: 'rate_limit_interval', raidSince: 'raid_since', raidAuto: 'raid_auto' } as const;

export class SqliteRooms implements RoomsTable {
  constructor(private readonly s: Statements) {}

  *get(id: number): Op<Room | null> {
    const r = this.s.q('SELECT * FROM rooms WHERE id = ?').get(id) as Row | undefined;
    return r ? toRoom(r) : null;
  }

  /** rooms.token is COLLATE NOCASE. */
  *byToken(token: string): Op<Room | null> {
    const r = this.s.q('SELECT * FROM rooms WHERE token = ?').get(token) as Row | undefined;
    return r ? toRoom(r) : null;
  }

  /** The transaction holds the database's write lock already. */
  lock(id: number): Op<Room | null> {
    return this.get(id);
  }

  *lockByToken(token: string): Op<number | null> {
    const r = this.s.q('SELECT id FROM rooms WHERE token = ?').get(token) as Row | undefined;
    return r ? (r['id'] as number) : null;
  }

  *insert(room: NewRoom): Op<Room> {
    try {
      return toRoom(this.s.q('INSERT INTO rooms (token, name, description, created) VALUES (?, ?, ?, ?) RETURNING *').get(room.token, room.name, room.description ?? null, room.now) as Row);
    } catch (e) {
      if (e instanceof Error && /UNIQUE/.test(e.message)) throw new StoreConflict(`room '${room.token}' already exists`);
      throw e;
    }
  }

  *delete(id: number): Op<void> {
    this.s.q('DELETE FROM rooms WHERE id = ?').run(id);
  }

  *update(id: number, columns: RoomColumns): Op<void> {
    for (const [k, v] of Object.entries(columns)) {
      if (v !== undefined) this.s.q(`UPDATE rooms SET ${k} = ? WHERE id = ?`).run(typeof v === 'boolean' ? int(v) : v, id);
    }
  }

  *bumpSequence(id: number): Op<number> {
    return (this.s.q('UPDATE rooms SET message_sequence = message_sequence + 1 WHERE id = ? RETURNING message_sequence').get(id) as Row)['message_sequence'] as number;
  }

  *bumpInfoUpdates(id: number, by: number): Op<number> {
    return (this.s.q('UPDATE rooms SET info_updates = info_updates + ? WHERE id = ? RETURNING info_updates').get(by, id) as Row)['info_updates'] as number;
  }

  *bumpEveryInfoUpdates(): Op<void> {
    this.s.q('UPDATE rooms SET info_updates = info_updates + 1').run();
  }

  *infoUpdates(id: number): Op<number> {
    return (this.s.q('SELECT info_updates FROM rooms WHERE id = ?').get(id) as Row)['info_updates'] as number;
  }

  *hasImage(fileId: number): Op<boolean> {
    return this.s.q('SELECT 1 FROM rooms WHERE image = ?').get(fileId) !== undefined;
  }

  *limits(id: number): Op<RoomLimits> {
    const r = this.s.q('SELECT rate_limit_posts, rate_limit_interval, raid_since, raid_auto FROM rooms WHERE id = ?').get(id) as Row | undefined;
    return toRoomLimits(r);
  }

  *setLimits(id: number, l: Partial<RoomLimits>): Op<void> {
    for (const k of Object.keys(LIMIT_COLUMNS) as (keyof RoomLimits)[]) {
      if (l[k] !== undefined) this.s.q(`UPDATE rooms SET ${LIMIT_COLUMNS[k]} = ? WHERE id = ?`).run(typeof l[k] === 'boolean' ? int(l[k]) : l[k], id);
    }
  }

  *recountActiveUsers(since: number): Op<void> {
    this.s.q(
      `UPDATE rooms SET active_users = c.n FROM (
         SELECT r.id, (SELECT count(*) FROM room_users ru WHERE ru.room = r.id AND ru.last_active >= ?) AS n FROM rooms r) c
       WHERE rooms.id = c.id AND rooms.active_users <> c.n`,
    ).run(since);
  }
}

export class SqliteActivity implements ActivityTable {
  constructor(private readonly s: Statements) {}

  *touch(touches: { roomId: number; userId: number; at: number }[]): Op<void> {
    for (const t of touches) {
      this.s.q(
        `INSERT INTO room_users (room, user, last_active) VALUES (?, ?, ?)
         ON CONFLICT (room, user) DO UPDATE SET last_active = max(last_active, excluded.last_active)`,
      ).run(t.roomId, t.userId, t.at);
    }
  }

  *forget(roomId: number, userId: number): Op<void> {
    this.s.q('DELETE FROM room_users WHERE room = ? AND user = ?').run(roomId, userId);
  }

  *prune(before: number): Op<number> {
    return this.s.q('DELETE FROM room_users WHERE last_active < ?').run(before).changes;
  }

  *activeUsers(roomId: number, since: number): Op<number> {
    return (this.s.q('SELECT count(*) AS n FROM room_users WHERE room = ? AND last_active >= ?').get(roomId, since) as Row)['n'] as number;
  }

  *addReads(reads: { userId: number; count: number }[]): Op<void> {
    for (const r of reads) {
      this.s.q('INSERT INTO user_reads (user, reads) VALUES (?, ?) ON CONFLICT (user) DO UPDATE SET reads = reads + excluded.reads').run(r.userId, r.count);
    }
  }

  *reads(userId: number): Op<number> {
    const r = this.s.q('SELECT reads FROM user_reads WHERE user = ?').get(userId) as Row | undefined;
    return (r?.['reads'] as number | undefined) ?? 0;
  }
}
