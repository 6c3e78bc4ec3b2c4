// Opening everything a server or CLI process needs on a data folder: the key (generated on first
// start, in the reference's raw 32-byte format), the store (schema created or migrated), the
// default room on a fresh database, and the internal system user.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Config, publicBaseUrl, resolveInDataDir, sqlitePath } from './config';
import { generateX25519SecretKey, x25519PublicKey } from './crypto/keys';
import { systemUserId } from './crypto/ids';
import { ActivityRecorder } from './domain/activity';
import { systemClock, type Clock } from './domain/clock';
import type { ServerKeys, Services } from './domain/services';
import { SqliteStore } from './store/sqlite/sqlite-store';
import type { Store } from './store/types';
import { DiskBlobs } from './store/blobs';
import { createLogger } from './ops/logging';

export const DEFAULT_ROOM = { token: 'main', name: 'Main' };

export function loadOrCreateKey(file: string): ServerKeys {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, generateX25519SecretKey(), { mode: 0o400 });
    try {
      // link() fails if another process (server or CLI) created the key first: theirs wins.
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  const secret = fs.readFileSync(file);
  if (secret.length !== 32) {
    throw new Error(`${file} is ${secret.length} bytes; a server key file holds exactly 32 raw bytes (X25519 secret)`);
  }
  const publicKey = x25519PublicKey(secret);
  return { secret, publicKey, publicKeyHex: publicKey.toString('hex') };
}

export function openStore(config: Config): Store {
  const file = sqlitePath(config);
  if (file === null) throw new Error(`unsupported database URL ${config.dbUrl} (PostgreSQL support is not built yet)`);
  return new SqliteStore({ file });
}

export function makeLogger(config: Config): Logger {
  return createLogger(config);
}

export interface OpenOptions {
  clock?: Clock;
  log?: Logger;
  /** Milliseconds between activity flushes (0 = only on explicit flush). */
  activityFlushMs?: number;
}

export async function openServices(config: Config, opts: OpenOptions = {}): Promise<Services> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const keys = loadOrCreateKey(resolveInDataDir(config, config.keyFile));
  const store = openStore(config);
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? makeLogger(config);
  const s: Services = {
    config, store, clock, keys, log, activity: new ActivityRecorder(store, opts.activityFlushMs ?? 1000),
    blobs: new DiskBlobs(config.dataDir),
  };
  await ensureSystemUser(s);
  if (store.freshlyCreated && !(await store.getRoom(DEFAULT_ROOM.token))) {
    await store.createRoom({ ...DEFAULT_ROOM, now: clock.now() });
  }
  return s;
}

/** The `ff` user that CLI actions are attributed to: a hidden global admin (api.md §10). */
async function ensureSystemUser(s: Services): Promise<void> {
  const id = systemUserId(s.keys.publicKey);
  const u = await s.store.ensureUser(id, s.clock.now());
  if (!u.admin) await s.store.setGlobalModerator({ roomId: null, userId: u.id, moderator: true, admin: true, visible: false });
}

export async function closeServices(s: Services): Promise<void> {
  await s.activity.close();
  await s.store.close();
}

export function joinUrl(config: Config, keys: ServerKeys, token: string): string {
  return `${publicBaseUrl(config)}/${token}?public_key=${keys.publicKeyHex}`;
}
