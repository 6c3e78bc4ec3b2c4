// SQLite: user_permission_overrides and the scheduled changes (user_permission_futures, user_ban_futures).
import { int, toBanEntry, toDueBan, toDuePermissions, toFutureChange, toOverride, toOverrideMap, toRoomModerator, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { DueChange, FuturesTable, OverridesTable, PermissionColumn } from '../../shared/tables';
import type { BanEntry, FutureChange, FuturePerms, PermissionOverride, RoomModerator } from '../../types';
import type { Statements } from '../statements';

const v = (x: boolean | null): number | null => (x === null ? null : int(x));

export class SqliteOverrides implements OverridesTable {
  constructor(private readonly s: Statements) {}

  *get(roomId: number, userId: number): Op<PermissionOverride | null> {
    const r = this.s.q('SELECT * FROM user_permission_overrides WHERE room = ? AND user = ?').get(roomId, userId) as Row | undefined;
    return r ? toOverride(r) : null;
  }

  *list(roomId: number): Op<{ sessionId: string; override: PermissionOverride }[]> {
    const rows = this.s.q('SELECT u.session_id, o.* FROM user_permission_overrides o JOIN users u ON u.id = o.user WHERE o.room = ? ORDER BY u.session_id').all(roomId) as Row[];
    return rows.map((r) => ({ sessionId: r['session_id'] as string, override: toOverride(r) }));
  }

  *moderators(roomId: number): Op<RoomModerator[]> {
    const rows = this.s.q(
      `SELECT u.session_id, (o.admin OR u.admin) AS admin, o.visible_mod AS visible
         FROM user_permission_overrides o JOIN users u ON u.id = o.user
        WHERE o.room = @room AND o.moderator AND u.session_id NOT LIKE 'ff%'
       UNION ALL
       SELECT u.session_id, u.admin, u.visible_mod FROM users u
        WHERE u.moderator AND u.session_id NOT LIKE 'ff%' AND NOT EXISTS (
          SELECT 1 FROM user_permission_overrides o WHERE o.room = @room AND o.user = u.id AND o.moderator)
       ORDER BY 1`,
    ).all({ room: roomId }) as Row[];
    return rows.map(toRoomModerator);
  }

  *roomsModeratedBy(userId: number): Op<number[]> {
    return (this.s.q('SELECT room FROM user_permission_overrides WHERE user = ? AND moderator ORDER BY room').all(userId) as Row[]).map((r) => r['room'] as number);
  }

  *appoint(roomId: number, userId: number, moderator: boolean, admin: boolean, visible: boolean): Op<void> {
    this.s.q(
      `INSERT INTO user_permission_overrides (room, user, moderator, admin, visible_mod) VALUES (@room, @user, @mod, @admin, @vis)
       ON CONFLICT (room, user) DO UPDATE SET moderator = @mod, admin = @admin, visible_mod = @vis, banned = banned AND NOT @mod`,
    ).run({ room: roomId, user: userId, mod: int(moderator), admin: int(admin), vis: int(visible) });
  }

  *set(roomId: number, userId: number, values: Partial<Record<PermissionColumn, boolean | null>>): Op<void> {
    const cols = Object.keys(values) as PermissionColumn[];
    const params: Record<string, number | null> = { room: roomId, user: userId };
    for (const k of cols) params[k] = v(values[k]!);
    this.s.q(
      `INSERT INTO user_permission_overrides (room, user, ${cols.join(', ')}) VALUES (@room, @user, ${cols.map((k) => '@' + k).join(', ')})
       ON CONFLICT (room, user) DO UPDATE SET ${cols.map((k) => `${k} = excluded.${k}`).join(', ')}`,
    ).run(params);
  }

  *ban(roomId: number, userId: number): Op<void> {
    this.s.q(
      `INSERT INTO user_permission_overrides (room, user, banned, moderator, admin) VALUES (?, ?, 1, 0, 0)
       ON CONFLICT (room, user) DO UPDATE SET banned = 1, moderator = 0, admin = 0, visible_mod = 1`,
    ).run(roomId, userId);
  }

  *unban(roomId: number, userId: number): Op<void> {
    this.s.q('UPDATE user_permission_overrides SET banned = 0 WHERE room = ? AND user = ?').run(roomId, userId);
  }

  *deleteIfEmpty(roomId: number, userId: number): Op<void> {
    this.s.q(
      `DELETE FROM user_permission_overrides WHERE room = ? AND user = ? AND NOT banned AND NOT moderator AND NOT admin
         AND read IS NULL AND accessible IS NULL AND write IS NULL AND upload IS NULL`,
    ).run(roomId, userId);
  }

  *reassign(fromUserId: number, toUserId: number): Op<void> {
    for (const t of ['user_permission_overrides', 'user_permission_futures', 'user_ban_futures']) this.s.q(`UPDATE ${t} SET user = ? WHERE user = ?`).run(toUserId, fromUserId);
  }

  *bans(roomId: number | null): Op<BanEntry[]> {
    const rows = this.s.q(
      `SELECT u.session_id, r.token, (SELECT min(f.at) FROM user_ban_futures f WHERE f.room = o.room AND f.user = o.user AND NOT f.banned) AS unban_at
         FROM user_permission_overrides o JOIN users u ON u.id = o.user JOIN rooms r ON r.id = o.room
        WHERE o.banned AND (@room IS NULL OR o.room = @room)
       UNION ALL
       SELECT u.session_id, NULL, (SELECT min(f.at) FROM user_ban_futures f WHERE f.room IS NULL AND f.user = u.id AND NOT f.banned)
         FROM users u WHERE u.banned
       ORDER BY 2, 1`,
    ).all({ room: roomId }) as Row[];
    return rows.map(toBanEntry);
  }

  async ofUser(userId: number): Promise<Map<number, PermissionOverride>> {
    return overridesOf(this.s, userId);
  }
}

export function overridesOf(s: Statements, userId: number): Map<number, PermissionOverride> {
  return toOverrideMap(s.q('SELECT * FROM user_permission_overrides WHERE user = ?').all(userId) as Row[]);
}

export class SqliteFutures implements FuturesTable {
  constructor(private readonly s: Statements) {}

  *list(roomId: number, userId: number | null): Op<FutureChange[]> {
    const rows = this.s.q(
      `SELECT u.session_id, f.at, f.read, f.write, f.upload, f.banned FROM (
         SELECT user, at, read, write, upload, NULL AS banned FROM user_permission_futures WHERE room = @room
         UNION ALL
         SELECT user, at, NULL, NULL, NULL, banned FROM user_ban_futures WHERE room = @room
       ) f JOIN users u ON u.id = f.user
       WHERE @user IS NULL OR f.user = @user
       ORDER BY f.at, u.session_id`,
    ).all({ room: roomId, user: userId }) as Row[];
    return rows.map(toFutureChange);
  }

  *addPermissions(roomId: number, userId: number, at: number, p: FuturePerms): Op<void> {
    this.s.q('INSERT INTO user_permission_futures (room, user, at, read, write, upload) VALUES (?, ?, ?, ?, ?, ?)').run(roomId, userId, at, v(p.read), v(p.write), v(p.upload));
  }

  *clearPermissions(roomId: number, userId: number, columns: ('read' | 'write' | 'upload')[]): Op<void> {
    this.s.q(`UPDATE user_permission_futures SET ${columns.map((c) => `${c} = NULL`).join(', ')} WHERE room = ? AND user = ?`).run(roomId, userId);
    // Unlike the reference (docs/protocol/api.md §12.7), rows left with nothing to do are really deleted.
    this.s.q('DELETE FROM user_permission_futures WHERE room = ? AND user = ? AND read IS NULL AND write IS NULL AND upload IS NULL').run(roomId, userId);
  }

  *dropBans(roomId: number | null, userId: number): Op<void> {
    if (roomId === null) this.s.q('DELETE FROM user_ban_futures WHERE room IS NULL AND user = ?').run(userId);
    else this.s.q('DELETE FROM user_ban_futures WHERE room = ? AND user = ?').run(roomId, userId);
  }

  *scheduleUnban(roomId: number | null, userId: number, at: number): Op<void> {
    this.s.q('INSERT INTO user_ban_futures (room, user, at, banned) VALUES (?, ?, ?, 0)').run(roomId, userId, at);
  }

  /** rowid: the tables' insertion order (PostgreSQL's id). */
  *takeDue(now: number): Op<DueChange[]> {
    const perms = this.s.q('DELETE FROM user_permission_futures WHERE at <= ? RETURNING rowid AS id, room, user, at, read, write, upload').all(now) as Row[];
    const bans = this.s.q('DELETE FROM user_ban_futures WHERE at <= ? RETURNING rowid AS id, room, user, at, banned').all(now) as Row[];
    return [...perms.map(toDuePermissions), ...bans.map(toDueBan)];
  }
}
