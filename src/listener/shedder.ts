// Load shedding: a request is refused (503 + Retry-After) before its body is read when the server
// already has as much work in progress as it can serve in time, so that latency stays bounded and
// a newcomer gets a fast answer instead of a place at the end of a queue that only grows.
//
// Heavy work (onion, batch, large or anonymous requests) may hold at most `heavyLimit` of the
// in-flight places; a signed cheap request is refused only at `maxInFlight`. The heavy limit
// adapts to how long admitted heavy requests take to be served (from their body's arrival to
// their reply): past `latencyMs` it shrinks, below it grows back, so the queue the server keeps
// is as long as it can work off in time, whatever one request costs.
//
// Why not the event loop's delay: under a flood the loop runs late mostly because of the flood
// itself, parsing and refusing thousands of requests a second. Shedding on that delay refused the
// work the server could still do: on the benchmark's 3x overload it served 5% of its capacity.
// The time admitted work takes does not count the refusals, so the server keeps serving about
// what it can. The delay is still measured, for /metrics.

/** How often the heavy limit is adjusted and the loop's delay sampled. */
const WINDOW_MS = 100;
/** The heavy limit never drops below this: some work always goes on, so service times are seen. */
const MIN_HEAVY = 8;

export interface ShedLimits {
  /** 0 = no cap. */
  maxInFlight: number;
  /** Service time of heavy requests the limit steers to; 0 = a fixed limit of half maxInFlight. */
  latencyMs: number;
}

export class LoadShedder {
  /** Requests admitted and not yet finished. */
  inFlight = 0;
  /** Heavy requests among them. */
  heavyInFlight = 0;
  /** Heavy requests admitted at most at once, now. */
  heavyLimit: number;
  private readonly heavyMax: number;
  private slow = 0;
  private served = 0;
  private delay = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly limits: ShedLimits) {
    this.heavyMax = limits.maxInFlight > 0 ? Math.ceil(limits.maxInFlight / 2) : Infinity;
    this.heavyLimit = this.heavyMax;
  }

  start(): void {
    if (this.timer) return;
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.delay = Math.max(0, now - last - WINDOW_MS);
      last = now;
      this.adjust();
    }, WINDOW_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** How late the event loop ran at the last sample, in ms (for /metrics). */
  get eventLoopDelayMs(): number {
    return this.delay;
  }

  /** Why a new request is refused, or null to admit it. */
  refuse(heavy: boolean): string | null {
    const { maxInFlight } = this.limits;
    if (maxInFlight > 0 && this.inFlight >= maxInFlight) return 'too many requests in progress';
    if (heavy && this.heavyInFlight >= this.heavyLimit) return 'server overloaded';
    return null;
  }

  admitted(heavy: boolean): void {
    this.inFlight++;
    if (heavy) this.heavyInFlight++;
  }

  /** A request finished; `serviceMs` is the time from its body's arrival to its reply (heavy only). */
  finished(heavy: boolean, serviceMs: number | null): void {
    this.inFlight--;
    if (!heavy) return;
    this.heavyInFlight--;
    if (serviceMs === null || this.limits.latencyMs <= 0) return;
    this.served++;
    if (serviceMs > this.limits.latencyMs) this.slow++;
  }

  /**
   * Once a window: shrink the heavy limit by a quarter when heavy requests took longer than the
   * target, grow it by an eighth when they were served in time (additive growth would take
   * minutes to recover from a burst; this takes a few seconds).
   */
  adjust(): void {
    if (this.limits.latencyMs <= 0 || !Number.isFinite(this.heavyMax)) return;
    if (this.slow > 0) this.heavyLimit = Math.max(Math.min(MIN_HEAVY, this.heavyMax), Math.floor(this.heavyLimit * 0.75));
    else if (this.served > 0) this.heavyLimit = Math.min(this.heavyMax, this.heavyLimit + Math.max(1, Math.floor(this.heavyLimit / 8)));
    this.slow = 0;
    this.served = 0;
  }
}
