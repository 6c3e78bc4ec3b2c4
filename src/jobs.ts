// Background jobs (api.md §8.1), run every `jobInterval` seconds: pruning history, expired DMs,
// old activity and nonces, and recounting active users.
import type { Services } from './domain/services';

export interface Jobs {
  runOnce(): Promise<Record<string, number>>;
  stop(): void;
}

export async function runCleanup(s: Services): Promise<Record<string, number>> {
  const day = 86400;
  await s.activity.flush();
  return s.store.cleanup(s.clock.now(), {
    activeThreshold: s.config.activeThresholdDays * day,
    activePruneThreshold: s.config.activePruneThresholdDays * day,
    historyPruneThreshold: s.config.historyPruneThresholdDays * day,
  });
}

export function startJobs(s: Services): Jobs {
  let running = false;
  const tick = async (): Promise<Record<string, number>> => {
    if (running) return {};
    running = true;
    try {
      return await runCleanup(s);
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
