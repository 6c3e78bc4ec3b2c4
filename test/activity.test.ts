// The deferred activity writer (domain/activity.ts): a flush the database refuses loses nothing
// and never reaches the timer as an unhandled rejection; the next flush writes it all once.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ACTIVITY_GRANULARITY_SECONDS, ActivityRecorder } from '../src/domain/activity';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

it('keeps a failed flush and writes it with the next one, reads counted once', async () => {
  const u = await t.s.store.ensureUser('15' + 'ab'.repeat(32), t.s.clock.now());
  const room = (await t.s.store.getRoom('main'))!;
  const store = Object.create(t.s.store) as typeof t.s.store;
  let refusals = 1;
  store.touchUsers = async (touches) => {
    if (refusals-- > 0) throw new Error('database restarting');
    return t.s.store.touchUsers(touches);
  };
  const errors: unknown[] = [];
  const a = new ActivityRecorder(store, 20, (e) => errors.push(e));
  const before = await t.s.store.userReads(u.id);
  const at = u.lastActive + 100;
  a.touchRoom(room.id, u.id, at);
  a.touchRoom(room.id, u.id, at);
  a.touchUser(u.id, at);
  // The timer's flush fails, is reported, and is tried again by the timer itself.
  const until = Date.now() + 5000;
  while ((await t.s.store.findUserById(u.id))!.lastActive < at) {
    assert.ok(Date.now() < until, 'the refused flush was written later');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /database restarting/);
  await a.close();
  assert.equal((await t.s.store.userReads(u.id)) - before, 2, 'the two reads, counted once');
});

it('writes a (room, user) and a user once per granularity window, however often they are touched', async () => {
  const u = await t.s.store.ensureUser('15' + 'cd'.repeat(32), t.s.clock.now());
  const room = (await t.s.store.getRoom('main'))!;
  const store = Object.create(t.s.store) as typeof t.s.store;
  const written = { rooms: 0, users: 0 };
  store.touchRoomActivity = async (touches) => {
    written.rooms += touches.length;
    return t.s.store.touchRoomActivity(touches);
  };
  store.touchUsers = async (touches) => {
    written.users += touches.length;
    return t.s.store.touchUsers(touches);
  };
  const a = new ActivityRecorder(store, 0);
  const at = u.lastActive + 100;
  const before = await t.s.store.userReads(u.id);
  // A client polling every 10 s for 50 s: one write of each.
  for (let s = 0; s < 60; s += 10) {
    a.touchRoom(room.id, u.id, at + s);
    a.touchUser(u.id, at + s);
    await a.flush();
  }
  assert.deepEqual(written, { rooms: 1, users: 1 });
  assert.equal((await t.s.store.findUserById(u.id))!.lastActive, at);
  // The next window writes again.
  a.touchRoom(room.id, u.id, at + ACTIVITY_GRANULARITY_SECONDS);
  a.touchUser(u.id, at + ACTIVITY_GRANULARITY_SECONDS);
  await a.flush();
  assert.deepEqual(written, { rooms: 2, users: 2 });
  assert.equal((await t.s.store.findUserById(u.id))!.lastActive, at + ACTIVITY_GRANULARITY_SECONDS);
  assert.equal((await t.s.store.userReads(u.id)) - before, 7, 'every read is still counted');
  await a.close();
});
