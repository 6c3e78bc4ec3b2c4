// Runs the server under test in its own process(es), so that load generation does not share its
// event loop, and reads its CPU time and peak memory from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** CPU seconds (user + system) used so far by the server and its workers. */
  cpuSeconds(): number;
  /** Seconds on a CPU and waiting for one so far, summed over the main threads of its processes. */
  mainThreads(): { run: number; wait: number; threads: number };
  /** Peak resident memory in MiB, summed over the server's processes. */
  peakRssMiB(): number;
  /** Resident memory now (VmRSS) and the peak so far (VmHWM), in MiB, summed over its processes. */
  memory(): { rssMiB: number; hwmMiB: number };
  /** Whether the server's main process has exited (or was killed). */
  exited(): boolean;
  /** SIGKILL at once (the attack scenario's safety stop); stop() afterwards returns at once. */
  kill(): void;
  stop(): Promise<void>;
}

const BIN = path.join(__dirname, '..', '..', 'bin', 'sogs.js');
/** The ceiling server (bench/ceiling-server.ts), started the same way as the real one. */
export const CEILING_BIN = path.join(__dirname, 'ceiling-server.js');
const TICK = 100; // USER_HZ on Linux

function pids(root: number): number[] {
  const out = [root];
  try {
    const children = fs.readFileSync(`/proc/${root}/task/${root}/children`, 'utf8').trim();
    for (const c of children.split(/\s+/).filter(Boolean)) out.push(...pids(Number(c)));
  } catch {
    // process gone
  }
  return out;
}

/**
 * Seconds a thread has spent on a CPU and waiting in the run queue for one (/proc schedstat):
 * the wait is the time it was ready to run but the machine's cores were busy with others.
 */
export function schedOf(pid: number, tid = pid): { run: number; wait: number } {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { run: run! / 1e9, wait: wait! / 1e9 };
  } catch {
    return { run: 0, wait: 0 };
  }
}

/** CPU seconds (user + system) a process has used, 0 once it is gone. */
export function cpuOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}

function statusOf(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const hwmOf = (pid: number): number => statusOf(pid, 'VmHWM');

export async function startServerProcess(dataDir: string, port: number, extra: string[] = [], bin = BIN): Promise<ServerProcess> {
  // `npm run bench -- --profile DIR`: V8 CPU profiles of the server process(es), for DevTools.
  const profile = process.env['SOGS_BENCH_PROFILE_DIR'];
  const node = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
  const child = spawn(process.execPath, [...node, bin, '--data-dir', dataDir, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SOGS_CONFIG: '' },
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('public_key=')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const peak = new Map<number, number>();
  const sample = (): void => {
    for (const p of pids(child.pid!)) peak.set(p, Math.max(peak.get(p) ?? 0, hwmOf(p)));
  };
  const timer = setInterval(sample, 200);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    cpuSeconds: () => pids(child.pid!).reduce((a, p) => a + cpuOf(p), 0),
    mainThreads: () => {
      const all = pids(child.pid!);
      return { ...all.map((p) => schedOf(p)).reduce((a, x) => ({ run: a.run + x.run, wait: a.wait + x.wait }), { run: 0, wait: 0 }), threads: all.length };
    },
    peakRssMiB: () => {
      sample();
      return [...peak.values()].reduce((a, b) => a + b, 0);
    },
    memory: () => {
      const all = pids(child.pid!);
      return { rssMiB: all.reduce((a, p) => a + statusOf(p, 'VmRSS'), 0), hwmMiB: all.reduce((a, p) => a + hwmOf(p), 0) };
    },
    exited: () => child.exitCode !== null || child.signalCode !== null,
    kill: () => {
      clearInterval(timer);
      for (const p of pids(child.pid!).reverse()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    stop: async () => {
      clearInterval(timer);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
