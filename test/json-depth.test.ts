// The JSON nesting limit (crypto/json.ts): JSON nested thousands of levels deep once overflowed
// the stack when a batch sub-request's `json` was serialised again (a 500 with a stack trace in
// the log, no login needed, also inside onion requests). Every parser of client JSON refuses it
// with a 400 now: plain JSON routes, /batch and /sequence, onion v3/v4 framing and inner
// requests, and the legacy API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpRequest, onionRequest } from '../client';
import { buildV4Plaintext } from '../client/onion';
import { MAX_JSON_DEPTH, JsonDepthError, jsonNestsDeeper, parseJson } from '../src/crypto/json';
import { buildOnionRequestBody, onionDecrypt } from '../src/crypto/onion';
import { bdecodeList } from '../src/crypto/bencode';
import { startTestServer, type TestServer } from './helpers/server';

const nested = (n: number, inner = '1'): string => '['.repeat(n) + inner + ']'.repeat(n);
const DEEP = nested(5000);

describe('jsonNestsDeeper', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    assert.equal(jsonNestsDeeper(nested(3), 3), false);
    assert.equal(jsonNestsDeeper(nested(4), 3), true);
    assert.equal(jsonNestsDeeper('{"a":{"b":{"c":1}}}', 3), false);
    assert.equal(jsonNestsDeeper('{"a":{"b":{"c":{}}}}', 3), true);
    assert.equal(jsonNestsDeeper(`["${'['.repeat(100)}"]`, 1), false);
    assert.equal(jsonNestsDeeper(`["a\\"[[[[", "\\\\", [[1]]]`, 3), false);
    assert.equal(jsonNestsDeeper(`["a\\"[[[[", "\\\\", [[[1]]]]`, 3), true);
    assert.equal(jsonNestsDeeper('"unterminated [[[[', 1), false);
  });

  it('parseJson throws JsonDepthError (a SyntaxError) past the limit and parses up to it', () => {
    assert.deepEqual(parseJson(nested(MAX_JSON_DEPTH - 1, '[]')), JSON.parse(nested(MAX_JSON_DEPTH - 1, '[]')));
    assert.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), (e: unknown) => e instanceof JsonDepthError && e instanceof SyntaxError);
    assert.throws(() => parseJson(Buffer.from(DEEP)), JsonDepthError);
    assert.throws(() => parseJson('{'), SyntaxError);
  });
});

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(() => t.close());

const DEPTH_MESSAGE = new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`);

describe('over the API', () => {
  it('a plain JSON route answers 400 naming the limit', async () => {
    const c = t.client();
    const r = await c.request('POST', '/room/main/message', { body: Buffer.from(`{"data":${DEEP}}`), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400);
    assert.match(r.text(), DEPTH_MESSAGE);
  });

  for (const endpoint of ['/batch', '/sequence']) {
    it(`${endpoint}: a sub-request with deeply nested json is a 400 for the whole request, anonymous or signed`, async () => {
      const body = Buffer.from(`[{"method":"POST","path":"/room/main/message","json":${DEEP}}]`);
      for (const c of [t.client(null), t.client()]) {
        const r = await c.request('POST', endpoint, { body, headers: { 'content-type': 'application/json' } });
        assert.equal(r.status, 400, r.text());
        assert.match(r.text(), DEPTH_MESSAGE);
      }
    });
  }

  it('nesting within the limit still reaches the route (which refuses the shape, not the depth)', async () => {
    const r = await t.client().batch([{ method: 'POST', path: '/room/main/message', json: JSON.parse(nested(MAX_JSON_DEPTH - 4)) }]);
    assert.equal(r[0]!.code, 400);
    assert.doesNotMatch(Buffer.from(String(r[0]!.body), 'base64').toString(), DEPTH_MESSAGE);
  });

  it('inside onion requests: a v4 batch body, v4 metadata, a v3 request, the outer framing', async () => {
    const body = Buffer.from(`[{"method":"POST","path":"/room/main/message","json":${DEEP}}]`);
    const v4 = await onionRequest(t.client(), { method: 'POST', target: '/batch', body, headers: { 'content-type': 'application/json' } });
    assert.equal(v4.status, 400);
    assert.match(v4.text(), DEPTH_MESSAGE);
    const v3 = await onionRequest(t.client(null), { method: 'POST', target: '/batch', body }, { version: 'v3' });
    assert.equal(v3.status, 400);

    // v4 metadata that nests too deep is an invalid v4 request (answered encrypted).
    const meta = Buffer.from(`{"method":"GET","endpoint":"/capabilities","headers":{},"x":${DEEP}}`);
    const plaintext = Buffer.concat([Buffer.from(`l${meta.length}:`), meta, Buffer.from('e')]);
    const { body: outer, key } = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext });
    const res = await httpRequest(`${t.url}/oxen/v4/lsrpc`, 'POST', {}, outer);
    assert.equal(res.status, 200);
    const parts = bdecodeList(onionDecrypt('aes-gcm', key, res.body)!, 2)!;
    assert.equal(JSON.parse(parts[0]!.toString()).code, 400);

    // The outer framing's JSON (ephemeral_key, enc_type) nested too deep: plain 400.
    const good = buildOnionRequestBody({ serverPk: t.serverPubkey, plaintext: buildV4Plaintext('GET', '/capabilities', {}) }).body;
    const ctLen = good.readUInt32LE(0);
    const outerMeta = JSON.parse(good.subarray(4 + ctLen).toString()) as Record<string, unknown>;
    const deepMeta = Buffer.from(JSON.stringify(outerMeta).slice(0, -1) + `,"x":${DEEP}}`);
    const mangled = Buffer.concat([good.subarray(0, 4 + ctLen), deepMeta]);
    const r = await httpRequest(`${t.url}/oxen/v4/lsrpc`, 'POST', {}, mangled);
    assert.equal(r.status, 400);
  });

  it('legacy routes answer {"status_code": 400}', async () => {
    for (const path of ['/legacy/claim_auth_token', '/claim_auth_token', '/legacy/compact_poll']) {
      const r = await httpRequest(t.url + path, 'POST', { Room: 'main', Authorization: 'ab'.repeat(32), 'content-type': 'application/json' }, Buffer.from(`{"public_key":${DEEP}}`));
      assert.equal(r.status, 400, `${path}: ${r.body.toString()}`);
      assert.deepEqual(JSON.parse(r.body.toString()), { status_code: 400 });
    }
  });
});
