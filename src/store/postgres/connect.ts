// Turning a `postgres://` database URL into a connection pool. Our own URL parameter `schema`
// (e.g. postgres://sogs@db/sogs?schema=community) selects the schema the server's tables live in,
// so that several servers, or test runs, can share one database; it is created if missing.
import pg from 'pg';

export interface PgTarget {
  /** The URL as pg understands it (our own parameters removed). */
  connectionString: string;
  /** null = the connection's default search_path (normally `public`). */
  schema: string | null;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** A database URL fit for messages and logs: its password replaced by `***` (works on any string). */
export function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

export function parsePgUrl(url: string): PgTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`dbUrl ${JSON.stringify(withoutPassword(url))} is not a valid postgres:// URL`);
  }
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  if (schema !== null && !SCHEMA_RE.test(schema)) {
    throw new Error(`dbUrl schema '${schema}' must be lower-case letters, digits and _ (at most 63, not starting with a digit)`);
  }
  return { connectionString: u.toString(), schema };
}

// ids and counters are BIGINT; pg returns those as strings by default. Every value we read back
// fits a double exactly (ids and seqnos stay far below 2^53), so they are parsed as numbers. The
// one exception, file_id_hacks.old_file_id (imported legacy ids reach 19 digits), is only ever
// compared in SQL, never read.
const INT8 = pg.types.builtins.INT8;
type ParserId = Parameters<typeof pg.types.getTypeParser>[0];
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: ParserId, format?: 'text' | 'binary') =>
    oid === INT8 ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** How every connection of ours reaches the URL's database and schema, with `settings` for its session. */
export function clientConfig(target: PgTarget, settings: Record<string, string> = {}): pg.ClientConfig {
  const all = target.schema === null ? settings : { search_path: target.schema, ...settings };
  const options = Object.entries(all).map(([k, v]) => `-c ${k}=${v}`);
  return {
    connectionString: target.connectionString,
    options: options.length === 0 ? undefined : options.join(' '),
    // Fail fast when the database is unreachable instead of hanging a request.
    connectionTimeoutMillis: 10_000,
  };
}

export function createPool(target: PgTarget, max: number, settings: Record<string, string> = {}): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(target, settings), max, types });
  // An idle client losing its connection (database restart) must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => {});
  return pool;
}

/** Creates the URL's schema if it does not exist (done once, before the pool's first use). */
export async function ensureSchema(target: PgTarget): Promise<void> {
  if (target.schema === null) return;
  // The search_path may name the schema this creates: harmless before it exists.
  const c = new pg.Client(clientConfig(target));
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${target.schema}`);
  } catch (e) {
    // Two instances creating it at once: the loser's error is harmless if the schema now exists.
    const r = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [target.schema]);
    if (r.rowCount === 0) throw e;
  } finally {
    await c.end();
  }
}
