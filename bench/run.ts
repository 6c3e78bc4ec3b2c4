// `npm run bench`: runs the benchmark scenarios against the real server in its own process and
// prints requests/s, latency percentiles, server CPU and peak memory. Not a test: numbers vary
// by machine. Options: --quick (smaller runs), --only since|desktop|history|attack|raid, --workers N[,M],
// --stores sqlite,postgres (the desktop poll on each; PostgreSQL at $SOGS_BENCH_PG_URL, default
// postgres://postgres@127.0.0.1:5432/test, in a schema of its own that is dropped afterwards),
// --write-rate N (posts per second by the desktop scenario's writers, default 2), --fixed-rate N
// (polls per second of its fixed-rate phase, default 1000), --fixed-burst N (sent N at a time),
// --profile DIR (V8 CPU profiles of the server processes, written when they stop), --rss-cap MiB
// (the attack scenario kills a server whose memory passes it, default 4096), --parts abc (which
// of the attack scenario's parts run). The desktop scenario first runs its polls against a
// ceiling server that does only their cryptography; the attack scenario (bench/attack.ts)
// measures the server under hostile load against targets. Saturation phases use wrk (Debian's
// `wrk` package) when it is installed, with pre-signed requests (bench/wrk.ts): --generator node
// uses the node generator instead, --seconds N sets wrk's phase length (default 10).
// The raid scenario (bench/raid.ts) replays a join raid on simulated time, on each of --stores.
import fs from 'node:fs';
import os from 'node:os';
import { attackScenario } from './attack';
import { raidScenario } from './raid';
import { measureCryptoFloor } from './crypto-floor';
import { historyScenario } from './history';
import { fixedRate, p50BySecond } from './load';
import { copyToPostgres, defaultGenerator, fmt, measured, poolSize, prepare, report, saturation, warmUp, WARM_UP_POLLS, type BenchDb, type Saturation, type Sched } from './measure';
import { makeClients, currentRooms, desktopPoll, randomContent, sincePoll } from './scenarios';
import { CEILING_BIN, schedOf, startServerProcess, type ServerProcess } from './server-process';
import { buildData, type BenchData } from './setup';

interface Args {
  quick: boolean;
  only: string | null;
  workers: number[];
  stores: string[];
  /** Posts per second, in all, by the writers of the desktop poll scenario. */
  writeRate: number;
  /** The attack scenario's safety cap on the server's memory, in MiB. */
  rssCapMiB: number;
  /** Polls per second of the desktop scenario's fixed-rate phase, and how many are sent at once. */
  fixedRate: number;
  fixedBurst: number;
  /** The attack scenario's parts to run (letters a, b, c). */
  attackParts: string;
  /** The saturation phases' load generator and length. */
  saturation: Saturation;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, only: null, workers: [1, 2], stores: ['sqlite', 'postgres'], writeRate: 2, rssCapMiB: 4096, fixedRate: 1000, fixedBurst: 1, attackParts: 'abc', saturation: { generator: defaultGenerator(), seconds: 10, requests: 20000 } };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') a.quick = true;
    else if (argv[i] === '--only') a.only = argv[++i] ?? null;
    else if (argv[i] === '--workers') a.workers = (argv[++i] ?? '1').split(',').map(Number);
    else if (argv[i] === '--stores') a.stores = (argv[++i] ?? 'sqlite').split(',');
    else if (argv[i] === '--write-rate') a.writeRate = Number(argv[++i] ?? 2);
    else if (argv[i] === '--fixed-rate') a.fixedRate = Number(argv[++i] ?? 1000);
    else if (argv[i] === '--fixed-burst') a.fixedBurst = Number(argv[++i] ?? 1);
    else if (argv[i] === '--parts') a.attackParts = argv[++i] ?? 'abc';
    else if (argv[i] === '--rss-cap') a.rssCapMiB = Number(argv[++i] ?? 4096);
    else if (argv[i] === '--generator') a.saturation.generator = argv[++i] === 'node' ? 'node' : 'wrk';
    else if (argv[i] === '--seconds') a.saturation.seconds = Number(argv[++i] ?? 10);
    else if (argv[i] === '--profile') process.env['SOGS_BENCH_PROFILE_DIR'] = argv[++i] ?? 'profiles';
  }
  if (a.quick) a.saturation = { ...a.saturation, seconds: Math.min(a.saturation.seconds, 4), requests: 5000 };
  return a;
}

// Below Linux's ephemeral range (32768-60999): the attack scenario's 2,000 client sockets take
// ports from it, and a server port chosen there was sometimes already held by one (EADDRINUSE).
let nextPort = 10000 + Math.floor(Math.random() * 20000);

/** A few writers posting through plain signed HTTP while the pollers run (none at a rate of 0). */
function startWriters(data: BenchData, url: string, rooms: string[], perSecond: number): () => Promise<number> {
  if (!(perSecond > 0)) return async () => 0;
  const writers = makeClients(data, url, 3);
  let posted = 0;
  let stop = false;
  const loop = (async () => {
    let i = 0;
    while (!stop) {
      const w = writers[i % writers.length]!;
      const r = await w.postMessage(rooms[i % rooms.length]!, randomContent());
      if (r.status === 201) posted++;
      i++;
      await new Promise((res) => setTimeout(res, 1000 / perSecond));
    }
  })();
  return async () => {
    stop = true;
    await loop;
    return posted;
  };
}

/** Upper bounds of the rates the saturation phases could reach here: wrk is given that many requests a second. */
const SINCE_MAX_RATE = 20_000;
const DESKTOP_MAX_RATE = 12_000;

async function sinceScenario(args: Args): Promise<void> {
  console.log('\n## since-poll: authenticated GET /room/big/messages/since/N on a room of 100,000 messages (direct HTTP)');
  const data = await buildData({ rooms: [{ token: 'big', messages: 100_000 }] });
  const port = nextPort++;
  const server = await startServerProcess(data.dataDir, port, ['--rate-limit-posts', '0']);
  try {
    const clients = makeClients(data, server.url, 200);
    const room = data.rooms[0]!;
    const sat = prepare(poolSize(args.saturation, SINCE_MAX_RATE), (i, ts) => sincePoll(clients[i % clients.length]!, room, ts));
    await warmUp(server.url, prepare(WARM_UP_POLLS, (i, ts) => sincePoll(clients[i % clients.length]!, room, ts)));
    const { r, cpu } = await saturation(args.saturation, server, 32, sat);
    report('saturation (32 connections)', r, cpu);
    const rate = prepare(args.quick ? 2000 : 5000, (i, ts) => sincePoll(clients[i % clients.length]!, room, ts));
    const fixed = await measured(server, () => fixedRate(server.url, rate, 1000));
    report('fixed 1,000 req/s', fixed.r, fixed.cpu);
    console.log(`server peak RSS ${fmt(server.peakRssMiB(), 1)} MiB`);
  } finally {
    await server.stop();
    fs.rmSync(data.dataDir, { recursive: true, force: true });
  }
}

async function desktopScenario(args: Args): Promise<void> {
  console.log('\n## desktop poll: onion v4 (AES-GCM) wrapping POST /batch: capabilities, 3 x (pollInfo/0, messages/since?t=r&reactors=5), inbox/outbox since');
  const data = await buildData({ rooms: [{ token: 'general', messages: 20_000 }, { token: 'dev', messages: 5_000 }, { token: 'random', messages: 1_000 }] });
  try {
    for (const workers of args.workers) await ceilingRun(args, data, workers);
    for (const store of args.stores) {
      const db = store === 'postgres' ? await copyToPostgres(data.dataDir) : null;
      try {
        for (const workers of args.workers) await desktopRun(args, data, store, workers, db);
      } finally {
        await db?.drop();
      }
    }
  } finally {
    fs.rmSync(data.dataDir, { recursive: true, force: true });
  }
}

/** The server's main threads' and the database backends' time on a CPU and waiting for one, now. */
async function schedNow(server: ServerProcess, db: BenchDb | null): Promise<{ at: number; server: Sched & { threads: number }; gen: Sched; db: Sched | null }> {
  return { at: performance.now(), server: server.mainThreads(), gen: schedOf(process.pid), db: db ? await db.cpu() : null };
}

/** The fraction of a phase's wall time the server's main threads were, on average, ready to run but had no CPU. */
function starvation(a: Awaited<ReturnType<typeof schedNow>>, b: Awaited<ReturnType<typeof schedNow>>): number {
  return (b.server.wait - a.server.wait) / (((b.at - a.at) / 1000) * b.server.threads);
}

/**
 * Where a phase's wall time went: the server's main threads (with several workers, the primary's
 * and each worker's, on average) on a CPU, ready but waiting for one (the machine's cores busy
 * with other processes), or idle (waiting for requests or the database); and the database
 * backends' CPU and run-queue wait per poll.
 */
function schedReport(a: Awaited<ReturnType<typeof schedNow>>, b: Awaited<ReturnType<typeof schedNow>>, polls: number): string {
  const wall = (b.at - a.at) / 1000;
  const threads = b.server.threads;
  const run = b.server.run - a.server.run;
  const wait = b.server.wait - a.server.wait;
  const pct = (x: number, of = wall): string => `${fmt((100 * x) / of, 0)}%`;
  const each = threads > 1 ? `server main threads (${threads}, on average)` : 'server main thread';
  let out = `${each} on CPU ${pct(run, wall * threads)}, waiting for a CPU ${pct(wait, wall * threads)}, idle ${pct(wall * threads - run - wait, wall * threads)} of ${fmt(wall, 1)} s (${fmt((run * 1e6) / polls)} us on CPU per poll in all)`;
  out += `; generator on CPU ${pct(b.gen.run - a.gen.run)}, waiting ${pct(b.gen.wait - a.gen.wait)}`;
  if (a.db && b.db) {
    out += `; database backends ${fmt(((b.db.run - a.db.run) * 1e6) / polls)} us on CPU and ${fmt(((b.db.wait - a.db.wait) * 1e6) / polls)} us waiting for one per poll`;
  }
  return out;
}

/**
 * The same polls against a server that does only their cryptography (bench/ceiling-server.ts):
 * the most this machine gives any node server with this generator beside it on the same cores.
 */
async function ceilingRun(args: Args, data: BenchData, workers: number): Promise<void> {
  const port = nextPort++;
  const server = await startServerProcess(data.dataDir, port, ['--workers', String(workers)], CEILING_BIN);
  try {
    const clients = makeClients(data, server.url, args.quick ? 200 : 1000);
    const polls = prepare(WARM_UP_POLLS + poolSize(args.saturation, DESKTOP_MAX_RATE), (i, ts) => desktopPoll(clients[i % clients.length]!, data.rooms, false, ts));
    await warmUp(server.url, polls.slice(0, WARM_UP_POLLS));
    const { result: { r, cpu }, floorPerCore } = await withFloor(() => saturation(args.saturation, server, 64, polls.slice(WARM_UP_POLLS)));
    const cores = Math.min(workers, os.availableParallelism());
    console.log(
      `ceiling (only the floor's cryptography behind node's HTTP), ${workers} worker(s): ${fmt(r.perSecond)} polls/s = ` +
        `${fmt((100 * r.perSecond) / (floorPerCore * cores), 1)}% of the crypto floor on ${cores} core(s); ` +
        `server CPU ${fmt((cpu.seconds * 1e6) / r.requests)} us per poll, generator ${fmt(r.generatorUsPerRequest)} us; ${r.failures} failed`,
    );
  } finally {
    await server.stop();
  }
}

async function desktopRun(args: Args, data: BenchData, store: string, workers: number, db: BenchDb | null): Promise<void> {
  const port = nextPort++;
  const extra = ['--workers', String(workers), '--rate-limit-posts', '0', ...(db ? ['--db-url', db.url] : [])];
  const server = await startServerProcess(data.dataDir, port, extra);
  const label = `${store}, ${workers} worker(s)`;
  try {
    const clients = makeClients(data, server.url, args.quick ? 200 : 1000);
    const n = poolSize(args.saturation, DESKTOP_MAX_RATE);
    process.stdout.write(`${label}: preparing ${n} onion polls... `);
    // Polls are signed and encrypted ahead, so their cursors are those of the moment they were
    // made: each phase starts caught up, and falls behind by what the writers post meanwhile.
    let rooms = await currentRooms(clients[0]!, data.rooms);
    const warm = prepare(WARM_UP_POLLS, (i, ts) => desktopPoll(clients[i % clients.length]!, rooms, true, ts));
    const sat = prepare(n, (i, ts) => desktopPoll(clients[i % clients.length]!, rooms, i % 10 === 0, ts));
    console.log('done');
    await warmUp(server.url, warm);
    await db?.matchPriority();
    const stopWriters = startWriters(data, server.url, data.rooms.map((r) => r.token), args.writeRate);
    const at0 = await schedNow(server, db);
    const { result: { r, cpu }, floorPerCore } = await withFloor(() => saturation(args.saturation, server, 64, sat));
    const at1 = await schedNow(server, db);
    rooms = await currentRooms(clients[0]!, data.rooms);
    const rate = prepare(args.quick ? 2000 : 5000, (i, ts) => desktopPoll(clients[i % clients.length]!, rooms, i % 10 === 0, ts));
    const at2 = await schedNow(server, db);
    const fixed = await measured(server, () => fixedRate(server.url, rate, args.fixedRate, args.fixedBurst));
    const at3 = await schedNow(server, db);
    const posted = await stopWriters();
    report(`${label}, saturation (64 conns)`, r, cpu);
    report(`${label}, fixed ${fmt(args.fixedRate)} polls/s${args.fixedBurst > 1 ? ` x${args.fixedBurst}` : ''}`, fixed.r, fixed.cpu);
    if (fixed.r.perSecond < 0.95 * args.fixedRate) console.log(`  (the fixed rate was not reached: ${fmt(fixed.r.perSecond)} polls/s; latencies include queueing)`);
    // A p50 that rises second by second is a queue growing: the rate offered is above what the
    // server (with the generator and the database beside it) serves at that moment.
    console.log(`  fixed rate: p50 by second ${p50BySecond(fixed.r).map((x) => fmt(x, 1)).join(', ')} ms; ${fixed.r.connections} connections`);
    console.log(`  saturation: ${schedReport(at0, at1, r.requests)}`);
    console.log(`  fixed rate: ${schedReport(at2, at3, fixed.r.requests)}`);
    const starved = Math.max(starvation(at0, at1), starvation(at2, at3));
    if (starved > 0.2) {
      console.log(
        `  !! the server's main threads waited for a CPU ${fmt(100 * starved)}% of a phase (on average): other processes took its cores (the database's ` +
          "backends and the generator, above, or others on this machine), so these figures are not the server's alone",
      );
    }
    const cores = Math.min(workers, os.availableParallelism());
    const floor = floorPerCore * cores;
    // The generator runs on the same cores, so the fraction of the floor is also given per core
    // the server itself used: how far its own work per poll is from the cryptography alone.
    const serverUsPerPoll = (cpu.seconds * 1e6) / r.requests;
    console.log(
      `${label}: ${fmt(r.perSecond)} polls/s = ${fmt((100 * r.perSecond) / floor, 1)}% of the crypto floor on ${cores} core(s) (${fmt(floor)} polls/s, measured around the run); ` +
        `server CPU ${fmt(serverUsPerPoll)} us per poll = ${fmt((100 * 1e6) / floorPerCore / serverUsPerPoll, 1)}% of the floor per core used; ` +
        `peak RSS ${fmt(server.peakRssMiB(), 1)} MiB; writers posted ${posted} messages meanwhile`,
    );
  } finally {
    await server.stop();
  }
}

/**
 * A run with the crypto floor measured just before and just after it, and their mean: this
 * machine's speed drifts by tens of percent within minutes (seen here: Ed25519 verify at 50 us,
 * then 83 us), so a fraction of the floor means something only against the floor of its moment.
 */
async function withFloor<T>(run: () => Promise<T>): Promise<{ result: T; floorPerCore: number }> {
  const before = measureCryptoFloor().perPollUs;
  const result = await run();
  const after = measureCryptoFloor().perPollUs;
  console.log(`  crypto floor around the run: ${fmt(before, 1)} us before, ${fmt(after, 1)} us after`);
  return { result, floorPerCore: 2e6 / (before + after) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`# sogs-ts benchmark on ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, Node ${process.version}`);
  const sat = args.saturation;
  console.log(`saturation load: ${sat.generator === 'wrk' ? `wrk, ${sat.seconds} s per phase` : `the node generator (bench/load.ts), ${sat.requests} requests per phase`}`);
  const floor = measureCryptoFloor();
  const perCore = 1e6 / floor.perPollUs;
  console.log(
    `crypto floor per poll: X25519 ${fmt(floor.x25519Us, 1)} us + AES-GCM open+seal ${fmt(floor.aesGcmUs, 1)} us + Ed25519 verify ${fmt(floor.ed25519VerifyUs, 1)} us` +
      ` = ${fmt(floor.perPollUs, 1)} us -> ${fmt(perCore)} polls/s per core`,
  );
  if (!args.only || args.only === 'since') await sinceScenario(args);
  if (!args.only || args.only === 'desktop') await desktopScenario(args);
  if (!args.only || args.only === 'history') await historyScenario({ saturation: args.saturation, workers: args.workers, stores: args.stores, port: () => nextPort++ });
  if (!args.only || args.only === 'attack') await attackScenario({ quick: args.quick, parts: args.attackParts, rssCapMiB: args.rssCapMiB, port: () => nextPort++ });
  if (!args.only || args.only === 'raid') await raidScenario({ quick: args.quick, stores: args.stores });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
