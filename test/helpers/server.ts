// Starts the real server on a random loopback port over a fresh temporary data folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { closeServices, openServices } from '../../src/app';
import { defaultConfig, type Config } from '../../src/config';
import { ManualClock, type Clock } from '../../src/domain/clock';
import type { Services } from '../../src/domain/services';
import { startServer, type RunningServer } from '../../src/server';
import { Identity, SogsClient } from '../../client';

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  config: Config;
  s: Services;
  server: RunningServer;
  serverPubkey: Buffer;
  clock: Clock;
  /** A client for a new random identity (or anonymous). */
  client(identity?: Identity | null, opts?: { blinded?: boolean }): SogsClient;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-test-'));
}

// `SOGS_TEST_DB=postgres` runs the suite against PostgreSQL (`npm test` does both): every data
// folder gets its own schema in the database at SOGS_TEST_PG_URL, dropped when the test is done.
export const TEST_DB: 'sqlite' | 'postgres' = process.env['SOGS_TEST_DB'] === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_PG_URL = process.env['SOGS_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgUrls = new Map<string, string>();

/** The database URL of a test data folder: its own PostgreSQL schema, or undefined for SQLite. */
export function testDbUrl(dataDir: string): string | undefined {
  if (TEST_DB !== 'postgres') return undefined;
  let url = pgUrls.get(dataDir);
  if (url === undefined) {
    url = pgSchemaUrl(`t_${process.pid}_${crypto.randomBytes(5).toString('hex')}`);
    pgUrls.set(dataDir, url);
  }
  return url;
}

export function pgSchemaUrl(schema: string): string {
  const u = new URL(TEST_PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Drops a test schema (PostgreSQL) and forgets it. */
export async function dropTestDb(dataDir: string): Promise<void> {
  const url = pgUrls.get(dataDir);
  if (url === undefined) return;
  pgUrls.delete(dataDir);
  await dropPgSchema(new URL(url).searchParams.get('schema')!);
}

export async function dropPgSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

export async function startTestServer(
  overrides: Partial<Config> = {},
  /** jobs: run the background job timer (every config.jobInterval s); off by default, tests call runCleanup. */
  opts: { clock?: Clock; dataDir?: string; jobs?: boolean; log?: Logger } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const dbUrl = testDbUrl(dataDir);
  const config: Config = {
    ...defaultConfig(), dataDir, host: '127.0.0.1', port: 0, logLevel: 'silent', ...(dbUrl ? { dbUrl } : {}),
    // Tests run their clients in the server's process on a shared machine: requests are slow
    // because of the test itself, not because the server is overloaded. Shedding tests turn it on.
    shedLatencyMs: 0,
    shedLoopDelayMs: 0,
    // Test identities are made seconds before they upload; the upload age rule (uploadAccountAge)
    // has tests of its own that turn it on.
    uploadAccountAge: 0,
    ...overrides,
  };
  const clock = opts.clock ?? { now: () => Date.now() / 1000 };
  const s = await openServices(config, { clock, activityFlushMs: 0, log: opts.log });
  const server = await startServer(s, { port: 0, host: '127.0.0.1', jobs: opts.jobs ?? false });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    port: server.port,
    dataDir,
    config,
    s,
    server,
    serverPubkey: s.keys.publicKey,
    clock,
    client: (identity, copts) =>
      new SogsClient({
        baseUrl: url,
        serverPubkey: s.keys.publicKey,
        identity: identity === null ? undefined : (identity ?? Identity.random()),
        blinded: copts?.blinded,
        // Sign with the server's clock, so a manual clock may move days without making requests stale.
        now: () => clock.now(),
      }),
    close: async (c) => {
      await server.close();
      await closeServices(s);
      if (!c?.keepData) {
        fs.rmSync(dataDir, { recursive: true, force: true });
        await dropTestDb(dataDir);
      }
    },
  };
}

export { ManualClock };
