// Rules for rooms and uploads: deleting a room, PUT /room (info_updates bumps, image expiry),
// room moderators, and attaching uploads to a post.
import type { FileRecord, ModeratorChange, NewFile, Room, RoomDefaults, RoomUpdate } from '../types';
import { lockMessageRoom } from './messages';
import type { Op } from './op';
import type { RoomColumns, Tables } from './tables';

const DEFAULTS = ['read', 'accessible', 'write', 'upload'] as const;

export function* deleteRoom(t: Tables, token: string): Op<boolean> {
  const id = yield* t.rooms.lockByToken(token);
  if (id === null) return false;
  // Files outlive their room row (ON DELETE SET NULL) and are removed by cleanup from disk too.
  yield* t.files.expireRoom(id);
  yield* t.rooms.delete(id);
  return true;
}

export function* setRoomModerator(t: Tables, c: ModeratorChange & { roomId: number }): Op<void> {
  yield* t.rooms.lock(c.roomId);
  const before = yield* t.overrides.get(c.roomId, c.userId);
  const moderator = c.moderator || c.admin;
  const visible = moderator ? c.visible : true;
  // Appointing lifts a room ban: the schema forbids a banned moderator.
  yield* t.overrides.appoint(c.roomId, c.userId, moderator, c.admin, visible);
  yield* t.overrides.deleteIfEmpty(c.roomId, c.userId);
  const wasMod = before?.moderator ?? false;
  const wasAdmin = before?.admin ?? false;
  const wasVisible = before?.visibleMod ?? true;
  // Unlike the reference (docs/protocol/api.md §12.13) a visibility-only change also bumps, so clients refresh.
  if (wasMod !== moderator || wasAdmin !== c.admin || (moderator && wasVisible !== visible)) yield* t.rooms.bumpInfoUpdates(c.roomId, 1);
}

/** The default permissions given (no info_updates bump, docs/protocol/api.md §4.2). */
function defaults(d: Partial<RoomDefaults>): RoomColumns {
  const columns: RoomColumns = {};
  for (const k of DEFAULTS) if (d[k] !== undefined) columns[k] = d[k];
  return columns;
}

export function* setRoomDefaults(t: Tables, roomId: number, d: Partial<RoomDefaults>): Op<Room> {
  yield* t.rooms.update(roomId, defaults(d));
  return (yield* t.rooms.get(roomId))!;
}

/** PUT /room in one transaction (docs/protocol/api.md §4.2). */
export function* updateRoom(t: Tables, roomId: number, u: RoomUpdate, now: number, replacedImageExpiry: number | null): Op<{ infoUpdates: number } | 'no-such-image'> {
  const room = (yield* t.rooms.lock(roomId))!;
  if (u.image !== undefined && !(yield* t.files.isUsable(u.image, roomId, now))) return 'no-such-image';
  if (u.name !== undefined && u.name !== room.name) {
    yield* t.rooms.update(roomId, { name: u.name });
    yield* t.rooms.bumpInfoUpdates(roomId, 1);
  }
  if (u.description !== undefined && u.description !== room.description) {
    yield* t.rooms.update(roomId, { description: u.description });
    yield* t.rooms.bumpInfoUpdates(roomId, 1);
  }
  if (u.image !== undefined) {
    yield* t.files.setExpiry(u.image, null);
    if (room.image !== u.image) {
      yield* t.rooms.update(roomId, { image: u.image });
      yield* t.rooms.bumpInfoUpdates(roomId, 1);
      if (room.image !== null) yield* expireReplacedImage(t, room.image, replacedImageExpiry);
    }
  }
  yield* t.rooms.update(roomId, defaults(u));
  return { infoUpdates: yield* t.rooms.infoUpdates(roomId) };
}

/**
 * A replaced room image expires at once, unless it is also attached to a live post
 * (docs/protocol/api.md §12.12): then it gets the normal attachment expiry, or none while that
 * post is pinned. An image still used by another room keeps not expiring.
 */
function* expireReplacedImage(t: Tables, fileId: number, normalExpiry: number | null): Op<void> {
  if (yield* t.rooms.hasImage(fileId)) return;
  const f = yield* t.files.attachedTo(fileId);
  yield* t.files.setExpiry(fileId, !f || !f.live ? 0 : f.pinned ? null : normalExpiry);
}

export function* insertFile(t: Tables, f: NewFile): Op<FileRecord> {
  const id = yield* t.files.insert(f);
  return yield* t.files.setPath(id, f.pathFor(id));
}

/** Claims uploads for a message (docs/protocol/api.md §4.3); they never expire while it is pinned. */
export function* attachFiles(t: Tables, messageId: number, fileIds: number[], uploadedSince: number, now: number, expiry: number | null): Op<number[]> {
  // The room lock first, as every message writer takes it: a deletion or a pin committing
  // between the checks below and the update would otherwise be missed.
  if ((yield* lockMessageRoom(t, messageId)) === null) return [];
  const m = yield* t.messages.content(messageId);
  if (!m || m.data === null) return [];
  const pinned = yield* t.pins.isPinned(messageId);
  const ids = yield* t.files.attach(messageId, fileIds, m.room, m.user, uploadedSince, now, pinned ? null : expiry);
  return ids.sort((x, y) => x - y);
}
