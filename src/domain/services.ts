// What every rule needs at hand: configuration, the store, the clock, the server's keys and the
// deferred activity writer. Built once at startup (src/app.ts) and passed down.
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Store } from '../store/types';
import type { FileBlobs } from '../store/blobs';
import type { Clock } from './clock';
import type { ActivityRecorder } from './activity';
import type { RoomInfoCache } from './rooms';

export interface ServerKeys {
  /** X25519 secret (32 bytes); also what the filter bot's signing key is derived from. */
  secret: Buffer;
  publicKey: Buffer;
  publicKeyHex: string;
}

export interface Services {
  config: Config;
  store: Store;
  clock: Clock;
  keys: ServerKeys;
  activity: ActivityRecorder;
  /** Uploaded file contents (the files table holds their metadata). */
  blobs: FileBlobs;
  log: Logger;
  /** Moderator lists and pins by (room, info_updates): safe across requests and processes. */
  roomInfo: RoomInfoCache;
}
