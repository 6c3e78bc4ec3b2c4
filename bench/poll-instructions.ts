// Instructions per desktop poll, for callgrind: the desktop scenario's onion polls dispatched
// in-process (no HTTP), so that two builds can be compared on what one poll costs the main thread.
//   node dist/bench/poll-instructions.js prepare DIR [POLLS]   data folder + signed polls (not measured)
//   node dist/bench/poll-instructions.js run DIR N              dispatches the first N polls
// Measure two runs and subtract, so that start-up, loading and warm-up cancel out:
//   valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file=/dev/null \
//     node dist/bench/poll-instructions.js run COPY_OF_DIR 3000     (then 4000: the difference / 1000)
// Run each on a fresh copy of DIR: a run records nonces and creates users.
import fs from 'node:fs';
import path from 'node:path';
import { dispatchAll, harnessMain } from './harness';
import { desktopPoll, makeClients, signedAt } from './scenarios';
import { buildData } from './setup';


interface Saved {
  serverPubkey: string;
  polls: { path: string; headers: Record<string, string>; body: string }[];
}

async function prepare(dir: string, count: number): Promise<void> {
  const data = await buildData({ rooms: [{ token: 'general', messages: 20_000 }, { token: 'dev', messages: 5_000 }, { token: 'random', messages: 1_000 }] });
  fs.cpSync(data.dataDir, dir, { recursive: true });
  fs.rmSync(data.dataDir, { recursive: true, force: true });
  const clients = makeClients(data, 'http://127.0.0.1:80', 100);
  const start = Math.floor(Date.now() / 1000);
  const polls = Array.from({ length: count }, (_, i) => {
    const p = desktopPoll(clients[i % clients.length]!, data.rooms, false, signedAt(start, i));
    return { path: p.path, headers: p.headers, body: p.body!.toString('base64') };
  });
  const saved: Saved = { serverPubkey: data.serverPubkey.toString('hex'), polls };
  fs.writeFileSync(path.join(dir, 'polls.json'), JSON.stringify(saved));
}

async function run(dir: string, n: number): Promise<void> {
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'polls.json'), 'utf8')) as Saved;
  await dispatchAll(dir, saved.polls.map((p) => ({ method: 'POST', path: p.path, query: '', headers: p.headers, body: Buffer.from(p.body, 'base64') })), n);
}

harnessMain('poll-instructions', 5000, prepare, run);
