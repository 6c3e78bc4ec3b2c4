// What the store shares with every instance on one database, and its errors.

export class StoreConflict extends Error {}

/** The settings key under which the database keeps the server's X25519 secret. */
export const SERVER_KEY_SETTING = 'server_x25519_secret';
/** The public base URL (UTF-8) the server last started with: what `sogs --print-url` prints. */
export const PUBLIC_URL_SETTING = 'public_base_url';

export interface CleanupOptions {
  /** Nonces are forgotten this many seconds after their request's timestamp. */
  nonceRetention: number;
  activeThreshold: number;
  activePruneThreshold: number;
  historyPruneThreshold: number;
  /** Post fingerprints (flood signals) are forgotten this many seconds after the post. */
  fingerprintRetention: number;
}

/** room_import_hacks: legacy ids up to oldMessageIdMax are now id + messageIdOffset (docs/protocol/legacy.md §8). */
export interface LegacyMessageIdMap {
  oldMessageIdMax: number;
  messageIdOffset: number;
}
