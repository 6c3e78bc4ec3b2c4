// The background job as a running server runs it: startServer with jobs on and a short
// jobInterval, a manual clock moved past deadlines, and nothing calling runCleanup by hand. The
// rules themselves are tested step by step elsewhere (permissions, files); this checks the timer.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { downloadFile, randomContent, uploadFileId } from '../client';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { ManualClock, startTestServer, tempDataDir, type TestServer } from './helpers/server';
import { ageBlobs, blobExists } from './helpers/store-sql';
import { tickStart } from '../src/jobs';

let t: TestServer;
let clock: ManualClock;
const ORPHAN = 'uploads/main/777_left-behind';

/** Waits (wall clock) for the timer to make `check` true. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`the background job did not ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  const dataDir = tempDataDir();
  // A blob no row refers to, old enough for the once-per-start sweep (a crash's leftover), written
  // through whichever blob store the server uses, by a first run without jobs.
  const first = await startTestServer({}, { dataDir });
  await first.s.blobs.write(ORPHAN, Buffer.from('orphan'));
  await ageBlobs(first.s, [ORPHAN], 3600);
  await first.close({ keepData: true });
  clock = new ManualClock(Math.floor(Date.now() / 1000));
  t = await startTestServer({ rateLimitPosts: 0, jobInterval: 0.1 }, { clock, dataDir, jobs: true });
});
after(() => t.close());

it('removes old orphan blobs once at start', async () => {
  await eventually('remove the orphan blob', async () => !(await blobExists(t.s.blobs, ORPHAN)));
});

it('lifts a timed ban when it is due, and audits it as the server', async () => {
  const mod = t.client();
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [main], { moderator: true, admin: false, visible: true });
  const user = t.client();
  assert.equal((await user.get('/room/main')).status, 200);
  assert.equal((await mod.post(`/user/${user.sessionId}/ban`, { rooms: ['main'], timeout: 600 })).status, 200);
  assert.equal((await user.postMessage('main', randomContent())).status, 403);
  // Several ticks pass before the deadline: the ban stays.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await user.get('/room/main')).status, 404);
  clock.advance(601);
  await eventually('lift the ban', async () => (await user.get('/room/main')).status === 200);
  assert.equal((await user.postMessage('main', randomContent())).status, 201);
  const applied = (await t.s.store.auditLog({ roomToken: 'main', limit: 10 })).find((e) => e.action === 'ban.apply');
  assert.equal(applied?.target, user.sessionId);
  assert.equal(applied?.actor, null);
});

it('deletes an expired upload from the database and the blob store', async () => {
  const c = t.client();
  const id = await uploadFileId(c, 'main', Buffer.from('short-lived'));
  const file = (await t.s.store.getFile(id))!;
  assert.ok(await blobExists(t.s.blobs, file.path));
  clock.advance(3601);
  await eventually('delete the expired file', async () => (await t.s.store.getFile(id)) === null && !(await blobExists(t.s.blobs, file.path)));
  assert.equal((await downloadFile(c, 'main', id)).status, 404);
});

it('keeps claiming ticks after jobInterval is raised (ticks are named by their start time)', async () => {
  // Ticks of a 10 s interval, then of a 60 s one: each later tick must outrank the last claimed.
  const start = Date.UTC(2026, 11, 1, 12, 0, 5);
  const fast = tickStart(start, 10);
  assert.ok(await t.s.store.claimJobTick('interval-change', fast));
  const slow = tickStart(start + 60_000, 60);
  assert.ok(slow > fast);
  assert.ok(await t.s.store.claimJobTick('interval-change', slow), 'the first tick after the change runs');
  assert.equal(await t.s.store.claimJobTick('interval-change', slow), false, 'once');
  assert.equal(tickStart(start, 0.1) % 100, 0);
});
