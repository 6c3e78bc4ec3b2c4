// Direct messages between blinded ids (docs/protocol/api.md §4.10). The server stores opaque, end-to-end
// encrypted bodies and never looks inside; it only checks who may send and receive, the size
// limit (maxDmBytes) and expiry (dmExpiryDays; cleanup deletes expired rows).
import type { DirectMessage, User } from '../store/types';
import { DomainError, notFound, unauthorized } from './errors';
import { requireUser } from './messages';
import { checkDirectMessageAllowed } from './antiraid';
import { checkDmRecipients } from './dm-limits';
import type { Services } from './services';

export const BLINDED_ID_RE = /^15[0-9a-fA-F]{64}$/;

/** Inbox and outbox belong to blinded users only. */
export function requireBlindUser(user: User | null): User {
  if (!user || !user.sessionId.startsWith('15')) throw unauthorized('This endpoint requires a blinded (15) session id');
  return user;
}

/** The recipient must have used this server and not be globally banned; otherwise 404. */
export async function findRecipient(s: Services, sessionId: string): Promise<User> {
  if (!BLINDED_ID_RE.test(sessionId)) throw notFound(`No such user: ${sessionId}`);
  const u = await s.store.findUser(sessionId.toLowerCase());
  if (!u || u.banned) throw notFound(`No such user: ${sessionId}`);
  return u;
}

export async function sendDirectMessage(s: Services, sender: User | null, recipient: User, body: Buffer): Promise<DirectMessage> {
  const from = requireUser(sender);
  if (body.length > s.config.maxDmBytes) {
    throw new DomainError('too-large', `message is ${body.length} bytes; the limit is ${s.config.maxDmBytes}`);
  }
  // The new-account slow mode covers DMs too (off by default; see domain/antiraid.ts).
  await checkDirectMessageAllowed(s, from);
  await checkDmRecipients(s, from, recipient);
  const now = s.clock.now();
  return s.store.insertDirectMessage({ senderId: from.id, recipientId: recipient.id, body, now, expiry: now + s.config.dmExpiryDays * 86400 });
}

export async function listDirectMessages(s: Services, user: User | null, box: 'inbox' | 'outbox', afterId: number, limit: number): Promise<DirectMessage[]> {
  const u = requireBlindUser(user);
  // The poll's common case: nothing newer than the last DM id the user's row records (the router
  // reloads the row after a write inside a batch, so a DM sent earlier in it counts).
  if (afterId >= (box === 'inbox' ? u.lastInboxId : u.lastOutboxId)) return [];
  return s.store.directMessages(u.id, box, afterId, limit, s.clock.now());
}

export async function clearInbox(s: Services, user: User | null): Promise<number> {
  return s.store.deleteInbox(requireBlindUser(user).id);
}
