// A legacy (v1) client for tests: calls over the three transports and the token sign-in.
// (the legacy API tests' own stricter copy is in test/helpers/legacy-server.ts.)
import assert from 'node:assert/strict';
import { httpRequest, onionRequest, type Identity } from '../../client';
import { decodeBase64Strict } from '../../src/crypto/base64';
import { decryptLegacyChallenge, legacyChallengeKey } from '../../src/crypto/legacy-token';
import { resolveTargetUser, setModerator } from '../../src/domain/users';
import type { TestServer } from './server';

export type Transport = 'onion' | 'direct' | 'plain';
export const TRANSPORTS: Transport[] = ['onion', 'direct', 'plain'];

export interface LegacyReply {
  /** The status the client learns: status_code of the body (onion) or the HTTP status. */
  status: number;
  body: Record<string, unknown> | null;
}

export async function legacyCall(
  t: TestServer, tr: Transport, method: string, endpoint: string, headers: Record<string, string> = {}, body?: unknown,
): Promise<LegacyReply> {
  if (tr === 'onion') {
    const r = await onionRequest(t.client(null), { method, target: endpoint, headers, ...(body === undefined ? {} : { json: body }) }, { version: 'v3', signed: false });
    const parsed = r.body.length > 0 ? (r.json() as Record<string, unknown>) : null;
    return { status: (parsed?.['status_code'] as number | undefined) ?? r.status, body: parsed };
  }
  const path = tr === 'direct' ? `/legacy/${endpoint}` : `/${endpoint}`;
  const h: Record<string, string> = { ...headers };
  const buf = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
  if (buf) h['content-type'] = 'application/json';
  const r = await httpRequest(t.url + path, method, h, buf);
  const parsed = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  assert.equal(parsed['status_code'], r.status, `${method} ${path}: body status vs HTTP status`);
  return { status: r.status, body: parsed };
}

/** challenge → decrypt with the account's X25519 key → claim (docs/protocol/legacy.md §4). Returns the hex token. */
export async function legacyLogin(t: TestServer, tr: Transport, who: Identity, room: string): Promise<string> {
  const ch = await legacyCall(t, tr, 'GET', `auth_token_challenge?public_key=${who.sessionId}`, { Room: room });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const challenge = ch.body!['challenge'] as { ephemeral_public_key: string; ciphertext: string };
  const key = legacyChallengeKey(who.account.xSk, decodeBase64Strict(challenge.ephemeral_public_key)!);
  const token = decryptLegacyChallenge(key, decodeBase64Strict(challenge.ciphertext)!);
  assert.ok(token, 'challenge decrypts with the user key');
  const hex = token.toString('hex');
  assert.equal((await legacyCall(t, tr, 'POST', 'claim_auth_token', { Room: room, Authorization: hex }, { public_key: who.sessionId })).status, 200);
  return hex;
}

/** The Room and Authorization headers of a legacy call. */
export const H = (room: string, token: string) => ({ Room: room, Authorization: token });

/** Makes the session id a (visible) moderator or admin of the room. */
export async function grantIn(t: TestServer, sessionId: string, room: string, admin: boolean): Promise<void> {
  const r = (await t.s.store.getRoom(room))!;
  await setModerator(t.s, await resolveTargetUser(t.s, sessionId), [r], { moderator: true, admin, visible: true });
}
