// Documentation that must stay true: every config option is in the README's reference.
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
