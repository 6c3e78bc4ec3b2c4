// The server-wide budget of buffered request-body bytes: what every request in progress holds (or
// has declared it will hold) counted together, so that memory stays bounded whatever clients send.

export class BodyBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  /** Takes n bytes if they fit; small bodies may pass a full budget (`force`), still counted. */
  take(n: number, force = false): boolean {
    if (!force && this.used + n > this.capacity) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}
