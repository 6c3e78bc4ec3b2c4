// Rules for users: creation (with the blinded-id migration), global roles and bans.
import { blindedAbs } from '../../crypto/ids';
import { StoreConflict, type ModeratorChange, type User } from '../types';
import type { Op } from './op';
import type { Tables } from './tables';

/** Creates the user (lowercase session id) unless it exists; a new blinded (15) id inherits what its unblinded id recorded. */
export function* ensureUser(t: Tables, sessionId: string, now: number): Op<User> {
  const id = yield* t.users.insert(sessionId, now);
  if (id === null) return (yield* t.users.find(sessionId))!;
  if (sessionId.startsWith('15')) yield* migrateBlinded(t, id, blindedAbs(sessionId));
  return (yield* t.users.get(id))!;
}

/** docs/protocol/api.md §2.4: move what was recorded for an unblinded id onto its newly seen blinded user. */
function* migrateBlinded(t: Tables, newId: number, abs: string): Op<void> {
  const oldId = yield* t.users.takeNeedsBlinding(abs);
  if (oldId === null) return;
  const old = (yield* t.users.lock(oldId))!;
  yield* t.users.setRoles(newId, old);
  yield* t.users.setRoles(oldId, { banned: false, moderator: false, admin: false, visibleMod: false });
  const modRooms = yield* t.overrides.roomsModeratedBy(oldId);
  yield* t.overrides.reassign(oldId, newId);
  // The displayed moderator id changes from 05 to 15: tell clients to refresh room details.
  if (old.moderator) yield* t.rooms.bumpEveryInfoUpdates();
  else for (const roomId of modRooms) yield* t.rooms.bumpInfoUpdates(roomId, 1);
}

export function* setGlobalModerator(t: Tables, c: ModeratorChange): Op<void> {
  const before = yield* t.users.lock(c.userId);
  if (!before) throw new StoreConflict(`no user ${c.userId}`);
  const moderator = c.moderator || c.admin;
  // A moderator cannot also be banned (schema CHECK): appointing lifts a global ban.
  yield* t.users.appoint(c.userId, moderator, c.admin, moderator ? c.visible : false);
  const changed = before.moderator !== moderator || before.admin !== c.admin || (moderator && before.visibleMod !== c.visible);
  if (changed) yield* t.rooms.bumpEveryInfoUpdates();
}

/** Global ban, replacing scheduled global (un)bans; a global moderator cannot be banned. */
export function* banGlobally(t: Tables, userId: number, unbanAt: number | null): Op<void> {
  const u = yield* t.users.lock(userId);
  if (!u) throw new StoreConflict(`no user ${userId}`);
  if (u.moderator || u.admin) throw new StoreConflict('a global moderator or admin cannot be banned');
  yield* t.users.setBanned(userId, true);
  yield* t.futures.dropBans(null, userId);
  if (unbanAt !== null) yield* t.futures.scheduleUnban(null, userId, unbanAt);
}

export function* unbanGlobally(t: Tables, userId: number): Op<void> {
  yield* t.users.setBanned(userId, false);
  yield* t.futures.dropBans(null, userId);
}

/**
 * Batched bookkeeping (last active, room activity, read counts) is written in key order, so that
 * two instances flushing overlapping rows at once cannot deadlock each other.
 */
export function byUser<T extends { userId: number }>(rows: T[]): T[] {
  return [...rows].sort((x, y) => x.userId - y.userId);
}

export function byRoomAndUser<T extends { roomId: number; userId: number }>(rows: T[]): T[] {
  return [...rows].sort((x, y) => x.roomId - y.roomId || x.userId - y.userId);
}
