// Opening everything a server or CLI process needs on a data folder: the store (SQLite or
// PostgreSQL, schema created or migrated), the key (generated on first start, in the reference's
// raw 32-byte format, and kept in the database too), the default room on a fresh database, and the
// internal system user.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Config, blobsInDatabase, publicBaseUrl, resolveInDataDir, sqlitePath } from './config';
import { generateX25519SecretKey, x25519PublicKey } from './crypto/keys';
import { systemUserId } from './crypto/ids';
import { ActivityRecorder } from './domain/activity';
import { RoomInfoCache } from './domain/rooms';
import { systemClock, type Clock } from './domain/clock';
import type { ServerKeys, Services } from './domain/services';
import { SqliteStore } from './store/sqlite/sqlite-store';
import { PUBLIC_URL_SETTING, SERVER_KEY_SETTING, type Store } from './store/types';
import { DatabaseRefusedError } from './store/schema-guard';
import { DiskBlobs, type FileBlobs } from './store/blobs';
import { PgBlobs } from './store/postgres/pg-blobs';
import { PgStore } from './store/postgres/pg-store';
import { createLogger } from './ops/logging';

export const DEFAULT_ROOM = { token: 'main', name: 'Main' };

function readKeyFile(file: string): Buffer | null {
  if (!fs.existsSync(file)) return null;
  const secret = fs.readFileSync(file);
  if (secret.length !== 32) {
    throw new Error(`${file} is ${secret.length} bytes; a server key file holds exactly 32 raw bytes (X25519 secret)`);
  }
  return secret;
}

/** Writes the key file unless one exists already (another process's file wins); returns what is there. */
function writeKeyFile(file: string, secret: Buffer): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, secret, { mode: 0o400 });
  try {
    // link() fails if another process (server or CLI) created the key first: theirs wins.
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.unlinkSync(tmp);
  }
  return readKeyFile(file)!;
}

function keysOf(secret: Buffer): ServerKeys {
  const publicKey = x25519PublicKey(secret);
  return { secret, publicKey, publicKeyHex: publicKey.toString('hex') };
}

/**
 * The server's key. The key file (the reference's raw format, so an operator can bring a key) and
 * the database hold the same secret: the database, so that every host of a multi-host server uses
 * one key without copying files, and a database restored from a backup comes with its key; the file,
 * so that the reference's layout stays. A new data folder on an existing database gets the file
 * written from the database. A key file that disagrees with the database is refused: serving one
 * database under two public keys would break every join URL on one of the hosts.
 */
export async function loadServerKey(config: Config, store: Store, create = true): Promise<ServerKeys> {
  const file = resolveInDataDir(config, config.keyFile);
  const fromFile = readKeyFile(file);
  if (!create) return existingServerKey(file, fromFile, await store.getSetting(SERVER_KEY_SETTING));
  const candidate = fromFile ?? (await store.getSetting(SERVER_KEY_SETTING)) ?? generateX25519SecretKey();
  const stored = await store.initSetting(SERVER_KEY_SETTING, candidate);
  const onDisk = fromFile ?? writeKeyFile(file, stored);
  if (!onDisk.equals(stored)) throw keyMismatch(file, onDisk, stored);
  return keysOf(stored);
}

function keyMismatch(file: string, onDisk: Buffer, stored: Buffer): Error {
  return new Error(
    `${file} holds a different server key (public key ${keysOf(onDisk).publicKeyHex}) than the database ` +
      `(${keysOf(stored).publicKeyHex}). Copy the database's key to every host, or remove the file to have it written from the database.`,
  );
}

/** The key of an existing server, for commands that must not make one: nothing is written. */
function existingServerKey(file: string, fromFile: Buffer | null, stored: Buffer | null): ServerKeys {
  if (fromFile && stored && !fromFile.equals(stored)) throw keyMismatch(file, fromFile, stored);
  const key = fromFile ?? stored;
  if (!key) throw new DatabaseRefusedError(`there is no server key: neither ${file} nor the database holds one`, 'missing');
  return keysOf(key);
}

/**
 * Opens the configured database: SQLite (the default) or PostgreSQL. `mustExist`: only one that
 * already has our schema (DatabaseRefusedError 'missing' otherwise), creating nothing.
 */
export async function openStore(config: Config, mustExist = false): Promise<Store> {
  const file = sqlitePath(config);
  if (file !== null) return new SqliteStore({ file, mustExist });
  return PgStore.open({ url: config.dbUrl, poolSize: config.dbPoolSize, mustExist });
}

/** Where uploads live (config fileStore): the database on PostgreSQL by default, else the data folder. */
export function openBlobs(config: Config, store: Store): FileBlobs {
  return blobsInDatabase(config) && store instanceof PgStore ? new PgBlobs(store.pool) : new DiskBlobs(config.dataDir);
}

export function makeLogger(config: Config): Logger {
  return createLogger(config);
}

export interface OpenOptions {
  clock?: Clock;
  log?: Logger;
  /** Milliseconds between activity flushes (0 = only on explicit flush). */
  activityFlushMs?: number;
  /**
   * Admin commands: open an existing server's data folder and database only; create no folder,
   * database, key or default room (DatabaseRefusedError 'missing' when there is none).
   */
  existingOnly?: boolean;
}

export async function openServices(config: Config, opts: OpenOptions = {}): Promise<Services> {
  const create = !opts.existingOnly;
  if (create) fs.mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore(config, !create);
  let keys: ServerKeys;
  try {
    keys = await loadServerKey(config, store, create);
  } catch (e) {
    await store.close();
    throw e;
  }
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? makeLogger(config);
  const s: Services = {
    config, store, clock, keys, log, activity: new ActivityRecorder(store, opts.activityFlushMs ?? 1000, (e) => log.error({ err: e }, 'activity flush failed; retried with the next one')),
    blobs: openBlobs(config, store),
    roomInfo: new RoomInfoCache(),
  };
  await ensureSystemUser(s);
  if (create && store.freshlyCreated && !(await store.getRoom(DEFAULT_ROOM.token))) {
    await store.createRoom({ ...DEFAULT_ROOM, now: clock.now() });
  }
  return s;
}

/** The `ff` user that CLI actions are attributed to: a hidden global admin (docs/protocol/api.md §10). */
async function ensureSystemUser(s: Services): Promise<void> {
  const id = systemUserId(s.keys.publicKey);
  const u = await s.store.ensureUser(id, s.clock.now());
  if (!u.admin) await s.store.setGlobalModerator({ roomId: null, userId: u.id, moderator: true, admin: true, visible: false });
}

export async function closeServices(s: Services): Promise<void> {
  await s.activity.close();
  await s.store.close();
}

/** A room's join link (banner, --print-url, web page, QR code): the one place it is spelled. */
export function joinUrl(config: Config, keys: ServerKeys, token: string, baseUrl = publicBaseUrl(config)): string {
  return `${baseUrl}/${token}?public_key=${keys.publicKeyHex}`;
}

/** The join-URL lines the server prints at start and `--print-url` prints, for one base URL. */
export function joinUrlLines(config: Config, keys: ServerKeys, tokens: string[], baseUrl = publicBaseUrl(config)): string[] {
  return [
    'Users can join rooms on this open group server using the following URL format:',
    `  ${baseUrl}/[room_id]?public_key=${keys.publicKeyHex}`,
    ...tokens.slice(0, 20).map((t) => `  ${joinUrl(config, keys, t, baseUrl)}`),
    ...(tokens.length > 20 ? [`  (and ${tokens.length - 20} more rooms: sogs --list-rooms)`] : []),
  ];
}

/** Records the public base URL the server runs with, for `sogs --print-url` (any process, any host). */
export async function recordPublicUrl(s: Services): Promise<void> {
  await s.store.setSetting(PUBLIC_URL_SETTING, Buffer.from(publicBaseUrl(s.config), 'utf8'));
}

/** The base URL the server last started with, or null when it never ran on this database. */
export async function recordedPublicUrl(s: Services): Promise<string | null> {
  const v = await s.store.getSetting(PUBLIC_URL_SETTING);
  return v === null ? null : v.toString('utf8');
}
