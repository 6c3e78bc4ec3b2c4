// Posts and their reactions.

export interface Message {
  id: number;
  roomId: number;
  userId: number;
  sessionId: string;
  posted: number;
  edited: number | null;
  seqno: number;
  seqnoData: number;
  seqnoReactions: number;
  seqnoCreation: number;
  /** Exact bytes as the author signed them (padding restored); null for a tombstone. */
  data: Buffer | null;
  signature: Buffer | null;
  filtered: boolean;
  whisperTo: string | null;
  whisperMods: boolean;
  /** Held for moderators in raid mode (domain/raids.ts); set by the console's listings only. */
  held?: boolean;
  /** Held posts only: the published post a detected raid took back into this held copy (domain/raids.ts). */
  heldFrom?: number | null;
}

export interface NewMessage {
  roomId: number;
  userId: number;
  data: Buffer;
  signature: Buffer;
  whisperTo: number | null;
  whisperMods: boolean;
  filtered: boolean;
  /** Held for moderators (domain/raids.ts); stored filtered as well, so no reader shows it. */
  held?: boolean;
  now: number;
}

/** Who is looking, for whisper visibility (docs/protocol/api.md §5.5). */
export interface Viewer {
  userId: number | null;
  sessionId: string | null;
  moderator: boolean;
}

export interface ReactionInfo {
  reaction: string;
  index: number;
  count: number;
  reactors: string[];
  you: boolean;
}

/** Outcome of one user's reaction change; null from the store = the message is not reactable. */
export interface ReactionChange {
  changed: boolean;
  /** The message's seqno after the operation. */
  seqno: number;
}

/** A post's text fingerprint (domain/flood.ts), kept for the flood windows. */
export interface NewFingerprint {
  fingerprint: Buffer;
  roomId: number;
  userId: number;
  now: number;
}

/** Which earlier copies of a text to count (Store.floodCounts). */
export interface FloodQuery {
  fingerprint: Buffer;
  roomId: number;
  userId: number;
  /** Count the other accounts that posted it in the room since then. */
  accountsSince: number;
  /** Count the user's own copies, in any room, since then. */
  repeatsSince: number;
}

export interface FloodCounts {
  /** Different accounts other than the user that posted the text in the room. */
  accounts: number;
  /** The user's own copies of the text, in any room. */
  repeats: number;
}
