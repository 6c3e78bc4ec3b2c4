// Users named by moderators or the CLI: 05 ids are mapped to their blinded user where one is
// known, otherwise remembered until that blinded user shows up (docs/protocol/api.md §2.4).
import { InvalidPointError, blindedIdCandidates } from '../crypto/ids';
import type { Room, User } from '../store/types';
import { badRequest } from './errors';
import type { Services } from './services';

export const ANY_SESSION_ID_RE = /^[01]5[0-9a-fA-F]{64}$/;

/**
 * Both blinded ids of a 05 id. Any 64 hex digits pass the id pattern, but only a key that maps
 * to a usable Ed25519 point can be blinded: anything else is the caller's bad input (400), never
 * a 500, in the API, the legacy API and the CLI alike.
 */
function blindedCandidatesOf(s: Services, sessionId05: string): { pos: string; neg: string } {
  try {
    return blindedIdCandidates(sessionId05, s.keys.publicKey);
  } catch (e) {
    if (e instanceof InvalidPointError) throw badRequest(`session id ${sessionId05} is not a valid Session id: its key is not a valid Ed25519 public key`);
    throw e;
  }
}

/** The blinded (15) user of a 05 id, if the server has seen it: either sign of the blinded key. */
export async function knownBlindedUser(s: Services, sessionId05: string): Promise<User | null> {
  const { pos, neg } = blindedCandidatesOf(s, sessionId05);
  return (await s.store.findUser(pos)) ?? (await s.store.findUser(neg));
}

/**
 * A session id named by a moderator or the CLI, lower-cased: 05 or 15 and 64 hex digits, and a
 * 05 id's key must be blindable (checked even when blinding is off, so that no id is accepted
 * that could never be a real account's and would fail once requireBlindKeys is turned on).
 */
export function targetSessionId(s: Services, sessionId: string): string {
  if (!ANY_SESSION_ID_RE.test(sessionId)) throw badRequest(`invalid session id '${sessionId}': expected 05 or 15 and 64 hex digits`);
  const id = sessionId.toLowerCase();
  if (id.startsWith('05')) blindedCandidatesOf(s, id);
  return id;
}

export async function resolveTargetUser(s: Services, sessionId: string): Promise<User> {
  const id = targetSessionId(s, sessionId);
  if (id.startsWith('15') || !s.config.requireBlindKeys) return s.store.ensureUser(id, s.clock.now());
  const blinded = await knownBlindedUser(s, id);
  if (blinded) return blinded;
  const user = await s.store.ensureUser(id, s.clock.now());
  await s.store.recordNeedsBlinding(user.id, blindedCandidatesOf(s, id).pos);
  return user;
}

/**
 * The user a moderator names, without creating anything: the known blinded user of a 05 id (else
 * the 05 user itself, if known), or null when the server has never heard of them.
 */
export async function findTargetUser(s: Services, sessionId: string): Promise<User | null> {
  const id = targetSessionId(s, sessionId);
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
