// Slow and vanishing clients: timeouts close what a slow client holds open, and what clients do
// to their own connections is logged at debug level without a stack trace; warnings and errors
// are rate-limited.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../src/ops/logging';
import { LogLimiter } from '../src/ops/log-limit';
import { startTestServer } from './helpers/server';
import { RawConnection, head, within } from './helpers/raw-http';

/** A logger that keeps its JSON lines. */
function capture(level: 'debug' | 'info', logErrorsPerMinute = 0): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ logLevel: level, logErrorsPerMinute }, { pretty: false, destination }), lines };
}

describe('timeouts', () => {
  const TIMEOUTS = { headersTimeoutMs: 300, requestTimeoutMs: 2000, bodyStallMs: 200, bodyMinBytesPerSecond: 1000 };

  it('headers that do not arrive in time: 408 and the connection closes', async () => {
    const t = await startTestServer(TIMEOUTS);
    const c = await RawConnection.open(t.port);
    try {
      c.write('GET /capabilities HTTP/1.1\r\nHost: x\r\n');
      const r = await within(3000, c.reply(), 'reply');
      assert.equal(r?.status, 408);
      await within(3000, c.closed, 'closed');
    } finally {
      c.destroy();
      await t.close();
    }
  });

  it('a body that stalls: 408 and the connection closes within two stall windows', async () => {
    const t = await startTestServer(TIMEOUTS);
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('POST', '/batch', { 'Content-Length': 900, 'Content-Type': 'application/json' }) + '[');
      const started = Date.now();
      const r = await within(3000, c.reply(), 'reply');
      assert.equal(r?.status, 408);
      await within(3000, c.closed, 'closed');
      assert.ok(Date.now() - started < 1500, 'cut after a few stall windows, not at the request timeout');
      assert.equal(t.server.admission.shedder.inFlight, 0);
    } finally {
      c.destroy();
      await t.close();
    }
  });

  it('a body that keeps the minimum rate is read to the end', async () => {
    const t = await startTestServer(TIMEOUTS);
    const c = await RawConnection.open(t.port);
    try {
      const body = JSON.stringify([{ method: 'GET', path: '/capabilities', headers: { pad: 'x'.repeat(6000) } }]);
      c.write(head('POST', '/batch', { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json' }));
      // 100 bytes every 10 ms, over several stall windows: about ten times the 1,000 B/s minimum.
      for (let i = 0; i < body.length; i += 100) {
        c.write(body.slice(i, i + 100));
        await new Promise((r) => setTimeout(r, 10));
      }
      const r = await within(3000, c.reply(), 'reply');
      assert.equal(r?.status, 200);
    } finally {
      c.destroy();
      await t.close();
    }
  });
});

describe('logs an attacker controls', () => {
  it('a client that goes away mid-body is logged at debug level without a stack', async () => {
    const { log, lines } = capture('debug');
    const t = await startTestServer({}, { log });
    try {
      for (let i = 0; i < 3; i++) {
        const c = await RawConnection.open(t.port);
        c.write(head('POST', '/batch', { 'Content-Length': 900, 'Content-Type': 'application/json' }) + '[');
        await new Promise((r) => setTimeout(r, 30));
        c.socket.resetAndDestroy();
      }
      const until = Date.now() + 2000;
      while (Date.now() < until && lines.filter((l) => /went away/.test(String(l['msg']))).length < 3) await new Promise((r) => setTimeout(r, 10));
      const gone = lines.filter((l) => /went away/.test(String(l['msg'])));
      assert.equal(gone.length, 3, JSON.stringify(lines));
      assert.ok(gone.every((l) => l['level'] === 20), 'debug level');
      assert.ok(lines.every((l) => !JSON.stringify(l).includes('    at ')), 'no stack traces');
      assert.ok(lines.every((l) => (l['level'] as number) < 40), 'nothing at warn or error');
    } finally {
      await t.close();
    }
  });

  it('warnings and errors beyond logErrorsPerMinute are dropped and counted', () => {
    const { log, lines } = capture('info', 5);
    for (let i = 0; i < 20; i++) log.error({ i }, 'boom');
    log.info('info lines are never limited');
    assert.equal(lines.filter((l) => l['msg'] === 'boom').length, 5);
    assert.equal(lines.filter((l) => l['msg'] === 'info lines are never limited').length, 1);
  });

  it('the token bucket refills and reports what it dropped', () => {
    let now = 0;
    const b = new LogLimiter(60, () => now);
    let passed = 0;
    for (let i = 0; i < 100; i++) if (b.allow()) passed++;
    assert.equal(passed, 60);
    assert.equal(b.takeDropped(), 40);
    assert.equal(b.allow(), false);
    now += 1000;
    assert.equal(b.allow(), true);
    assert.equal(b.takeDropped(), 1);
    assert.equal(b.takeDropped(), 0);
  });
});
