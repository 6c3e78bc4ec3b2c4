// `sogs --import-pysogs DIR` refusals and bad input (the target must stay untouched), and its
// progress bar.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../src/config';
import { importPysogs } from '../src/import/pysogs';
import { expectRefusal, runCli } from './helpers/cli';
import { copyFixture, fixturePath, tmp } from './helpers/fixtures';
import { TEST_DB, startTestServer } from './helpers/server';
import { targetChecksum, targetSql } from './helpers/store-sql';

const FIXTURE = fixturePath('pysogs');

describe('PySOGS import: refusals and bad input leave the target untouched', () => {
  let target: string;
  let before0: string;

  before(async () => {
    // A populated target: a previous import.
    target = tmp('sogs-pysogs-tgt-');
    const r = await runCli(target, '--import-pysogs', FIXTURE);
    assert.equal(r.code, 0, r.err);
    // Something that makes it distinguishable from a fresh import.
    await targetSql(target, "UPDATE rooms SET name = 'changed' WHERE token = 'lounge'");
    before0 = await targetChecksum(target);
  });
  after(() => fs.rmSync(target, { recursive: true, force: true }));

  const expectFailure = (args: string[], pattern: RegExp): Promise<void> => expectRefusal(target, before0, args, pattern);

  it('refuses a non-empty target without --force', async () => {
    await expectFailure(['--import-pysogs', FIXTURE], /not empty.*--force/);
  });

  it('refuses a fresh server data folder with a different key, but accepts a fresh one without a key', async () => {
    const fresh = await startTestServer();
    await fresh.close({ keepData: true });
    const r = await runCli(fresh.dataDir, '--import-pysogs', FIXTURE);
    assert.equal(r.code, 1);
    assert.match(r.err, /different server key/);
    fs.rmSync(path.join(fresh.dataDir, 'key_x25519'));
    // Only the default `main` room: importable.
    const ok = await runCli(fresh.dataDir, '--import-pysogs', FIXTURE);
    assert.equal(ok.code, 0, ok.err);
    fs.rmSync(fresh.dataDir, { recursive: true, force: true });
  });

  it('a corrupt database', async () => {
    const src = copyFixture('pysogs', 'sogs-pysogs-src-');
    const f = path.join(src, 'sogs.db');
    const bytes = fs.readFileSync(f);
    bytes.fill(0x5a, 0, 100); // the SQLite header
    fs.writeFileSync(f, bytes);
    await expectFailure(['--import-pysogs', src, '--force'], /not a readable SQLite database|corrupt/);
    const garbage = copyFixture('pysogs', 'sogs-pysogs-src-');
    const g = path.join(garbage, 'sogs.db');
    const b2 = fs.readFileSync(g);
    b2.fill(0xff, 8192, 40960); // pages in the middle
    fs.writeFileSync(g, b2);
    await expectFailure(['--import-pysogs', garbage, '--force'], /corrupt|not a readable SQLite database|import failed/);
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(garbage, { recursive: true, force: true });
  });

  it('missing database or key', async () => {
    const src = copyFixture('pysogs', 'sogs-pysogs-src-');
    fs.rmSync(path.join(src, 'key_x25519'));
    await expectFailure(['--import-pysogs', src, '--force'], /key file .* does not exist/);
    fs.rmSync(path.join(src, 'sogs.db'));
    fs.writeFileSync(path.join(src, 'key_x25519'), fs.readFileSync(path.join(FIXTURE, 'key_x25519')));
    await expectFailure(['--import-pysogs', src, '--force'], /does not exist/);
    await expectFailure(['--import-pysogs', path.join(src, 'nope'), '--force'], /is not a folder/);
    fs.rmSync(src, { recursive: true, force: true });
  });

  it('a key of the wrong format or size, or of another server', async () => {
    const src = copyFixture('pysogs', 'sogs-pysogs-src-');
    fs.writeFileSync(path.join(src, 'key_x25519'), fs.readFileSync(path.join(FIXTURE, 'key_x25519')).toString('hex'));
    await expectFailure(['--import-pysogs', src, '--force'], /64 bytes; a PySOGS key_x25519 holds exactly 32 raw bytes/);
    fs.writeFileSync(path.join(src, 'key_x25519'), crypto.randomBytes(32));
    await expectFailure(['--import-pysogs', src, '--force'], /does not belong to this database/);
    fs.rmSync(src, { recursive: true, force: true });
  });

  it('an unknown schema version (a missing table or column)', async () => {
    const src = copyFixture('pysogs', 'sogs-pysogs-src-');
    let db = new Database(path.join(src, 'sogs.db'));
    db.exec('DROP TABLE inbox');
    db.close();
    await expectFailure(['--import-pysogs', src, '--force'], /table 'inbox' is missing/);
    fs.cpSync(path.join(FIXTURE, 'sogs.db'), path.join(src, 'sogs.db'));
    db = new Database(path.join(src, 'sogs.db'));
    for (const { type, name } of db.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger')").all() as { type: string; name: string }[]) {
      db.exec(`DROP ${type} IF EXISTS "${name}"`);
    }
    db.exec('ALTER TABLE messages DROP COLUMN seqno_creation');
    db.close();
    await expectFailure(['--import-pysogs', src, '--force'], /lacks column\(s\) seqno_creation/);
    fs.rmSync(src, { recursive: true, force: true });
  });

  it('a failure half-way (a row our schema rejects) rolls back and leaves no temporary files', async () => {
    const src = copyFixture('pysogs', 'sogs-pysogs-src-');
    const db = new Database(path.join(src, 'sogs.db'));
    db.exec('PRAGMA ignore_check_constraints = ON');
    // A banned moderator override (breaks our CHECK) among the later tables.
    db.prepare('INSERT INTO user_permission_overrides (room, user, banned, moderator) VALUES (2, 5, 1, 1)').run();
    db.close();
    await expectFailure(['--import-pysogs', src, '--force'], /import failed, target left untouched/);
    fs.rmSync(src, { recursive: true, force: true });
  });

  it('a missing upload is skipped with its reason; --force replaces the target', async () => {
    const src = copyFixture('pysogs', 'sogs-pysogs-src-');
    fs.rmSync(path.join(src, 'uploads', 'general', '8_draft.bin'));
    const r = await runCli(target, '--import-pysogs', src, '--force');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /file 8: its upload uploads\/general\/8_draft.bin is missing on disk/);
    assert.match(r.out, /^  files +9$/m);
    assert.notEqual(await targetChecksum(target), before0);
    assert.deepEqual(await targetSql(target, "SELECT name FROM rooms WHERE token = 'lounge'"), [{ name: 'The Lounge' }]);
    assert.deepEqual(await targetSql(target, 'SELECT 1 FROM files WHERE id = 8'), []);
    // Nothing left behind by the staging; on PostgreSQL the uploads went into the database.
    assert.deepEqual(fs.readdirSync(target).sort(), TEST_DB === 'postgres' ? ['key_x25519'] : ['key_x25519', 'sogs.db', 'uploads']);
    fs.rmSync(src, { recursive: true, force: true });
  });
});

describe('PySOGS import: progress bar', () => {
  it('draws a progress bar on stderr when asked (by default: a terminal and a large import)', async () => {
    const dataDir = tmp('sogs-pysogs-progress-');
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const summary = await importPysogs({ ...defaultConfig(), dataDir }, { source: FIXTURE, progress: true });
      assert.equal(summary.counts['messages'], 252);
    } finally {
      process.stderr.write = orig;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const drawn = writes.join('');
    assert.match(drawn, /\r\[#{30}\] 100% /);
    assert.ok(drawn.endsWith('\n'));
  });
});
