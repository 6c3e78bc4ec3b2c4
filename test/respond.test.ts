import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headersJson } from '../src/api/respond';
import { subResponseText } from '../src/api/routes/batch';
import { v4ReplyPlaintext } from '../src/api/onion/v4';
import type { ApiResponse } from '../src/api/types';

describe('response JSON assembled as text', () => {
  it('headersJson is JSON.stringify, remembered or not', () => {
    const objects: Record<string, string>[] = [
      {},
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json' },
      { 'content-type': 'text/plain; charset="x"' },
      { 'content-disposition': 'attachment' },
      { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="a\\"b"' },
      { 'content-disposition': 'x', 'content-type': 'application/json' },
    ];
    for (const h of objects) {
      assert.equal(headersJson(h), JSON.stringify(h));
    }
  });

  it('batch elements and v4 reply metadata are the JSON their objects would serialise to', () => {
    const cases: ApiResponse[] = [
      { status: 200, headers: { 'content-type': 'application/json' }, json: { a: [1, 'x"'] } },
      { status: 304, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.alloc(0) },
      { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment' }, body: Buffer.from([0, 1, 250, 255]) },
    ];
    for (const r of cases) {
      const body = r.json ?? (r.body ?? Buffer.alloc(0)).toString('base64');
      assert.deepEqual(JSON.parse(subResponseText(r)), { code: r.status, headers: r.headers, body });
      const plain = v4ReplyPlaintext(r).toString('latin1');
      const meta = JSON.stringify({ code: r.status, headers: r.headers });
      assert.ok(plain.startsWith(`l${meta.length}:${meta}`), plain);
    }
  });
});
