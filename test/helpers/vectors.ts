// The spec's test vectors (a copy of the spec's vectors.json kept in test/fixtures).
import fs from 'node:fs';
import { fixturePath } from './fixtures';

// Free-form JSON: each test reads the fields of its own vector group.
export type Vectors = any;

export function loadVectors(): Vectors {
  return JSON.parse(fs.readFileSync(fixturePath('vectors.json'), 'utf8')) as Vectors;
}

/** A vector's hex field as bytes. */
export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
/** A vector's text field as bytes. */
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The Ed25519 seed of the id_conversion vector of that name. */
export function seedByName(V: Vectors, name: string): string {
  return (V.id_conversion as { name: string; ed25519_seed: string }[]).find((c) => c.name === name)!.ed25519_seed;
}
