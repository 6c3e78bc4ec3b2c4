// Time comes from one injectable clock so that expiry, bans and rate limits can be tested.
export interface Clock {
  /** Unix time in (fractional) seconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() / 1000 };

/** A clock that tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(seconds: number): void {
    this.t += seconds;
  }
}
