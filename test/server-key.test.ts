// The server key is kept in the data folder (key_x25519, the reference's format) and in the
// database, which must agree: a key file that disagrees is refused with a clear error, a missing
// one is written back from the database, and a key brought to a fresh folder is adopted.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { openServices } from '../src/app';
import { defaultConfig, type Config } from '../src/config';
import { x25519PublicKey } from '../src/crypto/keys';
import { startTestServer, tempDataDir, testDbUrl } from './helpers/server';

it('refuses a key file that disagrees with the database, restores a missing one, adopts a brought one', async () => {
  const brought = crypto.randomBytes(32);
  const dataDir = tempDataDir();
  fs.writeFileSync(path.join(dataDir, 'key_x25519'), brought);
  const t = await startTestServer({}, { dataDir });
  assert.equal(t.s.keys.publicKeyHex, x25519PublicKey(brought).toString('hex'), 'a key brought to a fresh folder is used');
  await t.close({ keepData: true });

  const keyFile = path.join(dataDir, 'key_x25519');
  fs.rmSync(keyFile);
  const restored = await startTestServer({}, { dataDir });
  assert.deepEqual(fs.readFileSync(keyFile), brought, 'written back from the database');
  await restored.close({ keepData: true });

  fs.chmodSync(keyFile, 0o600);
  fs.writeFileSync(keyFile, crypto.randomBytes(32));
  const db = testDbUrl(dataDir);
  const config: Config = { ...defaultConfig(), dataDir, logLevel: 'silent', ...(db ? { dbUrl: db } : {}) };
  await assert.rejects(openServices(config), /key_x25519 holds a different server key .* than the database/);

  // Cleaned up through a server on the right key again.
  fs.writeFileSync(keyFile, brought);
  await (await startTestServer({}, { dataDir })).close();
});
