// Rules for held posts and the cleanup of an account window (domain/raids.ts). A held post is a
// messages row marked held and filtered, so that no reader shows it and the poster's rate limits
// count it; it takes no sequence number of its own (the room's pollers are not woken by a raid
// they never see). Released, it becomes a new row: a fresh id and sequence number, so that both
// since= pollers and the legacy API's id-based polling see it as any new post.
import { addPadding, removePadding } from '../../crypto/padding';
import type { AccountWindow, Message, NewMessage, RaidCleanupCounts, RaidWindow } from '../types';
import { tombstone } from './messages';
import type { Op } from './op';
import type { Tables } from './tables';

export function* countNewPost(t: Tables, roomId: number, minute: number, raid: boolean): Op<RaidWindow> {
  yield* t.raids.countNewPost(roomId, minute, raid);
  return yield* t.raids.window(roomId, minute);
}

export function* holdMessage(t: Tables, m: NewMessage): Op<Message> {
  const room = yield* t.rooms.get(m.roomId);
  const id = yield* t.messages.insert({ ...m, filtered: true, held: true }, removePadding(m.data), room?.messageSequence ?? 0);
  return yield* t.messages.get(id);
}

export function* releaseHeld(t: Tables, roomId: number, only: number[] | null): Op<number[]> {
  yield* t.rooms.lock(roomId);
  const held = yield* t.raids.heldIds(roomId, only);
  const out: number[] = [];
  for (const id of held) {
    const seqno = yield* t.rooms.bumpSequence(roomId);
    const fresh = yield* t.raids.copyMessage(id, seqno, false);
    yield* t.raids.moveAttachments(id, fresh);
    out.push(fresh);
  }
  if (held.length > 0) yield* t.raids.deleteHeld(held);
  return out;
}

/**
 * Holds the posts a raid published before it was detected: each becomes a held copy (its uploads
 * with it) and the original a deletion pollers see. Returns how many.
 */
export function* holdRecent(t: Tables, roomId: number, postedSince: number, createdSince: number, now: number): Op<number> {
  const room = (yield* t.rooms.lock(roomId))!;
  const ids = yield* t.raids.recentNewcomerPosts(roomId, postedSince, createdSince);
  for (const id of ids) yield* t.raids.moveAttachments(id, yield* t.raids.copyMessage(id, room.messageSequence, true));
  yield* tombstoneMany(t, roomId, ids, now);
  return ids.length;
}

/**
 * Deletes held posts that were never shown (dropped, expired, or their author's posts deleted),
 * keeping their authors as seen in the room: a later cleanup of their time window must still
 * reach an account whose only trace there was a dropped post.
 */
export function* forgetHeld(t: Tables, ids: number[]): Op<void> {
  if (ids.length === 0) return;
  yield* t.raids.rememberPosters(ids);
  yield* t.raids.deleteHeld(ids);
}

export function* dropHeld(t: Tables, roomId: number, only: number[] | null): Op<number> {
  const held = yield* t.raids.heldIds(roomId, only);
  yield* forgetHeld(t, held);
  return held.length;
}

export function* expireHeld(t: Tables, before: number): Op<number> {
  const held = yield* t.raids.heldBefore(before);
  yield* forgetHeld(t, held);
  return held.length;
}

/**
 * Tombstones many live posts of the room, each its own room event as `tombstone` makes it: posts with pins or reactions take that path; the rest (a raid's posts: nobody pinned
 * or reacted to them) in a few bulk statements, which on PostgreSQL saves seven round trips a post.
 */
function* tombstoneMany(t: Tables, roomId: number, ids: number[], now: number): Op<void> {
  if (ids.length === 0) return;
  const special = new Set(yield* t.raids.withPinsOrReactions(ids));
  for (const id of special) yield* tombstone(t, roomId, id, now);
  const plain = (yield* t.raids.contents(ids.filter((id) => !special.has(id)))).filter((c) => c.data !== null);
  if (plain.length === 0) return;
  const last = yield* t.raids.bumpSequenceBy(roomId, plain.length);
  const first = last - plain.length + 1;
  yield* t.raids.addHistories(plain.map((c) => ({ id: c.id, data: addPadding(c.data!, c.dataSize ?? c.data!.length), signature: c.signature })), now);
  yield* t.raids.tombstoneAll(plain.map((c, i) => ({ id: c.id, seqno: first + i })), now);
  yield* t.raids.expireAttachmentsOf(plain.map((c) => c.id));
}

export function* raidCleanupCounts(t: Tables, roomId: number, w: AccountWindow): Op<RaidCleanupCounts> {
  return yield* t.raids.counts(roomId, yield* t.raids.targets(roomId, w));
}

/**
 * Bans the window's accounts first (so the set is fixed before their traces go), then tombstones
 * their published posts (each a room event, so pollers drop them), deletes their held posts and
 * expires their uploads in the room. Bulk statements over the account ids: thousands of accounts
 * cost a few statements, not a few per account.
 */
export function* raidCleanup(t: Tables, roomId: number, w: AccountWindow, ban: 'room' | 'global' | null, now: number): Op<RaidCleanupCounts> {
  yield* t.rooms.lock(roomId);
  const users = yield* t.raids.targets(roomId, w);
  const counts = yield* t.raids.counts(roomId, users);
  if (users.length === 0) return counts;
  if (ban === 'room') yield* t.raids.banInRoom(roomId, users);
  else if (ban === 'global') yield* t.raids.banGlobally(users);
  yield* tombstoneMany(t, roomId, yield* t.raids.postIdsOf(roomId, users, false), now);
  const held = yield* t.raids.postIdsOf(roomId, users, true);
  if (held.length > 0) yield* t.raids.deleteHeld(held);
  yield* t.raids.expireUploadsOf(roomId, users);
  return counts;
}
