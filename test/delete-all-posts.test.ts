// Deleting all of a user's posts, over the API and from the CLI: their uploads in the room expire
// at once, except the room image.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downloadFile, uploadFileId, type SogsClient } from '../client';
import { runCleanup } from '../src/jobs';
import { createRoom } from '../src/domain/rooms';
import { runCli } from './helpers/cli';
import { startTestServer, type TestServer } from './helpers/server';
import { blobPaths } from './helpers/store-sql';
import { fileRow, dbPaths, makeAdmin, postWith } from './helpers/files';

describe("deleting all of a user's posts (docs/protocol/api.md §4.9)", () => {
  // The same outcome whether a moderator asks over the API or an operator runs the CLI.
  const ways: [string, (t: TestServer, mod: SogsClient, victim: SogsClient) => Promise<void>][] = [
    ['DELETE /room/:t/all/:id', async (_t, mod, victim) => assert.equal((await mod.delete(`/room/main/all/${victim.sessionId}`)).status, 200)],
    ['sogs --delete-all-posts', async (t, _mod, victim) => {
      const r = await runCli(t.dataDir, '--rooms', 'main', '--delete-all-posts', victim.sessionId);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Deleted 2 message\(s\)/);
    }],
  ];
  for (const [how, deleteAll] of ways) {
    it(`${how} expires their uploads in that room at once, except the room image`, async () => {
      const t = await startTestServer({ rateLimitPosts: 0 });
      try {
        await createRoom(t.s, 'side', 'Side');
        const admin = t.client();
        await makeAdmin(t, admin, 'main');
        const [victim, bystander] = [t.client(), t.client()];
        const att = await uploadFileId(victim, 'main', Buffer.from('attached'));
        const pinnedAtt = await uploadFileId(victim, 'main', Buffer.from('pinned'));
        const loose = await uploadFileId(victim, 'main', Buffer.from('not attached yet'));
        const img = await uploadFileId(victim, 'main', Buffer.from('room image'));
        const elsewhere = await uploadFileId(victim, 'side', Buffer.from('other room'));
        const theirs = await uploadFileId(bystander, 'main', Buffer.from('someone else'));
        await postWith(victim, 'main', [att]);
        const pinned = await postWith(victim, 'main', [pinnedAtt]);
        await postWith(victim, 'side', [elsewhere]);
        await postWith(bystander, 'main', [theirs]);
        assert.equal((await admin.post(`/room/main/pin/${pinned.id}`, {})).status, 200);
        assert.equal((await admin.put('/room/main', { image: img })).status, 200);

        await deleteAll(t, admin, victim);
        for (const id of [att, pinnedAtt, loose]) {
          assert.equal((await fileRow(t, id))!.expiry, 0, `file ${id}`);
          assert.equal((await downloadFile(bystander, 'main', id)).status, 404, `file ${id} is gone at once`);
        }
        assert.equal((await fileRow(t, img))!.expiry, null, 'the room image stays, and still never expires');
        assert.equal((await downloadFile(bystander, 'main', img)).status, 200);
        assert.equal((await downloadFile(bystander, 'side', elsewhere)).status, 200, 'other rooms are untouched');
        assert.equal((await downloadFile(bystander, 'main', theirs)).status, 200, "other users' files are untouched");
        await runCleanup(t.s);
        assert.deepEqual(await Promise.all([att, pinnedAtt, loose].map((id) => fileRow(t, id))), [undefined, undefined, undefined]);
        assert.deepEqual((await blobPaths(t.s.blobs)), (await dbPaths(t)));
        assert.equal((await dbPaths(t)).length, 3);
      } finally {
        await t.close();
      }
    });
  }
});
