// The `sogs` / `session-open-group-server` command: without an admin flag it runs the server;
// with one it runs that command against the data folder (also while a server runs) and exits.
import { Command, CommanderError } from 'commander';
import { closeServices, openServices } from '../app';
import { ConfigError, OPTIONS, loadConfig, type Config } from '../config';
import { CliError, addRoom, changeModerators, deleteRoom, listGlobalMods, listRooms, printUrl } from './admin';
import { serve } from './serve';

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

async function runAdmin(config: Config, f: Flags): Promise<string[]> {
  const s = await openServices(config, { activityFlushMs: 0 });
  const out: string[] = [];
  try {
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
    if (f.listRooms) out.push(await listRooms(s));
    if (f.listGlobalMods) out.push(await listGlobalMods(s));
    if (f.printUrl) out.push(printUrl(s, await s.store.listRooms()));
  } finally {
    await closeServices(s);
  }
  return out;
}

const ADMIN_KEYS: (keyof Flags)[] = [
  'addRoom', 'deleteRoom', 'listRooms', 'listGlobalMods', 'addModerators', 'removeModerators', 'addModerator', 'deleteModerator', 'printUrl',
];

export async function main(argv: string[]): Promise<number> {
  try {
    const { config, rest } = loadConfig(argv);
    const p = program();
    p.parse(rest, { from: 'user' });
    const flags = p.opts<Flags & { deleteModerators?: string[] }>();
    if (flags.deleteModerators) flags.removeModerators = [...(flags.removeModerators ?? []), ...flags.deleteModerators];
    if (p.args.length > 0) throw new CliError(`unexpected argument '${p.args[0]}' (see --help)`);
    if (!ADMIN_KEYS.some((k) => flags[k] !== undefined)) {
      if (flags.rooms) throw new CliError('--rooms needs --add-moderators or --remove-moderators');
      return await serve(config);
    }
    for (const line of await runAdmin(config, flags)) console.log(line);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CliError || e instanceof ConfigError) {
      console.error(`Error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
