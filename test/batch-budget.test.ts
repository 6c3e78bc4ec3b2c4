// The batch budget (api/batch-budget.ts): one small /batch or /sequence once fanned out into tens
// of megabytes of reply. Its reply now never exceeds batchReplyBytes, the sub-requests past it
// are not run and answer 429 in their own slot, directly and inside onion requests; real clients'
// batches (a poll of hundreds of rooms in one batch, a 7.5 MB upload as one b64 sub-request) fit.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { onionRequest, padMessage, signedMessage, type SubRequest } from '../client';
import { BatchBudget, OVER_BUDGET_STATUS, carriedOutResponse, overBudgetResponse } from '../src/api/batch-budget';
import { subResponseText } from '../src/api/routes/batch';
import { MIN_BATCH_REQUEST_COST, defaultConfig, validate } from '../src/config';
import type { Room } from '../src/store/types';
import { startTestServer, type TestServer } from './helpers/server';

interface Sub {
  code: number;
  headers: Record<string, string>;
  body: unknown;
}

const text = (s: Sub): string => Buffer.from(String(s.body), 'base64').toString('utf8');

/** Fills a room with `n` posts of `size` bytes each (straight into the store: fast). */
async function fill(t: TestServer, room: Room, n: number, size: number): Promise<void> {
  const user = await t.s.store.ensureUser('05' + crypto.randomBytes(32).toString('hex'), t.s.clock.now());
  for (let i = 0; i < n; i++) {
    await t.s.store.insertMessage({
      roomId: room.id, userId: user.id, data: padMessage(crypto.randomBytes(size)), signature: Buffer.alloc(64, 1),
      whisperTo: null, whisperMods: false, filtered: false, now: t.s.clock.now(),
    });
  }
}

describe('BatchBudget', () => {
  it('never lets the reply exceed the budget, whatever the element sizes', () => {
    const rnd = (() => {
      let x = 12345;
      return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    })();
    for (let round = 0; round < 500; round++) {
      const cost = MIN_BATCH_REQUEST_COST + Math.floor(rnd() * 300);
      const bytes = cost * 2 + Math.floor(rnd() * 50_000);
      const max = Math.floor((bytes - 1) / (cost + 1));
      const n = Math.floor(rnd() * max) + 1;
      const budget = new BatchBudget(bytes, cost, n);
      const parts: string[] = [];
      for (let i = 0; i < n; i++) {
        const el = rnd() < 0.1 ? '€'.repeat(Math.floor(rnd() * 3000)) : 'x'.repeat(Math.floor(rnd() * 5000));
        if (budget.open && budget.take(el)) parts.push(el);
        else {
          const over = subResponseText(overBudgetResponse(bytes));
          budget.fill(over);
          parts.push(over);
        }
      }
      assert.ok(Buffer.byteLength(`[${parts.join(',')}]`) <= bytes);
    }
  });

  it('the 429 and carried-out elements fit the smallest allowed per-request share', () => {
    for (const r of [overBudgetResponse(Number.MAX_SAFE_INTEGER), carriedOutResponse(201, Number.MAX_SAFE_INTEGER)]) {
      const el = subResponseText(r);
      assert.ok(Buffer.byteLength(el) <= MIN_BATCH_REQUEST_COST, `${Buffer.byteLength(el)} bytes`);
    }
  });

  it('refuses up front a batch whose sub-requests alone need more than the budget', () => {
    assert.throws(() => new BatchBudget(10_000, 500, 20), /over budget/);
    assert.doesNotThrow(() => new BatchBudget(10_000, 500, 19));
  });
});

describe('settings', () => {
  it('refuse a per-request cost too small for the 429 element, a budget below two requests, a negative count cap', () => {
    const c = defaultConfig();
    assert.doesNotThrow(() => validate(c));
    assert.throws(() => validate({ ...c, batchRequestCost: MIN_BATCH_REQUEST_COST - 1 }), /batchRequestCost/);
    assert.throws(() => validate({ ...c, batchReplyBytes: 2 * c.batchRequestCost - 1 }), /batchReplyBytes/);
    assert.throws(() => validate({ ...c, maxBatchRequests: -1 }), /maxBatchRequests/);
    assert.equal(c.maxBatchRequests, 0, 'no count cap by default');
    assert.ok(c.batchReplyBytes <= 10 * 1024 * 1024);
  });
});

describe('with the default settings', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 0 });
  });
  after(() => t.close());

  it('200 anonymous listings of 256 big posts answer at most batchReplyBytes; the rest are 429s', async () => {
    const room = await t.s.store.createRoom({ token: 'big', name: 'Big', now: t.s.clock.now() });
    await fill(t, room, 256, 1500);
    const subs = Array.from({ length: 200 }, () => ({ method: 'GET', path: '/room/big/messages/recent?limit=256' }));
    const r = await t.client(null).post('/batch', subs);
    assert.equal(r.status, 200);
    assert.ok(r.body.length <= defaultConfig().batchReplyBytes, `${r.body.length} bytes`);
    const replies = r.json<Sub[]>();
    assert.equal(replies.length, 200);
    const ok = replies.filter((s) => s.code === 200).length;
    assert.ok(ok >= 5 && ok < 200, `${ok} ran`);
    // The first one that did not fit and every later one: 429, not run.
    for (const s of replies.slice(ok)) {
      assert.equal(s.code, OVER_BUDGET_STATUS);
      assert.match(text(s), /Batch reply budget \(10485760 bytes\) used up: no reply; send it again later/);
    }
  });

  it('an iOS-style poll of 300 rooms (603 sub-requests, over the old cap of 200) fits', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 300; i++) {
      const token = `poll${i}`;
      await t.s.store.createRoom({ token, name: token, now: t.s.clock.now() });
      tokens.push(token);
    }
    const subs: SubRequest[] = [{ method: 'GET', path: '/capabilities' }];
    for (const token of tokens) {
      subs.push({ method: 'GET', path: `/room/${token}/pollInfo/0` }, { method: 'GET', path: `/room/${token}/messages/recent?t=r&reactors=5` });
    }
    subs.push({ method: 'GET', path: '/inbox?limit=256' }, { method: 'GET', path: '/outbox?limit=256' });
    const res = await t.client().post('/batch', subs);
    assert.equal(res.status, 200);
    const replies = res.json<Sub[]>();
    assert.equal(replies.length, 603);
    // Far below the budget: some 10 times as many rooms would still fit.
    assert.ok(res.body.length * 10 < defaultConfig().batchReplyBytes, `${res.body.length} bytes`);
    // 304: an inbox with nothing newer.
    assert.ok(replies.every((s) => s.code === 200 || s.code === 304), [...new Set(replies.map((s) => s.code))].join());
  });

  it('an Android-style b64 upload of a 7.5 MB file as one sub-request fits', async () => {
    const file = crypto.randomBytes(7_500_000);
    const replies = await t.client().batch([
      { method: 'GET', path: '/capabilities' },
      { method: 'POST', path: '/room/main/file', b64: file.toString('base64'), headers: { 'Content-Disposition': 'attachment; filename="a.bin"' } },
    ]);
    assert.deepEqual(replies.map((s) => s.code), [200, 201]);
  });
});

describe('with a small budget', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ batchReplyBytes: 64 * 1024, batchRequestCost: 512, rateLimitPosts: 0 });
    const room = await t.s.store.createRoom({ token: 'big', name: 'Big', now: t.s.clock.now() });
    await fill(t, room, 15, 1000);
  });
  after(() => t.close());

  const listing = { method: 'GET', path: '/room/big/messages/recent?limit=256' } as const;

  async function isPosted(data: string): Promise<boolean> {
    const r = await t.client(null).get('/room/main/messages/recent?limit=256');
    return r.json<{ data: string }[]>().some((x) => x.data === data);
  }

  it('sub-requests past the budget are not run: a later post does not happen', async () => {
    const c = t.client();
    const m = signedMessage(c.identity!, c.serverPubkey, crypto.randomBytes(32));
    const json = { data: m.data.toString('base64'), signature: m.signature.toString('base64') };
    const subs: SubRequest[] = [listing, listing, listing, listing, { method: 'POST', path: '/room/main/message', json }];
    const r = await c.post('/batch', subs);
    assert.ok(r.body.length <= 64 * 1024);
    const replies = r.json<Sub[]>();
    assert.equal(replies[0]!.code, 200);
    assert.equal(replies.at(-1)!.code, OVER_BUDGET_STATUS, replies.map((s) => s.code).join());
    assert.match(text(replies.at(-1)!), /used up: no reply; send it again later/);
    assert.equal(await isPosted(json.data), false);
  });

  it('a write whose own reply does not fit was carried out: its status stands, the reply is left out', async () => {
    const c = t.client();
    // The post's reply echoes its 45 KB of data: more than is left after one listing.
    const m = signedMessage(c.identity!, c.serverPubkey, crypto.randomBytes(45_000));
    const json = { data: m.data.toString('base64'), signature: m.signature.toString('base64') };
    const r = await c.post('/batch', [listing, { method: 'POST', path: '/room/main/message', json }, listing]);
    assert.ok(r.body.length <= 64 * 1024);
    const replies = r.json<Sub[]>();
    assert.deepEqual(replies.map((s) => s.code), [200, 201, OVER_BUDGET_STATUS]);
    assert.match(text(replies[1]!), /^Carried out; its reply did not fit the batch reply budget/);
    assert.equal(await isPosted(json.data), true);
  });

  it('/sequence stops at the first sub-request past the budget and ends with its 429', async () => {
    const r = await t.client().sequence([listing, listing, listing, listing, listing]);
    const codes = r.map((s) => s.code);
    assert.equal(codes.at(-1), OVER_BUDGET_STATUS);
    assert.ok(codes.slice(0, -1).every((c) => c === 200));
    assert.ok(codes.length < 5);
  });

  it('more sub-requests than the budget can name in their slots is a 413 for the whole batch', async () => {
    const caps = { method: 'GET', path: '/capabilities' };
    const max = Math.floor((64 * 1024 - 1) / 513);
    const over = await t.client().post('/batch', Array.from({ length: max + 1 }, () => caps));
    assert.equal(over.status, 413);
    assert.match(over.text(), /over budget/);
    const at = await t.client().post('/batch', Array.from({ length: max }, () => caps));
    assert.equal(at.status, 200);
  });

  it('the same budget applies inside onion requests (v4 and v3)', async () => {
    for (const version of ['v4', 'v3'] as const) {
      const r = await onionRequest(t.client(), { method: 'POST', target: '/batch', json: [listing, listing, listing, listing, listing] }, { version });
      assert.equal(r.status, 200);
      assert.ok(r.body.length <= 64 * 1024);
      const codes = r.json<Sub[]>().map((s) => s.code);
      assert.equal(codes[0], 200);
      assert.equal(codes.at(-1), OVER_BUDGET_STATUS, `${version}: ${codes.join()}`);
    }
  });
});
