// PostgreSQL: rooms (with their anti-raid settings) and the activity tables room_users and user_reads.
import { toRoom, toRoomLimits } from '../../rows';
import type { Op } from '../../shared/op';
import type { ActivityTable, RoomColumns, RoomsTable } from '../../shared/tables';
import { StoreConflict, type NewRoom, type Room, type RoomLimits } from '../../types';
import { count, one, run, type Query } from '../pg-runner';

const LIMIT_COLUMNS = { rateLimitPosts: 'rate_limit_posts', rateLimitInterval: 'rate_limit_interval', raidSince: 'raid_since', raidAuto: 'raid_auto' } as const;

export class PgRooms implements RoomsTable {
  constructor(private readonly q: Query) {}

  *get(id: number): Op<Room | null> {
    const r = yield* one(this.q, 'SELECT * FROM rooms WHERE id = $1', [id]);
    return r ? toRoom(r) : null;
  }

  *byToken(token: string): Op<Room | null> {
    const r = yield* one(this.q, 'SELECT * FROM rooms WHERE lower(token) = lower($1)', [token]);
    return r ? toRoom(r) : null;
  }

  /** The room row's lock orders every writer of the room and its messages. */
  *lock(id: number): Op<Room | null> {
    const r = yield* one(this.q, 'SELECT * FROM rooms WHERE id = $1 FOR UPDATE', [id]);
    return r ? toRoom(r) : null;
  }

  *lockByToken(token: string): Op<number | null> {
    const r = yield* one(this.q, 'SELECT id FROM rooms WHERE lower(token) = lower($1) FOR UPDATE', [token]);
    return r ? (r['id'] as number) : null;
  }

  *insert(room: NewRoom): Op<Room> {
    try {
      const r = yield* one(this.q, 'INSERT INTO rooms (token, name, description, created) VALUES ($1, $2, $3, $4) RETURNING *', [room.token, room.name, room.description ?? null, room.now]);
      return toRoom(r!);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new StoreConflict(`room '${room.token}' already exists`);
      throw e;
    }
  }

  delete(id: number): Op<void> {
    return run(this.q, 'DELETE FROM rooms WHERE id = $1', [id]);
  }

  *update(id: number, columns: RoomColumns): Op<void> {
    for (const [k, v] of Object.entries(columns)) if (v !== undefined) yield* run(this.q, `UPDATE rooms SET ${k} = $1 WHERE id = $2`, [v, id]);
  }

  *bumpSequence(id: number): Op<number> {
    return (yield* one(this.q, 'UPDATE rooms SET message_sequence = message_sequence + 1 WHERE id = $1 RETURNING message_sequence', [id]))!['message_sequence'] as number;
  }

  *bumpInfoUpdates(id: number, by: number): Op<number> {
    return (yield* one(this.q, 'UPDATE rooms SET info_updates = info_updates + $2 WHERE id = $1 RETURNING info_updates', [id, by]))!['info_updates'] as number;
  }

  bumpEveryInfoUpdates(): Op<void> {
    return run(this.q, 'UPDATE rooms SET info_updates = info_updates + 1');
  }

  *infoUpdates(id: number): Op<number> {
    return (yield* one(this.q, 'SELECT info_updates FROM rooms WHERE id = $1', [id]))!['info_updates'] as number;
  }

  *hasImage(fileId: number): Op<boolean> {
    return (yield* one(this.q, 'SELECT 1 FROM rooms WHERE image = $1', [fileId])) !== null;
  }

  *limits(id: number): Op<RoomLimits> {
    return toRoomLimits(yield* one(this.q, 'SELECT rate_limit_posts, rate_limit_interval, raid_since, raid_auto FROM rooms WHERE id = $1', [id]));
  }

  *setLimits(id: number, l: Partial<RoomLimits>): Op<void> {
    for (const k of Object.keys(LIMIT_COLUMNS) as (keyof RoomLimits)[]) {
      if (l[k] !== undefined) yield* run(this.q, `UPDATE rooms SET ${LIMIT_COLUMNS[k]} = $1 WHERE id = $2`, [l[k], id]);
    }
  }

  recountActiveUsers(since: number): Op<void> {
    return run(
      this.q,
      `UPDATE rooms SET active_users = c.n FROM (
         SELECT r.id, (SELECT count(*) FROM room_users ru WHERE ru.room = r.id AND ru.last_active >= $1) AS n FROM rooms r) c
       WHERE rooms.id = c.id AND rooms.active_users <> c.n`,
      [since],
    );
  }
}

export class PgActivity implements ActivityTable {
  constructor(private readonly q: Query) {}

  touch(touches: { roomId: number; userId: number; at: number }[]): Op<void> {
    return run(
      this.q,
      `INSERT INTO room_users (room, "user", last_active) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[])
       ON CONFLICT (room, "user") DO UPDATE SET last_active = GREATEST(room_users.last_active, excluded.last_active)`,
      [touches.map((t) => t.roomId), touches.map((t) => t.userId), touches.map((t) => t.at)],
    );
  }

  forget(roomId: number, userId: number): Op<void> {
    return run(this.q, 'DELETE FROM room_users WHERE room = $1 AND "user" = $2', [roomId, userId]);
  }

  prune(before: number): Op<number> {
    return count(this.q, 'DELETE FROM room_users WHERE last_active < $1', [before]);
  }

  *activeUsers(roomId: number, since: number): Op<number> {
    return (yield* one(this.q, 'SELECT count(*) AS n FROM room_users WHERE room = $1 AND last_active >= $2', [roomId, since]))!['n'] as number;
  }

  addReads(reads: { userId: number; count: number }[]): Op<void> {
    return run(
      this.q,
      `INSERT INTO user_reads ("user", reads) SELECT * FROM unnest($1::bigint[], $2::bigint[])
       ON CONFLICT ("user") DO UPDATE SET reads = user_reads.reads + excluded.reads`,
      [reads.map((r) => r.userId), reads.map((r) => r.count)],
    );
  }

  *reads(userId: number): Op<number> {
    const r = yield* one(this.q, 'SELECT reads FROM user_reads WHERE "user" = $1', [userId]);
    return (r?.['reads'] as number | undefined) ?? 0;
  }
}
