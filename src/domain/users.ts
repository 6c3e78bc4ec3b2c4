// Users named by moderators or the CLI: 05 ids are mapped to their blinded user where one is
// known, otherwise remembered until that blinded user shows up (api.md §2.4).
import { blindedIdCandidates } from '../crypto/ids';
import type { Room, User } from '../store/types';
import { badRequest } from './errors';
import type { Services } from './services';

export const ANY_SESSION_ID_RE = /^[01]5[0-9a-fA-F]{64}$/;

/** The blinded (15) user of a 05 id, if the server has seen it: either sign of the blinded key. */
export async function knownBlindedUser(s: Services, sessionId05: string): Promise<User | null> {
  const { pos, neg } = blindedIdCandidates(sessionId05, s.keys.publicKey);
  return (await s.store.findUser(pos)) ?? (await s.store.findUser(neg));
}

export async function resolveTargetUser(s: Services, sessionId: string): Promise<User> {
  if (!ANY_SESSION_ID_RE.test(sessionId)) throw badRequest(`invalid session id '${sessionId}'`);
  const id = sessionId.toLowerCase();
  if (id.startsWith('15') || !s.config.requireBlindKeys) return s.store.ensureUser(id, s.clock.now());
  const blinded = await knownBlindedUser(s, id);
  if (blinded) return blinded;
  const user = await s.store.ensureUser(id, s.clock.now());
  await s.store.recordNeedsBlinding(user.id, blindedIdCandidates(id, s.keys.publicKey).pos);
  return user;
}

/**
 * The user a moderator names, without creating anything: the known blinded user of a 05 id (else
 * the 05 user itself, if known), or null when the server has never heard of them.
 */
export async function findTargetUser(s: Services, sessionId: string): Promise<User | null> {
  if (!ANY_SESSION_ID_RE.test(sessionId)) throw badRequest(`invalid session id '${sessionId}'`);
  const id = sessionId.toLowerCase();
  if (id.startsWith('15') || !s.config.requireBlindKeys) return s.store.findUser(id);
  return (await knownBlindedUser(s, id)) ?? (await s.store.findUser(id));
}

export interface ModeratorGrant {
  moderator: boolean;
  admin: boolean;
  visible: boolean;
}

/** Appoints (or with moderator=false removes) a room or global moderator/admin. */
export async function setModerator(s: Services, target: User, rooms: Room[] | 'global', grant: ModeratorGrant): Promise<void> {
  if (rooms === 'global') {
    await s.store.setGlobalModerator({ roomId: null, userId: target.id, ...grant });
    return;
  }
  for (const room of rooms) await s.store.setRoomModerator({ roomId: room.id, userId: target.id, ...grant });
}
