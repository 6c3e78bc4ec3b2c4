// Moderation rules (docs/protocol/api.md §4.7–§4.9, §6.5): which rooms a moderation request covers, appointing
// and removing moderators and admins, per-user permissions and scheduled changes, deleting all of
// a user's posts, room defaults and rate limits (raid mode: domain/raids.ts). Every change is written to the audit log.
import type { FuturePerms, PermissionChange, PermissionOverride, Room, RoomDefaults, RoomLimits, User } from '../store/types';
import { auditAction, recordAudit } from './audit';
import { badRequest, forbidden } from './errors';
import { allows, type Permissions } from './permissions';
import { ROOM_TOKEN_RE, permissionsIn, type RoomAccess } from './rooms';
import type { Services } from './services';

const ADD_MODERATOR = auditAction('moderator.add');
const REMOVE_MODERATOR = auditAction('moderator.remove');
const REMOVE_ADMIN = auditAction('admin.remove');
const SET_PERMISSIONS = auditAction('permissions.set');
const SCHEDULE_PERMISSIONS = auditAction('permissions.schedule');
const APPLY_PERMISSIONS = auditAction('permissions.apply');
const APPLY_BAN = auditAction('ban.apply');
/** Deleting all of a user's posts (also through the legacy API). */
export const DELETE_ALL_POSTS = auditAction('messages.delete_all');
/** A change of a room's default permissions (also through PUT /room). */
export const SET_ROOM_DEFAULTS = auditAction('room.defaults');
const SET_RATE_LIMIT = auditAction('room.rate_limit');

/** The `rooms` | `global` part of a moderation request (docs/protocol/api.md §4.8). */
export type Scope = { rooms: string[] } | { global: true };

/**
 * The rooms a request covers, checked: the caller needs `level` in every listed room, in at least
 * one room for `["*"]` (which means all of them), or globally. Unknown rooms are 403, as in the
 * reference (docs/protocol/api.md §12.9): a non-moderator learns nothing about which rooms exist.
 */
export async function resolveScope(s: Services, caller: User, scope: Scope, level: 'moderator' | 'admin'): Promise<Room[] | 'global'> {
  if ('global' in scope) {
    const ok = level === 'admin' ? caller.admin : caller.moderator || caller.admin;
    if (!ok) throw forbidden(`This requires global ${level} permission`);
    return 'global';
  }
  const tokens = scope.rooms;
  if (tokens.length === 0) throw badRequest("'rooms' must not be empty");
  if (tokens.includes('*')) {
    if (tokens.length > 1) throw badRequest("room '*' must be the only rooms value");
    const out: Room[] = [];
    for (const room of await s.store.listRooms()) if (allows(await permissionsIn(s, room, caller), level)) out.push(room);
    if (out.length === 0) throw forbidden(`You are not a ${level} of any room`);
    return out;
  }
  const out = new Map<number, Room>();
  for (const t of tokens) {
    const room = ROOM_TOKEN_RE.test(t) ? await s.store.getRoom(t) : null;
    if (!room || !allows(await permissionsIn(s, room, caller), level)) throw forbidden(`This requires room ${level} permission in every listed room`);
    out.set(room.id, room);
  }
  return [...out.values()];
}

export interface RoleRequest {
  moderator: boolean | null;
  admin: boolean | null;
  /** null = visible for room appointments, hidden for global ones. */
  visible: boolean | null;
}

type RoleOp = 'add-admin' | 'add-mod' | 'remove' | 'remove-admin' | 'demote-to-mod';

/** docs/protocol/api.md §4.8 table of moderator/admin combinations. */
export function roleOperation(r: RoleRequest): RoleOp {
  const { admin, moderator } = r;
  if (admin === null && moderator === null) throw badRequest('at least one of moderator and admin must be given');
  if (admin === true && moderator === false) throw badRequest('admin=true with moderator=false is impossible');
  if (admin === true) return 'add-admin';
  if (moderator === false) return 'remove';
  if (admin === false) return moderator === true ? 'demote-to-mod' : 'remove-admin';
  return 'add-mod';
}

/**
 * POST /user/:id/moderator: room admins change room roles, global admins global ones. Returns
 * the new info_updates of every affected room (all rooms for a global change).
 */
export async function changeRole(s: Services, caller: User, target: User, scope: Room[] | 'global', req: RoleRequest): Promise<Record<string, number>> {
  const op = roleOperation(req);
  const global = scope === 'global';
  const visible = req.visible ?? !global;
  const action = op === 'remove' ? REMOVE_MODERATOR : op === 'remove-admin' ? REMOVE_ADMIN : ADD_MODERATOR;
  if (global) {
    const u = (await s.store.findUserById(target.id))!;
    const isMod = u.moderator || u.admin;
    let change: { moderator: boolean; admin: boolean; visible: boolean } | null = null;
    if (op === 'add-admin') change = { moderator: true, admin: true, visible };
    else if (op === 'add-mod') change = { moderator: true, admin: u.admin, visible };
    else if (op === 'demote-to-mod') change = { moderator: true, admin: false, visible };
    else if (op === 'remove') change = { moderator: false, admin: false, visible: false };
    else if (isMod) change = { moderator: true, admin: false, visible: u.visibleMod };
    if (change) await s.store.setGlobalModerator({ roomId: null, userId: u.id, ...change });
    await recordAudit(s, caller, action, { target, room: null, details: { admin: change?.admin ?? false, visible: change?.visible ?? false } });
    const out: Record<string, number> = {};
    for (const r of await s.store.listRooms()) out[r.token] = r.infoUpdates;
    return out;
  }
  const out: Record<string, number> = {};
  for (const room of scope) {
    const ov = await s.store.getOverride(room.id, target.id);
    let change: { moderator: boolean; admin: boolean; visible: boolean } | null = null;
    if (op === 'add-admin') change = { moderator: true, admin: true, visible };
    else if (op === 'add-mod') change = { moderator: true, admin: ov?.admin ?? false, visible };
    else if (op === 'demote-to-mod') change = { moderator: true, admin: false, visible };
    else if (op === 'remove') change = { moderator: false, admin: false, visible: true };
    else if (ov?.moderator) change = { moderator: true, admin: false, visible: ov.visibleMod };
    if (change) await s.store.setRoomModerator({ roomId: room.id, userId: target.id, ...change });
    await recordAudit(s, caller, action, { target, room, details: { admin: change?.admin ?? false, visible: change?.visible ?? true } });
    out[room.token] = (await s.store.getRoomById(room.id))!.infoUpdates;
  }
  return out;
}

/** POST /room/:t/permissions/:id (the caller is a moderator of the room). */
export async function setUserPermissions(
  s: Services,
  caller: User,
  room: Room,
  target: User,
  change: PermissionChange,
  unschedule: ('read' | 'write' | 'upload')[],
): Promise<PermissionOverride | null> {
  const result = await s.store.setPermissionOverrides(room.id, target.id, change);
  if (unschedule.length > 0) await s.store.clearFuturePermissions(room.id, target.id, unschedule);
  await recordAudit(s, caller, SET_PERMISSIONS, { target, room, details: { ...change, ...(unschedule.length ? { unscheduled: unschedule } : {}) } });
  return result;
}

/** POST /room/:t/futurePermissions/:id: a change applied `inSeconds` from now by the cleanup job. */
export async function scheduleUserPermissions(s: Services, caller: User, room: Room, target: User, perms: FuturePerms, inSeconds: number): Promise<void> {
  const at = s.clock.now() + inSeconds;
  await s.store.addFuturePermission(room.id, target.id, at, perms);
  const details: Record<string, unknown> = { at, in: inSeconds };
  for (const k of ['read', 'write', 'upload'] as const) if (perms[k] !== null) details[k] = perms[k];
  await recordAudit(s, caller, SCHEDULE_PERMISSIONS, { target, room, details });
}

/**
 * DELETE /room/:t/all/:id (docs/protocol/api.md §4.9): anyone may delete their own posts; others' need a room
 * moderator, and an admin's need an admin. Returns how many messages were deleted.
 */
export async function deleteAllPosts(s: Services, caller: User, access: RoomAccess, target: User): Promise<number> {
  const { room, perms } = access;
  const self = caller.id === target.id;
  if (!self) {
    if (!allows(perms, 'moderator')) throw forbidden('This endpoint requires room moderator permission');
    if ((await permissionsIn(s, room, target)).admin && !perms.admin) throw forbidden("Only admins can delete an admin's posts");
  }
  const n = await s.store.deleteUserMessages(room.id, target.id, s.clock.now());
  if (!self) await recordAudit(s, caller, DELETE_ALL_POSTS, { target, room, details: { deleted: n } });
  return n;
}

/** DELETE /rooms/all/:id: the same in every room the caller may do it in; counts per room. */
export async function deleteAllPostsEverywhere(s: Services, caller: User, target: User): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const room of await s.store.listRooms()) {
    const perms = await permissionsIn(s, room, caller);
    if (!mayDeleteAll(perms, caller, target, await permissionsIn(s, room, target))) continue;
    out[room.token] = await deleteAllPosts(s, caller, { room, perms }, target);
  }
  return out;
}

function mayDeleteAll(perms: Permissions, caller: User, target: User, targetPerms: Permissions): boolean {
  if (!allows(perms, 'accessible')) return false;
  if (caller.id === target.id) return true;
  return allows(perms, 'moderator') && (!targetPerms.admin || perms.admin);
}

/** Room default permissions (CLI; PUT /room has its own path). */
export async function setRoomDefaults(s: Services, actor: User, room: Room, defaults: Partial<RoomDefaults>): Promise<Room> {
  const updated = await s.store.setRoomDefaults(room.id, defaults);
  await recordAudit(s, actor, SET_ROOM_DEFAULTS, { room, details: { ...defaults } });
  return updated;
}

export async function setRoomRateLimit(s: Services, actor: User, room: Room, limits: Pick<RoomLimits, 'rateLimitPosts' | 'rateLimitInterval'>): Promise<RoomLimits> {
  const updated = await s.store.setRoomLimits(room.id, limits);
  await recordAudit(s, actor, SET_RATE_LIMIT, { room, details: { posts: limits.rateLimitPosts, interval: limits.rateLimitInterval } });
  return updated;
}

/** The background job's step (docs/protocol/api.md §6.8): applies due scheduled changes and audits them. */
export async function applyScheduledChanges(s: Services): Promise<number> {
  const applied = await s.store.applyDueSchedules(s.clock.now());
  for (const a of applied) {
    if (a.kind === 'permissions') {
      const details: Record<string, unknown> = {};
      for (const k of ['read', 'write', 'upload'] as const) if (a.perms[k] !== null) details[k] = a.perms[k];
      await recordAudit(s, null, APPLY_PERMISSIONS, { target: a.sessionId, room: a.roomToken, details });
    } else {
      await recordAudit(s, null, APPLY_BAN, { target: a.sessionId, room: a.roomToken, details: { banned: a.banned } });
    }
  }
  return applied.length;
}
