// Many requests arrive in one turn of the event loop, and each of their statements costs its own
// round trip, parse and commit (on PostgreSQL), or its own locks and WAL commit (on SQLite). A
// TurnBatch collects the calls made during one turn and runs them as one batch once the turn's
// I/O is done (setImmediate); each caller gets its own result. Used where every poll makes the
// same call.
//
// With `maxInFlight: 1` a batch does not start while the previous one runs: every call made
// meanwhile waits and goes into the next batch (group commit). Without it, polls arriving one by
// one at a steady rate each get a statement of their own, several run at once, and each pays the
// statement's fixed cost (on PostgreSQL, planning and commit) for one poll: the database then
// slows as load rises, more statements overlap, and the queue grows (measured: README,
// "Benchmarks"). With one in flight, batches instead grow as the database slows.

export interface TurnBatchOptions {
  /** How many batches may run at once; calls made while that many run wait for the next one. */
  maxInFlight?: number;
}

interface Waiting<I, R> {
  item: I;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class TurnBatch<I, R> {
  private pending: Waiting<I, R>[] = [];
  private scheduled = false;
  private readonly running = new Set<Promise<void>>();
  private readonly maxInFlight: number;

  /** `run` gets the items in call order and returns one result for each, in the same order. */
  constructor(
    private readonly run: (items: I[]) => Promise<R[]>,
    options: TurnBatchOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? Infinity;
  }

  add(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Runs what is waiting, as soon as a batch may start, and resolves once nothing waits and no
   * batch runs (to close): a call queued behind a running batch is answered too.
   */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.running.size > 0) {
      this.flush();
      await Promise.all([...this.running]);
    }
  }

  /** A flush at the end of this turn, if calls wait and a batch may start. */
  private schedule(): void {
    if (this.scheduled || this.pending.length === 0 || this.running.size >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.pending.length === 0 || this.running.size >= this.maxInFlight) return;
    const batch = this.pending;
    this.pending = [];
    const done = (async () => {
      let results: R[];
      try {
        results = await this.run(batch.map((b) => b.item));
      } catch (e) {
        for (const b of batch) b.reject(e);
        return;
      }
      batch.forEach((b, i) => b.resolve(results[i]!));
    })();
    this.running.add(done);
    void done.finally(() => {
      this.running.delete(done);
      // What arrived while this batch ran goes next, gathered to the end of the current turn.
      this.schedule();
    });
  }
}
