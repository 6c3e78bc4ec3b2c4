// How the PostgreSQL store runs statements: named (each pooled connection prepares each statement
// once), on the pool or inside a transaction on one connection, retried on a deadlock or
// serialization failure and after another instance's migration made prepared plans stale.
import crypto from 'node:crypto';
import type pg from 'pg';
import type { Row } from '../rows';
import { runAsync, wait, type Op } from '../shared/op';

/** Runs one statement: on the pool, or on a transaction's connection. */
export type Query = (sql: string, params?: unknown[]) => Promise<pg.QueryResult<Row>>;

/** SQLSTATEs after which a transaction is simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export class PgRunner {
  private readonly names = new Map<string, string>();
  /** Bumped when prepared statements went stale (see renamedAfterStalePlan): part of every name. */
  private generation = 0;

  constructor(readonly pool: pg.Pool) {}

  /** The statement's name: each pooled connection prepares a named statement once. */
  private nameOf(sql: string): string {
    let n = this.names.get(sql);
    if (n === undefined) {
      n = 's' + crypto.createHash('sha1').update(`${this.generation}:${sql}`).digest('hex').slice(0, 20);
      this.names.set(sql, n);
    }
    return n;
  }

  /**
   * True for the error of a statement prepared before another instance's migration changed a
   * table it reads (`SELECT *`: "cached plan must not change result type"). Every name then
   * changes, so each connection prepares its statements again, and the statement is retried.
   */
  private renamedAfterStalePlan(e: unknown): boolean {
    if ((e as { code?: string }).code !== '0A000') return false;
    this.generation++;
    this.names.clear();
    return true;
  }

  private on(client: pg.Pool | pg.PoolClient): Query {
    return (sql, params = []) => client.query<Row>({ name: this.nameOf(sql), text: sql, values: params });
  }

  /** A statement outside any transaction. */
  readonly q: Query = async (sql, params) => {
    try {
      return await this.on(this.pool)(sql, params);
    } catch (e) {
      if (!this.renamedAfterStalePlan(e)) throw e;
      return this.on(this.pool)(sql, params);
    }
  };

  /** Runs `fn` in one transaction on one connection, again from the start after a retryable failure. */
  async tx<T>(fn: (q: Query) => Op<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await runAsync(fn(this.on(client)));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        const code = (e as { code?: string }).code;
        if (attempt < 5 && ((code !== undefined && RETRYABLE.has(code)) || this.renamedAfterStalePlan(e))) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }
}

// Statements inside rules: each yields the query's promise to the driver.

export function* rows(q: Query, sql: string, params?: unknown[]): Op<Row[]> {
  return (yield* wait(q(sql, params))).rows;
}

export function* one(q: Query, sql: string, params?: unknown[]): Op<Row | null> {
  return (yield* wait(q(sql, params))).rows[0] ?? null;
}

/** The number of rows the statement wrote. */
export function* count(q: Query, sql: string, params?: unknown[]): Op<number> {
  return (yield* wait(q(sql, params))).rowCount ?? 0;
}

export function* run(q: Query, sql: string, params?: unknown[]): Op<void> {
  yield* wait(q(sql, params));
}
