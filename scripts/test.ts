// `npm test` (after the build): the whole suite with Node's runner, twice: on SQLite, then on
// PostgreSQL (SOGS_TEST_DB=postgres). Both passes always run, and the exit code is non-zero when
// either failed. The PostgreSQL comes from scripts/postgres-for-tests.ts (the server at
// SOGS_TEST_PG_URL, else an embedded one); the SQLite pass gets it too, for the tests that read a
// PostgreSQL source whatever the pass.
//   node dist/scripts/test.js [--only=sqlite|--only=postgres] [node --test flags] [dist/test/x.test.js ...]
// Test files (arguments ending in .js) replace the default, every dist/test/*.test.js.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { DEFAULT_TEST_PG_URL, postgresForTests, type TestPostgres } from './postgres-for-tests';

type Pass = 'sqlite' | 'postgres';
const NAME: Record<Pass, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

let running: ChildProcess | undefined;

interface PassResult {
  code: number;
  /** The runner's closing counts, read from its output when that is not a terminal. */
  counts?: { pass: number; fail: number };
}

function runPass(pass: Pass, pgUrl: string, flags: string[], files: string[]): Promise<PassResult> {
  return new Promise((resolve) => {
    // On a terminal the runner keeps it (and its colours); otherwise its output passes through us
    // so the closing counts of both passes can be added up on the last line.
    const tty = process.stdout.isTTY === true;
    const child = (running = spawn(process.execPath, ['--test', '--test-concurrency=2', ...flags, ...files], {
      stdio: ['inherit', tty ? 'inherit' : 'pipe', 'inherit'],
      env: { ...process.env, SOGS_TEST_DB: pass, SOGS_TEST_PG_URL: pgUrl },
    }));
    const counts: Partial<Record<'pass' | 'fail', number>> = {};
    if (child.stdout) {
      child.stdout.pipe(process.stdout, { end: false });
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        // The tap reporter's "# pass 3", the spec reporter's "ℹ pass 3"; top level only.
        const m = /^(?:#|ℹ) (pass|fail) (\d+)$/.exec(line);
        if (m) counts[m[1] as 'pass' | 'fail'] = Number(m[2]);
      });
    }
    const known = (): PassResult['counts'] => (counts.pass !== undefined && counts.fail !== undefined ? { pass: counts.pass, fail: counts.fail } : undefined);
    child.on('error', () => resolve({ code: 1 }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), counts: known() }));
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && only !== 'sqlite' && only !== 'postgres') throw new Error(`--only=${only}: sqlite or postgres`);
  const passes: Pass[] = only ? [only] : ['sqlite', 'postgres'];
  const flags = args.filter((a) => !a.startsWith('--only=') && !a.endsWith('.js'));
  const testDir = path.join(__dirname, '..', 'test');
  const named = args.filter((a) => a.endsWith('.js'));
  // Listed here rather than passing the folder: Node 20 takes a folder, later versions globs.
  // Only those with a source: tsc leaves the output of a test file that was moved or deleted.
  const sourceDir = path.join(__dirname, '..', '..', 'test');
  const files =
    named.length > 0
      ? named
      : fs
          .readdirSync(testDir)
          .filter((f) => f.endsWith('.test.js') && fs.existsSync(path.join(sourceDir, f.replace(/\.js$/, '.ts'))))
          .sort()
          .map((f) => path.join(testDir, f));

  // Without a PostgreSQL the SQLite pass still runs (its few PostgreSQL-source tests fail) and
  // the PostgreSQL pass counts as failed, with the reason.
  let server: TestPostgres | undefined;
  let noServer = '';
  try {
    server = await postgresForTests();
    console.log(`npm test: ${server.description}`);
  } catch (e) {
    noServer = (e as Error).message;
    console.error(`npm test: no PostgreSQL for the run: ${noServer}`);
  }
  const results: [Pass, string][] = [];
  const counts: PassResult['counts'][] = [];
  let interrupted = false;
  // A signal to this script alone (a process manager, CI's timeout) also ends the running pass;
  // the run then ends as after a failure, closing the server below.
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    interrupted = true;
    running?.kill(signal);
  };
  process.once('SIGINT', stopOnSignal).once('SIGTERM', stopOnSignal);
  try {
    for (const pass of passes) {
      if (interrupted) break;
      if (pass === 'postgres' && !server) {
        results.push([pass, `FAILED (no PostgreSQL: ${noServer})`]);
        continue;
      }
      console.log(`\nnpm test: ${NAME[pass]} pass (${files.length} files)`);
      const r = await runPass(pass, server?.url ?? process.env['SOGS_TEST_PG_URL'] ?? DEFAULT_TEST_PG_URL, flags, files);
      results.push([pass, r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`]);
      counts.push(r.counts);
    }
  } finally {
    await server?.close();
  }
  const failed = results.filter(([, r]) => r !== 'ok');
  console.log(`\nnpm test: ${results.map(([p, r]) => `${NAME[p]} pass ${r}`).join(', ')}`);
  if (counts.length > 0 && counts.every((c) => c !== undefined)) {
    const sum = (k: 'pass' | 'fail'): number => counts.reduce((n, c) => n + c![k], 0);
    console.log(`total: ${sum('pass')} passed, ${sum('fail')} failed`);
  }
  return failed.length === 0 && !interrupted ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
