// Content types of JSON bodies (docs/protocol/api.md §1.8, §4.11): JSON declared as application/json (any
// parameters, any case), a +json type, application/octet-stream (what the v4 onion transport and
// batch b64/bytes sub-requests give a body without a type) or no type at all is read; a body
// declared as something clearly else (a form, HTML, text) is a 415 saying what is expected.
// Uploads (raw bytes) and the legacy API (whose clients set no meaningful type) are not affected.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { httpRequest, onionRequest, signedMessage } from '../client';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
});
after(() => t.close());

const CAPS = Buffer.from(JSON.stringify([{ method: 'GET', path: '/capabilities' }]));
const ACCEPTED = ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8', 'application/vnd.api+json', 'application/octet-stream', ''];
const REFUSED = ['multipart/form-data; boundary=x', 'text/html', 'application/x-www-form-urlencoded', 'text/plain', 'image/png'];

describe('JSON endpoints', () => {
  it('read JSON declared as JSON, as octet-stream, or without a type', async () => {
    for (const type of [...ACCEPTED, undefined]) {
      const r = await httpRequest(`${t.url}/batch`, 'POST', type === undefined ? {} : { 'content-type': type }, CAPS);
      assert.equal(r.status, 200, `${type}: ${r.body.toString()}`);
    }
  });

  it('refuse a body declared as something else with 415 and a clear message', async () => {
    for (const type of REFUSED) {
      const r = await httpRequest(`${t.url}/batch`, 'POST', { 'content-type': type }, CAPS);
      assert.equal(r.status, 415, type);
      assert.match(r.body.toString(), /request body must be JSON \(Content-Type: application\/json\), not /);
    }
  });

  it('a signed post with the client default type is stored; the same as a form is refused', async () => {
    const c = t.client();
    const m = signedMessage(c.identity!, c.serverPubkey, crypto.randomBytes(16));
    const body = { data: m.data.toString('base64'), signature: m.signature.toString('base64') };
    assert.equal((await c.post('/room/main/message', body)).status, 201);
    const form = await c.request('POST', '/room/main/message', { body: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'multipart/form-data' } });
    assert.equal(form.status, 415);
  });

  it('inside /batch: json sub-requests get application/json; a declared other type is 415 in its slot', async () => {
    const c = t.client();
    const m = signedMessage(c.identity!, c.serverPubkey, crypto.randomBytes(16));
    const json = { data: m.data.toString('base64'), signature: m.signature.toString('base64') };
    const replies = await c.batch([
      { method: 'POST', path: '/room/main/message', json },
      { method: 'POST', path: '/room/main/message', json, headers: { 'Content-Type': 'text/html' } },
      { method: 'POST', path: '/room/main/message', bytes: JSON.stringify(json) },
    ]);
    // The third is the same message again (bytes default to octet-stream, read as JSON): accepted.
    assert.deepEqual(replies.map((r) => r.code), [201, 415, 201]);
  });

  it('inside onion requests: v4 without a type (octet-stream) and v3 (forced JSON) are read; v4 declared HTML is 415', async () => {
    const c = t.client(null);
    const v4 = await onionRequest(c, { method: 'POST', target: '/batch', body: CAPS });
    assert.equal(v4.status, 200);
    const v3 = await onionRequest(c, { method: 'POST', target: '/batch', body: CAPS, headers: { 'Content-Type': 'text/html' } }, { version: 'v3' });
    assert.equal(v3.status, 200);
    const html = await onionRequest(c, { method: 'POST', target: '/batch', body: CAPS, headers: { 'Content-Type': 'text/html' } });
    assert.equal(html.status, 415);
  });
});

describe('not affected', () => {
  it('uploads take raw bytes whatever their declared type', async () => {
    const c = t.client();
    for (const type of ['application/octet-stream', 'image/png', 'multipart/form-data']) {
      const r = await c.request('POST', '/room/main/file', { body: crypto.randomBytes(100), headers: { 'content-type': type } });
      assert.equal(r.status, 201, `${type}: ${r.text()}`);
    }
  });

  it('legacy routes read their JSON body whatever the declared type', async () => {
    const body = Buffer.from(JSON.stringify({ public_key: '05' + 'ab'.repeat(32) }));
    for (const type of ['text/plain', 'text/html', undefined]) {
      const r = await httpRequest(`${t.url}/legacy/claim_auth_token`, 'POST', { Room: 'main', Authorization: 'cd'.repeat(32), ...(type ? { 'content-type': type } : {}) }, body);
      // The body was read (a malformed one is 400): the unclaimed token is then refused.
      assert.equal(r.status, 403, `${type}: ${r.body.toString()}`);
      const bad = await httpRequest(`${t.url}/legacy/claim_auth_token`, 'POST', { Room: 'main', Authorization: 'cd'.repeat(32), ...(type ? { 'content-type': type } : {}) }, Buffer.from('{'));
      assert.equal(bad.status, 400);
    }
  });
});
