// What the benchmark scenarios share: preparing signed requests, warming a server up, loading it
// to saturation (wrk when installed, else the node generator), reading its CPU, printing a line
// per phase, and a PostgreSQL copy of the data.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { replaceWithSqlite } from '../src/store/postgres/load-from-sqlite';
import { latencyAt, saturate, type LoadResult, type Prepared } from './load';
import { signedAt } from './scenarios';
import { schedOf, type ServerProcess } from './server-process';
import { wrkAvailable, wrkSaturate } from './wrk';

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function report(label: string, r: LoadResult, cpu?: { seconds: number; wall: number }): void {
  const parts = [
    `${label.padEnd(34)} ${fmt(r.perSecond).padStart(7)} req/s`,
    `p50 ${fmt(latencyAt(r, 50), 2)} ms`,
    `p99 ${fmt(latencyAt(r, 99), 2)} ms`,
    `${r.requests} requests, ${r.failures} failed`,
    `generator ${fmt(r.generatorUsPerRequest)} us CPU/req`,
  ];
  if (cpu) parts.push(`server CPU ${fmt(cpu.seconds / cpu.wall, 2)} cores`);
  console.log(parts.join(' | '));
}

export async function measured(server: ServerProcess, run: () => Promise<LoadResult>): Promise<{ r: LoadResult; cpu: { seconds: number; wall: number } }> {
  const c0 = server.cpuSeconds();
  const t0 = performance.now();
  const r = await run();
  return { r, cpu: { seconds: server.cpuSeconds() - c0, wall: (performance.now() - t0) / 1000 } };
}

/** n requests, the i-th made by make(i, its signed timestamp: see signedAt). */
export function prepare(n: number, make: (i: number, timestamp: number) => Prepared): Prepared[] {
  const start = Math.floor(Date.now() / 1000);
  return Array.from({ length: n }, (_, i) => make(i, signedAt(start, i)));
}

/**
 * A server runs for days: what is measured is its steady state, after the JIT has compiled the
 * poll path and each client has been seen once. These requests go first and are not counted.
 */
export const WARM_UP_POLLS = 1000;

export async function warmUp(url: string, requests: Prepared[]): Promise<void> {
  const r = await saturate(url, requests, 32);
  if (r.failures > 0) throw new Error(`${r.failures} of ${r.requests} warm-up requests failed`);
}

export interface Saturation {
  /** 'wrk' (the default when installed) or 'node' (load.ts). */
  generator: 'wrk' | 'node';
  /** wrk: seconds per saturation phase. */
  seconds: number;
  /** node: requests per saturation phase. */
  requests: number;
}

export function defaultGenerator(): Saturation['generator'] {
  return wrkAvailable() ? 'wrk' : 'node';
}

/**
 * How many requests a saturation phase is given. wrk sends each prepared request once, so it
 * gets `maxRate` requests a second's worth (the most this scenario could reach on this machine).
 */
export function poolSize(s: Saturation, maxRate: number): number {
  return s.generator === 'node' ? s.requests : Math.ceil(maxRate * s.seconds);
}

/** A saturation phase of `connections` connections sending `requests` (see poolSize), each once. */
export async function saturation(s: Saturation, server: ServerProcess, connections: number, requests: Prepared[]): Promise<{ r: LoadResult; cpu: { seconds: number; wall: number } }> {
  if (s.generator === 'node') return measured(server, () => saturate(server.url, requests, connections));
  const out = await measured(server, () => wrkSaturate(server.url, requests, { connections, seconds: s.seconds }));
  if (out.r.requests >= requests.length) {
    console.log(`  !! wrk sent all ${requests.length} prepared requests before the end: give it more (a higher rate bound), this figure is too low`);
  }
  return out;
}

export interface BenchDb {
  url: string;
  /** Seconds on a CPU and waiting for one so far, of the database backends serving the server (on this machine). */
  cpu(): Promise<Sched>;
  /**
   * Gives the backends serving the server this process's scheduling priority. Run under
   * `nice -n -15` (to be measured against other work on the machine), the server and the
   * generator would otherwise outrank the backends they wait for, which then starve: measured so,
   * two PostgreSQL processes served fewer polls than one, their backends waiting for a CPU 467 us
   * per poll against 38 us on one.
   */
  matchPriority(): Promise<void>;
  drop(): Promise<void>;
}

/**
 * The SQLite database of a benchmark's data folder loaded into a fresh PostgreSQL schema (the
 * import's loader), at `base` (default $SOGS_BENCH_PG_URL or the local test database).
 */
export async function copyToPostgres(dataDir: string, base = process.env['SOGS_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test'): Promise<BenchDb> {
  const schema = `bench_${process.pid}`;
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  // Names the server's connections, so that their CPU can be told from other clients' (cpu()).
  u.searchParams.set('application_name', schema);
  const url = u.toString();
  const backends = async (): Promise<number[]> => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    const pids = (await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [schema])).rows;
    await c.end();
    return pids.map((r) => r.pid);
  };
  await replaceWithSqlite(url, { sqliteFile: path.join(dataDir, 'sogs.db'), key: fs.readFileSync(path.join(dataDir, 'key_x25519')), blobs: null });
  return {
    url,
    cpu: async () =>
      (await backends()).map((pid) => schedOf(pid)).reduce((a, x) => ({ run: a.run + x.run, wait: a.wait + x.wait }), { run: 0, wait: 0 }),
    matchPriority: async () => {
      const mine = os.getPriority();
      for (const pid of await backends()) {
        try {
          if (os.getPriority(pid) !== mine) os.setPriority(pid, mine);
        } catch (e) {
          console.log(`  (could not give database backend ${pid} this process's priority ${mine}: ${(e as Error).message})`);
        }
      }
    },
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

export interface Sched {
  run: number;
  wait: number;
}

