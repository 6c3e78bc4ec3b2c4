// Rules for permissions, room bans and the scheduled changes that apply them later.
import type { AppliedSchedule, PermissionChange, PermissionOverride } from '../types';
import type { Op } from './op';
import type { PermissionColumn, Tables } from './tables';

export function* setPermissionOverrides(t: Tables, roomId: number, userId: number, change: PermissionChange): Op<PermissionOverride | null> {
  const values: Partial<Record<PermissionColumn, boolean | null>> = {};
  for (const k of ['read', 'accessible', 'write', 'upload'] as const) if (change[k] !== undefined) values[k] = change[k];
  if (Object.keys(values).length > 0) {
    yield* t.overrides.set(roomId, userId, values);
    yield* t.overrides.deleteIfEmpty(roomId, userId);
  }
  return yield* t.overrides.get(roomId, userId);
}

/** Room ban: banned, demoted (bumping info_updates if it was a moderator), activity dropped. */
function* banInRoom(t: Tables, roomId: number, userId: number): Op<void> {
  const before = yield* t.overrides.get(roomId, userId);
  yield* t.overrides.ban(roomId, userId);
  if (before && (before.moderator || before.admin)) yield* t.rooms.bumpInfoUpdates(roomId, 1);
  yield* t.activity.forget(roomId, userId);
}

function* unbanInRoom(t: Tables, roomId: number, userId: number): Op<void> {
  yield* t.overrides.unban(roomId, userId);
  yield* t.overrides.deleteIfEmpty(roomId, userId);
}

/** Room bans, rooms in id order (so that two of them cannot deadlock): each replaces the scheduled (un)bans. */
export function* banInRooms(t: Tables, userId: number, roomIds: number[], unbanAt: number | null): Op<void> {
  for (const roomId of [...roomIds].sort((x, y) => x - y)) {
    yield* t.rooms.lock(roomId);
    yield* banInRoom(t, roomId, userId);
    yield* t.futures.dropBans(roomId, userId);
    if (unbanAt !== null) yield* t.futures.scheduleUnban(roomId, userId, unbanAt);
  }
}

export function* unbanInRooms(t: Tables, userId: number, roomIds: number[]): Op<void> {
  for (const roomId of roomIds) {
    yield* unbanInRoom(t, roomId, userId);
    // A leftover scheduled unban would be harmless; a scheduled ban would not (docs/protocol/api.md §4.8).
    yield* t.futures.dropBans(roomId, userId);
  }
}

/** Applies scheduled permission changes and (un)bans due at `now`, oldest first (docs/protocol/api.md §6.8). */
export function* applyDueSchedules(t: Tables, now: number): Op<AppliedSchedule[]> {
  // Taking the rows claims them: an instance running the job at the same time gets none of them.
  const due = yield* t.futures.takeDue(now);
  // Oldest first; at the same time a permission change before a ban change.
  due.sort((x, y) => x.at - y.at || (x.kind === y.kind ? x.id - y.id : x.kind === 'permissions' ? -1 : 1));
  const applied: AppliedSchedule[] = [];
  for (const d of due) {
    const user = (yield* t.users.get(d.userId))!;
    const room = d.roomId === null ? null : (yield* t.rooms.lock(d.roomId))!;
    if (d.kind === 'permissions') {
      // A value equal to the room default is stored as "no override" (docs/protocol/api.md §4.7).
      const change: Partial<Record<PermissionColumn, boolean | null>> = {};
      for (const k of ['read', 'write', 'upload'] as const) {
        const v = d.perms[k];
        if (v !== null) change[k] = v === room![k] ? null : v;
      }
      if (Object.keys(change).length > 0) {
        yield* t.overrides.set(d.roomId, d.userId, change);
        yield* t.overrides.deleteIfEmpty(d.roomId, d.userId);
      }
      applied.push({ kind: 'permissions', roomToken: room!.token, sessionId: user.sessionId, perms: d.perms });
    } else {
      if (d.roomId === null) {
        // A moderator cannot be banned (schema CHECK): such a scheduled ban lapses.
        if (d.banned && (user.moderator || user.admin)) continue;
        yield* t.users.setBanned(d.userId, d.banned);
      } else if (d.banned) {
        yield* banInRoom(t, d.roomId, d.userId);
      } else {
        yield* unbanInRoom(t, d.roomId, d.userId);
      }
      applied.push({ kind: 'ban', roomToken: room === null ? null : room.token, sessionId: user.sessionId, banned: d.banned });
    }
  }
  return applied;
}
