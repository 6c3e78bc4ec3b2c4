// `--workers N`: N server processes share the port (node:cluster), and the whole group stops on
// SIGTERM (a worker's channel to the primary once kept it alive after a clean shutdown).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, it } from 'node:test';
import { httpRequest } from '../client';
import { runCli } from './helpers/cli';
import { startInstance } from './helpers/instance';
import { dropTestDb, tempDataDir, testDbUrl } from './helpers/server';
import { freePort } from '../scripts/free-port';

const dataDir = tempDataDir();
after(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  await dropTestDb(dataDir);
});

/** Pids of the process's children (the workers). */
function children(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

it('serves from two workers and stops, all of them, on SIGTERM', async () => {
  const db = testDbUrl(dataDir);
  const port = await freePort();
  const srv = await startInstance(dataDir, [...(db ? ['--db-url', db] : []), '--port', String(port), '--workers', '2']);
  const workers = children(srv.child.pid!);
  assert.equal(workers.length, 2, 'two worker processes');
  for (let i = 0; i < 10; i++) assert.equal((await httpRequest(`${srv.url}/capabilities`, 'GET', {})).status, 200);
  // The CLI works on the same database while the workers run.
  assert.equal((await runCli(dataDir, '--add-room', 'w', '--name', 'Workers')).code, 0);
  assert.equal((await httpRequest(`${srv.url}/room/w`, 'GET', {})).status, 200);
  const exited = new Promise<number | null>((r) => srv.child.once('exit', (code) => r(code)));
  srv.child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
  assert.equal(code, 0, 'the primary exits 0');
  for (const w of workers) assert.equal(fs.existsSync(`/proc/${w}`), false, `worker ${w} is gone`);
});
