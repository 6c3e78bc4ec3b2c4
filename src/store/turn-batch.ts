// Many requests arrive in one turn of the event loop, and each of their statements costs its own
// round trip, parse and commit (on PostgreSQL), or its own locks and WAL commit (on SQLite). A
// TurnBatch collects the calls made during one turn and runs them as one batch once the turn's
// I/O is done (setImmediate); each caller gets its own result. Used where every poll makes the
// same call.
export class TurnBatch<I, R> {
  private pending: { item: I; resolve(r: R): void; reject(e: unknown): void }[] = [];
  private readonly running = new Set<Promise<void>>();

  /** `run` gets the items in call order and returns one result for each, in the same order. */
  constructor(private readonly run: (items: I[]) => Promise<R[]>) {}

  add(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ item, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  /** Runs what is waiting now, and resolves once every batch started has finished (to close). */
  async drain(): Promise<void> {
    void this.flush();
    await Promise.all([...this.running]);
  }

  private flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return Promise.resolve();
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
    void done.finally(() => this.running.delete(done));
    return done;
  }
}
