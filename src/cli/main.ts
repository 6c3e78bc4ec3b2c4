// The `sogs` / `session-open-group-server` command: without an admin flag it runs the server;
// with one it runs that command against the data folder (also while a server runs) and exits.
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { closeServices, openServices } from '../app';
import { OPTIONS, loadConfig, sqlitePath, type Config } from '../config';
import type { Services } from '../domain/services';
import { DatabaseRefusedError } from '../store/schema-guard';
import { withoutPassword } from '../store/postgres/connect';
import {
  CliError,
  addRoom,
  auditLogCommand,
  banCommand,
  changeModerators,
  changePermissions,
  deleteAllPostsCommand,
  deleteRoom,
  listBansCommand,
  listGlobalMods,
  listModeratorsCommand,
  listRooms,
  raidModeCommand,
  roomRateLimitCommand,
  roomSettingsCommand,
} from './admin';
import { checkSessionIds } from './errors';
import { printUrl } from './print-url';
import { serve } from './serve';
import { runImport } from '../import/cli';

const VERSION = '0.1.0';

interface Flags {
  addRoom?: string[];
  name?: string;
  description?: string;
  deleteRoom?: string;
  listRooms?: boolean;
  listGlobalMods?: boolean;
  rooms?: string[];
  addModerators?: string[];
  removeModerators?: string[];
  addModerator?: string[];
  deleteModerator?: string[];
  admin?: boolean;
  visible?: boolean;
  hidden?: boolean;
  printUrl?: boolean;
  yes?: boolean;
  // moderation
  users?: string[];
  addPerms?: string;
  removePerms?: string;
  clearPerms?: string;
  ban?: string[];
  unban?: string[];
  timeout?: string;
  listBans?: boolean;
  listModerators?: boolean;
  deleteAllPosts?: string[];
  roomRateLimit?: string;
  raidMode?: string;
  setName?: string;
  setDescription?: string;
  setImage?: string;
  auditLog?: boolean;
  limit?: string;
  // import
  importPysogs?: string;
  importDb?: string;
  importLegacy?: string;
  importSqlite?: string;
  force?: boolean;
}

function program(): Command {
  const p = new Command('sogs')
    .description('Session Community server. Without an admin option, starts the server.')
    .version(`sogs ${VERSION}`, '-V, --version')
    .option('--add-room <args...>', 'create a room: TOKEN [NAME] (the seed form) or TOKEN with --name/--description')
    .option('--name <name>', 'room name for --add-room')
    .option('--description <text>', 'room description for --add-room')
    .option('--delete-room <token>', 'delete a room and everything in it')
    .option('-L, --list-rooms', 'list rooms')
    .option('-M, --list-global-mods', 'list global moderators and admins')
    .option('--rooms <tokens...>', 'rooms for moderator changes: tokens, * for all rooms, + for global')
    .option('--add-moderators <ids...>', 'make these 05/15 session ids moderators of --rooms')
    .option('--remove-moderators <ids...>', 'remove these session ids as moderators/admins of --rooms')
    .option('--delete-moderators <ids...>', 'alias of --remove-moderators')
    .option('--add-moderator <args...>', 'seed form: PUBLIC_KEY ROOM_ID')
    .option('--delete-moderator <args...>', 'seed form: PUBLIC_KEY ROOM_ID')
    .option('--admin', 'with --add-moderators: appoint as admin')
    .option('--visible', 'appointed moderators are listed publicly (default for rooms)')
    .option('--hidden', 'appointed moderators are hidden (default for global)')
    .option('--print-url', 'print the join URLs')
    .option('--users <ids...>', 'users for --add-perms/--remove-perms/--clear-perms (without it those change the room defaults)')
    .option('--add-perms <letters>', 'allow in --rooms (or the new --add-room): r read, w write, u upload, a accessible')
    .option('--remove-perms <letters>', 'deny in --rooms (e.g. --remove-perms w: a read-only broadcast room)')
    .option('--clear-perms <letters>', 'with --users: drop these per-user overrides (back to the room default)')
    .option('--ban <ids...>', 'ban these 05/15 session ids from --rooms (* = every room, + = globally)')
    .option('--unban <ids...>', 'lift bans of these session ids in --rooms (+ = the global ban)')
    .option('--timeout <seconds>', 'with --ban: lift the ban after this long; with --users and --add/--remove-perms: revert after this long')
    .option('--list-bans', 'list bans (of --rooms, else all) with their expiry')
    .option('--list-moderators', 'list global moderators and each room\'s moderators and admins (--rooms to choose)')
    .option('--delete-all-posts <ids...>', 'delete every post of these session ids in --rooms (* = every room)')
    .option('--room-rate-limit <limit>', 'with --rooms: post rate limit POSTS/SECONDS (e.g. 5/16), POSTS, off, or default')
    .option('--raid-mode <on|off>', 'with --rooms: while on, new accounts cannot post there (see raidAccountAge)')
    .option('--set-name <name>', 'with --rooms: rename existing rooms')
    .option('--set-description <text>', 'with --rooms: change their description ("" removes it)')
    .option('--set-image <file>', 'with --rooms: upload this file as their room image')
    .option('--audit-log', 'print the moderation audit log (--rooms to filter, --limit N entries, default 50)')
    .option('--limit <n>', 'with --audit-log: most entries shown')
    .option('--import-pysogs <dir>', 'import a PySOGS data folder (sogs.db, key_x25519, uploads/) into --data-dir, keeping the server key')
    .option('--import-db <file>', 'with --import-pysogs: the PySOGS database file when it is not DIR/sogs.db, or its PostgreSQL database (postgres://…)')
    .option('--import-legacy <dir>', 'import a legacy (pre-0.2 Rust) server volume (database.db, rooms/, files/, x25519_private_key.pem) into --data-dir')
    .option('--import-sqlite <dir>', "import one of this server's own data folders (sogs.db, key_x25519, uploads/) into the configured database, e.g. from SQLite into PostgreSQL (--db-url)")
    .option('--force', 'with --import-*: replace a data folder or database that is not empty')
    .option('--yes', 'do not ask for confirmation')
    .exitOverride()
    .configureOutput({ writeErr: (str) => process.stderr.write(str) });
  p.addHelpText(
    'after',
    '\nServer options (also settable in sogs.ini or as SOGS_* environment variables):\n' +
      OPTIONS.map((o) => `  ${o.flag.padEnd(30)} ${o.doc}`).join('\n') +
      '\n  --config FILE                  read options from this INI file',
  );
  return p;
}

function pair(args: string[] | undefined, flag: string): [string, string] | null {
  if (!args) return null;
  if (args.length !== 2) throw new CliError(`${flag} takes two values: PUBLIC_KEY ROOM_ID`);
  return [args[0]!, args[1]!];
}

/**
 * Admin commands work on the data folder (and database) of a server that exists: one run from the
 * wrong folder must say where it looked, not make a second server with its own key and room.
 */
async function openExisting(config: Config): Promise<Services> {
  try {
    return await openServices(config, { activityFlushMs: 0, existingOnly: true });
  } catch (e) {
    if (!(e instanceof DatabaseRefusedError) || e.reason !== 'missing') throw e;
    const dir = path.resolve(config.dataDir);
    const db = sqlitePath(config);
    const where = db === null ? `the database ${withoutPassword(config.dbUrl)} (data folder ${dir})` : `the data folder ${dir}`;
    throw new CliError(
      `no server found in ${where}: ${e.message}. Point this command at the server's data folder with --data-dir DIR, ` +
        `SOGS_DATA_DIR=DIR or --config FILE (the server's sogs.ini; also $SOGS_CONFIG)` +
        `${config.configFile ? `; the configuration read was ${config.configFile}` : ''}. Admin commands never create a server: start it once (sogs) to make one.`,
    );
  }
}

async function runAdmin(config: Config, f: Flags): Promise<string[]> {
  const s = await openExisting(config);
  const out: string[] = [];
  try {
    // Every id of every command first: one bad id must not leave the commands before it applied.
    const ids = [f.addModerators, f.removeModerators, f.addModerator?.slice(0, 1), f.deleteModerator?.slice(0, 1), f.users, f.ban, f.unban, f.deleteAllPosts];
    await checkSessionIds(s, ids.flatMap((x) => x ?? []));
    if (f.addRoom) {
      const [token, seedName, ...extra] = f.addRoom;
      if (extra.length > 0) throw new CliError('--add-room takes TOKEN [NAME]; quote names with spaces');
      await addRoom(s, token!, f.name ?? seedName ?? token!, f.description ?? null);
      out.push(`Added room with ID: ${token}`);
    }
    if (f.deleteRoom) out.push(await deleteRoom(s, f.deleteRoom, !f.yes));
    const visible = f.visible ? true : f.hidden ? false : null;
    const addPair = pair(f.addModerator, '--add-moderator');
    if (addPair) {
      await changeModerators(s, { ids: [addPair[0]], rooms: [addPair[1]], remove: false, admin: Boolean(f.admin), visible });
      out.push(`Added moderator: ${addPair[0]} to room with ID: ${addPair[1]}`);
    }
    const delPair = pair(f.deleteModerator, '--delete-moderator');
    if (delPair) {
      await changeModerators(s, { ids: [delPair[0]], rooms: [delPair[1]], remove: true, admin: false, visible: null });
      out.push(`Deleted moderator: ${delPair[0]} from room with ID: ${delPair[1]}`);
    }
    if (f.addModerators) {
      out.push(await changeModerators(s, { ids: f.addModerators, rooms: f.rooms ?? [], remove: false, admin: Boolean(f.admin), visible }));
    }
    if (f.removeModerators) {
      out.push(await changeModerators(s, { ids: f.removeModerators, rooms: f.rooms ?? [], remove: true, admin: false, visible: null }));
    }
    const permFlags = f.addPerms !== undefined || f.removePerms !== undefined || f.clearPerms !== undefined;
    const timeout = f.timeout === undefined ? undefined : numberArg(f.timeout, '--timeout');
    if (permFlags) {
      // --add-room NEW --remove-perms w: defaults of the new room; otherwise --rooms (and --users).
      const rooms = f.rooms ?? (f.addRoom ? [f.addRoom[0]!] : undefined);
      out.push(await changePermissions(s, { rooms, users: f.users, add: f.addPerms, remove: f.removePerms, clear: f.clearPerms, timeout }));
    }
    if (f.ban) out.push(await banCommand(s, f.ban, f.rooms, timeout, false));
    if (f.unban) out.push(await banCommand(s, f.unban, f.rooms, undefined, true));
    if (f.deleteAllPosts) out.push(await deleteAllPostsCommand(s, f.deleteAllPosts, f.rooms));
    if (f.roomRateLimit !== undefined) out.push(await roomRateLimitCommand(s, f.rooms, f.roomRateLimit));
    if (f.raidMode !== undefined) out.push(await raidModeCommand(s, f.rooms, f.raidMode));
    if (f.setName !== undefined || f.setDescription !== undefined || f.setImage !== undefined) {
      out.push(await roomSettingsCommand(s, f.rooms, { name: f.setName, description: f.setDescription, imagePath: f.setImage }));
    }
    if (f.listBans) out.push(await listBansCommand(s, f.rooms));
    if (f.listModerators) out.push(await listModeratorsCommand(s, f.rooms));
    if (f.auditLog) out.push(await auditLogCommand(s, f.rooms, f.limit === undefined ? 50 : numberArg(f.limit, '--limit')));
    if (f.listRooms) out.push(await listRooms(s));
    if (f.listGlobalMods) out.push(await listGlobalMods(s));
    if (f.printUrl) out.push(await printUrl(s, await s.store.listRooms()));
  } finally {
    await closeServices(s);
  }
  return out;
}

const ADMIN_KEYS: (keyof Flags)[] = [
  'addRoom', 'deleteRoom', 'listRooms', 'listGlobalMods', 'addModerators', 'removeModerators', 'addModerator', 'deleteModerator', 'printUrl',
  'addPerms', 'removePerms', 'clearPerms', 'ban', 'unban', 'listBans', 'listModerators', 'deleteAllPosts', 'roomRateLimit', 'raidMode', 'auditLog',
  'setName', 'setDescription', 'setImage',
];

function numberArg(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a non-negative number, not '${v}'`);
  return n;
}

function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\s*\n\s*/g, ' ').trim() || (e instanceof Error ? e.name : 'unknown error');
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { config, rest, warnings } = loadConfig(argv);
    for (const w of warnings) console.error(`Warning: ${w}`);
    const p = program();
    p.parse(rest, { from: 'user' });
    const flags = p.opts<Flags & { deleteModerators?: string[] }>();
    if (flags.deleteModerators) flags.removeModerators = [...(flags.removeModerators ?? []), ...flags.deleteModerators];
    if (p.args.length > 0) throw new CliError(`unexpected argument '${p.args[0]}' (see --help)`);
    if (flags.importPysogs !== undefined || flags.importLegacy !== undefined || flags.importSqlite !== undefined || flags.importDb !== undefined) {
      return await runImport(config, flags);
    }
    if (!ADMIN_KEYS.some((k) => flags[k] !== undefined)) {
      if (flags.rooms || flags.users) {
        throw new CliError('--rooms/--users need a command: --add-moderators, --remove-moderators, --add-perms, --remove-perms, --clear-perms, --ban, --unban, --delete-all-posts, --room-rate-limit, --raid-mode, --set-name, --set-description or --set-image');
      }
      return await serve(config);
    }
    for (const line of await runAdmin(config, flags)) console.log(line);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    // Every failure is one line saying what is wrong (and, where the message can, what is
    // expected), and a non-zero exit: an operator reads it, a script tests the exit code.
    console.error(`Error: ${oneLine(e)}`);
    if (process.env['SOGS_DEBUG'] && e instanceof Error && e.stack) console.error(e.stack);
    return 1;
  }
}
