// PUT /room/:token (docs/protocol/api.md §4.2): room admins change the name, description, image and default
// permissions. Everything is validated first and applied in one store transaction; name,
// description and image bump info_updates only when they actually change. Every applied update
// is audited, whether it came from the API, the legacy API or the admin CLI.
import { auditAction, recordAudit } from './audit';
import type { Room, RoomUpdate, User } from '../store/types';
import { DomainError, badRequest } from './errors';
import { attachmentTtl } from './files';
import { requirePermission, requireUser } from './messages';
import { SET_ROOM_DEFAULTS } from './moderation';
import type { Permissions } from './permissions';
import { stripControl } from './rooms';
import type { Services } from './services';

const UPDATE_ROOM = auditAction('room.update');

const DEFAULTS = { default_read: 'read', default_accessible: 'accessible', default_write: 'write', default_upload: 'upload' } as const;
const FIELDS = ['name', 'description', 'image', ...Object.keys(DEFAULTS)];

/** admin: a user (401) who is a room or global admin (403). */
export function requireRoomAdmin(user: User | null, perms: Permissions): User {
  const u = requireUser(user);
  requirePermission(perms, 'admin');
  return u;
}

/** Descriptions keep TAB and LF but lose other control characters; empty = no description. */
export function cleanDescription(d: string): string | null {
  const out = d.replace(/[\u0000-\u0008\u000b-\u001f]/g, '');
  return out === '' ? null : out;
}

/** Validates the body (400 on a wrong type or when no known field is present). */
export function parseRoomUpdate(body: Record<string, unknown>): RoomUpdate {
  if (!FIELDS.some((f) => f in body)) throw badRequest(`expected at least one of ${FIELDS.join(', ')}`);
  const u: RoomUpdate = {};
  if ('name' in body) {
    if (typeof body['name'] !== 'string') throw badRequest("'name' must be a string");
    u.name = stripControl(body['name']);
  }
  if ('description' in body) {
    const d = body['description'];
    if (d !== null && typeof d !== 'string') throw badRequest("'description' must be a string or null");
    u.description = d === null ? null : cleanDescription(d);
  }
  const image = body['image'];
  if (image !== undefined && image !== null) {
    if (typeof image !== 'number' || !Number.isSafeInteger(image)) throw badRequest("'image' must be an integer file id");
    u.image = image;
  }
  for (const [key, col] of Object.entries(DEFAULTS)) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'boolean') u[col] = v;
    else if (typeof v === 'number' && Number.isInteger(v)) u[col] = v !== 0;
    else throw badRequest(`'${key}' must be a boolean`);
  }
  return u;
}

export async function updateRoom(s: Services, room: Room, user: User | null, perms: Permissions, u: RoomUpdate): Promise<{ info_updates: number }> {
  const admin = requireRoomAdmin(user, perms);
  return { info_updates: await applyRoomUpdate(s, admin, room, u) };
}

/**
 * Applies a validated update on behalf of `actor` (the caller checked that it may) and returns the
 * new info_updates. The audit log gets `room.update` for name, description and image, and
 * `room.defaults` for default permissions, the action the CLI's --add-perms/--remove-perms write,
 * so one kind of change reads the same whichever way it was made. A replaced image gets the
 * normal attachment expiry unless `replacedImageExpiry` says otherwise (docs/protocol/api.md §12.12).
 */
export async function applyRoomUpdate(s: Services, actor: User, room: Room, u: RoomUpdate, replacedImageExpiry?: number | null): Promise<number> {
  const now = s.clock.now();
  const ttl = attachmentTtl(s);
  const r = await s.store.updateRoom(room.id, u, now, replacedImageExpiry !== undefined ? replacedImageExpiry : ttl === null ? null : now + ttl);
  if (r === 'no-such-image') throw new DomainError('not-acceptable', `No such file in this room: ${u.image}`);
  const info: Record<string, unknown> = {};
  for (const k of ['name', 'description', 'image'] as const) if (u[k] !== undefined) info[k] = u[k];
  const defaults: Record<string, unknown> = {};
  for (const k of ['read', 'accessible', 'write', 'upload'] as const) if (u[k] !== undefined) defaults[k] = u[k];
  if (Object.keys(info).length > 0) await recordAudit(s, actor, UPDATE_ROOM, { room, details: info });
  if (Object.keys(defaults).length > 0) await recordAudit(s, actor, SET_ROOM_DEFAULTS, { room, details: defaults });
  return r.infoUpdates;
}
