// The shared spec's test vectors. Tests compile to dist/test; the spec lives in ../shared next to
// the project root (the directory holding package.json).
import fs from 'node:fs';
import path from 'node:path';

// Free-form JSON: each test reads the fields of its own vector group.
export type Vectors = any;

export function loadVectors(): Vectors {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, '..', 'shared', 'spec', 'vectors.json');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) {
      return JSON.parse(fs.readFileSync(candidate, 'utf8')) as Vectors;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`vectors.json not found above ${__dirname}`);
    dir = parent;
  }
}
