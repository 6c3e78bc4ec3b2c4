// Bans (docs/protocol/api.md §4.8, §6.5, §6.7): room bans by room moderators, global bans by global
// moderators, optionally timed (an unban scheduled in user_ban_futures). Nobody can ban
// themselves or a global moderator/admin; only room admins can ban room moderators/admins.
import { StoreConflict, type Room, type User } from '../store/types';
import { auditAction, recordAudit } from './audit';
import { badRequest, forbidden } from './errors';
import { permissionsIn } from './rooms';
import type { Services } from './services';

const BAN = auditAction('ban');
const UNBAN = auditAction('unban');

/** `timeout` in seconds: null or 0 = permanent (as the reference, docs/protocol/api.md §12.10). */
export function parseTimeout(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest("'timeout' must be a number of seconds or null");
  return v === 0 ? null : v;
}

/**
 * Throws what banUser would refuse, writing nothing: so that a command banning several users
 * (the CLI's `--ban A B`) refuses before the first ban, not halfway through the list.
 */
export async function checkBan(s: Services, caller: User, target: User, scope: Room[] | 'global'): Promise<void> {
  if (target.id === caller.id) throw forbidden('You cannot ban yourself');
  if (target.moderator || target.admin) throw forbidden('Global moderators and admins cannot be banned');
  if (scope === 'global') return;
  for (const room of scope) {
    const [mine, theirs] = await Promise.all([permissionsIn(s, room, caller), permissionsIn(s, room, target)]);
    if (!mine.moderator) throw forbidden('This requires room moderator permission');
    if (theirs.moderator && !mine.admin) throw forbidden('Only admins can ban room moderators and admins');
  }
}

/** Bans `target` from `scope` (rooms the caller moderates, already checked, or 'global'). */
export async function banUser(s: Services, caller: User, target: User, scope: Room[] | 'global', timeout: number | null): Promise<void> {
  // Every room is checked before anything is written: a refusal changes nothing.
  await checkBan(s, caller, target, scope);
  const unbanAt = timeout === null ? null : s.clock.now() + timeout;
  const details = timeout === null ? {} : { timeout, until: unbanAt };
  if (scope === 'global') {
    try {
      await s.store.banGlobally(target.id, unbanAt);
    } catch (e) {
      if (e instanceof StoreConflict) throw forbidden(e.message);
      throw e;
    }
    await recordAudit(s, caller, BAN, { target, room: null, details });
    return;
  }
  await s.store.banInRooms(target.id, scope.map((r) => r.id), unbanAt);
  for (const room of scope) await recordAudit(s, caller, BAN, { target, room, details });
}

export async function unbanUser(s: Services, caller: User, target: User, scope: Room[] | 'global'): Promise<void> {
  if (scope === 'global') {
    await s.store.unbanGlobally(target.id);
    await recordAudit(s, caller, UNBAN, { target, room: null });
    return;
  }
  await s.store.unbanInRooms(target.id, scope.map((r) => r.id));
  for (const room of scope) await recordAudit(s, caller, UNBAN, { target, room });
}
