// The requests of each benchmark scenario, prepared (signed, encrypted) before the timed run.
import crypto from 'node:crypto';
import { Identity, SogsClient } from '../client';
import { buildV4Plaintext, openV4Reply } from '../client/onion';
import { buildOnionRequestBody, onionDecrypt } from '../src/crypto/onion';
import type { Prepared } from './load';
import type { BenchData } from './setup';

export function makeClients(data: BenchData, url: string, n: number): SogsClient[] {
  return Array.from({ length: n }, () => new SogsClient({ baseUrl: url, serverPubkey: data.serverPubkey, identity: Identity.random() }));
}

/**
 * The signed timestamp of the i-th prepared request. A client signs with its clock as it sends,
 * so a server serving R polls a second sees about R nonces under each timestamp, in rising
 * order. Requests signed all at once ahead of the run would put every nonce under one or two
 * timestamps instead, which no server sees. Timestamps here advance by one second per
 * SIGNED_PER_SECOND requests (the server accepts timestamps up to a day ahead).
 */
export const SIGNED_PER_SECOND = 1000;

export function signedAt(start: number, i: number): number {
  return start + Math.floor(i / SIGNED_PER_SECOND);
}

/** The busiest request in the field: an authenticated since-poll, mostly caught up, sometimes a few messages behind. */
export function sincePoll(client: SogsClient, room: { token: string; seqno: number }, timestamp: number): Prepared {
  const behind = Math.random() < 0.1 ? 5 : 0;
  const path = `/room/${room.token}/messages/since/${Math.max(0, room.seqno - behind)}?t=r&reactors=5`;
  return { method: 'GET', path, headers: client.authHeaders('GET', path, undefined, { timestamp }), check: (status) => status === 200 };
}

/**
 * The history room: the data side by side with the reference was measured on (1,000 posts of
 * ~280 bytes, so a 100-post page is ~70 KB of JSON, with 50 reactions among its posts).
 */
export const HISTORY_ROOM = { token: 'history', messages: 1000, bytes: 279, reactions: 50 };

/** A signed GET of a room's 100 most recent posts: every first join, every room opened after a while. */
export function historyRequest(client: SogsClient, room: string, timestamp: number): Prepared {
  const path = `/room/${room}/messages/recent`;
  return { method: 'GET', path, headers: client.authHeaders('GET', path, undefined, { timestamp }), check: (status, body) => status === 200 && body.length > 1000 };
}

/** The sub-requests of the desktop client's 10-second poll, as one /batch. */
export function desktopBatch(rooms: { token: string; seqno: number }[]): unknown[] {
  const subs: unknown[] = [{ method: 'GET', path: '/capabilities' }];
  for (const r of rooms) {
    subs.push({ method: 'GET', path: `/room/${r.token}/pollInfo/0` });
    subs.push({ method: 'GET', path: `/room/${r.token}/messages/since/${r.seqno}?t=r&reactors=5` });
  }
  subs.push({ method: 'GET', path: '/inbox/since/0' }, { method: 'GET', path: '/outbox/since/0' });
  return subs;
}

/** One onion v4 (AES-GCM, no enc_type, as the desktop sends) request wrapping that batch. */
export function desktopPoll(client: SogsClient, rooms: { token: string; seqno: number }[], fullCheck: boolean, timestamp: number): Prepared {
  const body = Buffer.from(JSON.stringify(desktopBatch(rooms)), 'utf8');
  const headers = { 'Content-Type': 'application/json', ...client.authHeaders('POST', '/batch', body, { timestamp }) };
  const plaintext = buildV4Plaintext('POST', '/batch', headers, body);
  const url = new URL(client.baseUrl);
  const { body: outer, key } = buildOnionRequestBody({
    serverPk: client.serverPubkey,
    plaintext,
    outerFields: { host: url.hostname, target: '/oxen/v4/lsrpc', method: 'POST', protocol: 'http', port: Number(url.port) },
  });
  return {
    method: 'POST',
    path: '/oxen/v4/lsrpc',
    headers: {},
    body: outer,
    check: (status, reply) => {
      if (status !== 200) return false;
      // Decrypting and parsing every reply would make the load generator the bottleneck on a
      // 2-core machine; a sample of replies is checked in full.
      if (!fullCheck) return reply.length > 28;
      const plain = onionDecrypt('aes-gcm', key, reply);
      if (!plain) return false;
      const inner = openV4Reply(plain);
      if (inner.status !== 200) return false;
      const results = inner.json<{ code: number }[]>();
      // Rooms and capabilities must succeed; inbox/outbox are 304 when empty (or 404 without DMs).
      return results.slice(0, 1 + 2 * rooms.length).every((r) => r.code === 200);
    },
  };
}

/** The rooms' sequence numbers now, as a client that just polled knows them. */
export async function currentRooms(c: SogsClient, rooms: BenchData['rooms']): Promise<BenchData['rooms']> {
  return Promise.all(
    rooms.map(async (r) => ({ ...r, seqno: (await c.get(`/room/${r.token}`)).json<{ message_sequence: number }>().message_sequence })),
  );
}

export function randomContent(): Buffer {
  return crypto.randomBytes(80);
}
