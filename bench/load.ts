// Load generation: closed-loop saturation (N connections, each sending the next request as soon
// as the previous reply arrives) and open-loop fixed rate (requests start on a schedule whatever
// the replies do, so a slow server cannot slow the offered load). Latency counts from the moment a
// request is sent: on this two-core machine the generator itself sometimes starts late, and that lag
// is not the server's; the runner says when the offered rate was not reached.
import http from 'node:http';

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
}

function send(agent: http.Agent, base: URL, p: Prepared): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, path: p.path, method: p.method, agent, headers: { ...p.headers, ...(p.body ? { 'content-length': p.body.length } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(p.body);
  });
}

export async function saturate(url: string, requests: Prepared[], concurrency: number): Promise<LoadResult> {
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let failures = 0;
  const latencies: number[] = [];
  const start = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const p = requests[next++]!;
      const t0 = process.hrtime.bigint();
      try {
        const r = await send(agent, base, p);
        if (p.check ? !p.check(r.status, r.body) : r.status >= 400) failures++;
      } catch {
        failures++;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return { requests: requests.length, failures, seconds, perSecond: requests.length / seconds, latenciesMs: latencies };
}

export async function fixedRate(url: string, requests: Prepared[], perSecond: number): Promise<LoadResult> {
  const base = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const latencies: number[] = [];
  let failures = 0;
  const interval = 1000 / perSecond;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < requests.length; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const p = requests[i]!;
    const from = Math.max(due, performance.now());
    inflight.push(
      send(agent, base, p).then(
        (r) => {
          if (p.check ? !p.check(r.status, r.body) : r.status >= 400) failures++;
          latencies.push(performance.now() - from);
        },
        () => {
          failures++;
          latencies.push(performance.now() - from);
        },
      ),
    );
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { requests: requests.length, failures, seconds, perSecond: requests.length / seconds, latenciesMs: latencies };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
