// The flags of the `sogs` command, one declaration each: spelling, help, value check and what it
// runs (src/cli/flag-table.ts). Admin commands run in the order declared here (rooms made or
// removed first, then changes, then the reports, which so show the changes), and --help lists the
// flags in the same order. The server's own options (sogs.ini, SOGS_*) are in src/config-options.ts.
import { CliError } from './errors';
import { runImport } from '../import/cli';
import { FlagTable, type AdminCommand, type Get, type ImportCommand } from './flag-table';
import { auditLogCommand, banCommand, changeModerators, deleteAllPostsCommand, listBansCommand, listGlobalMods, listModeratorsCommand } from './moderation-commands';
import { consoleLoginCommand, consoleLogoutCommand, consoleSessionsCommand } from './console-commands';
import { changePermissions } from './permission-commands';
import { printUrl } from './print-url';
import { heldCommand, listHeldCommand, parseHeldIds, parseTime, raidCleanupCommand, raidStatusCommand } from './raid-commands';
import { addRoom as addRoomCommand, deleteRoom, listRooms, raidModeCommand, roomRateLimitCommand, roomSettingsCommand } from './room-commands';

export const FLAGS = new FlagTable();

function nonNegativeNumber(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a non-negative number, not '${v}'`);
  return n;
}

function seedPair(args: string[], flag: string): [string, string] {
  if (args.length !== 2) throw new CliError(`${flag} takes two values: PUBLIC_KEY ROOM_ID`);
  return [args[0]!, args[1]!];
}

/** null = the default (visible in rooms, hidden globally). */
const visibility = (get: Get): boolean | null => (get(visible) ? true : get(hidden) ? false : null);

// --- rooms ---------------------------------------------------------------------------------

const addRoom = FLAGS.flag('--add-room <args...>', 'create a room: TOKEN [NAME] (the seed form) or TOKEN with --name/--description', {
  parse: ([token, seedName, ...extra]) => {
    if (extra.length > 0) throw new CliError('--add-room takes TOKEN [NAME]; quote names with spaces');
    return { token: token!, seedName };
  },
  run: async (s, { token, seedName }, get) => {
    await addRoomCommand(s, token, get(name) ?? seedName ?? token, get(description) ?? null);
    return `Added room with ID: ${token}`;
  },
});
const name = FLAGS.flag('--name <name>', 'room name for --add-room');
const description = FLAGS.flag('--description <text>', 'room description for --add-room');
FLAGS.flag('--delete-room <token>', 'delete a room and everything in it', { run: (s, token, get) => deleteRoom(s, token, !get(yes)) });

// --- moderators ----------------------------------------------------------------------------

FLAGS.flag('--add-moderator <args...>', 'seed form: PUBLIC_KEY ROOM_ID', {
  parse: seedPair,
  sessionIds: ([id]) => [id],
  run: async (s, [id, room], get) => {
    await changeModerators(s, { ids: [id], rooms: [room], remove: false, admin: Boolean(get(admin)), visible: visibility(get) });
    return `Added moderator: ${id} to room with ID: ${room}`;
  },
});
FLAGS.flag('--delete-moderator <args...>', 'seed form: PUBLIC_KEY ROOM_ID', {
  parse: seedPair,
  sessionIds: ([id]) => [id],
  run: async (s, [id, room]) => {
    await changeModerators(s, { ids: [id], rooms: [room], remove: true, admin: false, visible: null });
    return `Deleted moderator: ${id} from room with ID: ${room}`;
  },
});
const rooms = FLAGS.flag('--rooms <tokens...>', 'rooms for moderator changes: tokens, * for all rooms, + for global');
FLAGS.flag('--add-moderators <ids...>', 'make these 05/15 session ids moderators of --rooms', {
  onRooms: true,
  sessionIds: (ids) => ids,
  run: (s, ids, get) => changeModerators(s, { ids, rooms: get(rooms) ?? [], remove: false, admin: Boolean(get(admin)), visible: visibility(get) }),
});
const removeModerators = FLAGS.flag('--remove-moderators <ids...>', 'remove these session ids as moderators/admins of --rooms', {
  onRooms: true,
  sessionIds: (ids) => ids,
  run: (s, ids, get) => changeModerators(s, { ids, rooms: get(rooms) ?? [], remove: true, admin: false, visible: null }),
});
FLAGS.flag('--delete-moderators <ids...>', 'alias of --remove-moderators', { aliasOf: removeModerators });
const admin = FLAGS.flag('--admin', 'with --add-moderators: appoint as admin');
const visible = FLAGS.flag('--visible', 'appointed moderators are listed publicly (default for rooms)');
const hidden = FLAGS.flag('--hidden', 'appointed moderators are hidden (default for global)');

// --- permissions, bans, posts --------------------------------------------------------------

const users = FLAGS.flag('--users <ids...>', 'users for --add-perms/--remove-perms/--clear-perms (without it those change the room defaults)', {
  sessionIds: (ids) => ids,
});
const permissions: AdminCommand = {
  run: (s, get) =>
    changePermissions(s, {
      // --add-room NEW --remove-perms w: defaults of the new room; otherwise --rooms (and --users).
      rooms: get(rooms) ?? (get(addRoom) ? [get(addRoom)!.token] : undefined),
      users: get(users),
      add: get(addPerms),
      remove: get(removePerms),
      clear: get(clearPerms),
      timeout: get(timeout),
    }),
};
const addPerms = FLAGS.flag('--add-perms <letters>', 'allow in --rooms (or the new --add-room): r read, w write, u upload, a accessible', { onRooms: true, run: permissions });
const removePerms = FLAGS.flag('--remove-perms <letters>', 'deny in --rooms (e.g. --remove-perms w: a read-only broadcast room)', { onRooms: true, run: permissions });
const clearPerms = FLAGS.flag('--clear-perms <letters>', 'with --users: drop these per-user overrides (back to the room default)', { onRooms: true, run: permissions });
FLAGS.flag('--ban <ids...>', 'ban these 05/15 session ids from --rooms (* = every room, + = globally)', {
  onRooms: true,
  sessionIds: (ids) => ids,
  run: (s, ids, get) => banCommand(s, ids, get(rooms), get(timeout), false),
});
FLAGS.flag('--unban <ids...>', 'lift bans of these session ids in --rooms (+ = the global ban)', {
  onRooms: true,
  sessionIds: (ids) => ids,
  run: (s, ids, get) => banCommand(s, ids, get(rooms), undefined, true),
});
const timeout = FLAGS.flag('--timeout <seconds>', 'with --ban: lift the ban after this long; with --users and --add/--remove-perms: revert after this long', {
  parse: nonNegativeNumber,
});
FLAGS.flag('--delete-all-posts <ids...>', 'delete every post of these session ids in --rooms (* = every room)', {
  onRooms: true,
  sessionIds: (ids) => ids,
  run: (s, ids, get) => deleteAllPostsCommand(s, ids, get(rooms)),
});

// --- room settings -------------------------------------------------------------------------

FLAGS.flag('--room-rate-limit <limit>', 'with --rooms: post rate limit POSTS/SECONDS (e.g. 5/16), POSTS, off, or default', {
  onRooms: true,
  run: (s, spec, get) => roomRateLimitCommand(s, get(rooms), spec),
});
FLAGS.flag('--raid-mode <on|off>', 'with --rooms: while on, posts of new accounts there are held for moderators (see raidAccountAge; off also ends a detected raid)', {
  onRooms: true,
  run: (s, value, get) => raidModeCommand(s, get(rooms), value),
});
FLAGS.flag('--raid-status', "with --rooms: raid mode, held posts and the detection's current count", {
  onRooms: true,
  run: (s, _, get) => raidStatusCommand(s, get(rooms)),
});
FLAGS.flag('--list-held', 'with --rooms: list posts held in raid mode (--limit N, default 100)', {
  onRooms: true,
  run: (s, _, get) => listHeldCommand(s, get(rooms), get(limit) ?? 100),
});
FLAGS.flag('--release-held <ids...>', 'with --rooms: publish these held posts (or all) as new posts', {
  onRooms: true,
  parse: parseHeldIds,
  run: (s, ids, get) => heldCommand(s, get(rooms), ids, true),
});
FLAGS.flag('--drop-held <ids...>', 'with --rooms: delete these held posts (or all)', {
  onRooms: true,
  parse: parseHeldIds,
  run: (s, ids, get) => heldCommand(s, get(rooms), ids, false),
});
FLAGS.flag('--raid-cleanup', 'with --rooms: ban and delete every post of every account first seen from --since to --until (default: the current raid) that was seen there', {
  onRooms: true,
  run: (s, _, get) => raidCleanupCommand(s, get(rooms), { since: get(since), until: get(until), ban: get(cleanupBan) ?? 'room', dryRun: get(dryRun) === true }),
});
const since = FLAGS.flag('--since <time>', 'with --raid-cleanup: unix seconds, ISO date/time, or 30m/2h/1d ago', { parse: (v: string, f) => parseTime(v, f) });
const until = FLAGS.flag('--until <time>', 'with --raid-cleanup: end of the window (default now)', { parse: (v: string, f) => parseTime(v, f) });
const cleanupBan = FLAGS.flag('--cleanup-ban <room|global|none>', 'with --raid-cleanup: ban in the room (default), globally, or not at all');
const dryRun = FLAGS.flag('--dry-run', 'with --raid-cleanup: only print the counts');
const roomSettings: AdminCommand = {
  run: (s, get) => roomSettingsCommand(s, get(rooms), { name: get(setName), description: get(setDescription), imagePath: get(setImage) }),
};
const setName = FLAGS.flag('--set-name <name>', 'with --rooms: rename existing rooms', { onRooms: true, run: roomSettings });
const setDescription = FLAGS.flag('--set-description <text>', 'with --rooms: change their description ("" removes it)', { onRooms: true, run: roomSettings });
const setImage = FLAGS.flag('--set-image <file>', 'with --rooms: upload this file as their room image', { onRooms: true, run: roomSettings });

// --- reports -------------------------------------------------------------------------------

FLAGS.flag('--list-bans', 'list bans (of --rooms, else all) with their expiry', { run: (s, _, get) => listBansCommand(s, get(rooms)) });
FLAGS.flag('--list-moderators', "list global moderators and each room's moderators and admins (--rooms to choose)", {
  run: (s, _, get) => listModeratorsCommand(s, get(rooms)),
});
FLAGS.flag('--audit-log', 'print the moderation audit log (--rooms to filter, --limit N entries, default 50)', {
  run: (s, _, get) => auditLogCommand(s, get(rooms), get(limit) ?? 50),
});
const limit = FLAGS.flag('--limit <n>', 'with --audit-log or --list-held: most entries shown', { parse: nonNegativeNumber });
FLAGS.flag('-L, --list-rooms', 'list rooms', { run: (s) => listRooms(s) });
FLAGS.flag('-M, --list-global-mods', 'list global moderators and admins', { run: (s) => listGlobalMods(s) });
FLAGS.flag('--print-url', 'print the join URLs', { run: async (s) => printUrl(s, await s.store.listRooms()) });

// --- the web moderation console (src/web/console/) ---------------------------------------------

FLAGS.flag('--console-login <id>', 'print a one-time sign-in link to the web console for this moderator or admin (05/15 session id)', {
  sessionIds: (id) => [id],
  run: (s, id) => consoleLoginCommand(s, id),
});
FLAGS.flag('--console-sessions', 'list the signed-in web console sessions', { run: (s) => consoleSessionsCommand(s) });
FLAGS.flag('--console-logout <which>', "end web console sessions: a session number from --console-sessions, a session id (all of theirs), or 'all'", {
  run: (s, which) => consoleLogoutCommand(s, which),
});

// --- imports (src/import/cli.ts) -----------------------------------------------------------

const importing: ImportCommand = {
  import: (config, get) =>
    runImport(config, { importPysogs: get(importPysogs), importDb: get(importDb), importLegacy: get(importLegacy), importSqlite: get(importSqlite), force: get(force) }),
};
const importPysogs = FLAGS.flag('--import-pysogs <dir>', 'import a PySOGS data folder (sogs.db, key_x25519, uploads/) into --data-dir, keeping the server key', {
  run: importing,
});
const importDb = FLAGS.flag('--import-db <file>', 'with --import-pysogs: the PySOGS database file when it is not DIR/sogs.db, or its PostgreSQL database (postgres://…)', {
  run: importing,
});
const importLegacy = FLAGS.flag('--import-legacy <dir>', 'import a legacy (pre-0.2 Rust) server volume (database.db, rooms/, files/, x25519_private_key.pem) into --data-dir', {
  run: importing,
});
const importSqlite = FLAGS.flag('--import-sqlite <dir>', "import one of this server's own data folders (sogs.db, key_x25519, uploads/) into the configured database, e.g. from SQLite into PostgreSQL (--db-url)", {
  run: importing,
});
const force = FLAGS.flag('--force', 'with --import-*: replace a data folder or database that is not empty');

const yes = FLAGS.flag('--yes', 'do not ask for confirmation');

/** The flags that act on --rooms/--users, for the error when those come without a command. */
export function roomCommandNames(): string {
  const names = FLAGS.flags.filter((f) => f.onRooms).map((f) => f.name);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
}
export { rooms as roomsFlag, users as usersFlag };
