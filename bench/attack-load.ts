// Load generation for the attack scenario (bench/attack.ts): connections that stream huge bodies,
// a prober that opens a new connection for each GET and times it, one-off requests whose replies
// may be hundreds of MB, and an open-loop generator over thousands of keep-alive connections.
//
// Written on raw sockets for the reason given in bench/load.ts (node's http client costs several
// times more CPU per request, on the cores the server needs), and because replies here may be
// far larger than load.ts's buffering reader should hold: bodies are counted, not kept.
import { fork } from 'node:child_process';
import net from 'node:net';

export interface Reply {
  status: number;
  /** Bytes of the reply body (its Content-Length, all of which were read). */
  bytes: number;
  /** The first bytes of the body, for a glance at what came back. */
  start: string;
  /** The server said it closes the connection after this reply. */
  close: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const KEEP = 256;

/**
 * One client connection, one request at a time. Its reply is framed by Content-Length (the
 * server always sends one) and counted as it arrives, so a reply of any size costs no memory.
 */
export class RawConnection {
  readonly socket: net.Socket;
  readonly connected: Promise<void>;
  closed: Error | null = null;
  private head: Buffer = Buffer.alloc(0);
  private reply: { status: number; length: number; read: number; start: Buffer[]; close: boolean } | null = null;
  private pending: ((r: Reply | Error) => void) | null = null;

  constructor(base: URL) {
    this.socket = net.connect(Number(base.port), base.hostname);
    this.socket.setNoDelay(true);
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    // Awaited by whoever needs it; a connection that fails before anyone awaits must not crash us.
    this.connected.catch(() => undefined);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Whether a reply has begun or finished arriving for the request in flight. */
  get answered(): boolean {
    return this.reply !== null;
  }

  private fail(e: Error): void {
    this.closed ??= e;
    const p = this.pending;
    this.pending = null;
    p?.(e);
  }

  private onData(d: Buffer): void {
    if (!this.reply) {
      this.head = this.head.length === 0 ? d : Buffer.concat([this.head, d]);
      const end = this.head.indexOf(HEAD_END);
      if (end < 0) return;
      const text = this.head.toString('latin1', 0, end);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      const close = /\r\nconnection:\s*close/i.test(text);
      this.reply = { status: Number(text.slice(9, 12)), length: m ? Number(m[1]) : 0, read: 0, start: [], close };
      d = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
    }
    const r = this.reply;
    if (r.read < KEEP) r.start.push(d.subarray(0, KEEP - r.read));
    r.read += d.length;
    if (r.read < r.length) return;
    this.reply = null;
    const p = this.pending;
    this.pending = null;
    p?.({ status: r.status, bytes: r.length, start: Buffer.concat(r.start).toString('utf8', 0, Math.min(KEEP, r.length)), close: r.close });
  }

  /**
   * Sends bytes (a whole request, or the head of one whose body follows) and awaits the reply.
   * The timeout counts from the call, so a connection the server is slow to accept counts too.
   */
  request(bytes: Buffer, timeoutMs: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.socket.destroy();
        reject(new TimeoutError());
      }, timeoutMs);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      this.connected.then(() => {
        if (this.closed) {
          fail(this.closed);
          return;
        }
        this.pending = (r) => {
          clearTimeout(timer);
          if (r instanceof Error) reject(r);
          else resolve(r);
        };
        if (bytes.length > 0) this.socket.write(bytes);
      }, fail);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export class TimeoutError extends Error {
  constructor() {
    super('timed out');
  }
}

/** Latencies and outcomes of a series of requests. */
export interface Outcomes {
  latenciesMs: number[];
  statuses: Map<number, number>;
  errors: number;
  timeouts: number;
}

export function newOutcomes(): Outcomes {
  return { latenciesMs: [], statuses: new Map(), errors: 0, timeouts: 0 };
}

function record(o: Outcomes, r: Reply | Error, ms: number): void {
  if (r instanceof TimeoutError) o.timeouts++;
  else if (r instanceof Error) o.errors++;
  else {
    o.statuses.set(r.status, (o.statuses.get(r.status) ?? 0) + 1);
    o.latenciesMs.push(ms);
  }
}

/**
 * A new client every `everyMs`: a fresh connection, one GET, its latency from the connect on.
 * What a user opening the app meets while the server is under attack. Run in this process by
 * bench/prober.ts, a process of its own: here, beside a generator driving thousands of
 * connections, a probe would wait for the generator's own event loop and measure that too.
 */
export function probeLoop(url: string, path: string, everyMs: number, timeoutMs: number): () => Promise<Outcomes> {
  const base = new URL(url);
  const bytes = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: ${base.host}\r\nconnection: close\r\n\r\n`, 'latin1');
  const out = newOutcomes();
  const running: Promise<void>[] = [];
  const probe = async (): Promise<void> => {
    const t0 = performance.now();
    const c = new RawConnection(base);
    try {
      const r = await c.request(bytes, timeoutMs);
      record(out, r, performance.now() - t0);
    } catch (e) {
      record(out, e as Error, 0);
    } finally {
      c.close();
    }
  };
  const timer = setInterval(() => running.push(probe()), everyMs);
  running.push(probe());
  return async () => {
    clearInterval(timer);
    await Promise.all(running);
    return out;
  };
}

/** Outcomes as they cross between processes (a Map does not survive IPC's JSON). */
export interface OutcomesMessage {
  latenciesMs: number[];
  statuses: [number, number][];
  errors: number;
  timeouts: number;
}

/** Starts bench/prober.ts in a child process; the returned function stops it and gives its outcomes. */
export function startProber(url: string, path: string, everyMs: number, timeoutMs: number): () => Promise<Outcomes> {
  const child = fork(require.resolve('./prober'), [url, path, String(everyMs), String(timeoutMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const result = new Promise<Outcomes>((resolve, reject) => {
    child.once('message', (m) => {
      const o = m as OutcomesMessage;
      resolve({ latenciesMs: o.latenciesMs, statuses: new Map(o.statuses), errors: o.errors, timeouts: o.timeouts });
    });
    child.once('exit', (code) => reject(new Error(`prober exited (${code}) without its outcomes`)));
  });
  result.catch(() => undefined);
  return async () => {
    child.send('stop');
    return result;
  };
}

/** A connection streaming one huge request body as fast as the server takes it. */
export interface BodyHolder {
  sent: number;
  /** The reply, if the server answered before the body was complete (or the error). */
  outcome: Reply | Error | null;
  /** Resolves once all but the last byte is sent, or the server answered or closed. */
  done: Promise<void>;
  close(): void;
}

/**
 * Sends `head` (which declares a Content-Length of `total`), then the body in `chunk`s, waiting
 * for the socket to drain so that the generator holds nothing itself. The last byte is never
 * sent: the request stays incomplete, its body held by the server for as long as the attacker
 * likes (the worst case for a server that buffers bodies).
 */
export function holdBody(base: URL, head: Buffer, total: number, chunk: Buffer): BodyHolder {
  const c = new RawConnection(base);
  const h: BodyHolder = { sent: 0, outcome: null, done: Promise.resolve(), close: () => c.close() };
  const answer = c.request(head, 24 * 3600_000).then(
    (r) => (h.outcome = r),
    (e: Error) => (h.outcome = e),
  );
  const stream = async (): Promise<void> => {
    try {
      await c.connected;
    } catch {
      return;
    }
    while (h.sent < total - 1 && !h.outcome && !c.closed) {
      const n = Math.min(chunk.length, total - 1 - h.sent);
      const ok = c.socket.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      h.sent += n;
      if (!ok) await new Promise<void>((r) => {
        const go = (): void => {
          c.socket.off('drain', go);
          c.socket.off('close', go);
          r();
        };
        c.socket.on('drain', go);
        c.socket.on('close', go);
      });
    }
  };
  h.done = Promise.race([stream(), answer]).then(() => undefined);
  return h;
}

export interface OpenLoopResult {
  offered: number;
  /** Requests written to a connection (the rest found none free before the end). */
  sent: number;
  seconds: number;
  outcomes: Outcomes;
  /** Latency of the replies that passed `admitted` (from the send). */
  admittedMs: number[];
  /** Requests sent but neither answered nor failed nor timed out when the run ended. */
  unfinished: number;
}

/**
 * Open loop over a fixed pool of `connections` keep-alive connections: request i is due at
 * i / perSecond; it goes out on a free connection, or waits for one. A request unanswered after
 * `timeoutMs` counts as a timeout and its connection is replaced. Requests still waiting for a
 * connection when the last is due are never sent; the run then waits for those in flight.
 */
export async function openLoop(
  url: string,
  wires: Buffer[],
  perSecond: number,
  connections: number,
  timeoutMs: number,
  admitted: (r: Reply) => boolean,
): Promise<OpenLoopResult> {
  const base = new URL(url);
  const idle: RawConnection[] = [];
  const all = new Set<RawConnection>();
  const open = (): RawConnection => {
    const c = new RawConnection(base);
    all.add(c);
    return c;
  };
  // Opened in groups, so the server's accept backlog does not overflow into SYN retries.
  for (let i = 0; i < connections; i += 100) {
    const group = Array.from({ length: Math.min(100, connections - i) }, open);
    await Promise.all(group.map((c) => c.connected.then(() => idle.push(c), () => undefined)));
  }
  const out = newOutcomes();
  const admittedMs: number[] = [];
  const queue: Buffer[] = [];
  let sent = 0;
  let inflight = 0;
  const send = (c: RawConnection, w: Buffer): void => {
    sent++;
    inflight++;
    const t0 = performance.now();
    c.request(w, timeoutMs).then(
      (r) => {
        inflight--;
        const ms = performance.now() - t0;
        record(out, r, ms);
        if (admitted(r)) admittedMs.push(ms);
        if (r.close) replace(c);
        else release(c);
      },
      (e: Error) => {
        inflight--;
        record(out, e, 0);
        replace(c);
      },
    );
  };
  // A connection the server closed (or that failed) is replaced, so the pool keeps its size.
  const replace = (c: RawConnection): void => {
    c.close();
    all.delete(c);
    const fresh = open();
    fresh.connected.then(() => release(fresh), () => all.delete(fresh));
  };
  const release = (c: RawConnection): void => {
    const w = queue.shift();
    if (w) send(c, w);
    else idle.push(c);
  };
  const start = performance.now();
  const interval = 1000 / perSecond;
  let next = 0;
  while (next < wires.length) {
    const due = Math.min(wires.length, Math.floor((performance.now() - start) / interval) + 1);
    for (; next < due; next++) {
      const c = idle.pop();
      if (c) send(c, wires[next]!);
      else queue.push(wires[next]!);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  // Requests still waiting for a connection once the last is due are never sent: sending them
  // later would keep offering load after the run's window. Those in flight answer or time out.
  queue.length = 0;
  const end = performance.now() + timeoutMs + 1000;
  while (inflight > 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - start) / 1000;
  for (const c of all) c.close();
  return { offered: wires.length, sent, seconds, outcomes: out, admittedMs, unfinished: inflight };
}
