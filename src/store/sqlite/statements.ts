// SQLite statements, prepared once each (lazily) and kept for the connection's life.
import type Database from 'better-sqlite3';

export class Statements {
  private readonly cache = new Map<string, Database.Statement>();
  private readonly arrays = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /**
   * A statement whose rows come as arrays, for the listings' many rows: better-sqlite3 builds a
   * row object by setting each column by name, which took over half the instructions of a
   * 100-post listing (callgrind, bench/history-instructions.ts). Its columns are checked against
   * the decoder's order once, when it is prepared.
   */
  rows(sql: string, columns: readonly string[]): Database.Statement {
    let s = this.arrays.get(sql);
    if (!s) {
      s = this.db.prepare(sql).raw(true);
      const names = s.columns().map((c) => c.name);
      if (names.join() !== columns.join()) throw new Error(`columns ${names.join()} are not ${columns.join()}`);
      this.arrays.set(sql, s);
    }
    return s;
  }

  q(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }
}

/**
 * A LIMIT as a literal. SQLite plans `LIMIT ?` far worse than a constant (measured here: 47 us
 * instead of 4 us for an empty since-query), and limits are small validated integers, so each
 * distinct limit simply gets its own prepared statement.
 */
export function lim(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`bad LIMIT ${n}`);
  return String(n);
}
