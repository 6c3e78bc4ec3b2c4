// Admitted work runs in slices between rounds of I/O, so the event loop returns to its sockets
// (and accepts a newcomer's connection) at least every `sliceMs` however much work is waiting.
//
// Why: libuv (1.45 on) accepts one connection per turn of the event loop, and a turn reads every
// ready socket and starts every request it reads. Under a flood of onion requests one turn
// decrypted hundreds of them, took 200-300 ms, and newcomers queued in the kernel's accept
// backlog at a few per second (the attack benchmark's new client waited 2-9 s). Started in
// slices, a turn holds at most a slice of work plus the replies it finishes.
//
// A request's work is its dispatch up to its first wait on the database (the turn's batch, a
// setImmediate): decryption and signature checks, run synchronously and in microtasks. A slice
// starts one request, lets every microtask run (a tick queued from a microtask runs only once the
// microtask queue is empty), reads the clock, and starts the next while the slice lasts; so it
// overshoots by at most one request. Signed cheap requests (light) go before heavy ones.
//
// While connections keep arriving (one accepted since the last slice), a slice lasts a tenth as
// long (at least 1 ms): more turns a second, so a burst waiting in the accept backlog (2,000
// connections opened at once) is taken in seconds rather than minutes, and a newcomer behind it
// waits less. Once a turn passes without a new connection, slices are whole again.

export class WorkSlices {
  private readonly light: (() => void)[] = [];
  private readonly heavy: (() => void)[] = [];
  private scheduled = false;
  /** When the running slice ends. */
  private end = 0;
  /** A connection was accepted since the last slice began. */
  private accepting = false;

  /** `sliceMs` 0 = no slices: every request starts at once. */
  constructor(private readonly sliceMs: number) {}

  /** Requests waiting for a slice. */
  get waiting(): number {
    return this.light.length + this.heavy.length;
  }

  /** Called for every accepted connection. */
  connectionAccepted(): void {
    this.accepting = true;
  }

  /** Resolves when the request may start its work. */
  turn(heavy: boolean): Promise<void> {
    if (this.sliceMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      (heavy ? this.heavy : this.light).push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.slice);
  }

  private readonly slice = (): void => {
    this.scheduled = false;
    this.end = performance.now() + (this.accepting ? Math.max(1, this.sliceMs / 10) : this.sliceMs);
    this.accepting = false;
    this.step();
  };

  private readonly step = (): void => {
    if (this.waiting === 0) return;
    if (performance.now() >= this.end) {
      this.schedule();
      return;
    }
    (this.light.shift() ?? this.heavy.shift())!();
    queueMicrotask(this.afterWork);
  };

  private readonly afterWork = (): void => {
    process.nextTick(this.step);
  };
}
