// `sogs --import-sqlite DIR`: one of our own SQLite data folders moved to the configured database
// (PostgreSQL in npm test's second pass, another SQLite folder in the first), with everything a
// client sees unchanged: the key, messages byte for byte, files, the room image, bans.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { downloadFile, randomContent, uploadFileId, type SogsClient } from '../client';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCli } from './helpers/cli';
import { fixturePath } from './helpers/fixtures';
import { dropTestDb, startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { targetChecksum } from './helpers/store-sql';

describe('import one of our own data folders', () => {
  let source: TestServer;
  let target: string;
  let admin: SogsClient;
  let banned: SogsClient;
  let fileId: number;
  let imageId: number;
  let sourceSum: string;
  const fileBytes = randomContent(3000);

  before(async () => {
    // The source is always the embedded default, whichever store this pass tests.
    source = await startTestServer({ dbUrl: 'sqlite:///sogs.db', rateLimitPosts: 0 });
    admin = source.client();
    banned = source.client();
    const main = (await source.s.store.getRoom('main'))!;
    await setModerator(source.s, await resolveTargetUser(source.s, admin.sessionId), [main], { moderator: true, admin: true, visible: true });
    for (let i = 0; i < 5; i++) assert.equal((await admin.postMessage('main', randomContent())).status, 201);
    fileId = await uploadFileId(admin, 'main', fileBytes, 'notes.txt');
    assert.equal((await admin.postMessage('main', randomContent(), { files: [fileId] })).status, 201);
    imageId = await uploadFileId(admin, 'main', randomContent(500), 'icon.png');
    assert.equal((await admin.put('/room/main', { image: imageId })).status, 200);
    assert.equal((await banned.get('/room/main')).status, 200);
    assert.equal((await admin.post(`/user/${banned.sessionId}/ban`, { rooms: ['main'] })).status, 200);
    await source.close({ keepData: true });
    sourceSum = await targetChecksum(source.dataDir);
    target = tempDataDir();
  });
  after(async () => {
    fs.rmSync(source.dataDir, { recursive: true, force: true });
    fs.rmSync(target, { recursive: true, force: true });
    await dropTestDb(target);
  });

  it('copies everything and keeps the key; clients see the same server', async () => {
    const r = await runCli(target, '--import-sqlite', source.dataDir);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^  messages +6$/m);
    assert.match(r.out, /^  files +2$/m);
    assert.match(r.out, /Skipped: nothing/);
    assert.equal(await targetChecksum(source.dataDir), sourceSum, 'the source is only read');

    const before = await startTestServer({ dbUrl: 'sqlite:///sogs.db' }, { dataDir: source.dataDir });
    const want = (await before.client(admin.identity).get('/room/main/messages/recent?limit=100')).json();
    await before.close({ keepData: true });

    const t = await startTestServer({}, { dataDir: target });
    try {
      assert.deepEqual(t.s.keys.secret, fs.readFileSync(`${source.dataDir}/key_x25519`));
      const c = t.client(admin.identity);
      assert.deepEqual((await c.get('/room/main/messages/recent?limit=100')).json(), want, 'messages byte for byte');
      const d = await downloadFile(t.client(null), 'main', fileId);
      assert.equal(d.status, 200);
      assert.deepEqual(d.body, fileBytes);
      assert.equal((await c.get('/room/main')).json<{ image_id: number }>().image_id, imageId);
      assert.equal((await downloadFile(t.client(null), 'main', imageId)).status, 200);
      assert.equal((await t.client(banned.identity).get('/room/main/messages/recent')).status, 403, 'still banned');
      assert.equal((await c.postMessage('main', randomContent())).status, 201, 'new posts continue after the copied ids');
    } finally {
      await t.close({ keepData: true });
    }
  });

  it('refuses a target that is no longer empty, unless --force', async () => {
    const r = await runCli(target, '--import-sqlite', source.dataDir);
    assert.equal(r.code, 1);
    assert.match(r.err, /not empty.*--force/);
    const forced = await runCli(target, '--import-sqlite', source.dataDir, '--force');
    assert.equal(forced.code, 0, forced.err);
  });

  it('imports the rest when an upload is missing on disk, the room image included', async () => {
    const copy = tempDataDir();
    const other = tempDataDir();
    try {
      fs.cpSync(source.dataDir, copy, { recursive: true });
      const icon = fs.readdirSync(`${copy}/uploads/main`).find((f) => f.endsWith('_icon.png'))!;
      fs.rmSync(`${copy}/uploads/main/${icon}`);
      const r = await runCli(other, '--import-sqlite', copy);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`file ${imageId}: its upload uploads/main/${icon} is missing on disk`));
      assert.match(r.out, new RegExp(`room main: its image \\(file ${imageId}\\) was missing, so it now has none`));
      const t = await startTestServer({}, { dataDir: other });
      try {
        const room = (await t.client(admin.identity).get('/room/main')).json<Record<string, unknown>>();
        assert.equal('image_id' in room, false);
        assert.equal((await downloadFile(t.client(null), 'main', fileId)).status, 200, 'the other upload is there');
      } finally {
        await t.close();
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a folder that is not one of ours, leaving the target as it was', async () => {
    const pysogs = tempDataDir();
    const nothing = tempDataDir();
    try {
      fs.copyFileSync(fixturePath('pysogs', 'sogs.db'), `${pysogs}/sogs.db`);
      const sum = await targetChecksum(target);
      const r = await runCli(target, '--import-sqlite', pysogs, '--force');
      assert.equal(r.code, 1);
      assert.match(r.err, /not a database of this server .* use --import-pysogs/);
      const none = await runCli(target, '--import-sqlite', nothing, '--force');
      assert.equal(none.code, 1);
      assert.match(none.err, /sogs database .*sogs\.db does not exist/);
      assert.equal(await targetChecksum(target), sum);
    } finally {
      fs.rmSync(pysogs, { recursive: true, force: true });
      fs.rmSync(nothing, { recursive: true, force: true });
    }
  });
});
