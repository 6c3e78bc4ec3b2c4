// Message listings rendered once and shared by every viewer who asks for the same one.
//
// Thousands of clients poll a room with the few cursors of its last few changes (messages/since),
// and every first join, every room opened after a while and every scroll back asks for one of a
// few pages of its history (messages/recent, messages/before). Unless the listing holds whispers
// it is the same JSON for all of them but for `you` in reactions, which a viewer has only where
// they reacted. So the rendered text is kept per (room, message_sequence, listing, options), with
// `you` left out and the ids of the users who reacted to any of its posts (Store.reactedBy): every
// other viewer is served the shared text without a query; the listing's query, the row decoding
// and the serialisation then happen once per change of the room, not once per request.
//
// Why an entry can never outlive its listing (the one invalidation rule, in listingKey):
// message_sequence moves with every change to a room's messages (post, edit, deletion, reaction),
// and every request sees the room's current message_sequence (the store re-reads or re-validates
// room rows per request, see Store.roomsAndOverrides), so a change made by this process or by any
// other on the same database gives the next request a new key. An entry rendered while another
// process wrote can only hold a listing newer than its key, never older. (One change moves no
// seqno: an edit that re-signs unchanged content, which no poll is told of either; a shared
// rendering then keeps the earlier padding and signature, a valid pair, until the room's next
// change.) Permissions are checked per viewer before the cache is asked.
import type { Store } from '../store/types';

/**
 * Rendered text kept in all, per store (whichever bound is hit first, the oldest entries go).
 * Sizes are counted in characters: the JSON is base64, hex and digits, so characters are bytes
 * (and an entry's Buffer, made on its first direct reply, is counted again).
 */
export const LISTING_CACHE_MAX_BYTES = 16 * 1024 * 1024;
export const LISTING_CACHE_MAX_ENTRIES = 4096;
/** A listing larger than this is rendered per request: one large page does not evict the rest. */
export const LISTING_CACHE_MAX_ENTRY_BYTES = 256 * 1024;

/**
 * What a listing was found to be when it was first asked for: kept for one that holds whispers,
 * which differ per viewer, so that every later request goes straight to the viewer's own query.
 * Without it each of them would first run the shared query again and could not use its rows (a
 * second query every time). The entry moves with message_sequence like any other.
 */
export const PER_VIEWER = null;

/** A rendering every viewer may be served but those in `reactors`. */
export interface SharedListing {
  readonly text: string;
  /** Users with a reaction on a listed post, who would see a `you` in it (exact while the key stands: a reaction moves it). */
  readonly reactors: ReadonlySet<number>;
  /** The text as UTF-8 bytes, made once for direct replies (batch and onion replies embed the text). */
  body?: Buffer;
}

export type ListingEntry = SharedListing | typeof PER_VIEWER;

/** Bytes counted for a user id kept in `reactors`: a Set's entry and its number. */
const REACTOR_BYTES = 32;

function sizeOf(e: ListingEntry): number {
  return e === PER_VIEWER ? 0 : e.text.length + (e.body?.length ?? 0) + REACTOR_BYTES * e.reactors.size;
}

export class ListingCache {
  // A Map iterates in insertion order, so its first key is the oldest entry.
  private readonly entries = new Map<string, ListingEntry>();
  private bytes = 0;

  get(key: string): ListingEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: ListingEntry): void {
    const size = sizeOf(entry);
    if (size > LISTING_CACHE_MAX_ENTRY_BYTES || this.entries.has(key)) return;
    this.entries.set(key, entry);
    this.bytes += size;
    this.evict();
  }

  /** The entry's bytes for a direct reply, made once and counted in the cache's bytes. */
  bodyOf(key: string, e: SharedListing): Buffer {
    if (e.body) return e.body;
    e.body = Buffer.from(e.text, 'utf8');
    if (this.entries.get(key) === e) {
      this.bytes += e.body.length;
      this.evict();
    }
    return e.body;
  }

  private evict(): void {
    while (this.bytes > LISTING_CACHE_MAX_BYTES || this.entries.size > LISTING_CACHE_MAX_ENTRIES) {
      const [oldest, e] = this.entries.entries().next().value as [string, ListingEntry];
      this.entries.delete(oldest);
      this.bytes -= sizeOf(e);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

const caches = new WeakMap<Store, ListingCache>();

/**
 * The cache of a store: one per database a process serves. Kept here rather than on Services,
 * which the domain defines and which should not carry the API's renderings.
 */
export function listingCacheOf(store: Store): ListingCache {
  let c = caches.get(store);
  if (!c) {
    c = new ListingCache();
    caches.set(store, c);
  }
  return c;
}

/**
 * The key of a listing: the room's message_sequence in it is what keeps every entry current (see
 * above); `listing` names the listing and its options (e.g. `since/N/limit/reactors/r`).
 */
export function listingKey(roomId: number, messageSequence: number, listing: string): string {
  return `${roomId}/${messageSequence}/${listing}`;
}
