// GET /healthz and the Prometheus /metrics endpoint with its access modes.
import assert from 'node:assert/strict';
import os from 'node:os';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, test } from 'node:test';
import { closeServices } from '../src/app';
import { formatLine } from '../src/ops/logging';
import { metricsAllowed } from '../src/ops/metrics';
import { startServer } from '../src/server';
import { isPollRoute, routeLabel } from '../src/ops/route-label';
import { startTestServer } from './helpers/server';

describe('/healthz', () => {
  test('200 {"status":"ok"} while the database answers, 503 when it fails', async () => {
    const t = await startTestServer();
    try {
      const ok = await fetch(`${t.url}/healthz`);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { status: 'ok' });
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      const post = await fetch(`${t.url}/healthz`, { method: 'POST' });
      assert.equal(post.status, 405);
      const orig = t.s.store.getRoom.bind(t.s.store);
      t.s.store.getRoom = async () => {
        throw new Error('disk I/O error');
      };
      const bad = await fetch(`${t.url}/healthz`);
      assert.equal(bad.status, 503);
      assert.equal(((await bad.json()) as { status: string }).status, 'error');
      t.s.store.getRoom = orig;
    } finally {
      await t.close();
    }
  });
});

describe('/metrics', () => {
  test('off (default): 404, like any unknown API path', async () => {
    const t = await startTestServer();
    try {
      const r = await fetch(`${t.url}/metrics`);
      assert.equal(r.status, 404);
    } finally {
      await t.close();
    }
  });

  test('on: request counts by route and status, poll latency, rooms, users, sizes', async () => {
    const t = await startTestServer({ metrics: 'on' });
    try {
      await fetch(`${t.url}/capabilities`);
      await fetch(`${t.url}/room/main/messages/recent`);
      await fetch(`${t.url}/room/main/messages/since/0`);
      await fetch(`${t.url}/room/nosuchroom`);
      const r = await fetch(`${t.url}/metrics`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      const body = await r.text();
      assert.match(body, /sogs_http_requests_total\{method="GET",route="\/capabilities",status="200"\} 1/);
      assert.match(body, /route="\/room\/:room\/messages\/since\/:int",status="200"/);
      assert.match(body, /route="<unmatched>",status="404"/);
      assert.doesNotMatch(body, /nosuchroom/);
      assert.match(body, /sogs_poll_duration_seconds_count [1-9]/);
      assert.match(body, /^sogs_rooms 1$/m);
      assert.match(body, /sogs_active_users\{room="main"\} 0/);
      assert.match(body, /^sogs_database_bytes [1-9]\d*$/m);
      assert.match(body, /^sogs_file_store_bytes \d+$/m);
      assert.match(body, /sogs_process_/);
    } finally {
      await t.close();
    }
  });

  test('a direct pollInfo request is labelled with its route and counted as a poll', async () => {
    const t = await startTestServer({ metrics: 'on' });
    try {
      assert.equal((await fetch(`${t.url}/room/main/pollInfo/0`)).status, 200);
      const body = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(body, /sogs_http_requests_total\{method="GET",route="\/room\/:room\/pollInfo\/:int",status="200"\} 1/);
      assert.match(body, /^sogs_poll_duration_seconds_count 1$/m);
    } finally {
      await t.close();
    }
  });

  test('loopback: served to 127.0.0.1, refused to other peers', async () => {
    assert.equal(metricsAllowed('loopback', '127.0.0.1'), true);
    assert.equal(metricsAllowed('loopback', '::1'), true);
    assert.equal(metricsAllowed('loopback', '::ffff:127.0.0.1'), true);
    assert.equal(metricsAllowed('loopback', '192.0.2.1'), false);
    assert.equal(metricsAllowed('loopback', undefined), false);
    assert.equal(metricsAllowed('off', '127.0.0.1'), false);
    assert.equal(metricsAllowed('on', '192.0.2.1'), true);
    const t = await startTestServer({ metrics: 'loopback', host: '0.0.0.0' });
    // startTestServer binds 127.0.0.1; restart the listener on all interfaces for the external peer.
    await t.server.close();
    const srv = await startServer(t.s, { port: 0, host: '0.0.0.0', jobs: false });
    try {
      const local = await fetch(`http://127.0.0.1:${srv.port}/metrics`);
      assert.equal(local.status, 200);
      const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      if (external) {
        const r = await fetch(`http://${external.address}:${srv.port}/metrics`);
        assert.equal(r.status, 403);
      }
    } finally {
      await srv.close();
      await closeServices(t.s);
    }
  });

  test('route labels are bounded', () => {
    assert.equal(routeLabel('/room/secret-room/message/12', 200), '/room/:room/message/:int');
    assert.equal(routeLabel('/user/15' + 'ab'.repeat(32) + '/ban', 200), '/user/:id/ban');
    assert.equal(routeLabel('/some-room', 200), '/:room');
    assert.equal(routeLabel('/anything/at/all', 404), '<unmatched>');
    // The web console's routes, below its configured path, by the same rules.
    assert.equal(routeLabel('/mod/desk/room/secret-room/pin', 200, '/mod/desk/'), '/mod/desk/room/:room/pin');
    assert.equal(routeLabel('/mod/desk', 200, '/mod/desk/'), '/mod/desk/');
    assert.equal(routeLabel('/mod/desk/user/05' + 'cd'.repeat(32), 200, '/mod/desk/'), '/mod/desk/user/:id');
    assert.equal(routeLabel('/moderation', 200, '/mod/'), '/:room');
    assert.equal(routeLabel('/', 200), '/');
    // Literal route words in camelCase or with digits keep their name; a download's file name does not become a label.
    assert.equal(routeLabel('/room/T/pollInfo/5', 200), '/room/:room/pollInfo/:int');
    assert.equal(routeLabel('/oxen/v4/lsrpc', 200), '/oxen/v4/lsrpc');
    assert.equal(routeLabel('/room/T/futurePermissions', 200), '/room/:room/futurePermissions');
    assert.equal(routeLabel('/room/T/file/12/Holiday', 200), '/room/:room/file/:int/:name');
    assert.equal(routeLabel('/room/T/file/12/dir/Photo.png', 200), '/room/:room/file/:int/:name');
    // The poll-latency metric takes the labels routeLabel gives the routes clients poll.
    assert.equal(isPollRoute(routeLabel('/batch', 200)), true);
    assert.equal(isPollRoute(routeLabel('/sequence', 200)), true);
    assert.equal(isPollRoute(routeLabel('/oxen/v4/lsrpc', 200)), true);
    assert.equal(isPollRoute(routeLabel('/room/T/pollInfo/5', 200)), true);
    assert.equal(isPollRoute(routeLabel('/room/T/messages/since/12', 200)), true);
    assert.equal(isPollRoute(routeLabel('/room/T/messages/recent', 200)), true);
    assert.equal(isPollRoute(routeLabel('/capabilities', 200)), false);
    assert.equal(isPollRoute(routeLabel('/room/T/message/12', 200)), false);
  });
});

describe('logging', () => {
  test('logRequests: method, route pattern, status, duration; no IP, no query, no room token', async () => {
    const t = await startTestServer({ logRequests: true });
    const lines: Record<string, unknown>[] = [];
    t.s.log = pino({ level: 'info', base: undefined }, new Writable({
      write(c: Buffer, _e, cb) {
        lines.push(JSON.parse(c.toString('utf8')) as Record<string, unknown>);
        cb();
      },
    }));
    try {
      await fetch(`${t.url}/room/main/messages/recent?limit=5`);
      await new Promise((r) => setTimeout(r, 50));
      const l = lines.find((x) => x['msg'] === 'request');
      assert.ok(l, JSON.stringify(lines));
      assert.equal(l['method'], 'GET');
      assert.equal(l['route'], '/room/:room/messages/recent');
      assert.equal(l['status'], 200);
      assert.equal(typeof l['ms'], 'number');
      const raw = JSON.stringify(lines);
      assert.doesNotMatch(raw, /127\.0\.0\.1|limit=5|main/);
    } finally {
      await t.close();
    }
  });

  test('off by default', async () => {
    const t = await startTestServer();
    let n = 0;
    t.s.log = pino({ level: 'info' }, new Writable({ write: (_c, _e, cb) => (n++, cb()) }));
    try {
      await fetch(`${t.url}/capabilities`);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(n, 0);
    } finally {
      await t.close();
    }
  });

  test('the terminal formatter turns JSON lines into readable ones', () => {
    const line = formatLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 34, 56), msg: 'request', method: 'GET', status: 200 }));
    assert.equal(line, '12:34:56 INFO  request method=GET status=200');
    assert.equal(formatLine('not json'), 'not json');
  });
});
