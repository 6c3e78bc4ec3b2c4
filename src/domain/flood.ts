// Flood signals by content (beyond the reference): the same text, or nearly, posted by many
// accounts in one room, or again and again by one account, is not let through.
//
// "The same text" is a fingerprint of the post's text once normalised: compatibility forms and
// look-alike characters folded (NFKD, then the confusables map of the `obscenity` package the
// profanity filter already uses), accents, case, digits, spaces, punctuation and emoji dropped,
// and runs of one letter collapsed. "FREE  crypto!!! 123", "free crypto 456" and "ƑREE cryptooo"
// are one text; the usual ways a bot varies a message to slip past an exact match cost it nothing.
//
// The fingerprints live in the database (post_fingerprints) rather than in memory: the server may
// run as several processes or hosts on one PostgreSQL, and a flood spread over them must count
// as one. A post costs one indexed read and, when it is let through, one insert; texts shorter
// than floodMinChars letters cost nothing. Only posts that were let through are recorded, so
// refused copies never grow the rows a check reads: per text and window they stay at most about
// floodAccounts × floodRepeats. The check and the insert are two statements without a lock, as
// for the rate limits: copies arriving at the very same moment may pass a threshold by as many as
// arrive together, which a raid cannot repeat once the copies are recorded.
import crypto from 'node:crypto';
import { resolveConfusablesTransformer } from 'obscenity';
import type { Config } from '../config';
import type { FloodCounts, Room, User } from '../store/types';
import { trusted } from './antiraid';
import { DomainError } from './errors';
import type { Permissions } from './permissions';
import { decodeSessionMessage } from './protobuf';
import { isRaidNewcomer } from './raids';
import type { RequestContext } from './request-context';
import type { Services } from './services';

/**
 * What the post path does with a post: store it, refuse it, or hold it for a moderator
 * (domain/raids.ts: accepted as far as the poster can tell, shown to nobody until released). A
 * text many accounts are posting is a raid's signature: a new account's copy (isRaidNewcomer) is
 * held, while established members' copies pass, so that a crowd of regulars all wishing a happy
 * new year is never stopped. One account repeating itself is simply refused: its author sees why
 * and can reword.
 */
export type FloodDecision = 'allow' | 'reject' | 'hold';

/** Longer texts are fingerprinted by their start: enough to tell spam apart, and bounded work. */
const MAX_TEXT_CHARS = 4096;

const unconfuse = resolveConfusablesTransformer().transform;

/** The text as the flood rules compare it (see the top of this file). */
export function normaliseText(text: string): string {
  let out = '';
  let last = '';
  for (const ch of text.slice(0, MAX_TEXT_CHARS).normalize('NFKD')) {
    const c = String.fromCodePoint(unconfuse(ch.codePointAt(0)!) ?? ch.codePointAt(0)!).toLowerCase();
    if (c === last || !/^\p{L}+$/u.test(c)) continue;
    out += c;
    last = c;
  }
  return out;
}

/** The fingerprint of a post's text, or null when it has none long enough to count. */
export function postFingerprint(config: Config, data: Buffer): Buffer | null {
  const body = decodeSessionMessage(data)?.body;
  if (!body) return null;
  const text = normaliseText(body);
  if (text.length === 0 || text.length < config.floodMinChars) return null;
  return crypto.createHash('sha256').update(text).digest().subarray(0, 16);
}

/** The decision for a text with these earlier copies. */
export function floodDecision(config: Config, n: FloodCounts, newcomer: boolean): FloodDecision {
  if (config.floodRepeats > 0 && n.repeats >= config.floodRepeats) return 'reject';
  if (newcomer && config.floodAccounts > 0 && n.accounts >= config.floodAccounts) return 'hold';
  return 'allow';
}

/**
 * Checks a new post against the flood signals and records it when it is let through. Moderators
 * and users with an explicit write permission in the room are exempt (as from the other anti-raid
 * rules); their posts are not recorded either.
 */
export async function checkFlood(s: Services, rc: RequestContext, room: Room, user: User, perms: Permissions, data: Buffer): Promise<FloodDecision> {
  const c = s.config;
  if (c.floodAccounts <= 0 && c.floodRepeats <= 0) return 'allow';
  const fingerprint = postFingerprint(c, data);
  if (fingerprint === null || (await trusted(s, rc, room, user, perms))) return 'allow';
  const now = s.clock.now();
  const counts = await s.store.floodCounts({
    fingerprint, roomId: room.id, userId: user.id, accountsSince: now - c.floodAccountsWindow, repeatsSince: now - c.floodRepeatsWindow,
  });
  const decision = floodDecision(c, counts, isRaidNewcomer(s, user));
  if (decision === 'allow') await s.store.addFingerprint({ fingerprint, roomId: room.id, userId: user.id, now });
  else s.log.info({ room: room.token, user: user.sessionId, decision, ...counts }, 'flood: copy of a recent text not published');
  return decision;
}

/** The answer to a post the flood rules refuse ('reject'). */
export function floodRefusal(): DomainError {
  return new DomainError('rate-limited', 'You posted this text too often; wait before posting it again');
}
