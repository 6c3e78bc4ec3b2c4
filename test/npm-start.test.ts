// `npm start` under a process manager: a SIGTERM to npm must end the server too (package.json's
// start script execs node, so npm's signal reaches the server and no shell sits between them), and
// free its port. The prestart build is skipped here (--ignore-scripts skips pre-scripts only):
// rebuilding dist/ while other test files run from it would race them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDataDir } from './helpers/server';
import { freePort } from '../scripts/free-port';

const ROOT = path.join(__dirname, '..', '..');


function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Live (not zombie) processes whose environment holds `marker`: npm, any shell, the server. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) continue;
      if (/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))) continue;
      found.push(Number(pid));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start', { skip: !fs.existsSync('/proc/self/environ') && 'needs /proc' }, () => {
  it('a SIGTERM to npm stops the server and frees its port', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const marker = `SOGS_DATA_DIR=${dataDir}`;
    const env: NodeJS.ProcessEnv = { ...process.env, SOGS_DATA_DIR: dataDir, SOGS_PORT: String(port), SOGS_HOST: '127.0.0.1', SOGS_CONFIG: '', npm_config_update_notifier: 'false' };
    delete env['SOGS_DB_URL'];
    // Under `npm test` npm_execpath is npm's own script; run directly, the npm on the PATH.
    const npmCli = process.env['npm_execpath'];
    const [cmd, args] = npmCli && /npm-cli\.js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
    const npm = spawn(cmd, [...args, 'start', '--ignore-scripts', '--', '--log-level', 'silent'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    let pids: number[] = [];
    try {
      await until(`the banner (output so far: ${JSON.stringify(out)})`, 60_000, () => out.includes(`listening on 127.0.0.1:${port}`));
      assert.equal(await portAnswers(port), true);
      pids = processesWith(marker);
      assert.ok(pids.includes(npm.pid!) && pids.length >= 2, `npm and the server: ${pids.join(', ')}`);
      npm.kill('SIGTERM');
      await exited;
      await until('the server to stop', 15_000, () => processesWith(marker).length === 0);
      await until('the port to be free', 5_000, async () => !(await portAnswers(port)));
    } finally {
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
