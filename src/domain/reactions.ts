// Reactions (docs/protocol/api.md §4.4, §7.4): any reader may add or remove their own reaction to a regular
// message; moderators may clear them. Every single user-reaction change is one room event (the
// store bumps the room sequence and the message's seqno_reactions), so polls see it with `t=r`.
import type { Room, User } from '../store/types';
import { postAuthor, auditAction, recordAudit } from './audit';
import { badRequest, notFound } from './errors';
import { requirePermission, requireUser } from './messages';
import type { Permissions } from './permissions';
import type { Services } from './services';

const CLEAR_REACTIONS = auditAction('reactions.clear');

export const MAX_REACTION_CODEPOINTS = 12;

/**
 * 1-12 Unicode code points (not bytes, not grapheme clusters), without NUL: PostgreSQL text cannot
 * hold U+0000 (the insert failed with a 500 there), and both stores must answer alike.
 */
export function validateReaction(reaction: string): string {
  const n = [...reaction].length;
  if (n < 1 || n > MAX_REACTION_CODEPOINTS) throw badRequest(`a reaction must be 1-${MAX_REACTION_CODEPOINTS} code points, got ${n}`);
  if (reaction.includes('\0')) throw badRequest('a reaction must not contain NUL (U+0000)');
  return reaction;
}

const noSuchPost = (id: number) => notFound(`No such post: ${id}`);

export async function addReaction(s: Services, room: Room, user: User | null, perms: Permissions, id: number, reaction: string) {
  const u = requireUser(user);
  requirePermission(perms, 'read');
  validateReaction(reaction);
  const r = await s.store.addReaction(room.id, id, u.id, reaction, s.clock.now());
  if (!r) throw noSuchPost(id);
  return { added: r.changed, seqno: r.seqno };
}

export async function removeReaction(s: Services, room: Room, user: User | null, perms: Permissions, id: number, reaction: string) {
  const u = requireUser(user);
  requirePermission(perms, 'read');
  validateReaction(reaction);
  const r = await s.store.removeReaction(room.id, id, u.id, reaction);
  if (!r) throw noSuchPost(id);
  return { removed: r.changed, seqno: r.seqno };
}

/** Moderators: remove every reaction (or every reaction of one kind) from a message. */
export async function clearReactions(s: Services, room: Room, user: User | null, perms: Permissions, id: number, reaction: string | null) {
  const mod = requireUser(user);
  requirePermission(perms, 'moderator');
  if (reaction !== null) validateReaction(reaction);
  const r = await s.store.clearReactions(room.id, id, reaction);
  if (!r) throw noSuchPost(id);
  await recordAudit(s, mod, CLEAR_REACTIONS, { room, target: await postAuthor(s, room, id), details: { message: id, ...(reaction !== null ? { reaction } : {}), removed: r.removed } });
  return r;
}

export async function listReactors(s: Services, room: Room, perms: Permissions, id: number, reaction: string, limit: number) {
  requirePermission(perms, 'read');
  validateReaction(reaction);
  const m = await s.store.getMessage(room.id, id);
  if (!m || m.data === null || m.filtered || m.whisperTo !== null || m.whisperMods) throw noSuchPost(id);
  return s.store.reactors(id, reaction, limit);
}
