// Since-listings rendered once and shared by every poller of a room.
//
// Thousands of clients poll a room with the few cursors of its last few changes, and unless the
// listing holds whispers or reactions (whose `you` is per viewer) it is the same JSON for all of
// them. So the rendered text is kept per (room, message_sequence, cursor, options): the query, the
// row decoding and the serialisation then happen once per change of the room, not once per poll.
//
// Why an entry can never outlive its listing: message_sequence moves with every change to a
// room's messages (post, edit, deletion, reaction), and every request sees the room's current
// message_sequence (the store re-reads or re-validates room rows per request, see
// Store.roomsAndOverrides), so a change made by this process or by any other on the same database
// gives the next poll a new key. (One change moves no seqno: an edit that
// re-signs unchanged content, which no poll is told of either; a shared rendering then keeps the
// earlier padding and signature, a valid pair, until the room's next change.) Permissions are
// checked per viewer before the cache is asked.
import type { Store } from '../store/types';

/**
 * Rendered text kept in all, per store (whichever bound is hit first, the oldest entries go).
 * Sizes are counted in characters: the JSON is base64, hex and digits, so characters are bytes.
 */
export const SINCE_CACHE_MAX_BYTES = 8 * 1024 * 1024;
export const SINCE_CACHE_MAX_ENTRIES = 4096;
/** A listing larger than this is rendered per request: one poll catching up does not evict the rest. */
export const SINCE_CACHE_MAX_ENTRY_BYTES = 256 * 1024;

/**
 * What a cursor's listing was found to be when it was first asked for: kept for a listing that
 * holds whispers or reactions, whose `you` is per viewer, so that every later poll of the cursor
 * goes straight to the viewer's own query. Without it each of them would first run the shared
 * query again, and could not use its rows when they hold whispers (a second query every time);
 * with reactions alone the viewer's query returns the same rows, so it costs nothing more. The
 * entry moves with message_sequence like any other.
 */
export const PER_VIEWER = null;

/** The text of a shared listing, or PER_VIEWER. */
export type SinceEntry = string | typeof PER_VIEWER;

export class SinceCache {
  // A Map iterates in insertion order, so its first key is the oldest entry.
  private readonly entries = new Map<string, SinceEntry>();
  private bytes = 0;

  get(key: string): SinceEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: SinceEntry): void {
    const size = entry === PER_VIEWER ? 0 : entry.length;
    if (size > SINCE_CACHE_MAX_ENTRY_BYTES || this.entries.has(key)) return;
    this.entries.set(key, entry);
    this.bytes += size;
    while (this.bytes > SINCE_CACHE_MAX_BYTES || this.entries.size > SINCE_CACHE_MAX_ENTRIES) {
      const [oldest, text] = this.entries.entries().next().value as [string, SinceEntry];
      this.entries.delete(oldest);
      this.bytes -= text === PER_VIEWER ? 0 : text.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

const caches = new WeakMap<Store, SinceCache>();

/**
 * The cache of a store: one per database a process serves. Kept here rather than on Services,
 * which the domain defines and which should not carry the API's renderings.
 */
export function sinceCacheOf(store: Store): SinceCache {
  let c = caches.get(store);
  if (!c) {
    c = new SinceCache();
    caches.set(store, c);
  }
  return c;
}

export function sinceKey(roomId: number, messageSequence: number, seqno: number, limit: number, reactors: number, withReactions: boolean): string {
  return `${roomId}/${messageSequence}/${seqno}/${limit}/${reactors}/${withReactions ? 'r' : ''}`;
}
