// GET /capabilities: the list is built once per setting, not on every poll, and answered as before.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capabilities } from '../src/api/routes/general';
import { startTestServer } from './helpers/server';

describe('/capabilities', () => {
  it('is built once: every call returns the same frozen, sorted list and its reply text', () => {
    const first = capabilities({ requireBlindKeys: true });
    assert.equal(capabilities({ requireBlindKeys: true }), first, 'the same object, not a rebuilt one');
    assert.equal(capabilities({ requireBlindKeys: true }).list, first.list);
    assert.ok(Object.isFrozen(first.list));
    assert.deepEqual(first.list, ['blind', 'reactions', 'sogs']);
    assert.equal(first.text, '{"capabilities":["blind","reactions","sogs"]}');
    const open = capabilities({ requireBlindKeys: false });
    assert.equal(capabilities({ requireBlindKeys: false }), open);
    assert.deepEqual(open.list, ['reactions', 'sogs']);
  });

  it('answers by the server\'s setting, 412 naming what is missing', async () => {
    const t = await startTestServer({ requireBlindKeys: false });
    try {
      const anon = t.client(null);
      assert.deepEqual((await anon.get('/capabilities')).json(), { capabilities: ['reactions', 'sogs'] });
      const r = await anon.get('/capabilities?required=sogs,blind');
      assert.equal(r.status, 412);
      assert.deepEqual(r.json(), { capabilities: ['reactions', 'sogs'], missing: ['blind'] });
      assert.equal((await anon.get('/capabilities?required=reactions')).status, 200);
    } finally {
      await t.close();
    }
  });
});
