// Reading a reference server's (PySOGS) PostgreSQL database for `sogs --import-pysogs DIR
// --import-db postgres://…`: its tables and columns are those of its SQLite flavour (docs/protocol/api.md §11),
// so they are copied, as they are, into a temporary SQLite file that the PySOGS importer then reads
// exactly like a sogs.db. Values keep their meaning: 64-bit integers stay exact (legacy file ids
// exceed 2^53), booleans become SQLite's 0/1.
import Database from 'better-sqlite3';
import pg from 'pg';
import { clientConfig, parsePgUrl } from './connect';

const { INT8, BOOL } = pg.types.builtins;
/** Rows fetched per round trip. */
const PAGE = 5000;

/** Copies the named tables that exist in the database's schema; returns the ones copied. */
export async function dumpToSqlite(url: string, file: string, tables: string[]): Promise<string[]> {
  const client = new pg.Client(clientConfig(parsePgUrl(url)));
  await client.connect();
  const db = new Database(file);
  try {
    // One snapshot of every table, even if the reference server were still writing.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const present = new Set(
      (await client.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()")).rows.map((r) => r.t),
    );
    const copied: string[] = [];
    for (const table of tables) {
      if (!present.has(table)) continue;
      // Through a cursor, a page at a time: a large community's messages do not fit in memory at once.
      await client.query(`DECLARE dump NO SCROLL CURSOR FOR SELECT * FROM "${table}"`);
      let ins: Database.Statement | null = null;
      let convert: ((v: unknown) => unknown)[] = [];
      for (;;) {
        const res = await client.query({ text: `FETCH ${PAGE} FROM dump`, rowMode: 'array' });
        if (ins === null) {
          const cols = res.fields.map((f) => f.name);
          db.exec(`CREATE TABLE "${table}" (${cols.map((c) => `"${c}"`).join(', ')})`);
          ins = db.prepare(`INSERT INTO "${table}" VALUES (${cols.map(() => '?').join(', ')})`);
          convert = res.fields.map((f) =>
            f.dataTypeID === INT8 ? (v: unknown) => (v === null ? null : BigInt(v as string))
            : f.dataTypeID === BOOL ? (v: unknown) => (v === null ? null : v ? 1 : 0)
            : (v: unknown) => v,
          );
        }
        if (res.rows.length === 0) break;
        const stmt = ins;
        db.transaction(() => {
          for (const row of res.rows as unknown[][]) stmt.run(row.map((v, i) => convert[i]!(v)));
        })();
      }
      await client.query('CLOSE dump');
      copied.push(table);
    }
    await client.query('COMMIT');
    return copied;
  } finally {
    db.close();
    await client.end();
  }
}
