// Rules for the background jobs' work and the legacy auth tokens.
import type { CleanupOptions } from '../types';
import type { Op } from './op';
import type { Tables } from './tables';

/** Periodic cleanup; counts of what was removed. */
export function* cleanup(t: Tables, now: number, o: CleanupOptions): Op<Record<string, number>> {
  const counts: Record<string, number> = {};
  counts['history'] = yield* t.messages.pruneHistory(now - o.historyPruneThreshold);
  counts['dms'] = yield* t.dms.deleteExpired(now);
  counts['activity'] = yield* t.activity.prune(now - o.activePruneThreshold);
  // Only rooms whose count changes are written: an idle server's job then writes (and locks) no
  // room, and SQLite's rooms_version does not move.
  yield* t.rooms.recountActiveUsers(now - o.activeThreshold);
  counts['nonces'] = yield* t.nonces.prune(Math.floor(now - o.nonceRetention), now);
  counts['fingerprints'] = yield* t.fingerprints.prune(now - o.fingerprintRetention);
  return counts;
}

/** docs/protocol/legacy.md §4: a pending token, if it is this one and still valid, becomes a claimed one. */
export function* legacyClaimToken(t: Tables, roomId: number, sessionId: string, token: Buffer, now: number, validSince: number): Op<boolean> {
  if (!(yield* t.legacy.takePending(roomId, sessionId, token, validSince))) return false;
  yield* t.legacy.addClaimed(roomId, sessionId, token, now);
  return true;
}

export function* pruneLegacyTokens(t: Tables, claimedBefore: number, pendingBefore: number): Op<{ tokens: number; pending: number }> {
  return { tokens: yield* t.legacy.pruneClaimed(claimedBefore), pending: yield* t.legacy.prunePending(pendingBefore) };
}
