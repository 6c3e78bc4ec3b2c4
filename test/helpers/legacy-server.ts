// The server the legacy (v1) API tests run against, and their client: calls over the three
// transports, the token sign-in, signed legacy posts, new rooms and moderators.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Identity, httpRequest, onionRequest, padMessage, randomContent } from '../../client';
import { decodeBase64Strict } from '../../src/crypto/base64';
import { decryptLegacyChallenge, legacyChallengeKey } from '../../src/crypto/legacy-token';
import { createRoom } from '../../src/domain/rooms';
import { startTestServer, type TestServer } from './server';
import { grantIn, type Transport } from './legacy';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type J = any;
export interface Reply {
  /** The status the client learns: status_code of the body (onion) or the HTTP status. */
  status: number;
  body: J;
}

export let t: TestServer;

/** Starts the server the legacy tests share (one per test file) before the file's tests. */
export function useLegacyServer(): void {
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 1000 });
  });
  after(() => t.close());
}

export async function call(tr: Transport, method: string, endpoint: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
  if (tr === 'onion') {
    const r = await onionRequest(t.client(null), { method, target: endpoint, headers, ...(body === undefined ? {} : { json: body }) }, { version: 'v3', signed: false });
    const parsed = r.body.length > 0 ? (r.json() as J) : null;
    return { status: parsed?.status_code ?? r.status, body: parsed };
  }
  const path = tr === 'direct' ? `/legacy/${endpoint}` : endpoint.split('?')[0] === 'rooms' ? `/legacy/${endpoint}` : `/${endpoint}`;
  const h: Record<string, string> = { ...headers };
  const buf = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  if (buf) h['content-type'] = 'application/json';
  const r = await httpRequest(t.url + path, method, h, buf);
  const parsed = JSON.parse(r.body.toString('utf8')) as J;
  // Every legacy body carries the status (docs/protocol/legacy.md §11.3).
  assert.equal(parsed.status_code, r.status, `${method} ${path}: body status ${parsed.status_code} vs HTTP ${r.status}`);
  return { status: r.status, body: parsed };
}

/** challenge → decrypt with the account's X25519 key → claim (docs/protocol/legacy.md §4). Returns the hex token. */
export async function login(tr: Transport, who: Identity, room: string): Promise<string> {
  const ch = await call(tr, 'GET', `auth_token_challenge?public_key=${who.sessionId}`, { Room: room });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const eph = decodeBase64Strict(ch.body.challenge.ephemeral_public_key)!;
  assert.equal(eph.length, 32);
  const key = legacyChallengeKey(who.account.xSk, eph);
  const token = decryptLegacyChallenge(key, decodeBase64Strict(ch.body.challenge.ciphertext)!);
  assert.ok(token, 'challenge decrypts with the user key');
  const hex = token.toString('hex');
  const claim = await call(tr, 'POST', 'claim_auth_token', { Room: room, Authorization: hex }, { public_key: who.sessionId });
  assert.equal(claim.status, 200);
  assert.deepEqual(claim.body, { status_code: 200 });
  return hex;
}

export function legacyPost(who: Identity, content = randomContent()): { data: string; signature: string; public_key: string; timestamp: number } {
  const data = padMessage(content);
  return { data: data.toString('base64'), signature: who.signUnblinded(data).toString('base64'), public_key: who.sessionId, timestamp: Date.now() };
}

export async function newRoom(token: string): Promise<void> {
  await createRoom(t.s, token, `Room ${token}`);
}

export async function grant(sessionId: string, room: string, admin: boolean): Promise<void> {
  await grantIn(t, sessionId, room, admin);
}
