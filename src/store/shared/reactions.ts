// Rules for reactions and pins: both only on a regular message (live, unfiltered, no whisper),
// checked after the room's lock is taken.
import type { ReactionChange } from '../types';
import type { Op } from './op';
import type { Tables } from './tables';

/** One reaction event: bumps the room sequence and moves the message's seqno_reactions to it. */
export function* reactionEvent(t: Tables, roomId: number, messageId: number): Op<void> {
  const seqno = yield* t.rooms.bumpSequence(roomId);
  yield* t.messages.setReactionSeqno(messageId, seqno);
}

/** Locks the room, then checks the message: the start of every reaction and pin change. */
function* lockRegular(t: Tables, roomId: number, messageId: number): Op<boolean> {
  yield* t.rooms.lock(roomId);
  return yield* t.messages.isRegular(roomId, messageId);
}

export function* addReaction(t: Tables, roomId: number, messageId: number, userId: number, reaction: string, now: number): Op<ReactionChange | null> {
  if (!(yield* lockRegular(t, roomId, messageId))) return null;
  const kind = yield* t.reactions.ensureKind(messageId, reaction);
  const changed = yield* t.reactions.add(kind, userId, now);
  if (changed) yield* reactionEvent(t, roomId, messageId);
  return { changed, seqno: yield* t.messages.seqno(messageId) };
}

export function* removeReaction(t: Tables, roomId: number, messageId: number, userId: number, reaction: string): Op<ReactionChange | null> {
  if (!(yield* lockRegular(t, roomId, messageId))) return null;
  const kind = yield* t.reactions.kind(messageId, reaction);
  let changed = false;
  if (kind !== null) {
    changed = yield* t.reactions.remove(kind, userId);
    if (changed) {
      yield* reactionEvent(t, roomId, messageId);
      // The kind goes with its last user, so a later re-add gets a new index (docs/protocol/api.md §4.4).
      yield* t.reactions.dropUnused(messageId, reaction);
    }
  }
  return { changed, seqno: yield* t.messages.seqno(messageId) };
}

/** Removes every user's reaction (of one kind, or all when null), oldest first; one event per removal. */
export function* clearReactions(t: Tables, roomId: number, messageId: number, reaction: string | null): Op<{ removed: number; seqno: number } | null> {
  if (!(yield* lockRegular(t, roomId, messageId))) return null;
  const rows = yield* t.reactions.ofMessage(messageId, reaction);
  for (const ur of rows) {
    yield* t.reactions.remove(ur.kind, ur.userId);
    yield* reactionEvent(t, roomId, messageId);
  }
  yield* t.reactions.dropUnused(messageId, reaction);
  return { removed: rows.length, seqno: yield* t.messages.seqno(messageId) };
}

/** Pins (or re-pins) a regular message; its attachments stop expiring. */
export function* pinMessage(t: Tables, roomId: number, messageId: number, userId: number, now: number): Op<{ infoUpdates: number } | null> {
  if (!(yield* lockRegular(t, roomId, messageId))) return null;
  yield* t.pins.pin(roomId, messageId, userId, now);
  // Attachments of a pinned post never expire; files that already expired stay expired.
  yield* t.files.keepAttachments(messageId, now);
  return { infoUpdates: yield* t.rooms.bumpInfoUpdates(roomId, 1) };
}

/** Unpins one message (or all): one info_updates bump per removed pin, attachments expire again. */
export function* unpinMessages(t: Tables, roomId: number, messageId: number | null, ttl: number | null): Op<{ unpinned: number; infoUpdates: number }> {
  const room = yield* t.rooms.lock(roomId);
  const unpinned = yield* t.pins.unpin(roomId, messageId);
  // docs/protocol/api.md §4.5: expiry restarts from the upload time (the reference's quirk
  // §12.17); a room image never expires.
  for (const id of unpinned) yield* t.files.restartAttachments(id, ttl);
  const infoUpdates = unpinned.length > 0 ? yield* t.rooms.bumpInfoUpdates(roomId, unpinned.length) : (room?.infoUpdates ?? 0);
  return { unpinned: unpinned.length, infoUpdates };
}
