// Starts the real server on a random loopback port over a fresh temporary data folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

export async function startTestServer(
  overrides: Partial<Config> = {},
  /** jobs: run the background job timer (every config.jobInterval s); off by default, tests call runCleanup. */
  opts: { clock?: Clock; dataDir?: string; jobs?: boolean } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const config: Config = { ...defaultConfig(), dataDir, host: '127.0.0.1', port: 0, logLevel: 'silent', ...overrides };
  const clock = opts.clock ?? { now: () => Date.now() / 1000 };
  const s = await openServices(config, { clock, activityFlushMs: 0 });
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
      if (!c?.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { ManualClock };
