// Onion requests (docs/protocol/crypto.md §4, docs/protocol/api.md §4.11) through the real HTTP server: round trips for every
// version/cipher, the desktop poll and its 10-second cycle, and nesting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { buildV4Plaintext, onionRequest } from '../client';
import { buildOnionRequestBody } from '../src/crypto/onion';
import { utf8 } from './helpers/vectors';
import { srv, useOnionServer, VARIANTS, postMessageViaOnion } from './helpers/onion';

useOnionServer();

describe('round trips', () => {
  for (const { name, opts } of VARIANTS) {
    test(`${name}: anonymous GET /capabilities`, async () => {
      const direct = await srv.client(null).get('/capabilities');
      const r = await onionRequest(srv.client(null), { method: 'GET', target: '/capabilities' }, opts);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), direct.json());
      assert.ok(r.json<{ capabilities: string[] }>().capabilities.includes('sogs'));
      if (opts.version === 'v4') assert.equal(r.headers['content-type'], 'application/json');
    });

    test(`${name}: signed post, then read back`, async () => {
      const c = srv.client();
      const content = crypto.randomBytes(50);
      const { m, res } = postMessageViaOnion(c, content, opts);
      const posted = await res;
      // v3 replies carry no status for successes: the client reads any 2xx body as 200.
      assert.equal(posted.status, opts.version === 'v4' ? 201 : 200, posted.text());
      const { id, session_id } = posted.json<{ id: number; session_id: string }>();
      assert.equal(session_id, c.sessionId);

      const recent = await onionRequest(c, { method: 'GET', target: '/room/main/messages/recent?limit=256' }, opts);
      assert.equal(recent.status, 200);
      const mine = recent.json<{ id: number; data: string; signature: string }[]>().find((x) => x.id === id);
      assert.ok(mine, 'posted message is listed');
      assert.deepEqual(Buffer.from(mine.data, 'base64'), m.data);
      assert.deepEqual(Buffer.from(mine.signature, 'base64'), m.signature);
    });
  }

  test('percent-encoded inner endpoints are decoded before routing and signature checks', async () => {
    const c = srv.client();
    const r = await onionRequest(c, { method: 'GET', target: '/room/m%61in/messages/recent?limit=1' });
    assert.equal(r.status, 200, r.text());
    assert.ok(Array.isArray(r.json()));
  });
});

describe('the desktop poll: v4 aes-gcm onion wrapping a signed /batch', () => {
  test('positional results, run as the signing user', async () => {
    const c = srv.client();
    const posted = await c.postMessage('main', utf8('poll me'));
    assert.equal(posted.status, 201);
    const postedId = posted.json<{ id: number }>().id;

    const subs = [
      { method: 'GET', path: '/capabilities' },
      { method: 'GET', path: '/room/main/pollInfo/0' },
      { method: 'GET', path: '/room/main/messages/recent?reactors=5' },
    ];
    const r = await onionRequest(c, { method: 'POST', target: '/batch', json: subs }, { version: 'v4', encType: 'aes-gcm' });
    assert.equal(r.status, 200, r.text());
    assert.equal(r.headers['content-type'], 'application/json');
    const [caps, poll, recent, ...rest] = r.json<{ code: number; headers: Record<string, string>; body: any }[]>();
    assert.equal(rest.length, 0);
    assert.equal(caps!.code, 200);
    assert.ok(caps!.body.capabilities.includes('sogs'));
    assert.equal(poll!.code, 200);
    assert.equal(poll!.body.token, 'main');
    assert.equal(poll!.body.read, true);
    assert.equal(recent!.code, 200);
    assert.equal(recent!.headers['content-type'], 'application/json');
    const mine = recent!.body.find((x: { id: number }) => x.id === postedId);
    assert.equal(mine.session_id, c.sessionId);
  });

  test('the signed batch vivifies the user (proof the inner signature verified)', async () => {
    const c = srv.client();
    assert.equal(await srv.s.store.findUser(c.sessionId), null);
    const r = await onionRequest(c, { method: 'POST', target: '/batch', json: [{ method: 'GET', path: '/capabilities' }] });
    assert.equal(r.status, 200);
    assert.ok(await srv.s.store.findUser(c.sessionId));
  });
});

describe('nesting', () => {
  test('an onion endpoint inside a v4 onion request is refused inside the encryption', async () => {
    const innerOnion = buildOnionRequestBody({ serverPk: srv.serverPubkey, plaintext: buildV4Plaintext('GET', '/capabilities', {}) }).body;
    for (const endpoint of ['/oxen/v4/lsrpc', '/loki/v3/lsrpc', '/oxen/v3/lsrpc']) {
      const r = await onionRequest(srv.client(null), { method: 'POST', target: endpoint, body: innerOnion });
      assert.equal(r.status, 400, endpoint);
      assert.equal(r.text(), 'nested onion requests are not allowed');
    }
  });

  test('an onion endpoint inside a batch inside an onion request fails batch validation', async () => {
    const r = await onionRequest(srv.client(), { method: 'POST', target: '/batch', json: [{ method: 'POST', path: '/oxen/v4/lsrpc', b64: 'AAAA' }] });
    assert.equal(r.status, 400);
  });
});

describe("the desktop client's 10-second poll", () => {
  test('onion v4 wrapping /batch: first poll with recent, then since with t=r&reactors=5, inbox/outbox 304 when empty', async () => {
    const c = srv.client();
    const poster = srv.client();
    const rooms = ['main'];
    const batch = (first: boolean, since: Record<string, number>, dm: { inbox: number; outbox: number }) => [
      { method: 'GET', path: '/capabilities' },
      ...rooms.flatMap((r) => [
        { method: 'GET', path: `/room/${r}/pollInfo/0` },
        first
          ? { method: 'GET', path: `/room/${r}/messages/recent?reactors=5` }
          : { method: 'GET', path: `/room/${r}/messages/since/${since[r]}?t=r&reactors=5` },
      ]),
      { method: 'GET', path: `/inbox/since/${dm.inbox}` },
      { method: 'GET', path: `/outbox/since/${dm.outbox}` },
    ];
    type Sub = { code: number; headers: Record<string, string>; body: unknown };
    const poll = async (subs: unknown[]): Promise<Sub[]> => {
      const r = await onionRequest(c, { method: 'POST', target: '/batch', json: subs }, { version: 'v4' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/json');
      return r.json<Sub[]>();
    };

    assert.equal((await poster.postMessage('main', crypto.randomBytes(30))).status, 201);
    const first = await poll(batch(true, {}, { inbox: 0, outbox: 0 }));
    assert.deepEqual(first.map((x) => x.code), [200, 200, 200, 304, 304], 'matched by position');
    assert.ok((first[0]!.body as { capabilities: string[] }).capabilities.includes('blind'));
    assert.equal((first[1]!.body as { token: string }).token, 'main');
    const recent = first[2]!.body as { seqno: number }[];
    assert.ok(recent.length > 0);
    const seq = Math.max(...recent.map((m) => m.seqno));

    // Caught up: nothing new.
    const idle = await poll(batch(false, { main: seq }, { inbox: 0, outbox: 0 }));
    assert.deepEqual(idle.map((x) => x.code), [200, 200, 200, 304, 304]);
    assert.deepEqual(idle[2]!.body, []);

    // A new post and a reaction to it: the next poll returns both, the reaction as part of the post.
    const posted = (await poster.postMessage('main', crypto.randomBytes(30))).json<{ id: number }>();
    assert.equal((await poster.put(`/room/main/reaction/${posted.id}/👍`, {})).status, 200);
    const next = await poll(batch(false, { main: seq }, { inbox: 0, outbox: 0 }));
    const msgs = next[2]!.body as { id: number; reactions?: Record<string, { count: number; reactors?: string[] }> }[];
    assert.deepEqual(msgs.map((m) => m.id), [posted.id]);
    assert.equal(msgs[0]!.reactions?.['👍']?.count, 1);
    assert.deepEqual(msgs[0]!.reactions?.['👍']?.reactors, [poster.sessionId]);

    // A DM to the poller: its inbox answers 200 with the message, its outbox stays 304.
    assert.equal((await poster.post(`/inbox/${c.sessionId}`, { message: crypto.randomBytes(40).toString('base64') })).status, 201);
    const withDm = await poll(batch(false, { main: seq }, { inbox: 0, outbox: 0 }));
    assert.equal(withDm[3]!.code, 200);
    assert.equal((withDm[3]!.body as unknown[]).length, 1);
    assert.equal(withDm[4]!.code, 304);
  });
});
