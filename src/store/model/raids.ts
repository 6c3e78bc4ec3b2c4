// Records of the raid defences (domain/raids.ts): detection counts and the cleanup's reach.

/** Posts from new accounts counted in a room's current and previous minute. */
export interface RaidWindow {
  current: number;
  previous: number;
}

/** Accounts first seen (users.created) in [since, until) that were seen in the room. */
export interface AccountWindow {
  since: number;
  until: number;
}

/** What a cleanup of an account window reaches (or reached) in a room. */
export interface RaidCleanupCounts {
  accounts: number;
  /** Live (published) posts of those accounts. */
  posts: number;
  /** Their held posts. */
  held: number;
}
