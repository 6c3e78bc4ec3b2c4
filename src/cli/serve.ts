// `sogs` with no admin command: start the server on the data folder and print the join URLs.
// With `--workers N` a primary process forks N workers that share the listening port
// (node:cluster); only the first worker runs the background jobs.
import cluster from 'node:cluster';
import os from 'node:os';
import path from 'node:path';
import { closeServices, joinUrlLines, openServices, recordPublicUrl } from '../app';
import { ConfigError, describePublicUrl, type Config } from '../config';
import { checkFilterConfig } from '../domain/filters';
import type { Services } from '../domain/services';
import { startServer } from '../server';

const JOBS_ENV = 'SOGS_RUN_JOBS';

function banner(config: Config, s: Services, port: number, tokens: string[]): string {
  return [
    `Session Community server listening on ${config.host}:${port}` + (config.workers === 1 ? '' : ` with ${workerCount(config)} workers`),
    `Data folder: ${path.resolve(config.dataDir)}`,
    `Server public key: ${s.keys.publicKeyHex}`,
    ...joinUrlLines(config, s.keys, tokens),
  ].join('\n');
}

/** Prints the banner (and, when baseUrl is not set, how to set it) once the server listens. */
function announce(config: Config, s: Services, port: number, tokens: string[]): void {
  console.log(banner(config, s, port, tokens));
  const { warning } = describePublicUrl(config);
  if (warning !== null) console.error(`Warning: ${warning}`);
}

function workerCount(config: Config): number {
  return config.workers === 0 ? os.availableParallelism() : config.workers;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

async function runSingle(config: Config, printBanner: boolean, jobs: boolean): Promise<number> {
  const s = await openServices(config);
  const server = await startServer(s, { jobs });
  if (printBanner) await recordPublicUrl(s);
  if (printBanner) announce(config, s, server.port, (await s.store.listRooms()).map((r) => r.token));
  const signal = await untilSignal();
  s.log.info({ signal }, 'shutting down');
  await server.close();
  await closeServices(s);
  // A worker's channel to the primary keeps its event loop alive: let go of it, so it can exit.
  if (cluster.isWorker) cluster.worker?.disconnect();
  return 0;
}

async function runPrimary(config: Config): Promise<number> {
  // Open once here so that key, schema and default room exist before workers race for them.
  const s = await openServices(config);
  await recordPublicUrl(s);
  const tokens = (await s.store.listRooms()).map((r) => r.token);
  const n = workerCount(config);
  let ready = 0;
  let stopping = false;
  const fork = (jobs: boolean): void => {
    const w = cluster.fork({ [JOBS_ENV]: jobs ? '1' : '0' });
    w.on('listening', () => {
      if (++ready === n) announce(config, s, config.port, tokens);
    });
    w.on('exit', (code) => {
      if (stopping) return;
      s.log.error({ code, pid: w.process.pid }, 'worker exited; restarting it');
      fork(jobs);
    });
  };
  for (let i = 0; i < n; i++) fork(i === 0);
  await untilSignal();
  stopping = true;
  for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  await new Promise<void>((resolve) => {
    const check = (): void => (Object.keys(cluster.workers ?? {}).length === 0 ? resolve() : void setTimeout(check, 50));
    check();
  });
  await closeServices(s);
  return 0;
}

export async function serve(config: Config): Promise<number> {
  // Filter sections of the config file and the custom word list fail at start, not on a post.
  try {
    checkFilterConfig(config);
  } catch (e) {
    throw new ConfigError(e instanceof Error ? e.message : String(e));
  }
  if (cluster.isWorker) return runSingle(config, false, process.env[JOBS_ENV] === '1');
  if (workerCount(config) <= 1) return runSingle(config, true, true);
  return runPrimary(config);
}
