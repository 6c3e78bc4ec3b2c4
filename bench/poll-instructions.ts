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
import { buildRouter } from '../src/api';
import { closeServices, openServices } from '../src/app';
import { defaultConfig } from '../src/config';
import { desktopPoll, makeClients, signedAt } from './scenarios';
import { buildData } from './setup';

/** Polls dispatched together: what one turn of the event loop gathers on a loaded server. */
const CONCURRENT = 10;

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
  const s = await openServices({ ...defaultConfig(), dataDir: dir, logLevel: 'silent', rateLimitPosts: 0 });
  const router = buildRouter();
  let failed = 0;
  try {
    for (let i = 0; i < n; i += CONCURRENT) {
      const batch = saved.polls.slice(i, Math.min(n, i + CONCURRENT));
      const replies = await Promise.all(
        batch.map((p) => router.dispatch(s, { method: 'POST', path: p.path, query: '', headers: p.headers, body: Buffer.from(p.body, 'base64') })),
      );
      failed += replies.filter((r) => r.status !== 200).length;
    }
  } finally {
    await closeServices(s);
  }
  if (failed > 0) throw new Error(`${failed} of ${n} polls failed`);
}

const [mode, dir, count] = process.argv.slice(2);
if (!dir || (mode !== 'prepare' && mode !== 'run')) {
  console.error('usage: poll-instructions prepare DIR [POLLS] | run DIR N');
  process.exit(2);
}
(mode === 'prepare' ? prepare(dir, Number(count ?? 5000)) : run(dir, Number(count))).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
