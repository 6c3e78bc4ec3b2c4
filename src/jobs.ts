// Background jobs (docs/protocol/api.md §8.1), run every `jobInterval` seconds: pruning history, expired DMs,
// old activity and nonces, expired legacy auth tokens, and recounting active users.
import type { Services } from './domain/services';
import { applyScheduledChanges } from './domain/moderation';
import { cleanupFiles, sweepOrphanBlobs } from './domain/files';
import { pruneLegacyTokens } from './domain/legacy-tokens';
import { raidUpkeep } from './domain/raids';

export interface Jobs {
  runOnce(): Promise<Record<string, number>>;
  stop(): void;
}

export async function runCleanup(s: Services): Promise<Record<string, number>> {
  const day = 86400;
  await s.activity.flush();
  // Step 1 (docs/protocol/api.md §8.1): expired files, rows and stored contents.
  const files = await cleanupFiles(s);
  const counts = await s.store.cleanup(s.clock.now(), {
    nonceRetention: s.config.nonceRetention,
    activeThreshold: s.config.activeThresholdDays * day,
    activePruneThreshold: s.config.activePruneThresholdDays * day,
    historyPruneThreshold: s.config.historyPruneThresholdDays * day,
    fingerprintRetention: Math.max(s.config.floodAccountsWindow, s.config.floodRepeatsWindow),
  });
  // Scheduled permission changes and (un)bans (docs/protocol/api.md §6.8), audited as the server's own actions.
  counts['scheduled'] = await applyScheduledChanges(s);
  counts['files'] = files;
  // Legacy auth tokens past legacyTokenDays, and challenges not claimed within 10 minutes.
  const tokens = await pruneLegacyTokens(s);
  counts['legacyTokens'] = tokens.tokens;
  counts['legacyPendingTokens'] = tokens.pending;
  // Automatic raid modes that went quiet end; held posts past raidHeldDays go.
  Object.assign(counts, await raidUpkeep(s));
  return counts;
}

/**
 * Every instance on a database (processes, hosts) runs the timer, but each tick of it is claimed in
 * the database first, so the work runs exactly once per tick wherever it runs. Ticks are numbered
 * by the wall clock, which is what the timer follows.
 */
/**
 * The tick `nowMs` falls in, named by its start in Unix milliseconds: a time, so that a later tick
 * always has a larger name whatever the interval was (numbering ticks 0, 1, 2... would make every
 * tick after a longer jobInterval smaller than the last one claimed, and stop the jobs for good).
 */
export function tickStart(nowMs: number, intervalSeconds: number): number {
  const ms = Math.max(1, Math.round(intervalSeconds * 1000));
  return Math.floor(nowMs / ms) * ms;
}

export function startJobs(s: Services): Jobs {
  let running = false;
  let swept = false;
  const tick = async (): Promise<Record<string, number>> => {
    if (running) return {};
    running = true;
    try {
      const counts: Record<string, number> = {};
      // Once per process start, on every instance (each may have its own uploads folder): blobs
      // left behind by a crash (see domain/files.ts).
      if (!swept) {
        swept = true;
        counts['orphanBlobs'] = await sweepOrphanBlobs(s);
      }
      const n = tickStart(Date.now(), s.config.jobInterval);
      if (!(await s.store.claimJobTick('cleanup', n))) return counts;
      Object.assign(counts, await runCleanup(s));
      s.log.debug({ tick: n, counts }, 'background jobs ran');
      return counts;
    } catch (e) {
      s.log.error({ err: e }, 'background job failed');
      return {};
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), s.config.jobInterval * 1000);
  timer.unref();
  void tick();
  return { runOnce: tick, stop: () => clearInterval(timer) };
}
