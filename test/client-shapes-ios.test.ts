// Session iOS's request shapes against the real server over real HTTP onion requests. Sources:
// - the onion framing: iOS builds its onion requests with libsession-util
//   (SessionSnodeKit/Crypto/Crypto+SessionSnodeKit.swift calls onion_request_builder_*), whose
//   src/onionreq/builder.cpp writes the server's routing JSON with host, target, method "POST",
//   protocol, port, ephemeral_key and enc_type, serialised by nlohmann::json with sorted keys; the
//   destination's encryption type is XChaCha20 (OnionRequestAPIDestination.encType);
// - the bodies: Foundation's JSONEncoder, which escapes '/' as "\/" unless told otherwise (base64
//   data, batch paths), with sorted keys as in the replayed iOS requests (the sorting itself was
//   not confirmed in the app's source);
// - the header names: the app writes "X-SOGS-Pubkey" etc. (SessionMessagingKit's HTTPHeader
//   constants); the test sends other casings ("X-SOGS-PubKey", "x-sogs-timestamp", ...) to show
//   the names are case-insensitive inside the onion request;
// - reactions with the emoji percent-encoded in the path (a URL-built path); the signature covers
//   the decoded path (docs/protocol/crypto.md §3).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildV4Plaintext, httpRequest, onionRequest, openV4Reply, padMessage, randomContent, type OnionResponse, type SogsClient } from '../client';
import { buildOnionRequestBody, onionDecrypt } from '../src/crypto/onion';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
let user: SogsClient;

before(async () => {
  t = await startTestServer({ rateLimitPosts: 0 });
  user = t.client();
});
after(() => t.close());

/** JSONEncoder with .sortedKeys: keys sorted at every level, '/' written as "\/". */
function appleJson(v: unknown): Buffer {
  const sorted = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sorted)
      : typeof x === 'object' && x !== null ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sorted((x as Record<string, unknown>)[k])]))
        : x;
  return Buffer.from(JSON.stringify(sorted(v)).replace(/\//g, '\\/'), 'utf8');
}

/** The four auth headers under mixed-case names. */
function mixedCaseAuth(c: SogsClient, method: string, target: string, body?: Buffer): Record<string, string> {
  const h = c.authHeaders(method, target, body);
  return {
    'X-SOGS-PubKey': h['X-SOGS-Pubkey']!,
    'x-sogs-timestamp': h['X-SOGS-Timestamp']!,
    'X-Sogs-Nonce': h['X-SOGS-Nonce']!,
    'X-SOGS-SIGNATURE': h['X-SOGS-Signature']!,
  };
}

/** One call as iOS sends it: JSONEncoder body, XChaCha20, libsession-util's routing JSON. */
async function ios(c: SogsClient, method: string, target: string, json?: unknown, version: 'v4' | 'v3' = 'v4'): Promise<OnionResponse> {
  const body = json === undefined ? undefined : appleJson(json);
  const headers = mixedCaseAuth(c, method, target, body);
  if (body) headers['Content-Type'] = 'application/json';
  return onionRequest(c, { method, target, headers, ...(body ? { body } : {}) }, { signed: false, encType: 'xchacha20', routing: 'libsession', version });
}

interface BatchItem {
  code: number;
  body: unknown;
}

describe('Session iOS shapes', () => {
  it('accepts libsession-util’s routing JSON (sorted keys, enc_type xchacha20) and answers in XChaCha20', async () => {
    const url = new URL(t.url);
    const plaintext = buildV4Plaintext('GET', '/capabilities', mixedCaseAuth(user, 'GET', '/capabilities'));
    const { body, key } = buildOnionRequestBody({
      serverPk: t.serverPubkey,
      plaintext,
      encType: 'xchacha20',
      outerFields: { host: url.hostname, target: '/oxen/v4/lsrpc', method: 'POST', protocol: 'http', port: t.port },
      includeEncType: true,
      sortKeys: true,
    });
    const outerJson = body.subarray(4 + body.readUInt32LE(0)).toString('utf8');
    assert.match(outerJson, new RegExp(`^\\{"enc_type":"xchacha20","ephemeral_key":"[0-9a-f]{64}","host":"127\\.0\\.0\\.1","method":"POST","port":${t.port},"protocol":"http","target":"/oxen/v4/lsrpc"\\}$`));
    const res = await httpRequest(`${t.url}/oxen/v4/lsrpc`, 'POST', {}, body);
    assert.equal(res.status, 200);
    const reply = openV4Reply(onionDecrypt('xchacha20', key, res.body)!);
    assert.equal(reply.status, 200);
    assert.ok(reply.json<{ capabilities: string[] }>().capabilities.includes('sogs'));
  });

  it('takes the same framing over v3 (JSON inner request)', async () => {
    const r = await ios(user, 'GET', '/room/main', undefined, 'v3');
    assert.equal(r.status, 200, r.text());
    assert.equal(r.json<{ token: string }>().token, 'main');
  });

  it('posts a message whose sorted-key JSON body escapes "/" as "\\/"; the data comes back byte for byte', async () => {
    let data = padMessage(randomContent());
    while (!data.toString('base64').includes('/')) data = padMessage(randomContent());
    const sig = user.identity!.signBlinded(t.serverPubkey, data);
    const json = { signature: sig.toString('base64'), data: data.toString('base64') };
    assert.ok(appleJson(json).includes('\\/'), 'the body really carries an escaped slash');
    const r = await ios(user, 'POST', '/room/main/message', json);
    assert.equal(r.status, 201, r.text());
    const id = r.json<{ id: number }>().id;
    const back = await ios(user, 'GET', `/room/main/message/${id}`);
    assert.equal(back.json<{ data: string }>().data, data.toString('base64'));
  });

  it('polls with a /batch whose paths are written "\\/room\\/…"', async () => {
    const r = await ios(user, 'POST', '/batch', [
      { method: 'GET', path: '/capabilities' },
      { method: 'GET', path: '/room/main/pollInfo/0' },
      { method: 'GET', path: '/room/main/messages/recent?t=r&reactors=5' },
    ]);
    assert.equal(r.status, 200, r.text());
    assert.deepEqual(r.json<BatchItem[]>().map((i) => i.code), [200, 200, 200]);
  });

  it('reacts with the emoji percent-encoded in the path; the reaction key is the decoded emoji', async () => {
    const id = (await user.postMessage('main', randomContent())).json<{ id: number }>().id;
    const encoded = encodeURIComponent('❤️');
    assert.equal(encoded, '%E2%9D%A4%EF%B8%8F');
    const r = await ios(user, 'PUT', `/room/main/reaction/${id}/${encoded}`, {});
    assert.equal(r.status, 200, r.text());
    assert.equal(r.json<{ added: boolean }>().added, true);
    const msg = (await ios(user, 'GET', `/room/main/message/${id}`)).json<{ reactions: Record<string, { count: number; you?: boolean }> }>();
    assert.deepEqual(Object.keys(msg.reactions), ['❤️']);
    assert.equal(msg.reactions['❤️']!.you, true);
    // The same reaction by its raw form is the same reaction (removed by the other spelling).
    assert.equal((await ios(user, 'DELETE', `/room/main/reaction/${id}/❤️`)).json<{ removed: boolean }>().removed, true);
  });
});
