// Load shedding and connection limits: excess work gets a fast 503 with Retry-After before its
// body is read, heavy and anonymous work goes before a signed user's cheap request, and a
// newcomer always gets an answer. Tiny caps make overload deterministic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onionRequest, OnionTransportError } from '../client';
import { startTestServer } from './helpers/server';
import { FAKE_SOGS_HEADERS, RawConnection, head, within } from './helpers/raw-http';

/**
 * Keeps one request in progress: its declared body never arrives. Anonymous (heavy), or with
 * X-SOGS-* headers on a small message post (light: admission only sees that headers are there).
 */
async function holdOne(port: number, signed = false): Promise<RawConnection> {
  const c = await RawConnection.open(port);
  const path = signed ? '/room/main/message' : '/batch';
  c.write(head('POST', path, { 'Content-Length': 500, 'Content-Type': 'application/json', ...(signed ? FAKE_SOGS_HEADERS : {}) }) + '[');
  return c;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}

describe('shedding on requests in progress', () => {
  it('heavy and anonymous requests get 503 + Retry-After from half the cap; a signed poll still runs', async () => {
    const t = await startTestServer({ maxInFlight: 4, shedRetryAfter: 3, metrics: 'loopback' });
    const held: RawConnection[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(await holdOne(t.port));
      await until(() => t.server.admission.shedder.inFlight === 2);
      // /metrics is the listener's own and still answers; the scrape itself is the third request.
      const m = await t.client(null).get('/metrics');
      assert.equal(m.status, 200);
      assert.match(m.text(), /^sogs_requests_in_flight 3$/m);
      const anon = await t.client(null).get('/capabilities');
      assert.equal(anon.status, 503);
      assert.equal(anon.headers['retry-after'], '3');
      // An onion request is refused before it is read or decrypted: a plain 503, not an encrypted reply.
      await assert.rejects(onionRequest(t.client(null), { method: 'GET', target: '/capabilities' }), (e: unknown) => e instanceof OnionTransportError && e.status === 503);
      // A signed user's cheap request is served until the cap itself.
      const user = t.client();
      const poll = await user.get('/room/main/messages/since/0');
      assert.equal(poll.status, 200);
      for (let i = 0; i < 2; i++) held.push(await holdOne(t.port, true));
      await until(() => t.server.admission.shedder.inFlight === 4);
      assert.equal((await user.get('/room/main/messages/since/0')).status, 503);
      // Work that finishes makes room again.
      for (const c of held) c.destroy();
      await until(() => t.server.admission.shedder.inFlight === 0);
      assert.equal((await t.client(null).get('/capabilities')).status, 200);
    } finally {
      for (const c of held) c.destroy();
      await t.close();
    }
  });

  it('under a flood of onion requests every request and a newcomer get a fast answer', async () => {
    const t = await startTestServer({ maxInFlight: 4 });
    const held: RawConnection[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(await holdOne(t.port));
      await until(() => t.server.admission.shedder.inFlight === 2);
      const flood = Array.from({ length: 100 }, () =>
        onionRequest(t.client(), { method: 'GET', target: '/room/main/messages/recent' }).then(
          (r) => r.status,
          (e: unknown) => (e instanceof OnionTransportError ? e.status : -1),
        ),
      );
      const newcomer = await within(5000, t.client(null).get('/capabilities'), 'newcomer');
      assert.equal(newcomer.status, 503);
      assert.ok(newcomer.headers['retry-after']);
      assert.deepEqual([...new Set(await within(10_000, Promise.all(flood), 'flood'))], [503]);
      for (const c of held) c.destroy();
      await until(() => t.server.admission.shedder.inFlight === 0);
      assert.equal((await onionRequest(t.client(), { method: 'GET', target: '/room/main/messages/recent' })).status, 200);
    } finally {
      for (const c of held) c.destroy();
      await t.close();
    }
  });
});

describe('shedding on service time', () => {
  it('heavy requests served slower than shedLatencyMs shrink how many are admitted at once; served in time again, it grows back', async () => {
    const t = await startTestServer({ maxInFlight: 64, shedLatencyMs: 50, shedRetryAfter: 1 });
    const router = t.server.router;
    const dispatch = router.dispatch.bind(router);
    // Every request takes this long to be served, as when each one costs the server that much.
    let serviceMs = 120;
    router.dispatch = async (...args) => {
      await new Promise((r) => setTimeout(r, serviceMs));
      return dispatch(...args);
    };
    const anon = (): Promise<number> => t.client(null).get('/capabilities').then((r) => r.status);
    try {
      const sh = t.server.admission.shedder;
      assert.equal(sh.heavyLimit, 32, 'half of maxInFlight to begin with');
      for (let i = 0; i < 50 && sh.heavyLimit > 8; i++) await Promise.all(Array.from({ length: 8 }, anon));
      assert.equal(sh.heavyLimit, 8, 'down to the floor');
      // Eight heavy requests in progress: a ninth gets 503 before anything is read; a signed
      // user's cheap request is still served.
      const eight = Array.from({ length: 8 }, anon);
      await until(() => sh.heavyInFlight === 8);
      const ninth = await t.client(null).get('/capabilities');
      assert.equal(ninth.status, 503);
      assert.equal(ninth.headers['retry-after'], '1');
      assert.equal((await t.client().get('/room/main/messages/since/0')).status, 200);
      assert.deepEqual([...new Set(await Promise.all(eight))], [200]);
      // Served in time again: the limit grows back to half of maxInFlight.
      serviceMs = 0;
      for (let i = 0; i < 200 && sh.heavyLimit < 32; i++) {
        await Promise.all(Array.from({ length: 4 }, anon));
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(sh.heavyLimit, 32);
    } finally {
      router.dispatch = dispatch;
      await t.close();
    }
  });
});

describe('a connection refused for overload is paused', () => {
  it('its next request is read only after shedPauseMs; a newcomer is answered at once', async () => {
    const t = await startTestServer({ maxInFlight: 2, shedPauseMs: 600 });
    const held = await holdOne(t.port);
    const c = await RawConnection.open(t.port);
    try {
      await until(() => t.server.admission.shedder.heavyInFlight === 1);
      const t0 = Date.now();
      c.write(head('POST', '/batch', { 'Content-Length': 2, 'Content-Type': 'application/json' }) + '[]');
      assert.equal((await within(2000, c.reply(), 'refused'))?.status, 503);
      // Asked again at once, as a flood does: not read for the pause.
      c.write(head('GET', '/capabilities'));
      const again = within(3000, c.reply(), 'after the pause');
      const newcomer = await within(2000, t.client(null).get('/capabilities').then((r) => ({ status: r.status, at: Date.now() - t0 })), 'newcomer');
      assert.ok(newcomer.at < 500, `newcomer answered after ${newcomer.at} ms`);
      assert.equal((await again)?.status, 503, 'still overloaded when it is read');
      assert.ok(Date.now() - t0 >= 550, `read after ${Date.now() - t0} ms`);
      // Once the work is done, the connection serves again (after the pause of its last refusal).
      held.destroy();
      await until(() => t.server.admission.shedder.heavyInFlight === 0);
      await new Promise((r) => setTimeout(r, 700));
      c.write(head('GET', '/capabilities'));
      assert.equal((await within(2000, c.reply(), 'served'))?.status, 200);
    } finally {
      held.destroy();
      c.destroy();
      await t.close();
    }
  });
});

describe('connection cap', () => {
  it('connections past maxConnections are dropped; those within it are served', async () => {
    const t = await startTestServer({ maxConnections: 3 });
    const open: RawConnection[] = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await RawConnection.open(t.port));
      const extra = await RawConnection.open(t.port);
      open.push(extra);
      await within(2000, extra.closed, 'the fourth connection is dropped');
      open[0]!.write(head('GET', '/capabilities'));
      assert.equal((await within(2000, open[0]!.reply(), 'reply'))?.status, 200);
    } finally {
      for (const c of open) c.destroy();
      await t.close();
    }
  });
});

describe('idle connections near the cap', () => {
  it('idle keep-alive connections are closed to make room; the newcomer is served', async () => {
    const t = await startTestServer({ maxConnections: 10 });
    const open: RawConnection[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const c = await RawConnection.open(t.port);
        c.write(head('GET', '/capabilities'));
        assert.equal((await within(2000, c.reply(), 'reply'))?.status, 200);
        open.push(c);
      }
      // The ninth connection makes the server crowded (90 %): the eight idle ones are closed.
      const newcomer = await RawConnection.open(t.port);
      open.push(newcomer);
      await within(2000, Promise.all(open.slice(0, 8).map((c) => c.closed)), 'idle connections closed');
      newcomer.write(head('GET', '/capabilities'));
      assert.equal((await within(2000, newcomer.reply(), 'newcomer'))?.status, 200);
    } finally {
      for (const c of open) c.destroy();
      await t.close();
    }
  });
});
