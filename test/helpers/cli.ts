// Runs the admin CLI as a separate process on a test server's data folder.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { testDbUrl } from './server';
import { targetChecksum } from './store-sql';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'sogs.js');

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export function runCli(dataDir: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const db = testDbUrl(dataDir);
    execFile(process.execPath, [BIN, '--data-dir', dataDir, ...(db ? ['--db-url', db] : []), '--log-level', 'silent', ...args], { env: { ...process.env, SOGS_CONFIG: '' } }, (err, out, errOut) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out, err: errOut });
    });
  });
}

/** Runs the CLI on `target` expecting it to fail (exit 1, `pattern` on stderr) and leave the target's data as it was. */
export async function expectRefusal(target: string, checksum: string, args: string[], pattern: RegExp): Promise<void> {
  const r = await runCli(target, ...args);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.err, pattern);
  assert.equal(await targetChecksum(target), checksum, 'target changed');
}
