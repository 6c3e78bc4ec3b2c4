// Per-user room permissions and scheduled changes (docs/protocol/api.md §4.7), for room moderators.
import { badRequest } from '../../domain/errors';
import { requirePermission, requireUser } from '../../domain/messages';
import { scheduleUserPermissions, setUserPermissions } from '../../domain/moderation';
import { findRoom, type RoomAccess } from '../../domain/rooms';
import { findTargetUser, resolveTargetUser } from '../../domain/users';
import type { FuturePerms, PermissionChange } from '../../store/types';
import { jsonObject, type JsonObject } from '../parse';
import { json } from '../respond';
import type { Ctx, Router } from '../router';
import { futureChangeJson, permissionOverrideJson } from '../views';

const PERMS = ['read', 'accessible', 'write', 'upload'] as const;
const SCHEDULABLE = ['read', 'write', 'upload'] as const;

/** `mod`: unknown room 404, anonymous 401, not a moderator of the room 403. */
async function openAsModerator(c: Ctx): Promise<RoomAccess> {
  const access = await findRoom(c.s, c.rc, c.params['token']!);
  requireUser(c.user);
  requirePermission(access.perms, 'moderator');
  return access;
}

function boolOrNull(body: JsonObject, name: string): boolean | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  // docs/protocol/api.md §12.6: the reference stores any value; we require booleans.
  if (typeof v !== 'boolean') throw badRequest(`'${name}' must be true, false or null`);
  return v;
}

export function parsePermissionChange(body: JsonObject): { change: PermissionChange; unschedule: (typeof SCHEDULABLE)[number][] } {
  const change: PermissionChange = {};
  for (const k of PERMS) {
    const v = boolOrNull(body, k);
    const dflt = boolOrNull(body, `default_${k}`);
    if (v !== null && dflt === true) throw badRequest(`'${k}' and 'default_${k}' cannot be combined`);
    if (v !== null) change[k] = v;
    else if (dflt === true) change[k] = null;
  }
  if (Object.keys(change).length === 0) {
    throw badRequest('give at least one of read, accessible, write, upload (true/false) or default_* (true)');
  }
  const unschedule = body['unschedule'] === false ? [] : SCHEDULABLE.filter((k) => change[k] !== undefined);
  return { change, unschedule };
}

export function parseFuturePermissions(body: JsonObject): { perms: FuturePerms; inSeconds: number } {
  const perms: FuturePerms = { read: boolOrNull(body, 'read'), write: boolOrNull(body, 'write'), upload: boolOrNull(body, 'upload') };
  if (perms.read === null && perms.write === null && perms.upload === null) throw badRequest('give at least one of read, write, upload');
  const inSeconds = body['in'];
  if (typeof inSeconds !== 'number' || !(inSeconds > 0 && inSeconds < 1_000_000_000)) {
    throw badRequest("'in' must be a number of seconds between 0 and 1000000000");
  }
  return { perms, inSeconds };
}

async function listPermissions(c: Ctx) {
  const { room } = await openAsModerator(c);
  const out: Record<string, unknown> = {};
  for (const { sessionId, override } of await c.s.store.listOverrides(room.id)) out[sessionId] = permissionOverrideJson(override);
  return json(out);
}

async function userPermissions(c: Ctx) {
  const { room } = await openAsModerator(c);
  const target = await findTargetUser(c.s, c.params['sid']!);
  // docs/protocol/api.md §12.4: the reference fails for a user without overrides; {} here.
  return json(permissionOverrideJson(target ? await c.s.store.getOverride(room.id, target.id) : null));
}

async function setPermissions(c: Ctx) {
  const { room } = await openAsModerator(c);
  const { change, unschedule } = parsePermissionChange(jsonObject(c.req));
  const target = await resolveTargetUser(c.s, c.params['sid']!);
  return json(permissionOverrideJson(await setUserPermissions(c.s, c.user!, room, target, change, unschedule)));
}

async function listFutures(c: Ctx) {
  const { room } = await openAsModerator(c);
  return json((await c.s.store.futurePermissions(room.id)).map((f) => futureChangeJson(f, true)));
}

async function userFutures(c: Ctx) {
  const { room } = await openAsModerator(c);
  const target = await findTargetUser(c.s, c.params['sid']!);
  if (!target) return json([]);
  return json((await c.s.store.futurePermissions(room.id, target.id)).map((f) => futureChangeJson(f, false)));
}

async function scheduleFutures(c: Ctx) {
  const { room } = await openAsModerator(c);
  const { perms, inSeconds } = parseFuturePermissions(jsonObject(c.req));
  const target = await resolveTargetUser(c.s, c.params['sid']!);
  await scheduleUserPermissions(c.s, c.user!, room, target, perms, inSeconds);
  return json((await c.s.store.futurePermissions(room.id, target.id)).map((f) => futureChangeJson(f, false)));
}

export function permissionRoutes(r: Router): void {
  r.get('/room/:token/permissions', listPermissions);
  r.get('/room/:token/permissions/:sid(sid)', userPermissions);
  r.post('/room/:token/permissions/:sid(sid)', setPermissions);
  r.get('/room/:token/futurePermissions', listFutures);
  r.get('/room/:token/futurePermissions/:sid(sid)', userFutures);
  r.post('/room/:token/futurePermissions/:sid(sid)', scheduleFutures);
}
