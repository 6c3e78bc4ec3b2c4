// The `sogs` flags are declared once each (src/cli/flags.ts): every declared flag has help text,
// is listed by --help, and does something: runs a command, or is read by the commands it changes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Config } from '../src/config';
import type { Services } from '../src/domain/services';
import type { Flag, Get } from '../src/cli/flag-table';
import { FLAGS } from '../src/cli/flags';

const BIN = path.join(__dirname, '..', '..', 'bin', 'sogs.js');

function help(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, '--help'], { env: { ...process.env, SOGS_CONFIG: '' } }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/** A value of the right shape for the flag's spelling. */
function sample(f: Flag<unknown>): unknown {
  if (f.option.variadic) return ['x', 'y'];
  return f.option.required || f.option.optional ? 'x' : true;
}

/** The flags a command reads, found by running it with a get that records (and only `own` given). */
async function flagsRead(own: Flag<unknown>, run: (get: Get) => Promise<unknown>): Promise<Set<Flag<unknown>>> {
  const read = new Set<Flag<unknown>>();
  const get: Get = <T>(flag: Flag<T>) => {
    read.add(flag as Flag<unknown>);
    return flag === own ? (own.parse(sample(own)) as T) : undefined;
  };
  const error = console.error;
  console.error = () => {};
  try {
    await run(get);
  } catch {
    // No services, no configuration: the command fails once it gets past reading its flags.
  } finally {
    console.error = error;
  }
  return read;
}

describe('sogs flags', () => {
  it('every declared flag has help text and --help lists it with that text', async () => {
    const out = (await help()).replace(/\s+/g, ' ');
    const names = FLAGS.flags.map((f) => f.name);
    for (const seed of ['--add-room', '--delete-room', '--add-moderator', '--delete-moderator', '--print-url']) assert.ok(names.includes(seed), seed);
    for (const f of FLAGS.flags) {
      assert.ok(f.help.trim().length > 0, `${f.name} has no help text`);
      assert.ok(out.includes(`${f.option.flags} ${f.help}`), `--help does not list ${f.option.flags} with its help`);
    }
  });

  it('every declared flag runs a command, or is read by a command it changes', async () => {
    const read = new Set<Flag<unknown>>();
    const noServices = {} as Services;
    for (const f of FLAGS.flags) {
      const c = f.command;
      if (c === null) continue;
      const r = 'run' in c ? await flagsRead(f, (get) => c.run(noServices, get)) : await flagsRead(f, (get) => c.import({} as Config, get));
      for (const x of r) read.add(x);
    }
    for (const f of FLAGS.flags) {
      const given = FLAGS.given({ [f.option.attributeName()]: sample(f) });
      const dispatched = given.adminCommands().length > 0 || given.importCommand() !== null;
      if (f.aliasOf) assert.ok(dispatched && given.has(f.aliasOf), `${f.name} adds to ${f.aliasOf.name}`);
      else assert.ok(dispatched || read.has(f), `${f.name} neither runs a command nor is read by one`);
    }
  });

  it('a flag is declared once', () => {
    assert.throws(() => FLAGS.flag('--list-rooms', 'again'), /--list-rooms is declared twice/);
  });
});
