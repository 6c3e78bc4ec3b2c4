// Saturation load from wrk (Debian's `wrk` package), the generator that costs the server's cores
// least: a C event loop writing pre-built requests. Node's generator (load.ts) spent ~20 us of CPU
// per request on the same two cores as the server and set the figure itself at a few thousand
// requests a second (one and two server processes measured alike in the same hour).
//
// Every signed request carries a nonce the server accepts once, so wrk cannot repeat one request:
// the requests are serialised ahead into one file per wrk thread, which a Lua script loads at
// start and sends in order, each once. The pool must outlast the run: a thread that runs out
// stops, and the result says so (`exhausted`), since wrk still divides by the full duration.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serialise, type LoadResult, type Prepared } from './load';

const LUA = `
local id = 0
function setup(thread)
  thread:set("id", id)
  id = id + 1
end

local reqs, n, i = {}, 0, 0
function init(args)
  local dir = args[1]
  local f = assert(io.open(dir .. "/" .. id .. ".bin", "rb"))
  local blob = f:read("*a")
  f:close()
  local pos = 1
  for len in io.lines(dir .. "/" .. id .. ".len") do
    n = n + 1
    reqs[n] = blob:sub(pos, pos + tonumber(len) - 1)
    pos = pos + tonumber(len)
  end
end

function request()
  i = i + 1
  if i > n then
    -- Out of requests: this thread stops (the one sent here is refused as a reused nonce).
    wrk.thread:stop()
    return reqs[n]
  end
  return reqs[i]
end

function done(summary, latency, requests)
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export interface WrkOptions {
  connections: number;
  seconds: number;
  /** wrk threads (default 1: one core's worth of generator is plenty and leaves the rest to the server). */
  threads?: number;
}

/**
 * Saturation (each connection sends its next request when the reply arrives) for `seconds`,
 * from `requests` sent in order, each at most once. Replies are counted, not checked: a status of
 * 400 or more is a failure (an onion request's inner status is not seen; sample those with the
 * node generator first). CPU per request is wrk's own, read from its parent shell's /proc entry.
 * If `requests` run out first, the thread stops and the rate is too low: the caller checks.
 */
export async function wrkSaturate(url: string, requests: Prepared[], opts: WrkOptions): Promise<LoadResult> {
  const threads = opts.threads ?? 1;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-wrk-'));
  try {
    const base = new URL(url);
    for (let t = 0; t < threads; t++) {
      const wires = requests.filter((_, i) => i % threads === t).map((p) => serialise(base, p).bytes);
      fs.writeFileSync(path.join(dir, `${t}.bin`), Buffer.concat(wires));
      fs.writeFileSync(path.join(dir, `${t}.len`), wires.map((w) => w.length).join('\n') + '\n');
    }
    fs.writeFileSync(path.join(dir, 'requests.lua'), LUA);
    const args = ['-t', String(threads), '-c', String(Math.max(opts.connections, threads)), '-d', `${opts.seconds}s`, '--timeout', '10s', '-s', path.join(dir, 'requests.lua'), url, '--', dir];
    // The shell reaps wrk, so its /proc stat then holds wrk's CPU in cutime and cstime.
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('sh', ['-c', 'wrk "$@"; echo; echo "SHELL_STAT $(cat /proc/$$/stat)"', 'sh', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const m = /WRK_RESULT (\{.*\})/.exec(out);
    const stat = /SHELL_STAT (.*)/.exec(out);
    if (!m || !stat) throw new Error(`unexpected wrk output: ${out}`);
    const r = JSON.parse(m[1]!) as { requests: number; duration_us: number; status_errors: number; socket_errors: number; p50_us: number; p90_us: number; p99_us: number; max_us: number };
    const fields = stat[1]!.slice(stat[1]!.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in USER_HZ ticks
    const seconds = r.duration_us / 1e6;
    return {
      requests: r.requests,
      failures: r.status_errors + r.socket_errors,
      seconds,
      perSecond: r.requests / seconds,
      latenciesMs: [],
      quantilesMs: { 50: r.p50_us / 1000, 90: r.p90_us / 1000, 99: r.p99_us / 1000, 100: r.max_us / 1000 },
      generatorUsPerRequest: (cpuSeconds * 1e6) / Math.max(1, r.requests),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
