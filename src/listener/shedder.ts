// Load shedding: a request is refused (503 + Retry-After) before its body is read when the server
// already has as much work in progress as it can serve in time, so that latency stays bounded and
// a newcomer gets a fast answer instead of a place at the end of a queue that only grows.
//
// Heavy work (onion, batch, large or anonymous requests) may hold at most `heavyLimit` of the
// in-flight places; a signed cheap request is refused only at `maxInFlight`. The heavy limit
// adapts every 100 ms: it shrinks by a quarter when admitted heavy requests took longer than
// `latencyMs` to be served (from their body's arrival to their reply) or the event loop ran
// `delayMs` late (every socket waits that long to be read, a newcomer's too), and grows back by an
// eighth while both are in bounds. So the server keeps as much work as it can do in time.
//
// Why a limit that adapts and not a gate on the loop's delay: a flood makes the loop late by
// itself, parsing and refusing thousands of requests a second; refusing everything while the loop
// is late refused the work the server could still do (5% of its capacity served on the
// benchmark's 3x overload). The limit never drops below a floor, so some work always goes on, and
// a connection refused for overload is not read again for a while (pauseReading), so refusing
// a flood costs little.

/** How often the heavy limit is adjusted and the loop's delay sampled. */
const WINDOW_MS = 100;
/** The heavy limit never drops below this: some work always goes on, so service times are seen. */
const MIN_HEAVY = 8;

export interface ShedLimits {
  /** 0 = no cap. */
  maxInFlight: number;
  /** Service time of heavy requests the limit steers to; 0 = not steered by it. */
  latencyMs: number;
  /** Event-loop delay the limit steers to; 0 = not steered by it. */
  delayMs: number;
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

  /** How late the event loop ran at the last sample, in ms. */
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
   * target or the loop ran late, grow it by an eighth when they were served in time (additive
   * growth would take minutes to recover from a burst; this takes a few seconds).
   */
  adjust(): void {
    const { latencyMs, delayMs } = this.limits;
    if ((latencyMs <= 0 && delayMs <= 0) || !Number.isFinite(this.heavyMax)) return;
    const late = delayMs > 0 && this.delay >= delayMs;
    if (this.slow > 0 || late) this.heavyLimit = Math.max(Math.min(MIN_HEAVY, this.heavyMax), Math.floor(this.heavyLimit * 0.75));
    else if (this.served > 0) this.heavyLimit = Math.min(this.heavyMax, this.heavyLimit + Math.max(1, Math.floor(this.heavyLimit / 8)));
    this.slow = 0;
    this.served = 0;
  }
}
