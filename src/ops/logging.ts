// The logger: pino JSON lines (for log collectors) unless stdout is a terminal, where a tiny
// formatter prints `HH:MM:SS LEVEL message key=value ...` instead. Nothing here adds IPs or bodies.
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Config } from '../config';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

export function formatLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, err, ...rest } = o;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const extras = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  let out = `${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extras.length ? ' ' + extras.join(' ') : ''}`;
  if (err && typeof err === 'object' && 'stack' in err) out += '\n' + String((err as { stack: unknown }).stack);
  return out;
}

function prettyStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      pending += chunk.toString('utf8');
      let i: number;
      while ((i = pending.indexOf('\n')) >= 0) {
        out.write(formatLine(pending.slice(0, i)) + '\n');
        pending = pending.slice(i + 1);
      }
      cb();
    },
  });
}

export function createLogger(config: Pick<Config, 'logLevel'>, opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  const o = { level: config.logLevel, base: undefined };
  return pretty ? pino(o, prettyStream(process.stdout)) : pino(o);
}
