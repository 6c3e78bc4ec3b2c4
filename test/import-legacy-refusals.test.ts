// `sogs --import-legacy DIR` refusals and bad input: the target stays untouched.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { expectRefusal, runCli } from './helpers/cli';
import { copyFixture, fixturePath, tmp } from './helpers/fixtures';
import { targetChecksum } from './helpers/store-sql';

const FIXTURE = fixturePath('legacy-volume');

describe('legacy import: refusals and bad input leave the target untouched', () => {
  let target: string;
  let before0: string;

  before(async () => {
    target = tmp('sogs-legacy-tgt-');
    const r = await runCli(target, '--import-legacy', FIXTURE);
    assert.equal(r.code, 0, r.err);
    before0 = await targetChecksum(target);
  });
  after(() => fs.rmSync(target, { recursive: true, force: true }));

  const expectFailure = (args: string[], pattern: RegExp): Promise<void> => expectRefusal(target, before0, args, pattern);

  it('refuses a non-empty target without --force', async () => {
    await expectFailure(['--import-legacy', FIXTURE], /not empty.*--force/);
  });

  it('a bad key file, a corrupt room database, a bad signature', async () => {
    const src = copyFixture('legacy-volume', 'sogs-legacy-src-', 0o755);
    fs.writeFileSync(path.join(src, 'x25519_private_key.pem'), crypto.randomBytes(32));
    await expectFailure(['--import-legacy', src, '--force'], /not a PEM \(PKCS#8\) X25519 private key/);
    const ed = crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' });
    fs.writeFileSync(path.join(src, 'x25519_private_key.pem'), ed);
    await expectFailure(['--import-legacy', src, '--force'], /ed25519 key, not an X25519 key/);
    fs.cpSync(path.join(FIXTURE, 'x25519_private_key.pem'), path.join(src, 'x25519_private_key.pem'));
    fs.chmodSync(path.join(src, 'x25519_private_key.pem'), 0o644);

    const roomFile = path.join(src, 'rooms', 'crypto.db');
    const bytes = fs.readFileSync(roomFile);
    bytes.fill(0x5a, 0, 100);
    fs.writeFileSync(roomFile, bytes);
    await expectFailure(['--import-legacy', src, '--force'], /room database of crypto .* not a readable SQLite database/);
    fs.cpSync(path.join(FIXTURE, 'rooms', 'crypto.db'), roomFile);
    fs.chmodSync(roomFile, 0o644);

    const db = new Database(roomFile);
    db.prepare("UPDATE messages SET signature = 'AAAA' WHERE id = 5").run();
    db.close();
    await expectFailure(['--import-legacy', src, '--force'], /message 5: the signature is 3 bytes, not 64/);
    fs.rmSync(src, { recursive: true, force: true });
  });

  it('an inconsistent deletion state or a missing room list', async () => {
    const src = copyFixture('legacy-volume', 'sogs-legacy-src-', 0o755);
    const db = new Database(path.join(src, 'rooms', 'quiet.db'));
    db.prepare('UPDATE messages SET is_deleted = 1 WHERE id = 502').run();
    db.close();
    await expectFailure(['--import-legacy', src, '--force'], /message 502 has an inconsistent deletion state/);
    fs.rmSync(path.join(src, 'database.db'));
    await expectFailure(['--import-legacy', src, '--force'], /database.db does not exist/);
    fs.rmSync(src, { recursive: true, force: true });
  });
});
