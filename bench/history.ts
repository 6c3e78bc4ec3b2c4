// The history scenario: a signed GET /room/history/messages/recent (100 posts, ~70 KB of JSON)
// from 50 connections, the request every first join, every room opened after a while and every
// legacy client's GET messages makes; on each store with 1 and 2 server processes.
import fs from 'node:fs';
import { copyToPostgres, fmt, poolSize, prepare, report, saturation, warmUp, WARM_UP_POLLS, type Saturation } from './measure';
import { HISTORY_ROOM, historyRequest, makeClients } from './scenarios';
import { startServerProcess } from './server-process';
import { buildData } from './setup';

/** An upper bound of the rate reachable here: wrk is given that many requests a second. */
const HISTORY_MAX_RATE = 15_000;
const CONNECTIONS = 50;

export async function historyScenario(opts: { saturation: Saturation; workers: number[]; stores: string[]; port: () => number }): Promise<void> {
  console.log(`\n## history: signed GET /room/${HISTORY_ROOM.token}/messages/recent (100 posts of ${HISTORY_ROOM.bytes} bytes, ${HISTORY_ROOM.reactions} reactions among them), ${CONNECTIONS} connections`);
  const data = await buildData({ rooms: [HISTORY_ROOM] });
  try {
    for (const store of opts.stores) {
      const db = store === 'postgres' ? await copyToPostgres(data.dataDir) : null;
      try {
        for (const workers of opts.workers) {
          const server = await startServerProcess(data.dataDir, opts.port(), ['--workers', String(workers), ...(db ? ['--db-url', db.url] : [])]);
          try {
            const clients = makeClients(data, server.url, 1000);
            const make = (i: number, ts: number) => historyRequest(clients[i % clients.length]!, HISTORY_ROOM.token, ts);
            const requests = prepare(poolSize(opts.saturation, HISTORY_MAX_RATE), make);
            await warmUp(server.url, prepare(WARM_UP_POLLS, make));
            await db?.matchPriority();
            const { r, cpu } = await saturation(opts.saturation, server, CONNECTIONS, requests);
            report(`${store}, ${workers} worker(s)`, r, cpu);
            console.log(`  server CPU ${fmt((cpu.seconds * 1e6) / r.requests)} us per listing; peak RSS ${fmt(server.peakRssMiB(), 1)} MiB`);
          } finally {
            await server.stop();
          }
        }
      } finally {
        await db?.drop();
      }
    }
  } finally {
    fs.rmSync(data.dataDir, { recursive: true, force: true });
  }
}
