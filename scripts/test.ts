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
import { DEFAULT_TEST_PG_URL, postgresForTests, type TestPostgres } from './postgres-for-tests';

type Pass = 'sqlite' | 'postgres';
const NAME: Record<Pass, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

let running: ChildProcess | undefined;

function runPass(pass: Pass, pgUrl: string, flags: string[], files: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = (running = spawn(process.execPath, ['--test', '--test-concurrency=2', ...flags, ...files], {
      stdio: 'inherit',
      env: { ...process.env, SOGS_TEST_DB: pass, SOGS_TEST_PG_URL: pgUrl },
    }));
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
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
  const files = named.length > 0 ? named : fs.readdirSync(testDir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(testDir, f));

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
      const code = await runPass(pass, server?.url ?? process.env['SOGS_TEST_PG_URL'] ?? DEFAULT_TEST_PG_URL, flags, files);
      results.push([pass, code === 0 ? 'ok' : `FAILED (exit ${code})`]);
    }
  } finally {
    await server?.close();
  }
  const failed = results.filter(([, r]) => r !== 'ok');
  console.log(`\nnpm test: ${results.map(([p, r]) => `${NAME[p]} pass ${r}`).join(', ')}`);
  return failed.length === 0 && !interrupted ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
