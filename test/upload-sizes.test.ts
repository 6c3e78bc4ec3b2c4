// Uploads within the clients' own limits arrive, at real size and with the default settings: the
// desktop and iOS clients' 10,000,000-byte file in its onion envelope, Android's base64 `b64`
// sub-request of /batch inside an onion request, direct /batch and legacy JSON uploads, and an
// onion body as large as service nodes relay; a file over filesMaxSize inside a decryptable onion
// request gets its 413 inside the encrypted reply, never as a transport failure.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Identity, buildV4Plaintext, httpRequest, onionRequest, type SubResponse } from '../client';
import { decodeBase64Strict } from '../src/crypto/base64';
import { decryptLegacyChallenge, legacyChallengeKey } from '../src/crypto/legacy-token';
import { defaultConfig, validate } from '../src/config';
import { startTestServer, type TestServer } from './helpers/server';

/** What the client's file limit and a service node's relay limit are. */
const CLIENT_FILE = 10_000_000;
const RELAY_MAX = 10_485_760;

let t: TestServer;
before(async () => {
  t = await startTestServer({ rateLimitPosts: 1000 });
});
after(async () => {
  await t?.close();
});

const file = (n: number): Buffer => crypto.randomBytes(n);

describe('uploads at the clients\' sizes (default limits)', () => {
  it('a 10,000,000-byte file in an onion request (desktop, iOS) is stored', async () => {
    const c = t.client();
    const bytes = file(CLIENT_FILE);
    // The onion body is bigger still than this plaintext (the inner request with its headers):
    // a limit equal to filesMaxSize refused it before it could be decrypted.
    assert.ok(buildV4Plaintext('POST', '/room/main/file', c.authHeaders('POST', '/room/main/file', bytes), bytes).length > t.config.filesMaxSize);
    const r = await onionRequest(c, { method: 'POST', target: '/room/main/file', body: bytes, headers: { 'Content-Disposition': 'attachment; filename="big.bin"' } });
    assert.equal(r.status, 201, r.text());
    const id = r.json<{ id: number }>().id;
    const back = await c.get(`/room/main/file/${id}`);
    assert.ok(back.body.equals(bytes));
  });

  it('a file over filesMaxSize in an onion body as large as service nodes relay gets its 413 encrypted', async () => {
    // Inner request headers and the envelope bring the body to about RELAY_MAX.
    const r = await onionRequest(t.client(), { method: 'POST', target: '/room/main/file', body: file(RELAY_MAX - 1000) });
    assert.equal(r.status, 413, 'the inner reply, decrypted: not a transport error');
  });

  it('Android: a base64 b64 sub-request of /batch inside an onion request', async () => {
    const bytes = file(7_500_000);
    const r = await onionRequest(t.client(), { method: 'POST', target: '/batch', json: [{ method: 'POST', path: '/room/main/file', b64: bytes.toString('base64') }] });
    assert.equal(r.status, 200, r.text());
    const subs = r.json<SubResponse[]>();
    assert.equal(subs[0]!.code, 201, JSON.stringify(subs[0]));
  });

  it('a filesMaxSize file base64-encoded in a direct /batch, and a legacy JSON upload', async () => {
    const bytes = file(CLIENT_FILE);
    const subs = await t.client().batch([{ method: 'POST', path: '/room/main/file', b64: bytes.toString('base64') }]);
    assert.equal(subs[0]!.code, 201, JSON.stringify(subs[0]));

    const who = Identity.random();
    const ch = JSON.parse((await httpRequest(`${t.url}/legacy/auth_token_challenge?public_key=${who.sessionId}`, 'GET', { Room: 'main' })).body.toString('utf8'));
    const key = legacyChallengeKey(who.account.xSk, decodeBase64Strict(ch.challenge.ephemeral_public_key)!);
    const token = decryptLegacyChallenge(key, decodeBase64Strict(ch.challenge.ciphertext)!)!.toString('hex');
    const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
    const H = { Room: 'main', Authorization: token, 'content-type': 'application/json' };
    assert.equal((await httpRequest(`${t.url}/legacy/claim_auth_token`, 'POST', H, json({ public_key: who.sessionId }))).status, 200);
    const up = await httpRequest(`${t.url}/legacy/files`, 'POST', H, json({ file: bytes.toString('base64') }));
    assert.equal(up.status, 200, up.body.toString('utf8').slice(0, 200));
  });

  it('the defaults hold these sizes; a maxBodyBytes too small for them (an older config) is raised with a warning', () => {
    const c = defaultConfig();
    assert.deepEqual(validate(c), []);
    assert.ok(c.maxOnionBodyBytes > RELAY_MAX);
    const old = { ...c, maxBodyBytes: 12_000_000 };
    const warnings = validate(old);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /maxBodyBytes 12000000 .* using \d+/);
    assert.ok(old.maxBodyBytes >= Math.ceil(c.filesMaxSize / 3) * 4 && old.maxBodyBytes >= c.maxOnionBodyBytes);
  });
});
