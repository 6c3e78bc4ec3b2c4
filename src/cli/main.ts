// The `sogs` / `session-open-group-server` command: without an admin flag it runs the server;
// with one it runs that command against the data folder (also while a server runs) and exits.
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { closeServices, openServices } from '../app';
import { OPTIONS, loadConfig, sqlitePath, type Config } from '../config';
import type { Services } from '../domain/services';
import { DatabaseRefusedError } from '../store/schema-guard';
import { withoutPassword } from '../store/postgres/connect';
import { CliError, checkSessionIds } from './errors';
import type { GivenFlags } from './flag-table';
import { FLAGS, roomCommandNames, roomsFlag, usersFlag } from './flags';
import { serve } from './serve';
import { SERVER_VERSION } from '../version';

const VERSION = SERVER_VERSION;

function program(): Command {
  const p = new Command('sogs')
    .description('Session Community server. Without an admin option, starts the server.')
    .version(`sogs ${VERSION}`, '-V, --version')
    .exitOverride()
    .configureOutput({ writeErr: (str) => process.stderr.write(str) });
  FLAGS.addTo(p);
  p.addHelpText(
    'after',
    '\nServer options (also settable in sogs.ini or as SOGS_* environment variables):\n' +
      OPTIONS.map((o) => `  ${o.flag.padEnd(30)} ${o.doc}`).join('\n') +
      '\n  --config FILE                  read options from this INI file',
  );
  return p;
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

async function runAdmin(config: Config, given: GivenFlags): Promise<string[]> {
  given.check();
  const s = await openExisting(config);
  const out: string[] = [];
  try {
    // Every id of every command first: one bad id must not leave the commands before it applied.
    await checkSessionIds(s, given.sessionIds());
    for (const command of given.adminCommands()) out.push(await command.run(s, given.get));
  } finally {
    await closeServices(s);
  }
  return out;
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
    const given = FLAGS.given(p.opts());
    if (p.args.length > 0) throw new CliError(`unexpected argument '${p.args[0]}' (see --help)`);
    const importing = given.importCommand();
    if (importing) return await importing.import(config, given.get);
    if (given.adminCommands().length === 0) {
      if (given.has(roomsFlag) || given.has(usersFlag)) throw new CliError(`--rooms/--users need a command: ${roomCommandNames()}`);
      return await serve(config);
    }
    for (const line of await runAdmin(config, given)) console.log(line);
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
