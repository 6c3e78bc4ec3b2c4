// Message endpoints (docs/protocol/api.md §4.3) and the since/recent/before listings (§5.2, §5.3).
import { findRoom, roomOf, type RoomAccess } from '../../domain/rooms';
import { deleteMessage, editMessage, postMessage, readMessage, requirePermission, requireUser, viewerOf } from '../../domain/messages';
import { badRequest } from '../../domain/errors';
import { parseFileIds } from '../../domain/files';
import { ANY_SESSION_ID_RE } from '../../domain/users';
import type { Message, Viewer } from '../../store/types';
import { base64Field, intQuery, jsonObject } from '../parse';
import { json, jsonText } from '../respond';
import { listingCacheOf, listingKey, PER_VIEWER } from '../listing-cache';
import type { Ctx, Router } from '../router';
import { messageJson, messageJsonText, reactionUpdateJsonText } from '../views';

const SIGNATURE_BYTES = 64;

/** Opens the room for reading: 404 if unknown, 403 without read (also when banned, docs/protocol/api.md §6.7); records activity. */
async function openForReading(c: Ctx): Promise<RoomAccess> {
  await c.rc.readRooms(c.s);
  const access = roomOf(c.rc, c.params['token']!);
  requirePermission(access.perms, 'read');
  c.rc.touchRoom(c.s, access.room.id);
  return access;
}

/** Authorises before the body is looked at, so that a stranger learns nothing from 400s. */
async function openForWriting(c: Ctx): Promise<RoomAccess> {
  const access = await findRoom(c.s, c.rc, c.params['token']!);
  requireUser(c.user);
  requirePermission(access.perms, 'write');
  return access;
}

function reactorsParam(c: Ctx): number {
  return intQuery(c.query, 'reactors', 4, 0, 20);
}

async function render(c: Ctx, messages: Message[], reactors: number, since?: SinceOptions, viewerUserId = c.user?.id ?? null) {
  const live = messages.filter(hasReactions).map((m) => m.id);
  const reactions = await c.s.store.reactions(live, viewerUserId, reactors);
  return messages.map((m) => {
    const rs = reactions.get(m.id);
    if (since?.withReactions && since.seqno !== 0 && m.seqnoReactions > since.seqno && since.seqno >= m.seqnoData) {
      return reactionUpdateJsonText(m, rs, reactors);
    }
    return messageJsonText(m, rs, reactors);
  });
}

/** A listing's JSON text from its messages' (see render). */
function listText(parts: string[]): string {
  return `[${parts.join(',')}]`;
}

interface SinceOptions {
  seqno: number;
  withReactions: boolean;
}

/**
 * A listing from the shared rendering of `key` when the viewer may be served it (see
 * listing-cache.ts), else from the viewer's own query. `query('everyone')` returns every row the
 * listing could hold, whispers included.
 */
async function listing(c: Ctx, key: string, viewer: Viewer, query: (viewer: Viewer | 'everyone') => Promise<Message[]>, reactors: number, since?: SinceOptions) {
  const cache = listingCacheOf(c.s.store);
  let entry = cache.get(key);
  let all: Message[] | null = null;
  if (entry === undefined) {
    all = await query('everyone');
    entry = all.some(isWhisper)
      ? PER_VIEWER
      : { text: listText(await render(c, all, reactors, since, null)), reactors: new Set(await c.s.store.reactedBy(all.filter(hasReactions).map((m) => m.id))) };
    cache.set(key, entry);
  }
  if (entry !== PER_VIEWER) {
    if (c.user === null || !entry.reactors.has(c.user.id)) {
      return jsonText(entry.text, 200, () => cache.bodyOf(key, entry));
    }
    // Without whispers every viewer sees these very rows: only the reactions' `you` are theirs.
    if (all) return jsonText(listText(await render(c, all, reactors, since)));
  }
  return jsonText(listText(await render(c, await query(viewer), reactors, since)));
}

async function recent(c: Ctx) {
  const { room, perms } = await openForReading(c);
  const limit = intQuery(c.query, 'limit', 100, 1, 256);
  const reactors = reactorsParam(c);
  const before = c.params['id'] === undefined ? undefined : Number(c.params['id']);
  const key = listingKey(room.id, room.messageSequence, `recent/${before ?? ''}/${limit}/${reactors}`);
  return listing(c, key, viewerOf(c.user, perms), (v) => c.s.store.recentMessages(room.id, v, limit, before), reactors);
}

async function since(c: Ctx) {
  const { room, perms } = await openForReading(c);
  const limit = intQuery(c.query, 'limit', 100, 1, 256);
  const reactors = reactorsParam(c);
  const seqno = Number(c.params['seqno']);
  const withReactions = (c.query.get('t') ?? '').includes('r');
  // The poll hot path: message_sequence is the highest seqno ever assigned in the room, so a
  // client that has seen it has nothing to fetch and the query can be skipped.
  if (seqno >= room.messageSequence) return jsonText('[]');
  const key = listingKey(room.id, room.messageSequence, `since/${seqno}/${limit}/${reactors}/${withReactions ? 'r' : ''}`);
  return listing(c, key, viewerOf(c.user, perms), (v) => c.s.store.messagesSince(room.id, v, seqno, limit, withReactions), reactors, { seqno, withReactions });
}

/** Seen only by some viewers, so a listing holding one is not shared. */
function isWhisper(m: Message): boolean {
  return m.whisperTo !== null || m.whisperMods;
}

/**
 * A live message that has (or had) reactions: seqno_reactions is 0 until the first one. Those
 * need the reactions query, and their per-viewer `you` keeps a listing from being shared.
 */
function hasReactions(m: Message): boolean {
  return m.data !== null && m.seqnoReactions > 0;
}

async function getOne(c: Ctx) {
  const { room, perms } = await openForReading(c);
  const reactors = reactorsParam(c);
  const m = await readMessage(c.s, room, viewerOf(c.user, perms), Number(c.params['id']));
  return jsonText((await render(c, [m], reactors))[0]!);
}

async function post(c: Ctx) {
  const { room, perms } = await openForWriting(c);
  const body = jsonObject(c.req);
  const data = base64Field(body, 'data');
  const signature = base64Field(body, 'signature', SIGNATURE_BYTES);
  const whisperTo = body['whisper_to'];
  if (whisperTo !== undefined && whisperTo !== null && (typeof whisperTo !== 'string' || !ANY_SESSION_ID_RE.test(whisperTo))) {
    throw badRequest("'whisper_to' must be a session id");
  }
  const m = await postMessage(c.s, c.rc, room, c.user, perms, {
    data,
    signature,
    whisperTo: typeof whisperTo === 'string' ? whisperTo.toLowerCase() : null,
    whisperMods: Boolean(body['whisper_mods']),
    files: parseFileIds(body['files']),
  });
  const out = messageJson(m, [], 0);
  out['reactions'] = {};
  if (m.filtered) out['filtered'] = true;
  return json(out, 201);
}

async function edit(c: Ctx) {
  const { room, perms } = await openForWriting(c);
  const body = jsonObject(c.req);
  const data = base64Field(body, 'data');
  const signature = base64Field(body, 'signature', SIGNATURE_BYTES);
  await editMessage(c.s, room, c.user, perms, Number(c.params['id']), data, signature, parseFileIds(body['files']));
  return json({});
}

async function remove(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  await deleteMessage(c.s, room, c.user, perms, Number(c.params['id']));
  return json({});
}

export function messageRoutes(r: Router): void {
  r.get('/room/:token/messages/recent', recent);
  r.get('/room/:token/messages/before/:id(int)', recent);
  r.get('/room/:token/messages/since/:seqno(int)', since);
  r.get('/room/:token/message/:id(int)', getOne);
  r.put('/room/:token/message/:id(int)', edit, { body: 'message', credentials: 'sogs' });
  r.delete('/room/:token/message/:id(int)', remove);
  r.post('/room/:token/message', post, { body: 'message', credentials: 'sogs' });
}
