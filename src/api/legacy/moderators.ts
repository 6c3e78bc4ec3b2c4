// Appointing and removing moderators through the legacy API (docs/protocol/legacy.md §3.16, §3.17): old clients'
// "add moderator" and "remove moderator" actions, over the modern moderation rules.
import { badRequest } from '../../domain/errors';
import { LEGACY_SESSION_ID_RE, legacyAddModerator, legacyRemoveModerator } from '../../domain/legacy';
import type { Ctx } from '../router';
import { auth, body, headerRoom, publicKeyField, status } from './inputs';

/**
 * POST moderators {"public_key": "05…", "room_id": "…"}. The `Room` header names the room, as for
 * every other legacy call (the reference ignores `room_id`; the legacy server authorised against
 * it): a `room_id` naming another room is 400 rather than silently acting on the header's room.
 */
export async function addModerator(c: Ctx) {
  const room = await headerRoom(c);
  const o = body(c);
  const target = publicKeyField(o['public_key']);
  if (!LEGACY_SESSION_ID_RE.test(target)) throw badRequest('public_key must be a 05 session id');
  const roomId = o['room_id'];
  if (roomId !== undefined && roomId !== null && roomId !== room.token) throw badRequest("'room_id' must be the Room header's room");
  const p = await auth(c, room);
  await legacyAddModerator(c.s, room, p, target);
  return status(200);
}

/** DELETE moderators/:public_key: 200 also when the key was no moderator (as both servers answer). */
export async function removeModerator(c: Ctx) {
  const room = await headerRoom(c);
  const target = publicKeyField(c.params['pk']);
  const p = await auth(c, room);
  await legacyRemoveModerator(c.s, room, p, target);
  return status(200);
}
