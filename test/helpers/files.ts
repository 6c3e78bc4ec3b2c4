// What the file tests share: a fixed start time for their manual clocks, the files table's rows and
// paths, making a room admin, and posting or editing a message with `files`.
import assert from 'node:assert/strict';
import { padMessage, randomContent, type SogsClient } from '../../client';
import { resolveTargetUser, setModerator } from '../../src/domain/users';
import type { TestServer } from './server';
import { sqlAll, sqlGet } from './store-sql';

export const T0 = 1_700_000_000;
export const HOUR = 3600;
export const DAY = 86400;

export interface FileRow {
  id: number;
  room: number | null;
  uploader: number;
  message: number | null;
  expiry: number | null;
  uploaded: number;
  filename: string | null;
  path: string;
}

export async function fileRow(t: TestServer, id: number): Promise<FileRow | undefined> {
  return sqlGet<FileRow>(t.s.store, 'SELECT * FROM files WHERE id = ?', id);
}
export async function dbPaths(t: TestServer): Promise<string[]> {
  return (await sqlAll<{ path: string }>(t.s.store, 'SELECT path FROM files')).map((r) => r.path).sort();
}

export async function makeAdmin(t: TestServer, c: SogsClient, token: string): Promise<void> {
  const u = await resolveTargetUser(t.s, c.sessionId);
  await setModerator(t.s, u, [(await t.s.store.getRoom(token))!], { moderator: true, admin: true, visible: true });
}

export async function postWith(c: SogsClient, room: string, files: unknown): Promise<{ id: number; seqno: number }> {
  const r = await c.postMessage(room, randomContent(), { files });
  assert.equal(r.status, 201, r.text());
  return r.json<{ id: number; seqno: number }>();
}

export async function editWith(t: TestServer, c: SogsClient, room: string, id: number, files: unknown): Promise<number> {
  const data = padMessage(randomContent());
  const sig = c.identity!.signBlinded(t.serverPubkey, data);
  return (await c.put(`/room/${room}/message/${id}`, { data: data.toString('base64'), signature: sig.toString('base64'), files })).status;
}
