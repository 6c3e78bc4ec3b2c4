// A server started as its own process (`bin/sogs.js`), as an operator runs it: for tests of several
// instances on one database, and of what happens when one is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'sogs.js');

export interface Instance {
  url: string;
  port: number;
  publicKeyHex: string;
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startInstance(dataDir: string, args: string[] = []): Promise<Instance> {
  // A later --port in `args` wins over the default 0 (any free port).
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SOGS_CONFIG: '' },
  });
  const logs: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  let pending = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<{ port: number; key: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('{')) {
          try {
            logs.push(JSON.parse(l) as Record<string, unknown>);
          } catch {
            /* not a log line */
          }
        }
      }
      const port = /listening on [^\s]+:(\d+)/.exec(out);
      const key = /Server public key: ([0-9a-f]{64})/.exec(out);
      if (port && key && out.includes('public_key=')) resolve({ port: Number(port[1]), key: key[1]! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    void exited.then(() => reject(new Error(`server exited before it started: ${out}${err}`)));
  });
  const { port, key } = await started;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    publicKeyHex: key,
    child,
    logs,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}
