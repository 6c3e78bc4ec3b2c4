// Admitted work starts in slices between rounds of I/O (listener/work-slices.ts): however much
// work waits, the server goes back to its sockets, so a newcomer is accepted and answered while a
// flood's work is still going on; signed cheap requests start before heavy ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkSlices } from '../src/listener/work-slices';
import { startTestServer } from './helpers/server';
import { FAKE_SOGS_HEADERS, RawConnection, head, within } from './helpers/raw-http';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('work slices', () => {
  it('start waiting work a slice at a time, light before heavy, and let I/O run between slices', async () => {
    const w = new WorkSlices(5);
    const started: string[] = [];
    let turns = 0;
    // Counts turns of the event loop while the work goes on.
    const ticker = setInterval(() => turns++, 0);
    const work = [
      ...Array.from({ length: 6 }, (_, i) => w.turn(true).then(() => { started.push(`heavy${i}`); busy(4); })),
      w.turn(false).then(() => { started.push('light'); }),
    ];
    assert.equal(w.waiting, 7);
    await Promise.all(work);
    clearInterval(ticker);
    assert.equal(started[0], 'light', 'the light request starts first');
    assert.deepEqual(started.slice(1), ['heavy0', 'heavy1', 'heavy2', 'heavy3', 'heavy4', 'heavy5']);
    // 24 ms of work in slices of 5 ms: the loop turned between them (all at once, it could not).
    assert.ok(turns >= 3, `${turns} turns of the event loop during the work`);
    assert.equal(w.waiting, 0);
  });

  it('a slice measures the work its requests do in microtasks, not only their first step', async () => {
    const w = new WorkSlices(5);
    let done = 0;
    let firstSlice = -1;
    // The expensive part runs a few awaits in, as a request's decryption does after its routing.
    const work = Array.from({ length: 10 }, () =>
      w.turn(true).then(async () => {
        for (let i = 0; i < 3; i++) await Promise.resolve();
        busy(3);
        done++;
      }),
    );
    setImmediate(() => (firstSlice = done));
    await Promise.all(work);
    assert.ok(firstSlice >= 1 && firstSlice <= 3, `${firstSlice} of 10 requests (3 ms each) ran in the first 5 ms slice`);
  });

  it('while connections keep arriving, a slice is a tenth as long', async () => {
    // Slices of 200 and 20 ms against ten requests of 5 ms: being descheduled on a busy machine
    // only makes a slice hold fewer, so the bounds below keep a wide margin either way.
    const firstSlice = async (accepting: boolean): Promise<number> => {
      const w = new WorkSlices(200);
      let done = 0;
      if (accepting) w.connectionAccepted();
      const work = Array.from({ length: 10 }, () => w.turn(true).then(() => { busy(5); done++; }));
      let first = -1;
      setImmediate(() => (first = done));
      await Promise.all(work);
      // All ten may finish inside the first slice, before the check above has run.
      await new Promise((r) => setImmediate(r));
      return first;
    };
    assert.ok((await firstSlice(true)) <= 5, 'a 20 ms slice after a new connection');
    assert.ok((await firstSlice(false)) >= 8, 'a 200 ms slice otherwise');
  });

  it('0 = no slices: work starts at once', async () => {
    const w = new WorkSlices(0);
    let started = false;
    const p = w.turn(true).then(() => (started = true));
    assert.equal(w.waiting, 0);
    await p;
    assert.ok(started);
  });
});

describe('a newcomer during a flood of expensive requests', () => {
  async function run(workSliceMs: number): Promise<number> {
    const t = await startTestServer({ workSliceMs, maxInFlight: 256 });
    const router = t.server.router;
    const dispatch = router.dispatch.bind(router);
    // Each flood request costs 25 ms of synchronous work, as an onion request's cryptography does.
    router.dispatch = (s, req) => {
      if (req.path === '/batch') busy(25);
      return dispatch(s, req);
    };
    const flood: RawConnection[] = [];
    try {
      for (let i = 0; i < 40; i++) flood.push(await RawConnection.open(t.port));
      await within(5000, (async () => {
        for (;;) {
          const n = await new Promise<number>((r) => t.server.server.getConnections((_, c) => r(c)));
          if (n >= 40) return;
          await new Promise((r) => setTimeout(r, 10));
        }
      })(), 'the flood connections accepted');
      let answered = 0;
      const replies = flood.map((c) => {
        c.write(head('POST', '/batch', { 'Content-Type': 'application/json', 'Content-Length': 2 }) + '[]');
        return c.reply().then(() => answered++);
      });
      // A newcomer with a signed (cheap) request, connecting once the flood is sent.
      const newcomer = await RawConnection.open(t.port);
      newcomer.write(head('GET', '/room/main/messages/since/0', FAKE_SOGS_HEADERS));
      const r = await within(10_000, newcomer.reply(), 'the newcomer');
      const before = answered;
      assert.ok(r && r.status >= 400 && r.status < 500, `the forged signature is refused, not ${r?.status}`);
      newcomer.destroy();
      await within(10_000, Promise.all(replies), 'the flood');
      return before;
    } finally {
      router.dispatch = dispatch;
      for (const c of flood) c.destroy();
      await t.close();
    }
  }

  it('is accepted and answered between slices, long before the flood is done', async () => {
    const before = await run(5);
    assert.ok(before < 20, `answered after ${before} of 40 flood requests`);
  });

  it('without slices it waits for the whole round of flood work (what the slices are for)', async () => {
    const before = await run(0);
    assert.ok(before >= 20, `answered after ${before} of 40 flood requests`);
  });
});

describe('a request whose client went away while it waited for a slice', () => {
  it('is not run', async () => {
    const t = await startTestServer({ workSliceMs: 5, maxInFlight: 256 });
    const router = t.server.router;
    const dispatch = router.dispatch.bind(router);
    let ran = 0;
    router.dispatch = (s, req) => {
      if (req.path === '/batch') {
        ran++;
        busy(10);
      }
      return dispatch(s, req);
    };
    const conns: RawConnection[] = [];
    try {
      for (let i = 0; i < 40; i++) conns.push(await RawConnection.open(t.port));
      const request = head('POST', '/batch', { 'Content-Type': 'application/json', 'Content-Length': 2 }) + '[]';
      for (const c of conns) c.write(request);
      // Half of them give up at once, while their requests wait behind ~400 ms of work.
      for (const c of conns.slice(20)) c.destroy();
      await within(10_000, Promise.all(conns.slice(0, 20).map((c) => c.reply())), 'the twenty that stayed');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(ran >= 20 && ran <= 25, `${ran} of 40 requests run, 20 of their clients gone`);
    } finally {
      router.dispatch = dispatch;
      for (const c of conns) c.destroy();
      await t.close();
    }
  });
});
