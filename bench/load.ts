// Load generation: closed-loop saturation (N connections, each sending the next request as soon
// as the previous reply arrives) and open-loop fixed rate (requests start on a schedule whatever
// the replies do, so a slow server cannot slow the offered load). Latency counts from the moment a
// request is sent: on this two-core machine the generator itself sometimes starts late, and that lag
// is not the server's; the runner says when the offered rate was not reached.
//
// Requests go out over plain keep-alive sockets as bytes serialised before the run. node's http
// client spends about 100 us of CPU per request, on the same two cores as the server it measures;
// writing prepared bytes and reading Content-Length-framed replies costs a fifth of that, so the
// generator takes less of the machine away from the server. Our server always sends
// Content-Length (it never streams), which is all the reply framing this needs.
import net from 'node:net';

export interface Prepared {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Checks the reply; returns false if it is not what was expected. */
  check?: (status: number, body: Buffer) => boolean;
}

export interface LoadResult {
  requests: number;
  failures: number;
  seconds: number;
  perSecond: number;
  latenciesMs: number[];
  /** Fixed rate only: when each request of latenciesMs was sent, in ms from the start of the run. */
  sentAtMs?: number[];
  /** Fixed rate only: connections opened (at most MAX_FIXED_RATE_CONNECTIONS, plus replacements). */
  connections?: number;
  /** CPU time the load generator itself used, per request, in microseconds. */
  generatorUsPerRequest: number;
  /** Latency percentiles (ms) when the generator reports those rather than each latency (wrk). */
  quantilesMs?: Record<number, number>;
}

export interface Wire {
  bytes: Buffer;
  check?: Prepared['check'];
}

export function serialise(base: URL, p: Prepared): Wire {
  const lines = [`${p.method} ${p.path} HTTP/1.1`, `host: ${base.host}`, 'connection: keep-alive'];
  for (const [k, v] of Object.entries(p.headers)) lines.push(`${k}: ${v}`);
  lines.push(`content-length: ${p.body?.length ?? 0}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return { bytes: p.body ? Buffer.concat([head, p.body]) : head, check: p.check };
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection with at most one request in flight (clients do not pipeline). */
class Connection {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: ((r: { status: number; body: Buffer } | Error) => void) | null = null;
  private readonly ready: Promise<void>;
  /** Set once the socket failed or closed: a send then fails at once instead of waiting forever. */
  closed: Error | null = null;

  constructor(base: URL) {
    this.socket = net.connect(Number(base.port), base.hostname);
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  private fail(e: Error): void {
    this.closed ??= e;
    const p = this.pending;
    this.pending = null;
    p?.(e);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const end = this.buf.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const length = m ? Number(m[1]) : 0;
    if (this.buf.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const body = this.buf.subarray(end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const p = this.pending;
    this.pending = null;
    p?.({ status, body });
  }

  async send(w: Wire): Promise<{ status: number; body: Buffer }> {
    await this.ready;
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(this.closed);
        return;
      }
      this.pending = (r) => (r instanceof Error ? reject(r) : resolve(r));
      this.socket.write(w.bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function failed(w: Wire, r: { status: number; body: Buffer }): boolean {
  return w.check ? !w.check(r.status, r.body) : r.status >= 400;
}

function result(n: number, failures: number, seconds: number, latencies: number[], cpu: NodeJS.CpuUsage): LoadResult {
  return { requests: n, failures, seconds, perSecond: n / seconds, latenciesMs: latencies, generatorUsPerRequest: (cpu.user + cpu.system) / n };
}

export async function saturate(url: string, requests: Prepared[], concurrency: number): Promise<LoadResult> {
  const base = new URL(url);
  const wires = requests.map((p) => serialise(base, p));
  const conns = Array.from({ length: concurrency }, () => new Connection(base));
  const opened = [...conns];
  let next = 0;
  let failures = 0;
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const worker = async (first: Connection): Promise<void> => {
    let conn = first;
    while (next < wires.length) {
      // A connection the server closed is replaced, so its share of the requests still runs.
      if (conn.closed) {
        conn = new Connection(base);
        opened.push(conn);
      }
      const w = wires[next++]!;
      const t0 = process.hrtime.bigint();
      try {
        if (failed(w, await conn.send(w))) failures++;
      } catch {
        failures++;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(conns.map(worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  for (const c of opened) c.close();
  return result(wires.length, failures, seconds, latencies, cpu);
}

/**
 * The most connections the fixed-rate generator keeps open. Near or above the server's capacity
 * replies come late; opening a connection for every late request made the generator spend its
 * CPU on thousands of connections, on the cores the server needed (measured here: a server able
 * to serve 1,900 polls/s served 925 when 3,500 were offered). Beyond this many, a request waits
 * for a connection to come free, and its latency counts from when it was due.
 */
const MAX_FIXED_RATE_CONNECTIONS = 256;

/**
 * Open loop at `perSecond`, sent `burst` at a time (every burst / perSecond seconds): with bursts,
 * requests reach the server together, as they do from many clients behind one onion path, and
 * more of them share each turn of its event loop.
 */
export async function fixedRate(url: string, requests: Prepared[], perSecond: number, burst = 1): Promise<LoadResult> {
  const base = new URL(url);
  const wires = requests.map((p) => serialise(base, p));
  // Idle connections are reused; a new one opens only when every open one is busy.
  const idle: Connection[] = [];
  const all: Connection[] = [];
  const waiting: { w: Wire; due: number }[] = [];
  const latencies: number[] = [];
  const sentAt: number[] = [];
  let failures = 0;
  const interval = 1000 / perSecond;
  const inflight: Promise<void>[] = [];
  const open = (): Connection => {
    const c = new Connection(base);
    all.push(c);
    return c;
  };
  const release = (c: Connection): void => {
    const next = waiting.shift();
    if (next) send(c, next.w, next.due);
    else idle.push(c);
  };
  const send = (c: Connection, w: Wire, from: number): void => {
    inflight.push(
      c.send(w).then(
        (r) => {
          if (failed(w, r)) failures++;
          latencies.push(performance.now() - from);
          sentAt.push(from - start);
          release(c);
        },
        () => {
          failures++;
          latencies.push(performance.now() - from);
          sentAt.push(from - start);
          if (waiting.length === 0) return;
          // The connection is gone: a new one takes its place for the requests waiting for one
          // (which fail in turn if the server is gone).
          release(open());
        },
      ),
    );
  };
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < wires.length; i++) {
    const due = start + Math.floor(i / burst) * burst * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const w = wires[i]!;
    // Sent up to 1 ms early rather than sleeping less than a timer can: counted from the send.
    const from = performance.now();
    let conn = idle.pop();
    while (conn?.closed) conn = idle.pop();
    // Connections that failed no longer count, or requests could wait for ones that never return.
    if (!conn && all.filter((c) => !c.closed).length < MAX_FIXED_RATE_CONNECTIONS) conn = open();
    if (conn) send(conn, w, from);
    else waiting.push({ w, due });
  }
  while (waiting.length > 0 || inflight.length > latencies.length) await Promise.all(inflight);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const c of all) c.close();
  return { ...result(wires.length, failures, seconds, latencies, cpu), sentAtMs: sentAt, connections: all.length };
}

/** The p50 of the requests sent in each second of a fixed-rate run: a queue growing shows as a rise. */
export function p50BySecond(r: LoadResult): number[] {
  const bins: number[][] = [];
  r.sentAtMs?.forEach((t, i) => (bins[Math.floor(t / 1000)] ??= []).push(r.latenciesMs[i]!));
  return Array.from(bins, (b) => percentile(b ?? [], 50));
}

/** The run's p-th latency percentile in ms, from its latencies or as its generator reported it. */
export function latencyAt(r: LoadResult, p: number): number {
  return r.quantilesMs?.[p] ?? percentile(r.latenciesMs, p);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
