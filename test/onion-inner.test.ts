import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lowerCaseHeaders } from '../src/api/onion/inner';
import { parseV4Request } from '../src/api/onion/v4';
import { parseV3Request } from '../src/api/onion/v3';
import { bencodeList } from '../src/crypto/bencode';

describe('onion inner request headers', () => {
  it('are lower-cased, numbers stringified, Content-Length dropped in any spelling', () => {
    assert.deepEqual(lowerCaseHeaders({ 'X-SOGS-Pubkey': 'ab', 'Content-Length': '99', 'X-Num': 5 }), { 'x-sogs-pubkey': 'ab', 'x-num': '5' });
    assert.deepEqual(lowerCaseHeaders({ 'CONTENT-LENGTH': 3 }), {});
    assert.deepEqual(lowerCaseHeaders(undefined), {});
  });

  it('make the request invalid when a value is neither a string nor a number, Content-Length too', () => {
    assert.equal(lowerCaseHeaders({ 'content-length': { n: 1 } }), null);
    assert.equal(lowerCaseHeaders({ a: null }), null);
    assert.equal(lowerCaseHeaders(['a']), null);
  });

  it('reach the router without Content-Length from v4 and v3 requests', () => {
    const meta = Buffer.from(JSON.stringify({ method: 'POST', endpoint: '/batch', headers: { 'Content-Length': '2', 'Content-Type': 'application/json' } }));
    const v4 = parseV4Request(bencodeList([meta, Buffer.from('[]')]));
    assert.deepEqual(v4?.headers, { 'content-type': 'application/json' });
    const v3 = parseV3Request(Buffer.from(JSON.stringify({ method: 'POST', endpoint: '/batch', body: '[]', headers: { 'content-length': '2' } })));
    assert.deepEqual(v3?.headers, { 'content-type': 'application/json' });
  });
});
