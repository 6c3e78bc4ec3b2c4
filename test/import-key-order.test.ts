// The import into PostgreSQL puts the key file in place before the load commits: a database whose
// key is nowhere on disk must never exist, even for a moment a crash could freeze. A load that
// fails after the key was placed puts the previous key back and leaves no temporary files.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig, type Config } from '../src/config';
import { importPysogs } from '../src/import/pysogs';
import * as loader from '../src/store/postgres/load-from-sqlite';
import { TEST_DB, dropTestDb, testDbUrl } from './helpers/server';
import { fixturePath } from './helpers/fixtures';


const PYSOGS = fixturePath('pysogs');

describe('import into PostgreSQL: key file first', { skip: (TEST_DB !== 'postgres' && 'SOGS_TEST_DB=postgres only') }, () => {
  it('the new key is on disk when the load commits; a failed load restores the old key', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-keyorder-'));
    const config: Config = { ...defaultConfig(), dataDir, dbUrl: testDbUrl(dataDir)!, logLevel: 'silent' };
    const keyFile = path.join(dataDir, 'key_x25519');
    const oldKey = crypto.randomBytes(32);
    fs.writeFileSync(keyFile, oldKey);
    const newKey = fs.readFileSync(path.join(PYSOGS!, 'key_x25519'));
    // The compiled module's export is a plain property: replaced here to see the moment of the commit.
    const exports = loader as { replaceWithSqlite: typeof loader.replaceWithSqlite };
    const real = exports.replaceWithSqlite;
    let seenAtCommit: Buffer | null = null;
    try {
      exports.replaceWithSqlite = async () => {
        seenAtCommit = fs.readFileSync(keyFile);
        throw new Error('simulated failure of the load');
      };
      await assert.rejects(importPysogs(config, { source: PYSOGS!, force: true, progress: false }), /simulated failure/);
      assert.deepEqual(seenAtCommit, newKey, 'the key file held the new key when the load would commit');
      assert.deepEqual(fs.readFileSync(keyFile), oldKey, 'the old key is back');
      assert.deepEqual(fs.readdirSync(dataDir).filter((f) => f.startsWith('key_x25519.')), [], 'no temporary key files');

      exports.replaceWithSqlite = async (url, opts) => {
        seenAtCommit = fs.readFileSync(keyFile);
        return real(url, opts);
      };
      await importPysogs(config, { source: PYSOGS!, force: true, progress: false });
      assert.deepEqual(seenAtCommit, newKey);
      assert.deepEqual(fs.readFileSync(keyFile), newKey);
      assert.deepEqual(fs.readdirSync(dataDir).filter((f) => f.startsWith('key_x25519.')), []);
    } finally {
      exports.replaceWithSqlite = real;
      await dropTestDb(dataDir);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
