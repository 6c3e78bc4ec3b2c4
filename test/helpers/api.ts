// The API calls tests make over and over, each asserting that it succeeded: posting a message,
// polling a room since a seqno, a room's message sequence, and any call expected to answer 200.
import assert from 'node:assert/strict';
import { randomContent, type SogsClient } from '../../client';

/** A message as the API returns it. */
export type Msg = Record<string, unknown> & { id: number; seqno: number; data?: string | null };

export interface PostOptions {
  /** Default `main`. */
  room?: string;
  /** Default random content. */
  content?: Buffer;
  /** More fields of the request body (`whisper_to`, `files`, …). */
  extra?: Record<string, unknown>;
}

/** Posts a message (201 expected) and returns it. */
export async function post(c: SogsClient, opts: PostOptions = {}): Promise<Msg> {
  const r = await c.postMessage(opts.room ?? 'main', opts.content ?? randomContent(), opts.extra ?? {});
  assert.equal(r.status, 201, r.text());
  return r.json<Msg>();
}

/** GET /room/ROOM/messages/since/SEQNO with the query (200 expected). */
export async function since(c: SogsClient, seqno: number, query = '', room = 'main'): Promise<Msg[]> {
  const r = await c.get(`/room/${room}/messages/since/${seqno}${query}`);
  assert.equal(r.status, 200, r.text());
  return r.json<Msg[]>();
}

/** The room's message_sequence as `c` sees it. */
export async function seq(c: SogsClient, room = 'main'): Promise<number> {
  return (await c.get(`/room/${room}`)).json<{ message_sequence: number }>().message_sequence;
}

/** Awaits a call expected to answer 200 and returns its JSON body. */
export async function ok<T>(p: Promise<{ status: number; text(): string; json<U>(): U }>): Promise<T> {
  const r = await p;
  assert.equal(r.status, 200, r.text());
  return r.json<T>();
}
