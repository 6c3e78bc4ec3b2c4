// Inputs and authentication shared by the legacy (v1) handlers (docs/protocol/legacy.md §2): the `Room` header,
// JSON bodies, public keys, the `Authorization` token, and the {"status_code": N} error replies.
import { decodeBase64Strict } from '../../crypto/base64';
import { DomainError, badRequest, notFound } from '../../domain/errors';
import { legacyPrincipal, type LegacyPrincipal } from '../../domain/legacy';
import { noToken, tokenOwner } from '../../domain/legacy-tokens';
import { requirePermission } from '../../domain/messages';
import { ROOM_TOKEN_RE } from '../../domain/rooms';
import { ANY_SESSION_ID_RE } from '../../domain/users';
import type { Room } from '../../store/types';
import { untrustedJson } from '../parse';
import { json, statusOf } from '../respond';
import type { Ctx, Handler } from '../router';
import type { ApiResponse } from '../types';

export type Obj = Record<string, unknown>;

export function status(code: number): ApiResponse {
  return json({ status_code: code }, code);
}

/** Turns rule violations into {"status_code": N} bodies. */
export function legacy(h: Handler): Handler {
  return async (c) => {
    try {
      return await h(c);
    } catch (e) {
      if (e instanceof DomainError) return status(statusOf(e.kind));
      throw e;
    }
  };
}

// --- inputs --------------------------------------------------------------------------------------

/** The room named by the `Room` header: missing or malformed 400, unknown 404 (docs/protocol/legacy.md §2.2). */
export async function headerRoom(c: Ctx): Promise<Room> {
  const token = c.req.headers['room'];
  if (token === undefined || token === '') throw badRequest('Room header required');
  return knownRoom(c, token);
}

export async function knownRoom(c: Ctx, token: string): Promise<Room> {
  const room = ROOM_TOKEN_RE.test(token) ? await c.s.store.getRoom(token) : null;
  if (!room) throw notFound(`No such room: ${token}`);
  return room;
}

export function body(c: Ctx): Obj {
  const v = untrustedJson(c.req.body, 'body');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('body must be a JSON object');
  return v as Obj;
}

export function b64(o: Obj, name: string): Buffer {
  const v = o[name];
  const buf = typeof v === 'string' ? decodeBase64Strict(v) : null;
  if (!buf) throw badRequest(`'${name}' must be base64`);
  return buf;
}

/** A string field: its absence is a body of the wrong shape (400 before the token is checked). */
export function stringField(o: Obj, name: string): Obj {
  if (typeof o[name] !== 'string') throw badRequest(`'${name}' must be a string`);
  return o;
}

export function publicKeyField(v: unknown): string {
  if (typeof v !== 'string' || !ANY_SESSION_ID_RE.test(v)) throw badRequest('invalid public key');
  return v.toLowerCase();
}


/**
 * Authenticates in `room`: X-SOGS-* (already verified by the router) wins, else the `Authorization`
 * token, which must be a claimed token of this room (missing, unknown or expired 401). A banned
 * user gets 403 unless `allowBanned`.
 */
export async function authIn(c: Ctx, room: Room, token: string | undefined, allowBanned = false): Promise<LegacyPrincipal> {
  let sessionId: string | null = null;
  if (!c.user) {
    if (token === undefined || token === '') throw noToken('Authorization header required');
    sessionId = await tokenOwner(c.s, room, token);
    if (!sessionId) throw noToken();
  }
  const p = await legacyPrincipal(c.s, c.rc, room, sessionId ?? c.user!.sessionId, c.user);
  if (!allowBanned) requirePermission(p.perms, 'read');
  const now = c.s.clock.now();
  c.s.activity.touchRoom(room.id, p.user.id, now);
  c.s.activity.touchUser(p.user.id, now);
  return p;
}

export function auth(c: Ctx, room: Room, allowBanned = false): Promise<LegacyPrincipal> {
  return authIn(c, room, c.req.headers['authorization'], allowBanned);
}
