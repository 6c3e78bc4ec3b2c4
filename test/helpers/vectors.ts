// The spec's test vectors (a copy of the spec's vectors.json kept in test/fixtures).
import fs from 'node:fs';
import { fixturePath } from './fixtures';

// Free-form JSON: each test reads the fields of its own vector group.
export type Vectors = any;

export function loadVectors(): Vectors {
  return JSON.parse(fs.readFileSync(fixturePath('vectors.json'), 'utf8')) as Vectors;
}
