// Session ids that match the id pattern but whose key is not a usable Ed25519 point (a 05 id of
// 64 zero digits maps to a small-order point; about half of all random hex strings are not on
// the curve at all): every place a moderator or the CLI names a user answers 400 with a message
// that says so, never 500, in the API, inside /batch, in the legacy API and in the admin CLI.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { httpRequest, type SogsClient } from '../client';
import { blindedIdCandidates } from '../src/crypto/ids';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { runCli } from './helpers/cli';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
let admin: SogsClient;
const ZERO = '05' + '00'.repeat(32);
/** A random-looking 05 id that is not on the curve (found by trying: about half are). */
let offCurve: string;

before(async () => {
  t = await startTestServer();
  admin = t.client();
  await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), 'global', { moderator: true, admin: true, visible: false });
  for (;;) {
    const id = '05' + crypto.randomBytes(32).toString('hex');
    try {
      blindedIdCandidates(id, t.serverPubkey);
    } catch {
      offCurve = id;
      break;
    }
  }
});
after(() => t.close());

const NOT_A_KEY = /is not a valid Session id: its key is not a valid Ed25519 public key/;

function routes(id: string): { method: 'POST' | 'GET'; path: string; json?: unknown }[] {
  return [
    { method: 'POST', path: `/user/${id}/ban`, json: { rooms: ['main'] } },
    { method: 'POST', path: `/user/${id}/unban`, json: { rooms: ['main'] } },
    { method: 'POST', path: `/user/${id}/moderator`, json: { rooms: ['main'], moderator: true } },
    { method: 'POST', path: `/room/main/permissions/${id}`, json: { write: false } },
    { method: 'GET', path: `/room/main/permissions/${id}` },
    { method: 'POST', path: `/room/main/futurePermissions/${id}`, json: { write: true, in: 60 } },
    { method: 'GET', path: `/room/main/futurePermissions/${id}` },
  ];
}

describe('invalid 05 ids', () => {
  it('every moderation and permission route answers 400 with the reason, directly', async () => {
    for (const id of [ZERO, offCurve]) {
      for (const r of routes(id)) {
        const res = r.method === 'GET' ? await admin.get(r.path) : await admin.post(r.path, r.json);
        assert.equal(res.status, 400, `${r.method} ${r.path}: ${res.text()}`);
        assert.match(res.text(), NOT_A_KEY);
        assert.ok(res.text().includes(id));
      }
    }
  });

  it('inside /batch each sub-request gets its own 400', async () => {
    const subs = routes(offCurve);
    const replies = await admin.batch(subs);
    assert.deepEqual(replies.map((r) => r.code), subs.map(() => 400));
    // Text bodies travel base64-encoded inside a batch reply.
    for (const r of replies) assert.match(Buffer.from(String(r.body), 'base64').toString('utf8'), NOT_A_KEY);
  });

  it('a valid 05 id still works on the same routes', async () => {
    const good = t.client().identity!.sessionId;
    const res = await admin.post(`/user/${good}/ban`, { rooms: ['main'] });
    assert.equal(res.status, 200, res.text());
  });

  it('legacy block_list, unban and auth_token_challenge answer {"status_code": 400}', async () => {
    const h = { Room: 'main', 'content-type': 'application/json' };
    const post = (path: string, body: unknown) => {
      const buf = Buffer.from(JSON.stringify(body));
      return httpRequest(t.url + path, 'POST', { ...h, ...admin.authHeaders('POST', path, buf) }, buf);
    };
    for (const path of ['/legacy/block_list', '/legacy/ban_and_delete_all']) {
      const r = await post(path, { public_key: offCurve });
      assert.equal(r.status, 400, r.body.toString());
      assert.deepEqual(JSON.parse(r.body.toString()), { status_code: 400 });
    }
    const del = `/legacy/block_list/${ZERO}`;
    const r = await httpRequest(t.url + del, 'DELETE', { ...h, ...admin.authHeaders('DELETE', del) });
    assert.equal(r.status, 400, r.body.toString());
    const ch = await httpRequest(`${t.url}/legacy/auth_token_challenge?public_key=${offCurve}`, 'GET', { Room: 'main' });
    assert.equal(ch.status, 400, ch.body.toString());
  });

  it('the admin CLI prints the same reason for --ban, --add-moderators and --users', async () => {
    for (const args of [
      ['--rooms', 'main', '--ban', offCurve],
      ['--rooms', 'main', '--add-moderators', ZERO],
      ['--rooms', 'main', '--users', offCurve, '--add-perms', 'w'],
    ]) {
      const r = await runCli(t.dataDir, ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.out} ${r.err}`);
      assert.match(r.err, NOT_A_KEY);
      assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
    }
  });
});
