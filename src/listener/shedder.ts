// Load shedding: a request is refused (503 + Retry-After) before its body is read when the server
// is already behind, so that latency stays bounded and a newcomer gets a fast answer instead of a
// place at the end of a queue that only grows. Two signals: requests in progress, and how late the
// event loop runs. Heavy work (onion, batch, large or anonymous requests) goes first: at half the
// in-flight cap and at the delay limit; a signed cheap request only at the cap and at twice it.

/** How often the event-loop delay is sampled. */
const SAMPLE_MS = 20;

export interface ShedLimits {
  /** 0 = no cap. */
  maxInFlight: number;
  /** 0 = no delay-based shedding. */
  delayMs: number;
}

export class LoadShedder {
  /** Requests admitted and not yet finished. */
  inFlight = 0;
  /** How late the loop ran lately, in ms. */
  private delay = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly limits: ShedLimits) {}

  // Written by hand rather than with perf_hooks.monitorEventLoopDelay: that reports a histogram
  // over a window, shedding needs the latest delay at the moment a request arrives. A timer that
  // was due during a blocked stretch runs first in the next loop turn (timers before I/O), so the
  // requests that queued up meanwhile already see the delay.
  start(): void {
    if (this.limits.delayMs <= 0 || this.timer) return;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      // Halved each sample rather than forgotten: one quick turn after a long stall does not
      // reopen the doors to the queue the stall built up.
      this.delay = Math.max(now - last - SAMPLE_MS, this.delay / 2);
      last = now;
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get eventLoopDelayMs(): number {
    return this.delay;
  }

  /** Why a new request is refused, or null to admit it. */
  refuse(heavy: boolean): string | null {
    const { maxInFlight, delayMs } = this.limits;
    if (maxInFlight > 0 && this.inFlight >= (heavy ? Math.ceil(maxInFlight / 2) : maxInFlight)) return 'too many requests in progress';
    if (delayMs > 0 && this.delay >= (heavy ? delayMs : 2 * delayMs)) return 'server overloaded';
    return null;
  }
}
