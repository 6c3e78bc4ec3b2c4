import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router } from '../src/api/router';
import { json } from '../src/api/respond';
import type { ApiRequest } from '../src/api/types';
import { RequestContext } from '../src/domain/request-context';
import type { Services } from '../src/domain/services';

// Route matching only: none of these handlers touches the services, and no request is signed.
const services = {} as Services;

function req(method: string, path: string): ApiRequest {
  return { method, path, query: '', headers: {}, body: Buffer.alloc(0) };
}

function router(): Router {
  const r = new Router();
  r.get('/room/:token', async (c) => json({ route: 'room', params: c.params }));
  r.get('/room/:token/pollInfo/:info(int)', async (c) => json({ route: 'pollInfo', params: c.params }));
  r.get('/room/:token/file/:id(fileid)', async (c) => json({ route: 'file', params: c.params }));
  r.get('/room/:token/file/:id(fileid)/:filename(*)', async (c) => json({ route: 'named file', params: c.params }));
  r.put('/room/:token/reaction/:id(int)/:reaction(*)', async (c) => json({ route: 'reaction', params: c.params }));
  r.get('/:room', async (c) => json({ route: 'page', params: c.params }));
  r.get('/:room/:page', async (c) => json({ route: 'subpage', params: c.params }));
  return r;
}

async function route(r: Router, method: string, path: string): Promise<{ status: number; json?: unknown }> {
  const res = await r.dispatch(services, req(method, path), new RequestContext(null));
  return { status: res.status, json: res.json };
}

describe('Router', () => {
  it('matches by pattern among the routes of the path\'s first segment and length', async () => {
    const r = router();
    assert.deepEqual((await route(r, 'GET', '/room/dev')).json, { route: 'room', params: { token: 'dev' } });
    assert.deepEqual((await route(r, 'GET', '/room/dev/pollInfo/7')).json, { route: 'pollInfo', params: { token: 'dev', info: '7' } });
    assert.deepEqual((await route(r, 'GET', '/room/dev/file/12')).json, { route: 'file', params: { token: 'dev', id: '12' } });
  });

  it('lets a (*) parameter take the rest of a path of any length', async () => {
    const r = router();
    assert.deepEqual((await route(r, 'GET', '/room/dev/file/12/a.png')).json, { route: 'named file', params: { token: 'dev', id: '12', filename: 'a.png' } });
    assert.deepEqual((await route(r, 'GET', '/room/dev/file/12/dir/x/y.png')).json, {
      route: 'named file',
      params: { token: 'dev', id: '12', filename: 'dir/x/y.png' },
    });
    assert.deepEqual((await route(r, 'PUT', '/room/dev/reaction/5/a/b')).json, { route: 'reaction', params: { token: 'dev', id: '5', reaction: 'a/b' } });
  });

  it('falls back to routes that start with a parameter, also for unknown first segments', async () => {
    const r = router();
    assert.deepEqual((await route(r, 'GET', '/lobby')).json, { route: 'page', params: { room: 'lobby' } });
    assert.deepEqual((await route(r, 'GET', '/lobby/about')).json, { route: 'subpage', params: { room: 'lobby', page: 'about' } });
    // 'room' is a known first segment; its group still holds the parameter routes.
    assert.deepEqual((await route(r, 'GET', '/room')).json, { route: 'page', params: { room: 'room' } });
  });

  it('answers 405 when only the method differs and 404 when no pattern fits', async () => {
    const r = router();
    assert.equal((await route(r, 'POST', '/room/dev/pollInfo/7')).status, 405);
    assert.equal((await route(r, 'GET', '/room/dev/pollInfo/x')).status, 404);
    assert.equal((await route(r, 'GET', '/room/dev/pollInfo/7/8')).status, 404);
    assert.equal((await route(r, 'GET', '/a/b/c')).status, 404);
    assert.equal((await route(r, 'GET', '/' + 'x/'.repeat(40) + 'y')).status, 404);
  });

  it('sees routes added after it has matched requests', async () => {
    const r = router();
    assert.equal((await route(r, 'GET', '/room/dev/extra')).status, 404);
    r.get('/room/:token/extra', async () => json({ route: 'extra' }));
    assert.deepEqual((await route(r, 'GET', '/room/dev/extra')).json, { route: 'extra' });
  });
});
