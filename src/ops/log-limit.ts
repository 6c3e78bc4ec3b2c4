// A token bucket for warnings and errors: an attacker who can make the server log (bad requests,
// failing clients) must not be able to fill the disk or drown the lines that matter. What is
// dropped is counted and reported in one line once the bucket has room again.

export class LogLimiter {
  private tokens: number;
  private last: number;
  private dropped = 0;

  /** `perMinute` lines a minute, in bursts of up to the same number. */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perMinute;
    this.last = now();
  }

  allow(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((t - this.last) * this.perMinute) / 60_000);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.dropped++;
    return false;
  }

  /** Lines dropped since the last call. */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  /** Milliseconds until the next line is allowed. */
  get refillMs(): number {
    return Math.ceil(60_000 / this.perMinute);
  }
}
