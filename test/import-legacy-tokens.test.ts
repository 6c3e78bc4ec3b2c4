// `sogs --import-legacy DIR` and the legacy auth tokens: valid ones carried over (in their room
// only), expired ones counted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, it } from 'node:test';
import { onionRequest } from '../client';
import { defaultConfig } from '../src/config';
import { importLegacy } from '../src/import/legacy';
import { fixturePath, tmp } from './helpers/fixtures';
import { ManualClock, dropTestDb, startTestServer, testDbUrl } from './helpers/server';

const FIXTURE = fixturePath('legacy-volume');

describe('legacy import: auth tokens', () => {
  it('carries over the claimed tokens still valid at import time; they work in their room only', async () => {
    const capturedAt = (JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as { captured: { start: number } }).captured.start;
    const dataDir = tmp('sogs-legacy-tokens-');
    // Importing at the capture time: the fixture's tokens were claimed 1 h and 1 day before it.
    const dbUrl = testDbUrl(dataDir);
    const summary = await importLegacy({ ...defaultConfig(), dataDir, ...(dbUrl ? { dbUrl } : {}) }, { source: FIXTURE, now: capturedAt, progress: false });
    assert.equal(summary.counts['auth tokens (still valid)'], 3);
    const legacyTokens = (room: string) => {
      const db = new Database(path.join(FIXTURE, 'rooms', `${room}.db`), { readonly: true });
      try {
        return db.prepare('SELECT token FROM tokens').pluck().all() as string[];
      } finally {
        db.close();
      }
    };
    const clock = new ManualClock(capturedAt);
    const srv = await startTestServer({ requireBlindKeys: false }, { dataDir, clock });
    try {
      const status = async (room: string, token: string) =>
        ((await onionRequest(srv.client(null), { method: 'GET', target: 'messages?limit=1', headers: { Room: room, Authorization: token } }, { version: 'v3', signed: false })).json() as { status_code: number }).status_code;
      const [oxen1, oxen2] = legacyTokens('oxen');
      const [crypto1] = legacyTokens('crypto');
      assert.equal(await status('oxen', oxen1!), 200);
      assert.equal(await status('oxen', oxen2!), 200);
      assert.equal(await status('crypto', crypto1!), 200);
      assert.equal(await status('crypto', oxen1!), 401, 'per room');
      clock.advance(7 * 86400);
      assert.equal(await status('oxen', oxen1!), 401, 'expired 7 days after its legacy claim');
    } finally {
      await srv.close();
    }
  });
});

describe('legacy import: expired auth tokens', () => {
  it('are counted per room in a note, not listed one by one among the skipped rows', async () => {
    const capturedAt = (JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as { captured: { start: number } }).captured.start;
    const dataDir = tmp('sogs-legacy-old-tokens-');
    const dbUrl = testDbUrl(dataDir);
    const summary = await importLegacy({ ...defaultConfig(), dataDir, ...(dbUrl ? { dbUrl } : {}) }, { source: FIXTURE, now: capturedAt + 30 * 86400, progress: false });
    fs.rmSync(dataDir, { recursive: true, force: true });
    await dropTestDb(dataDir);
    assert.equal(summary.counts['auth tokens (still valid)'], undefined);
    assert.deepEqual(summary.skipped.filter((x) => x.kind === 'token'), []);
    assert.ok(summary.notes.includes('oxen: 2 expired auth tokens dropped'), summary.notes.join('\n'));
    assert.ok(summary.notes.includes('crypto: 1 expired auth tokens dropped'), summary.notes.join('\n'));
  });
});
