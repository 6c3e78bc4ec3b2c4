// The moderation actions of the room and user pages: delete, pin, ban (timed or not), unban,
// delete every post of a user. Each calls the domain rule the API calls, as the signed-in user,
// so every permission check and audit entry is the API's.
import { banUser, unbanUser } from '../../domain/bans';
import { badRequest, forbidden } from '../../domain/errors';
import { deleteMessage } from '../../domain/messages';
import { deleteAllPosts, resolveScope, type Scope } from '../../domain/moderation';
import { allows } from '../../domain/permissions';
import { pinMessage, unpinMessage } from '../../domain/pins';
import { findRoom, type RoomAccess } from '../../domain/rooms';
import { resolveTargetUser } from '../../domain/users';
import type { User } from '../../store/types';
import type { ConsoleCtx, ConsoleHandler } from './context';
import { redirect } from './http';

/** The room of the route, which the signed-in user must moderate (403 otherwise, as in the API). */
export async function moderatedRoom(k: ConsoleCtx): Promise<RoomAccess> {
  const access = await findRoom(k.s, k.rc, k.c.params['room']!);
  if (!allows(access.perms, 'moderator')) throw forbidden('You do not moderate this room');
  return access;
}

function messageId(k: ConsoleCtx): number {
  const v = k.form.get('id') ?? '';
  if (!/^\d{1,15}$/.test(v)) throw badRequest('no post chosen');
  return Number(v);
}

async function target(k: ConsoleCtx): Promise<User> {
  return resolveTargetUser(k.s, (k.form.get('user') ?? '').trim());
}

/** Seconds from the form's `minutes` (blank or 0 = permanent). */
function banTimeout(k: ConsoleCtx): number | null {
  const v = (k.form.get('minutes') ?? '').trim();
  if (v === '' || v === '0') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw badRequest('the ban length must be a number of minutes');
  return n * 60;
}

/** Where to go after an action: back to the page it came from (a console path only), saying what happened. */
export function back(k: ConsoleCtx, done: string): ReturnType<typeof redirect> {
  const base = k.s.config.consolePath;
  const from = k.form.get('back') ?? '';
  const path = from.startsWith(base) && /^[A-Za-z0-9_/-]*$/.test(from) ? from : base;
  return redirect(`${path}?done=${done}`);
}

/**
 * Which rooms a user-page action covers: a room token, `*` (every room the caller moderates) or
 * `+` (global, for global moderators); a room page's action covers its room.
 */
function scopeOf(k: ConsoleCtx): Scope {
  const room = k.c.params['room'] ?? (k.form.get('scope') ?? '').trim();
  if (room === '+') return { global: true };
  if (room === '') throw badRequest('choose a room');
  return { rooms: [room] };
}

export const deletePost: ConsoleHandler = async (k) => {
  const { room, perms } = await moderatedRoom(k);
  await deleteMessage(k.s, room, k.user, perms, messageId(k));
  return back(k, 'deleted');
};

export const pinPost: ConsoleHandler = async (k) => {
  const { room, perms } = await moderatedRoom(k);
  const id = messageId(k);
  if (k.form.get('unpin') === '1') {
    await unpinMessage(k.s, room, k.user, perms, id);
    return back(k, 'unpinned');
  }
  await pinMessage(k.s, room, k.user, perms, id);
  return back(k, 'pinned');
};

export const ban: ConsoleHandler = async (k) => {
  const scope = await resolveScope(k.s, k.user, scopeOf(k), 'moderator');
  await banUser(k.s, k.user, await target(k), scope, banTimeout(k));
  return back(k, 'banned');
};

export const unban: ConsoleHandler = async (k) => {
  const scope = await resolveScope(k.s, k.user, scopeOf(k), 'moderator');
  await unbanUser(k.s, k.user, await target(k), scope);
  return back(k, 'unbanned');
};

export const deleteAll: ConsoleHandler = async (k) => {
  const scope = await resolveScope(k.s, k.user, scopeOf(k), 'moderator');
  if (scope === 'global') throw badRequest('choose a room, or * for every room you moderate');
  const who = await target(k);
  await k.rc.readRooms(k.s);
  for (const room of scope) await deleteAllPosts(k.s, k.user, await findRoom(k.s, k.rc, room.token), who);
  return back(k, 'deleted-all');
};
