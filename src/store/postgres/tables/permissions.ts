// PostgreSQL: user_permission_overrides and the scheduled changes (user_permission_futures, user_ban_futures).
import { toBanEntry, toDueBan, toDuePermissions, toFutureChange, toOverride, toOverrideMap, toRoomModerator } from '../../rows';
import type { Op } from '../../shared/op';
import type { DueChange, FuturesTable, OverridesTable, PermissionColumn } from '../../shared/tables';
import type { BanEntry, FutureChange, FuturePerms, PermissionOverride, RoomModerator } from '../../types';
import { one, rows, run, type Query } from '../pg-runner';

export class PgOverrides implements OverridesTable {
  constructor(private readonly q: Query) {}

  *get(roomId: number, userId: number): Op<PermissionOverride | null> {
    const r = yield* one(this.q, 'SELECT * FROM user_permission_overrides WHERE room = $1 AND "user" = $2', [roomId, userId]);
    return r ? toOverride(r) : null;
  }

  *list(roomId: number): Op<{ sessionId: string; override: PermissionOverride }[]> {
    const r = yield* rows(
      this.q,
      'SELECT u.session_id, o.* FROM user_permission_overrides o JOIN users u ON u.id = o."user" WHERE o.room = $1 ORDER BY u.session_id COLLATE "C"',
      [roomId],
    );
    return r.map((x) => ({ sessionId: x['session_id'] as string, override: toOverride(x) }));
  }

  *moderators(roomId: number): Op<RoomModerator[]> {
    const r = yield* rows(
      this.q,
      `SELECT u.session_id, (o.admin OR u.admin) AS admin, o.visible_mod AS visible
         FROM user_permission_overrides o JOIN users u ON u.id = o."user"
        WHERE o.room = $1 AND o.moderator AND u.session_id NOT LIKE 'ff%'
       UNION ALL
       SELECT u.session_id, u.admin, u.visible_mod FROM users u
        WHERE u.moderator AND u.session_id NOT LIKE 'ff%' AND NOT EXISTS (
          SELECT 1 FROM user_permission_overrides o WHERE o.room = $1 AND o."user" = u.id AND o.moderator)
       ORDER BY 1`,
      [roomId],
    );
    return r.map(toRoomModerator);
  }

  *roomsModeratedBy(userId: number): Op<number[]> {
    return (yield* rows(this.q, 'SELECT room FROM user_permission_overrides WHERE "user" = $1 AND moderator ORDER BY room', [userId])).map((r) => r['room'] as number);
  }

  appoint(roomId: number, userId: number, moderator: boolean, admin: boolean, visible: boolean): Op<void> {
    return run(
      this.q,
      `INSERT INTO user_permission_overrides (room, "user", moderator, admin, visible_mod) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (room, "user") DO UPDATE SET moderator = $3, admin = $4, visible_mod = $5,
         banned = user_permission_overrides.banned AND NOT $3`,
      [roomId, userId, moderator, admin, visible],
    );
  }

  set(roomId: number, userId: number, values: Partial<Record<PermissionColumn, boolean | null>>): Op<void> {
    const cols = Object.keys(values) as PermissionColumn[];
    return run(
      this.q,
      `INSERT INTO user_permission_overrides (room, "user", ${cols.join(', ')}) VALUES ($1, $2, ${cols.map((_, i) => `$${i + 3}::boolean`).join(', ')})
       ON CONFLICT (room, "user") DO UPDATE SET ${cols.map((k) => `${k} = excluded.${k}`).join(', ')}`,
      [roomId, userId, ...cols.map((k) => values[k])],
    );
  }

  ban(roomId: number, userId: number): Op<void> {
    return run(
      this.q,
      `INSERT INTO user_permission_overrides (room, "user", banned, moderator, admin) VALUES ($1, $2, TRUE, FALSE, FALSE)
       ON CONFLICT (room, "user") DO UPDATE SET banned = TRUE, moderator = FALSE, admin = FALSE, visible_mod = TRUE`,
      [roomId, userId],
    );
  }

  unban(roomId: number, userId: number): Op<void> {
    return run(this.q, 'UPDATE user_permission_overrides SET banned = FALSE WHERE room = $1 AND "user" = $2', [roomId, userId]);
  }

  deleteIfEmpty(roomId: number, userId: number): Op<void> {
    return run(
      this.q,
      `DELETE FROM user_permission_overrides WHERE room = $1 AND "user" = $2 AND NOT banned AND NOT moderator AND NOT admin
         AND read IS NULL AND accessible IS NULL AND write IS NULL AND upload IS NULL`,
      [roomId, userId],
    );
  }

  *reassign(fromUserId: number, toUserId: number): Op<void> {
    for (const t of ['user_permission_overrides', 'user_permission_futures', 'user_ban_futures']) yield* run(this.q, `UPDATE ${t} SET "user" = $1 WHERE "user" = $2`, [toUserId, fromUserId]);
  }

  /** Ordered as SQLite orders them: tokens case-folded (NOCASE), then bytes. */
  *bans(roomId: number | null): Op<BanEntry[]> {
    const r = yield* rows(
      this.q,
      `SELECT * FROM (
         SELECT u.session_id, r.token,
                (SELECT min(f.at) FROM user_ban_futures f WHERE f.room = o.room AND f."user" = o."user" AND NOT f.banned) AS unban_at
           FROM user_permission_overrides o JOIN users u ON u.id = o."user" JOIN rooms r ON r.id = o.room
          WHERE o.banned AND ($1::bigint IS NULL OR o.room = $1)
         UNION ALL
         SELECT u.session_id, NULL, (SELECT min(f.at) FROM user_ban_futures f WHERE f.room IS NULL AND f."user" = u.id AND NOT f.banned)
           FROM users u WHERE u.banned) x
       ORDER BY lower(token) COLLATE "C" NULLS FIRST, session_id COLLATE "C"`,
      [roomId],
    );
    return r.map(toBanEntry);
  }

  async ofUser(userId: number): Promise<Map<number, PermissionOverride>> {
    return toOverrideMap((await this.q('SELECT * FROM user_permission_overrides WHERE "user" = $1', [userId])).rows);
  }
}

export class PgFutures implements FuturesTable {
  constructor(private readonly q: Query) {}

  *list(roomId: number, userId: number | null): Op<FutureChange[]> {
    const r = yield* rows(
      this.q,
      `SELECT u.session_id, f.at, f.read, f.write, f.upload, f.banned FROM (
         SELECT "user", at, read, write, upload, NULL::boolean AS banned FROM user_permission_futures WHERE room = $1
         UNION ALL
         SELECT "user", at, NULL, NULL, NULL, banned FROM user_ban_futures WHERE room = $1
       ) f JOIN users u ON u.id = f."user"
       WHERE $2::bigint IS NULL OR f."user" = $2
       ORDER BY f.at, u.session_id COLLATE "C"`,
      [roomId, userId],
    );
    return r.map(toFutureChange);
  }

  addPermissions(roomId: number, userId: number, at: number, p: FuturePerms): Op<void> {
    return run(this.q, 'INSERT INTO user_permission_futures (room, "user", at, read, write, upload) VALUES ($1, $2, $3, $4, $5, $6)', [roomId, userId, at, p.read, p.write, p.upload]);
  }

  *clearPermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Op<void> {
    yield* run(this.q, `UPDATE user_permission_futures SET ${columns.map((c) => `${c} = NULL`).join(', ')} WHERE room = $1 AND "user" = $2`, [roomId, userId]);
    // Unlike the reference (docs/protocol/api.md §12.7), rows left with nothing to do are really deleted.
    yield* run(this.q, 'DELETE FROM user_permission_futures WHERE room = $1 AND "user" = $2 AND read IS NULL AND write IS NULL AND upload IS NULL', [roomId, userId]);
  }

  dropBans(roomId: number | null, userId: number): Op<void> {
    return roomId === null
      ? run(this.q, 'DELETE FROM user_ban_futures WHERE room IS NULL AND "user" = $1', [userId])
      : run(this.q, 'DELETE FROM user_ban_futures WHERE room = $1 AND "user" = $2', [roomId, userId]);
  }

  scheduleUnban(roomId: number | null, userId: number, at: number): Op<void> {
    return run(this.q, 'INSERT INTO user_ban_futures (room, "user", at, banned) VALUES ($1, $2, $3, FALSE)', [roomId, userId, at]);
  }

  *takeDue(now: number): Op<DueChange[]> {
    const perms = yield* rows(this.q, 'DELETE FROM user_permission_futures WHERE at <= $1 RETURNING id, room, "user", at, read, write, upload', [now]);
    const bans = yield* rows(this.q, 'DELETE FROM user_ban_futures WHERE at <= $1 RETURNING id, room, "user", at, banned', [now]);
    return [...perms.map(toDuePermissions), ...bans.map(toDueBan)];
  }
}
