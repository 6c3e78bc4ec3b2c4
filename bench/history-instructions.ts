// Instructions per history listing, for callgrind: signed GET /room/T/messages/recent (100 posts
// of ~280 bytes, 50 reactions among them) dispatched in-process (no HTTP), so that two builds can
// be compared on what one listing costs the main thread. Used like poll-instructions.ts:
//   node dist/bench/history-instructions.js prepare DIR [REQUESTS]   data folder + signed requests
//   node dist/bench/history-instructions.js run DIR N                 dispatches the first N
//   valgrind --tool=callgrind --smc-check=all-non-file --separate-threads=yes --callgrind-out-file=OUT \
//     node dist/bench/history-instructions.js run COPY_OF_DIR 1000   (then 2000: the main thread's
//     difference / 1000, read from OUT-01)
// Run each on a fresh copy of DIR: a run records nonces and creates users. Shared renderings
// (api/listing-cache.ts) serve all but the first of these; prepare with SOGS_HISTORY_MISS=1 to
// measure the rendering itself: each request then asks for another page (before/ID, 900 of them,
// more than the cache keeps), as after every change to a busy room.
import fs from 'node:fs';
import path from 'node:path';
import { dispatchAll, harnessMain } from './harness';
import { HISTORY_ROOM, historyRequest, makeClients, signedAt } from './scenarios';
import { buildData } from './setup';


interface Saved {
  requests: { path: string; headers: Record<string, string> }[];
}

async function prepare(dir: string, count: number): Promise<void> {
  const data = await buildData({ rooms: [HISTORY_ROOM] });
  fs.cpSync(data.dataDir, dir, { recursive: true });
  fs.rmSync(data.dataDir, { recursive: true, force: true });
  const clients = makeClients(data, 'http://127.0.0.1:80', 100);
  const start = Math.floor(Date.now() / 1000);
  const miss = process.env['SOGS_HISTORY_MISS'] === '1';
  const requests = Array.from({ length: count }, (_, i) => {
    const client = clients[i % clients.length]!;
    const timestamp = signedAt(start, i);
    if (miss) {
      const target = `/room/${HISTORY_ROOM.token}/messages/before/${HISTORY_ROOM.messages + 1 - (i % 900)}`;
      return { path: target, headers: client.authHeaders('GET', target, undefined, { timestamp }) };
    }
    const p = historyRequest(client, HISTORY_ROOM.token, timestamp);
    return { path: p.path, headers: p.headers };
  });
  fs.writeFileSync(path.join(dir, 'history.json'), JSON.stringify({ requests } satisfies Saved));
}

async function run(dir: string, n: number): Promise<void> {
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8')) as Saved;
  await dispatchAll(dir, saved.requests.map((r) => ({ method: 'GET', path: r.path, query: '', headers: r.headers, body: Buffer.alloc(0) })), n);
}

harnessMain('history-instructions', 3000, prepare, run);
