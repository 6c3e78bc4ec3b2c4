// The test data kept in the repository (test/fixtures: the spec's vectors.json and the reference
// servers' data folders), found from the project root so the tests read them the same way from
// test/ and from the compiled dist/test/, in any clone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`test/fixtures not found above ${__dirname}`);
  }
}

/** The absolute path of `test/fixtures/<parts...>`. */
export function fixturePath(...parts: string[]): string {
  return path.join(projectRoot(), 'test', 'fixtures', ...parts);
}

/** A new empty temporary folder. */
export function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A copy of `test/fixtures/<name>` in a new temporary folder, for a test that changes it; `mode` applied to every entry. */
export function copyFixture(name: string, prefix: string, mode?: number): string {
  const d = tmp(prefix);
  fs.cpSync(fixturePath(name), d, { recursive: true });
  if (mode !== undefined) for (const f of [d, ...fs.readdirSync(d, { recursive: true }).map((p) => path.join(d, String(p)))]) fs.chmodSync(f, mode);
  return d;
}
