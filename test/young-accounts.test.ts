// What accounts first seen only moments ago may not do yet: upload files (uploadAccountAge, over
// the modern and the legacy API), and start direct-message conversations with more than a few
// people (dmNewAccountMinutes / dmNewAccountRecipients / dmRecipientsWindow). Through the real
// server and our client library, with the server's clock moved by hand.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity, sendDirectMessage, uploadFile, type SogsClient } from '../client';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { H, legacyCall, legacyLogin } from './helpers/legacy';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';

describe('uploads from young accounts', () => {
  let t: TestServer;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock(Date.now() / 1000);
    t = await startTestServer({ uploadAccountAge: 5 }, { clock });
  });
  after(() => t.close());

  it('are refused (403) until the account was first seen uploadAccountAge minutes ago', async () => {
    const c = t.client();
    const r = await uploadFile(c, 'main', Buffer.from('a picture'), 'cat.jpg');
    assert.equal(r.status, 403);
    assert.equal(r.text(), 'New accounts may not upload files yet');
    clock.advance(4 * 60);
    assert.equal((await uploadFile(c, 'main', Buffer.from('a picture'))).status, 403, 'four minutes');
    clock.advance(60 + 1);
    assert.equal((await uploadFile(c, 'main', Buffer.from('a picture'))).status, 201, 'five minutes');
  });

  it('through the legacy API too', async () => {
    const who = Identity.random();
    const token = await legacyLogin(t, 'direct', who, 'main');
    const file = { file: Buffer.from('a picture').toString('base64') };
    assert.equal((await legacyCall(t, 'direct', 'POST', 'files', H('main', token), file)).status, 403);
    clock.advance(5 * 60 + 1);
    assert.equal((await legacyCall(t, 'direct', 'POST', 'files', H('main', token), file)).status, 200);
  });

  it('moderators and users given an explicit write or upload permission are exempt; 0 turns it off', async () => {
    const main = (await t.s.store.getRoom('main'))!;
    const [mod, writer, uploader] = [t.client(), t.client(), t.client()];
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
    await t.s.store.setPermissionOverrides(main.id, (await resolveTargetUser(t.s, writer.sessionId)).id, { write: true });
    await t.s.store.setPermissionOverrides(main.id, (await resolveTargetUser(t.s, uploader.sessionId)).id, { upload: true });
    for (const c of [mod, writer, uploader]) assert.equal((await uploadFile(c, 'main', Buffer.from('x'))).status, 201);
    const off = await startTestServer({ uploadAccountAge: 0 });
    try {
      assert.equal((await uploadFile(off.client(), 'main', Buffer.from('x'))).status, 201);
    } finally {
      await off.close();
    }
  });
});

describe('direct messages from young accounts', () => {
  let t: TestServer;
  let clock: ManualClock;
  let members: SogsClient[];
  const dm = async (from: SogsClient, to: SogsClient): Promise<number> => (await sendDirectMessage(from, to.sessionId, Buffer.from('hi'))).status;
  before(async () => {
    clock = new ManualClock(Date.now() / 1000);
    t = await startTestServer({ dmNewAccountMinutes: 60, dmNewAccountRecipients: 2, dmRecipientsWindow: 600 }, { clock });
    members = Array.from({ length: 6 }, () => t.client());
    for (const m of members) await m.get('/room/main');
    clock.advance(61 * 60);
  });
  after(() => t.close());

  it('may start conversations with dmNewAccountRecipients people per window, and keep them going', async () => {
    const fresh = t.client();
    assert.equal(await dm(fresh, members[0]!), 201);
    assert.equal(await dm(fresh, members[1]!), 201);
    const r = await sendDirectMessage(fresh, members[2]!.sessionId, Buffer.from('hi'));
    assert.equal(r.status, 429);
    assert.equal(r.text(), 'New accounts may message only a few new people at a time; try again later');
    const batched = await fresh.batch([{ method: 'POST', path: `/inbox/${members[3]!.sessionId}`, json: { message: 'aGk=' } }]);
    assert.equal(batched[0]!.code, 429, 'in /batch too');
    for (let i = 0; i < 3; i++) assert.equal(await dm(fresh, members[0]!), 201, 'someone it already wrote to');
    // Members who wrote first can always be answered, and do not count.
    assert.equal(await dm(members[4]!, fresh), 201);
    assert.equal(await dm(fresh, members[4]!), 201, 'a reply');
    const inbox = (await members[2]!.get('/inbox')).json<unknown[]>();
    assert.deepEqual(inbox, [], 'refused DMs are not stored');
    clock.advance(601);
    assert.equal(await dm(fresh, members[2]!), 201, 'after the window');
    clock.advance(60 * 60);
    for (const m of members) assert.equal(await dm(fresh, m), 201, 'no longer new');
  });

  it('established accounts and global moderators are not limited; 0 recipients = replies only', async () => {
    for (const m of members) assert.equal(await dm(members[5]!, m), 201);
    const mod = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), 'global', { moderator: true, admin: false, visible: false });
    for (const m of members) assert.equal(await dm(mod, m), 201);
    const strictClock = new ManualClock(Date.now() / 1000);
    const strict = await startTestServer({ dmNewAccountRecipients: 0 }, { clock: strictClock });
    try {
      const member = strict.client();
      await member.get('/room/main');
      strictClock.advance(24 * 3600 + 1);
      const fresh = strict.client();
      assert.equal((await sendDirectMessage(fresh, member.sessionId, Buffer.from('hi'))).status, 429);
      assert.equal((await sendDirectMessage(member, fresh.sessionId, Buffer.from('hi'))).status, 201);
      assert.equal((await sendDirectMessage(fresh, member.sessionId, Buffer.from('hi'))).status, 201, 'a reply');
    } finally {
      await strict.close();
    }
  });
});
