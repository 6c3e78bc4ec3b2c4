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
import { postgresForTests, type TestPostgres } from './postgres-for-tests';

type Pass = 'sqlite' | 'postgres';

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

  let server: TestPostgres;
  try {
    server = await postgresForTests();
  } catch (e) {
    console.error(`npm test: no PostgreSQL for the run: ${(e as Error).message}`);
    return 1;
  }
  console.log(`npm test: ${server.description}`);
  const results: [Pass, number][] = [];
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
      console.log(`\nnpm test: ${pass === 'sqlite' ? 'SQLite' : 'PostgreSQL'} pass (${files.length} files)`);
      results.push([pass, await runPass(pass, server.url, flags, files)]);
    }
  } finally {
    await server.close();
  }
  const failed = results.filter(([, code]) => code !== 0);
  console.log(`\nnpm test: ${results.map(([p, code]) => `${p === 'sqlite' ? 'SQLite' : 'PostgreSQL'} pass ${code === 0 ? 'ok' : `FAILED (exit ${code})`}`).join(', ')}`);
  return failed.length === 0 && !interrupted ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
