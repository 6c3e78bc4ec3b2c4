// The legacy (v1) open group API (docs/protocol/legacy.md §3), served from the modern store. One set of handlers,
// registered under /legacy/... (where v3 onion requests without a leading '/' land) and, by
// legacyAliasRoutes, at the user document's plain paths where they do not collide with the modern
// API. Every reply carries `status_code` in its JSON body; errors are exactly {"status_code": N}
// with the same HTTP status (a v3 onion reply carries only that body anyway).
import { encodeBase64 } from '../../crypto/base64';
import { DomainError, badRequest, forbidden, notFound } from '../../domain/errors';
import {
  LEGACY_MEMBER_WINDOW,
  LEGACY_SESSION_ID_RE,
  legacyBan,
  legacyBanList,
  legacyBannedIn,
  legacyCursor,
  legacyDeleteMessages,
  legacyModerators,
  legacySetRoomImage,
  legacyStoreFile,
  legacyUnban,
  type LegacyPrincipal,
} from '../../domain/legacy';
import { downloadFile } from '../../domain/files';
import { challengeFor, claimToken, noToken } from '../../domain/legacy-tokens';
import { postMessage, requirePermission, viewerOf } from '../../domain/messages';
import { accessRoom, visibleRooms } from '../../domain/rooms';
import { checkUploadAge } from '../../domain/upload-limits';
import type { Message, Room } from '../../store/types';
import { json, statusOf } from '../respond';
import type { RouteLimits } from '../body-limits';
import type { Ctx, Handler, Router } from '../router';
import { auth, authIn, b64, body, headerRoom, knownRoom, legacy, publicKeyField, status, stringField, type Obj } from './inputs';
import { addModerator, removeModerator } from './moderators';

/** Item cap of every legacy list (docs/protocol/legacy.md §3.11). */
export const LEGACY_LIMIT = 256;

const U64_MAX = (1n << 64n) - 1n;

/** `limit`: absent 256, junk 400, clamped to 1..256; `from_server_id`: see cursor(). */
function listParams(c: Ctx): { from: number | null; limit: number } {
  const q = c.query;
  const raw = q.get('limit');
  let limit = LEGACY_LIMIT;
  if (raw !== null && raw !== '') {
    if (!/^-?\d{1,15}$/.test(raw)) throw badRequest("'limit' must be an integer");
    limit = Math.min(LEGACY_LIMIT, Math.max(1, Number(raw)));
  }
  return { from: cursor(q.get('from_server_id')), limit };
}

/**
 * A message or deletion cursor: absent (or JSON null) = newest-first mode; present = ascending
 * after it, 0 (and an empty value) included. That is the legacy server's rule (docs/protocol/legacy.md §3.11),
 * and what the reference answered for `messages?from_server_id=0` in the recorded fixture; the
 * reference's "0 = recent" prose would hand a client starting at 0 only the newest page.
 */
function cursor(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v === '') return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('cursor must be a non-negative integer');
  return n;
}

// --- auth ----------------------------------------------------------------------------------------

// --- views ---------------------------------------------------------------------------------------

function messageJson(m: Message): Obj {
  return {
    server_id: m.id,
    public_key: m.sessionId,
    timestamp: Math.floor(m.posted * 1000),
    data: encodeBase64(m.data ?? Buffer.alloc(0)),
    signature: encodeBase64(m.signature ?? Buffer.alloc(0)),
  };
}

async function messagesFor(c: Ctx, room: Room, p: LegacyPrincipal, from: number | null, limit: number): Promise<Obj[]> {
  const viewer = viewerOf(p.user, p.perms);
  const list = from === null
    ? await c.s.store.recentMessages(room.id, viewer, limit)
    : await c.s.store.legacyMessagesAfter(room.id, viewer, await legacyCursor(c.s, room, from), limit);
  return list.map(messageJson);
}

async function deletionsFor(c: Ctx, room: Room, from: number | null, limit: number): Promise<Obj[]> {
  return (await c.s.store.legacyDeletions(room.id, from, limit)).map((d) => ({ id: d.id, deleted_message_id: d.deletedMessageId }));
}

// --- handlers ------------------------------------------------------------------------------------

async function getRooms(c: Ctx) {
  const rooms = await visibleRooms(c.s, c.rc, true);
  return json({ status_code: 200, rooms: rooms.map(({ room }) => ({ id: room.token, name: room.name })) });
}

async function getRoom(c: Ctx) {
  const { room } = await accessRoom(c.s, c.rc, c.params['room']!, true);
  return json({ status_code: 200, room: { id: room.token, name: room.name } });
}

async function getRoomImage(c: Ctx) {
  const { room, perms } = await accessRoom(c.s, c.rc, c.params['room']!, true);
  if (room.image === null) throw notFound('room has no image');
  // The image never expires; downloadFile checks it still belongs to the room.
  const d = await downloadFile(c.s, room, { ...perms, read: true, banned: false }, room.image);
  return json({ status_code: 200, result: encodeBase64(d.bytes) });
}

async function postRoomImage(c: Ctx) {
  const room = await headerRoom(c);
  if (c.params['room'] !== room.token) throw badRequest('the path room must be the Room header room');
  // Order of docs/protocol/legacy.md §3.4: body shape 400, token 401/403, then the base64 400.
  const o = stringField(body(c), 'file');
  const p = await auth(c, room);
  const id = await legacySetRoomImage(c.s, room, p, b64(o, 'file'));
  return json({ status_code: 200, room_id: room.token, result: id });
}

async function postFile(c: Ctx) {
  const room = await headerRoom(c);
  const o = stringField(body(c), 'file');
  const p = await auth(c, room);
  requirePermission(p.perms, 'upload');
  await checkUploadAge(c.s, c.rc, room, p.user, p.perms);
  const id = await legacyStoreFile(c.s, room, p.user, b64(o, 'file'));
  return json({ status_code: 200, result: id });
}

async function getFile(c: Ctx) {
  const room = await headerRoom(c);
  const p = await auth(c, room);
  const raw = c.params['id']!;
  // An unsigned 64-bit integer (docs/protocol/legacy.md §3.6): old ids reach 19 digits.
  if (!/^\d{1,20}$/.test(raw) || BigInt(raw) > U64_MAX) throw badRequest('file id must be an unsigned 64-bit integer');
  const d = await downloadFile(c.s, room, p.perms, BigInt(raw));
  return json({ status_code: 200, result: encodeBase64(d.bytes) });
}

async function getChallenge(c: Ctx) {
  const room = await headerRoom(c);
  const pk = c.query.get('public_key');
  if (pk === null || !LEGACY_SESSION_ID_RE.test(pk)) throw badRequest('public_key must be a 05 session id');
  const sessionId = pk.toLowerCase();
  // The reference refuses banned users a challenge (recorded in the legacy-volume fixture): their
  // token would earn nothing but 403s, and no pending token is stored for them.
  if (await legacyBannedIn(c.s, room, sessionId)) throw forbidden('banned from this room');
  return json(await challengeFor(c.s, room, sessionId));
}

async function claimTokenH(c: Ctx) {
  const room = await headerRoom(c);
  const token = c.req.headers['authorization'];
  if (token === undefined || token === '') throw noToken('Authorization header required');
  const o = body(c);
  const pk = publicKeyField(o['public_key']);
  if (!LEGACY_SESSION_ID_RE.test(pk)) throw badRequest('public_key must be a 05 session id');
  await claimToken(c.s, room, pk, token);
  return status(200);
}

/** Logs the user out of the room on every device: all of their tokens there (docs/protocol/legacy.md §3.9). */
async function deleteToken(c: Ctx) {
  const room = await headerRoom(c);
  const p = await auth(c, room);
  await c.s.store.legacyRevokeTokens(room.id, p.user.sessionId);
  return status(200);
}

async function postMessageH(c: Ctx) {
  const room = await headerRoom(c);
  const o = body(c);
  const data = b64(o, 'data');
  const signature = b64(o, 'signature');
  if (data.length === 0) throw badRequest("'data' must not be empty");
  if (signature.length !== 64) throw badRequest("'signature' must be 64 bytes");
  const p = await auth(c, room);
  const m = await postMessage(c.s, c.rc, room, p.user, p.perms, { data, signature, whisperTo: null, whisperMods: false });
  return json({ status_code: 200, message: messageJson(m) });
}

async function getMessages(c: Ctx) {
  const room = await headerRoom(c);
  const { from, limit } = listParams(c);
  const p = await auth(c, room);
  return json({ status_code: 200, messages: await messagesFor(c, room, p, from, limit) });
}

async function getDeletedMessages(c: Ctx) {
  const room = await headerRoom(c);
  const { from, limit } = listParams(c);
  await auth(c, room);
  return json({ status_code: 200, ids: await deletionsFor(c, room, from, limit) });
}

async function deleteMessagesH(c: Ctx) {
  const room = await headerRoom(c);
  const o = body(c);
  const ids = o['ids'];
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'number' && Number.isSafeInteger(x))) {
    throw badRequest("'ids' must be an array of integers");
  }
  const p = await auth(c, room);
  await legacyDeleteMessages(c.s, room, p, ids as number[]);
  return status(200);
}

async function deleteMessage(c: Ctx) {
  const room = await headerRoom(c);
  const raw = c.params['id']!;
  if (!/^-?\d{1,15}$/.test(raw)) throw badRequest('message id must be an integer');
  const p = await auth(c, room);
  await legacyDeleteMessages(c.s, room, p, [Number(raw)]);
  return status(200);
}

async function getModerators(c: Ctx) {
  const room = await headerRoom(c);
  const p = await auth(c, room);
  return json({ status_code: 200, moderators: await legacyModerators(c.s, room, p) });
}

function banHandler(deleteAll: boolean): Handler {
  return async (c) => {
    const room = await headerRoom(c);
    const o = body(c);
    const target = publicKeyField(o['public_key']);
    const p = await auth(c, room);
    await legacyBan(c.s, room, p, target, deleteAll);
    return status(200);
  };
}

async function unban(c: Ctx) {
  const room = await headerRoom(c);
  const target = publicKeyField(c.params['pk']);
  const p = await auth(c, room);
  await legacyUnban(c.s, room, p, target);
  return status(200);
}

async function getBlockList(c: Ctx) {
  const room = await headerRoom(c);
  const p = await auth(c, room, true);
  return json({ status_code: 200, banned_members: await legacyBanList(c.s, room, p) });
}

async function memberCount(c: Ctx) {
  const room = await headerRoom(c);
  await auth(c, room);
  await c.s.activity.flush();
  const n = await c.s.store.legacyActiveUsers(room.id, c.s.clock.now() - LEGACY_MEMBER_WINDOW);
  return json({ status_code: 200, member_count: n });
}

/** One compact_poll entry; errors become that entry's status with empty lists (docs/protocol/legacy.md §3.23). */
async function pollEntry(c: Ctx, e: Obj): Promise<Obj> {
  const roomId = e['room_id'] as string;
  const empty = (code: number): Obj => ({ room_id: roomId, status_code: code, deletions: [], messages: [], moderators: [] });
  try {
    const room = await knownRoom(c, roomId);
    const fromMsg = cursor(e['from_message_server_id']);
    const fromDel = cursor(e['from_deletion_server_id']);
    const p = await authIn(c, room, e['auth_token'] as string);
    return {
      room_id: roomId,
      status_code: 200,
      deletions: await deletionsFor(c, room, fromDel, LEGACY_LIMIT),
      messages: await messagesFor(c, room, p, fromMsg, LEGACY_LIMIT),
      moderators: await legacyModerators(c.s, room, p),
    };
  } catch (err) {
    if (err instanceof DomainError) return empty(statusOf(err.kind));
    throw err;
  }
}

async function compactPoll(c: Ctx) {
  const o = body(c);
  const reqs = o['requests'];
  if (!Array.isArray(reqs)) throw badRequest("'requests' must be an array");
  for (const e of reqs) {
    if (typeof e !== 'object' || e === null || typeof (e as Obj)['room_id'] !== 'string' || typeof (e as Obj)['auth_token'] !== 'string') {
      throw badRequest('each request needs room_id and auth_token strings');
    }
  }
  const results: Obj[] = [];
  for (const e of reqs as Obj[]) results.push(await pollEntry(c, e));
  return json({ status_code: 200, results });
}

// --- registration --------------------------------------------------------------------------------

type Method = 'GET' | 'POST' | 'DELETE';

/** [method, path relative to the API root, handler, collides with the modern API at the plain path]. */
const ROUTES: [Method, string, Handler, boolean][] = [
  ['GET', 'rooms', getRooms, true],
  ['GET', 'rooms/:room', getRoom, false],
  ['GET', 'rooms/:room/image', getRoomImage, false],
  ['POST', 'rooms/:room/image', postRoomImage, false],
  ['POST', 'files', postFile, false],
  ['GET', 'files/:id', getFile, false],
  ['GET', 'auth_token_challenge', getChallenge, false],
  ['POST', 'claim_auth_token', claimTokenH, false],
  ['DELETE', 'auth_token', deleteToken, false],
  ['POST', 'compact_poll', compactPoll, false],
  ['POST', 'messages', postMessageH, false],
  ['GET', 'messages', getMessages, false],
  ['POST', 'delete_messages', deleteMessagesH, false],
  ['DELETE', 'messages/:id', deleteMessage, false],
  ['GET', 'deleted_messages', getDeletedMessages, false],
  ['GET', 'moderators', getModerators, false],
  ['POST', 'moderators', addModerator, false],
  ['DELETE', 'moderators/:pk', removeModerator, false],
  ['POST', 'block_list', banHandler(false), false],
  ['POST', 'ban_and_delete_all', banHandler(true), false],
  ['DELETE', 'block_list/:pk', unban, false],
  ['GET', 'block_list', getBlockList, false],
  ['GET', 'member_count', memberCount, false],
];

/** Body limits of the endpoints that take more than plain JSON (legacy uploads carry base64). */
const LIMITS: Record<string, RouteLimits> = {
  'POST rooms/:room/image': { body: 'file-base64', credentials: 'legacy-token' },
  'POST files': { body: 'file-base64', credentials: 'legacy-token' },
  'POST messages': { body: 'message', credentials: 'legacy-token' },
};
const limitsOf = (method: Method, path: string): RouteLimits | undefined => LIMITS[`${method} ${path}`];

/** First path segments of the plain-path aliases (not room pages). */
export const LEGACY_PLAIN_SEGMENTS: readonly string[] = [...new Set(ROUTES.filter((r) => !r[3]).map((r) => r[1].split('/')[0]!))];

const KNOWN_PATHS = ROUTES.map((r) => new RegExp(`^${r[1].replace(/:\w+/g, '[^/]+')}$`));

/**
 * Any other endpoint (404) or another method of an endpoint (405): the statuses v3 onion requests
 * always got (the reference's), now also as JSON on the direct and plain paths, like every legacy
 * reply, instead of the router's plain text.
 */
const unknownEndpoint: Handler = async (c) => {
  const endpoint = c.req.path.replace(/^\/(legacy\/)?/, '');
  return status(KNOWN_PATHS.some((re) => re.test(endpoint)) ? 405 : 404);
};
const ANY_METHOD = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
/** The catch-alls answer without looking at a body: the listener never reads one. */
const NO_BODY: RouteLimits = { body: 'none' };

/** Every legacy endpoint under /legacy/... (v3 onion requests without a leading '/' land here). */
export function legacyRoutes(r: Router): void {
  for (const [method, path, h] of ROUTES) r.add(method, `/legacy/${path}`, legacy(h), limitsOf(method, path));
  for (const m of ANY_METHOD) r.add(m, '/legacy/:rest(*)', unknownEndpoint, NO_BODY);
}

/**
 * The user document's plain paths (/compact_poll, /rooms/:id, ...), except where the modern API
 * owns the path (GET /rooms: use /legacy/rooms). Register after the modern routes, before the web pages.
 */
export function legacyAliasRoutes(r: Router): void {
  for (const [method, path, h, collides] of ROUTES) if (!collides) r.add(method, `/${path}`, legacy(h), limitsOf(method, path));
  // Unmatched paths under the legacy words answer in legacy JSON too; /rooms/... is shared with the
  // modern API (DELETE /rooms/all/ID), so it keeps the modern 404.
  for (const seg of LEGACY_PLAIN_SEGMENTS) {
    if (seg === 'rooms') continue;
    for (const m of ANY_METHOD) r.add(m, `/${seg}`, unknownEndpoint, NO_BODY).add(m, `/${seg}/:rest(*)`, unknownEndpoint, NO_BODY);
  }
}
