// Users and what authentication reads with them.
import type { RoomsView } from './rooms';

export interface User {
  id: number;
  sessionId: string;
  created: number;
  lastActive: number;
  banned: boolean;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
  /** The highest DM id this user ever received (0: none); newer DMs have higher ids. */
  lastInboxId: number;
  /** The highest DM id this user ever sent (0: none). */
  lastOutboxId: number;
}

/** What authentication learns from Store.lookupAndRecordNonce. */
export interface NonceLookup {
  user: User | null;
  /** The (timestamp, nonce) pair was recorded before (or, before schema 15, the nonce). */
  nonceSeen: boolean;
  /** The nonce was recorded for `user` by this call. */
  recorded: boolean;
  /**
   * What roomsAndOverrides would answer for `user`, read with the lookup (in SQLite's group
   * commit; in PostgreSQL's one statement), when the nonce was recorded; absent otherwise. The
   * request's RequestContext (domain/request-context.ts) then asks the store for neither again.
   */
  view?: RoomsView;
}

/** One request's part of Store.lookupAndRecordNonce, as the stores batch it. */
export interface NonceCheck {
  sessionId: string;
  nonce: Buffer;
  ts: number;
}
