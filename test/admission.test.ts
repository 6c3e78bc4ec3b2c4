// Admission before work: what the listener decides from a request's head alone. Small limits keep
// every case fast; raw sockets declare bodies they never send, so a test passes only if the
// server answered without waiting for (or reading) the body.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server';
import { FAKE_SOGS_HEADERS, RawConnection, head, within } from './helpers/raw-http';

const LIMITS = { maxJsonBodyBytes: 1000, filesMaxSize: 5000, bodyBudgetBytes: 8000, shedRetryAfter: 7 };

let t: TestServer;
before(async () => {
  t = await startTestServer(LIMITS);
});
after(async () => {
  await t?.close();
});

/** Waits until the server holds `bytes` of the budget (a body it is reading). */
async function budgetReaches(bytes: number): Promise<void> {
  for (let i = 0; i < 200 && t.server.admission.budget.inUse !== bytes; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(t.server.admission.budget.inUse, bytes);
}

describe('admission before the body is read', () => {
  it('past the body budget a new large body gets 503 with Retry-After, unread, and the connection closes', async () => {
    const a = await RawConnection.open(t.port);
    const b = await RawConnection.open(t.port);
    try {
      // A holds 5000 of the 8000-byte budget while its body trickles in.
      a.write(head('POST', '/room/main/file', { ...FAKE_SOGS_HEADERS, 'Content-Length': 5000 }) + 'x'.repeat(10));
      await budgetReaches(5000);
      b.write(head('POST', '/room/main/file', { ...FAKE_SOGS_HEADERS, 'Content-Length': 5000 }) + 'y'.repeat(10));
      const r = await within(2000, b.reply(), 'reply to B');
      assert.equal(r?.status, 503);
      assert.equal(r?.headers['retry-after'], '7');
      assert.equal(r?.headers['connection'], 'close');
      await within(2000, b.closed, 'B closed');
      // A small body is never refused for memory: a poll still gets through.
      assert.equal((await t.client(null).get('/capabilities')).status, 200);
      // Once A goes away its share is given back and a large body is admitted again.
      a.destroy();
      await budgetReaches(0);
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('an unknown route or method answers without reading the body', async () => {
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('POST', '/no/such/route', { 'Content-Length': 10_000_000 }) + 'z'.repeat(100));
      const r = await within(2000, c.reply(), 'reply');
      assert.equal(r?.status, 404);
      await within(2000, c.closed, 'closed: 10 MB are not drained');
      assert.equal(t.server.admission.budget.inUse, 0);
    } finally {
      c.destroy();
    }
    const d = await RawConnection.open(t.port);
    try {
      d.write(head('DELETE', '/capabilities', { 'Content-Length': 50_000_000 }));
      assert.equal((await within(2000, d.reply(), 'reply'))?.status, 405);
      await within(2000, d.closed, 'closed: 50 MB are not drained');
    } finally {
      d.destroy();
    }
  });

  it('keeps the connection after a small unread body', async () => {
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('POST', '/no/such/route', { 'Content-Length': 5 }) + 'hello' + head('GET', '/capabilities'));
      assert.equal((await within(2000, c.reply(), 'first'))?.status, 404);
      assert.equal((await within(2000, c.reply(), 'second'))?.status, 200);
    } finally {
      c.destroy();
    }
  });

  it('a request the parser refuses on a reused keep-alive connection still gets its 400', async () => {
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('GET', '/capabilities'));
      assert.equal((await within(2000, c.reply(), 'first'))?.status, 200);
      // An unknown method: node's parser refuses it ('clientError') after a reply was already
      // written on this socket, which must not count as a reply under way.
      c.write(head('x', '/capabilities'));
      assert.equal((await within(2000, c.reply(), 'second'))?.status, 400);
    } finally {
      c.destroy();
    }
  });

  it('a signed route refuses a large body without X-SOGS-* headers before reading it', async () => {
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('POST', '/room/main/file', { 'Content-Length': 4000 }));
      const r = await within(2000, c.reply(), 'reply');
      assert.equal(r?.status, 401);
      await within(2000, c.closed, 'closed');
    } finally {
      c.destroy();
    }
    // Legacy uploads need their token the same way, and answer in legacy JSON.
    const l = await RawConnection.open(t.port);
    try {
      l.write(head('POST', '/legacy/files', { Room: 'main', 'Content-Length': 4000 }));
      const r = await within(2000, l.reply(), 'reply');
      assert.equal(r?.status, 401);
      assert.deepEqual(JSON.parse(r!.body), { status_code: 401 });
    } finally {
      l.destroy();
    }
  });

  it('a declared body over the route limit gets 413 at once', async () => {
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('POST', '/room/main/file', { ...FAKE_SOGS_HEADERS, 'Content-Length': 5001 }));
      const r = await within(2000, c.reply(), 'reply');
      assert.equal(r?.status, 413);
      assert.match(r!.body, /limit 5000 bytes/);
    } finally {
      c.destroy();
    }
    // Plain JSON routes take maxJsonBodyBytes.
    const j = await RawConnection.open(t.port);
    try {
      j.write(head('POST', '/user/' + '15' + 'ab'.repeat(32) + '/ban', { ...FAKE_SOGS_HEADERS, 'Content-Length': 1001 }));
      assert.equal((await within(2000, j.reply(), 'reply'))?.status, 413);
    } finally {
      j.destroy();
    }
  });

  it('a chunked body stops being read at the limit: 413 and the connection closes', async () => {
    const c = await RawConnection.open(t.port);
    try {
      c.write(head('POST', '/room/main/file', { ...FAKE_SOGS_HEADERS, 'Transfer-Encoding': 'chunked' }));
      const replied = c.reply();
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      let sent = 0;
      // Up to 100 MB unless the server closes first.
      while (sent < 100_000_000 && !c.isClosed) {
        if (!c.write(Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]))) break;
        sent += chunk.length;
        await new Promise((r) => setImmediate(r));
      }
      const r = await within(2000, replied, 'reply');
      assert.equal(r?.status, 413);
      await within(2000, c.closed, 'closed');
      assert.ok(sent < 20_000_000, `the server stopped the body early (client wrote ${sent} bytes)`);
      assert.equal(t.server.admission.budget.inUse, 0);
    } finally {
      c.destroy();
    }
  });

  it('a chunked body within the limit is read', async () => {
    const c = await RawConnection.open(t.port);
    try {
      const body = JSON.stringify([{ method: 'GET', path: '/capabilities' }]);
      c.write(head('POST', '/batch', { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' }));
      c.write(`${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
      const r = await within(2000, c.reply(), 'reply');
      assert.equal(r?.status, 200);
      assert.equal(JSON.parse(r!.body)[0].code, 200);
    } finally {
      c.destroy();
    }
  });
});

describe('HEAD', () => {
  it('answers like GET without a body on API routes; unknown paths stay 404', async () => {
    const c = await RawConnection.open(t.port);
    try {
      const get = await t.client(null).get('/capabilities');
      c.write(head('HEAD', '/capabilities'));
      // A HEAD reply has no body whatever its Content-Length: parse the head alone.
      const raw = await within(2000, new Promise<string>((resolve) => c.socket.once('data', (d: Buffer) => resolve(d.toString('latin1')))), 'reply');
      assert.match(raw, /^HTTP\/1\.1 200 /);
      assert.match(raw, new RegExp(`content-length: ${get.body.length}\\r\\n`, 'i'));
      assert.ok(raw.endsWith('\r\n\r\n'), 'no body after the head');
    } finally {
      c.destroy();
    }
    const res = await fetch(`${t.url}/room/main`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    assert.equal((await fetch(`${t.url}/no/such/thing`, { method: 'HEAD' })).status, 404);
  });
});

describe('Expect: 100-continue', () => {
  it('asks for an admitted body only', async () => {
    const c = await RawConnection.open(t.port);
    try {
      const body = JSON.stringify([{ method: 'GET', path: '/capabilities' }]);
      c.write(head('POST', '/batch', { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json', Expect: '100-continue' }));
      assert.equal((await within(2000, c.reply(), '100'))?.status, 100);
      c.write(body);
      assert.equal((await within(2000, c.reply(), 'reply'))?.status, 200);
    } finally {
      c.destroy();
    }
    const d = await RawConnection.open(t.port);
    try {
      d.write(head('POST', '/room/main/file', { 'Content-Length': 4000, Expect: '100-continue' }));
      // Refused from the head: the final status comes first, no 100.
      assert.equal((await within(2000, d.reply(), 'reply'))?.status, 401);
    } finally {
      d.destroy();
    }
  });
});
