// Room endpoints (docs/protocol/api.md §4.2): list, get, pollInfo.
import { accessRoom, findRoom, roomDetails, roomOf, visibleRooms } from '../../domain/rooms';
import { requirePermission } from '../../domain/messages';
import { parseRoomUpdate, requireRoomAdmin, updateRoom } from '../../domain/room-update';
import { jsonObject } from '../parse';
import { json } from '../respond';
import type { Ctx, Router } from '../router';
import { pollInfoJson, roomJson } from '../views';

async function listRooms(c: Ctx) {
  const rooms = await visibleRooms(c.s, c.rc);
  const out = [];
  for (const access of rooms) out.push(roomJson(await roomDetails(c.s, access), c.s.config));
  return json(out);
}

async function getRoom(c: Ctx) {
  const access = await accessRoom(c.s, c.rc, c.params['token']!);
  return json(roomJson(await roomDetails(c.s, access), c.s.config));
}

async function pollInfo(c: Ctx) {
  // `read`, not `accessible`: a room-banned user gets 403 here, not 404 (docs/protocol/api.md §6.7).
  await c.rc.readRooms(c.s);
  const access = roomOf(c.rc, c.params['token']!);
  requirePermission(access.perms, 'read');
  const { room, perms } = access;
  c.rc.touchRoom(c.s, room.id);
  const known = Number(c.params['info']);
  const details = known === room.infoUpdates ? null : roomJson(await roomDetails(c.s, access), c.s.config);
  return json(pollInfoJson(room, perms, details));
}

/** PUT /room/:token (docs/protocol/api.md §4.2): admins only (401/403), checked before the body is parsed. */
async function putRoom(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  requireRoomAdmin(c.user, perms);
  const update = parseRoomUpdate(jsonObject(c.req));
  return json(await updateRoom(c.s, room, c.user, perms, update));
}

export function roomRoutes(r: Router): void {
  r.get('/rooms', listRooms);
  r.get('/room/:token', getRoom);
  r.put('/room/:token', putRoom);
  r.get('/room/:token/pollInfo/:info(int)', pollInfo);
}
