// Documentation that must stay true: every config option is in the README's reference, and every
// citation of the protocol notes names a section they have.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { withConfigTable } from '../src/config-docs';

const root = path.join(__dirname, '..', '..');

it('README configuration reference matches the options (run `npm run docs`)', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.equal(readme, withConfigTable(readme));
});

// Comments cite the protocol notes as `docs/protocol/api.md §4.3` (also `§3.7–§3.9, §4` after one
// name, and across comment lines): every cited section must be a heading of that note.
const NOTES = ['api', 'legacy', 'crypto'] as const;
const SOURCE_DIRS = ['src', 'client', 'bench', 'scripts', 'test'];

function noteSections(name: string): Set<string> {
  const text = fs.readFileSync(path.join(root, 'docs', 'protocol', `${name}.md`), 'utf8');
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)) out.add(m[1]!);
  return out;
}

function sourceFiles(): string[] {
  const out = ['README.md', 'ARCHITECTURE.md'];
  for (const dir of SOURCE_DIRS) {
    for (const f of fs.readdirSync(path.join(root, dir), { recursive: true }) as string[]) {
      if (/\.(ts|md)$/.test(f)) out.push(path.join(dir, f));
    }
  }
  return out;
}

/** [file, note, section] of every citation; comment line breaks inside one are joined first. */
function citations(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const file of sourceFiles()) {
    const text = fs.readFileSync(path.join(root, file), 'utf8').replace(/\n[ \t]*(?:\/\/|\*)?[ \t]*/g, ' ');
    for (const m of text.matchAll(/docs\/protocol\/(\w+)\.md([\s§0-9.,;/–-]*)/g)) {
      for (const sec of m[2]!.matchAll(/§(\d+(?:\.\d+)*)/g)) out.push([file, m[1]!, sec[1]!]);
    }
  }
  return out;
}

it('every docs/protocol citation names a note and a section it has', () => {
  const sections = new Map(NOTES.map((n) => [n as string, noteSections(n)]));
  const found = citations();
  // The sources cite the notes some 150 times: finding none means the pattern broke, not that all is well.
  assert.ok(found.length > 100, `only ${found.length} citations found`);
  const bad = found.filter(([, note, sec]) => !sections.get(note)?.has(sec)).map(([f, n, s]) => `${f}: docs/protocol/${n}.md §${s}`);
  assert.deepEqual(bad, []);
});
