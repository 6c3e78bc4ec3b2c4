// The test data kept in the repository (test/fixtures: the spec's vectors.json and the reference
// servers' data folders), found from the project root so the tests read them the same way from
// test/ and from the compiled dist/test/, in any clone.
import fs from 'node:fs';
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
