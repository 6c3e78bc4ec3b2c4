// Rules for posts: the room's sequence counter, edit history, tombstones, and what a deletion
// takes with it (its pin, its attachments, each user reaction as an event of its own).
import { addPadding, removePadding } from '../../crypto/padding';
import type { Message, NewMessage } from '../types';
import type { Op } from './op';
import { forgetHeld } from './raids';
import { reactionEvent } from './reactions';
import type { Tables } from './tables';

/** The room of a message, with the room's lock taken before the message is touched. */
export function* lockMessageRoom(t: Tables, messageId: number): Op<number | null> {
  const c = yield* t.messages.content(messageId);
  if (!c) return null;
  yield* t.rooms.lock(c.room);
  return c.room;
}

export function* insertMessage(t: Tables, m: NewMessage): Op<Message> {
  const seqno = yield* t.rooms.bumpSequence(m.roomId);
  const id = yield* t.messages.insert(m, removePadding(m.data), seqno);
  return yield* t.messages.get(id);
}

/** Replaces data and signature; byte-identical data only takes the new signature (no seqno bump). */
export function* editMessage(t: Tables, messageId: number, data: Buffer, signature: Buffer, now: number): Op<Message> {
  const roomId = (yield* lockMessageRoom(t, messageId))!;
  const old = (yield* t.messages.content(messageId))!;
  const stored = removePadding(data);
  if (old.data !== null && old.data.equals(stored)) {
    yield* t.messages.setSignature(messageId, signature, data.length);
  } else {
    yield* t.messages.addHistory(messageId, now, old.data === null ? null : addPadding(old.data, old.dataSize ?? old.data.length), old.signature);
    const seqno = yield* t.rooms.bumpSequence(roomId);
    yield* t.messages.setContent(messageId, stored, data.length, signature, seqno, now);
  }
  return yield* t.messages.get(messageId);
}

export function* deleteMessage(t: Tables, messageId: number, now: number): Op<void> {
  const roomId = yield* lockMessageRoom(t, messageId);
  if (roomId !== null) yield* tombstone(t, roomId, messageId, now);
}

/** Tombstones a live message of the room, inside a transaction holding the room's lock. */
export function* tombstone(t: Tables, roomId: number, messageId: number, now: number): Op<void> {
  const old = yield* t.messages.content(messageId);
  if (!old || old.data === null) return;
  yield* t.messages.addHistory(messageId, now, addPadding(old.data, old.dataSize ?? old.data.length), old.signature);
  const seqno = yield* t.rooms.bumpSequence(roomId);
  yield* t.messages.setContent(messageId, null, null, null, seqno, now);
  if ((yield* t.pins.unpin(roomId, messageId)).length > 0) yield* t.rooms.bumpInfoUpdates(roomId, 1);
  // Attachments go at once, except a file that is (also) a room image: that never expires.
  yield* t.files.expireAttachments(messageId);
  // Each removed user reaction is its own event (docs/protocol/api.md §4.3), oldest first.
  for (const ur of yield* t.reactions.ofMessage(messageId, null)) {
    yield* t.reactions.remove(ur.kind, ur.userId);
    yield* reactionEvent(t, roomId, messageId);
  }
  yield* t.reactions.dropAll(messageId);
}

/** Tombstones every live message of the user in the room and expires their uploads there (not the room image). */
export function* deleteUserMessages(t: Tables, roomId: number, userId: number, now: number): Op<number> {
  yield* t.rooms.lock(roomId);
  const ids = yield* t.messages.liveIds(roomId, userId);
  for (const id of ids) yield* tombstone(t, roomId, id, now);
  // Posts held in raid mode were never shown: they simply go.
  const held = yield* t.raids.postIdsOf(roomId, [userId], true);
  yield* forgetHeld(t, held);
  // docs/protocol/api.md §4.9: every upload of theirs in the room goes, except the current room image.
  yield* t.files.expireUploads(roomId, userId);
  return ids.length + held.length;
}
