// Legacy auth tokens as the legacy server keeps them (docs/protocol/legacy.md §3.7–§3.9, §4; docs/protocol/crypto.md §5.3):
// 48 random bytes per (session id, room), pending for 10 minutes after the challenge, then claimed
// and valid in that room only, for legacyTokenDays, until revoked. PySOGS's stateless tokens
// (docs/protocol/crypto.md §5.2) are not accepted: they would be valid in every room, forever, and could not be
// revoked. A client holding one (after a PySOGS import) gets 401 once and signs in again, which is
// what every legacy client does on 401 (docs/protocol/legacy.md §4 step 4).
import crypto from 'node:crypto';
import { parseSessionId } from '../crypto/ids';
import { generateX25519SecretKey, x25519PublicKey } from '../crypto/keys';
import { encryptLegacyChallenge, legacyChallengeJson, legacyChallengeKey } from '../crypto/legacy-token';
import type { Config } from '../config';
import type { Room } from '../store/types';
import { DomainError, badRequest } from './errors';
import type { Services } from './services';

/** Bytes of a legacy token; clients send them as 96 lowercase hex characters. */
export const LEGACY_TOKEN_BYTES = 48;
/** Seconds a challenge's token can be claimed (the legacy server's PENDING_TOKEN_EXPIRATION). */
export const LEGACY_PENDING_TOKEN_TTL = 600;

/** A token as clients send it (and the legacy server stored it): LEGACY_TOKEN_BYTES in lowercase hex. */
export const LEGACY_TOKEN_HEX_RE = /^[0-9a-f]{96}$/;

/** 401: clients forget their token and redo the challenge (docs/protocol/legacy.md §2.1, §11.2). */
export const noToken = (msg = 'Missing or invalid auth token'): DomainError => new DomainError('unauthorized', msg);

/** Seconds a claimed token stays valid (option legacyTokenDays). */
export function legacyTokenLifetime(config: Config): number {
  return config.legacyTokenDays * 86400;
}

/** The 05 id holding `authorization` as a claimed, unexpired token of `room`, or null. */
export async function tokenOwner(s: Services, room: Room, authorization: string): Promise<string | null> {
  // Looked up verbatim, as the legacy server does; anything but 96 lowercase hex is no token of ours.
  if (!LEGACY_TOKEN_HEX_RE.test(authorization)) return null;
  return s.store.legacyTokenOwner(room.id, authorization, s.clock.now() - legacyTokenLifetime(s.config));
}

/**
 * Body of GET auth_token_challenge for a (validated, lowercase) 05 id: the key's pending token of
 * the room (a still-claimable one is sent again), encrypted with a fresh ephemeral key pair.
 */
export async function challengeFor(s: Services, room: Room, sessionId05: string): Promise<ReturnType<typeof legacyChallengeJson>> {
  const eph = generateX25519SecretKey();
  let key: Buffer;
  try {
    key = legacyChallengeKey(eph, parseSessionId(sessionId05).key);
  } catch {
    // A key with no X25519 shared secret (low order): checked before anything is stored.
    throw badRequest('unusable public_key');
  }
  const now = s.clock.now();
  const token = await s.store.legacyPendingToken(room.id, sessionId05, crypto.randomBytes(LEGACY_TOKEN_BYTES), now, now - LEGACY_PENDING_TOKEN_TTL);
  return legacyChallengeJson(encryptLegacyChallenge(key, token), x25519PublicKey(eph));
}

/**
 * POST claim_auth_token: a hex token that is not the key's claimable pending token in the room
 * is 403 (docs/protocol/legacy.md §3.8); non-hex is 400.
 */
export async function claimToken(s: Services, room: Room, sessionId05: string, authorization: string): Promise<void> {
  if (authorization.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(authorization)) throw badRequest('the token must be hex');
  const now = s.clock.now();
  const ok = await s.store.legacyClaimToken(room.id, sessionId05, Buffer.from(authorization, 'hex'), now, now - LEGACY_PENDING_TOKEN_TTL);
  if (!ok) throw new DomainError('forbidden', 'not a pending token of this public key in this room');
}

/** Background job: claimed tokens past their lifetime and pending ones past theirs. */
export async function pruneLegacyTokens(s: Services): Promise<{ tokens: number; pending: number }> {
  const now = s.clock.now();
  return s.store.pruneLegacyTokens(now - legacyTokenLifetime(s.config), now - LEGACY_PENDING_TOKEN_TTL);
}
