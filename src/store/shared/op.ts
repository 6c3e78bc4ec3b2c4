// How a rule written once runs on either database. A rule is a generator over the tables
// (shared/tables.ts): each statement it runs is a table method called with `yield*`. PostgreSQL's
// table methods yield the statement's promise, and its driver (postgres/pg-runner.ts) awaits it
// and passes the result back, inside one transaction that is retried on deadlock. SQLite's table
// methods never yield: they run their prepared statement and return. Its driver (runSync below)
// runs the whole rule inside one synchronous better-sqlite3 transaction, so no other request's
// statement can run before it commits, and throws if anything yields (ARCHITECTURE.md,
// "Persistence").

/** A rule, or one statement of a table inside it; T is its result. */
export type Op<T> = Generator<Promise<unknown>, T, unknown>;

/** A rule over the tables of one database (or of one PostgreSQL transaction). */
export type Rule<Tables, T> = (t: Tables) => Op<T>;

/** Inside a table method of an asynchronous database: waits for `p` and returns what it resolved to. */
export function* wait<T>(p: Promise<T>): Op<T> {
  return (yield p) as T;
}

/** Thrown when a rule yields under the synchronous driver: its transaction would no longer be atomic. */
export class YieldInSyncTransaction extends Error {}

/**
 * Runs a rule that must not yield (SQLite's tables), to completion, synchronously. A yield means
 * a table method awaited something: the transaction would stay open while other requests run,
 * and their statements would join it. The rule is abandoned and the error rolls it back.
 */
export function runSync<T>(op: Op<T>): T {
  const step = op.next();
  if (step.done) return step.value;
  step.value.catch(() => undefined);
  op.return(undefined as T);
  throw new YieldInSyncTransaction('a store rule waited for a promise inside a SQLite transaction');
}

/** Runs a rule whose table methods yield promises (PostgreSQL's), awaiting each in turn. */
export async function runAsync<T>(op: Op<T>): Promise<T> {
  let step = op.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await step.value;
    } catch (e) {
      step = op.throw(e);
      continue;
    }
    step = op.next(value);
  }
  return step.value;
}
