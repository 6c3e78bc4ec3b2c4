// The logger: pino JSON lines (for log collectors) unless stdout is a terminal, where a tiny
// formatter prints `HH:MM:SS LEVEL message key=value ...` instead. Nothing here adds IPs or bodies.
import { Writable } from 'node:stream';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config';
import { LogLimiter } from './log-limit';

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

/** pino's level number for warn: warnings and errors are rate-limited, debug and info lines not. */
const WARN = 40;

/**
 * Drops warnings and errors past `perMinute` (LogLimiter) and, once there is room again, says how
 * many were dropped: before the next line that passes, or from a timer if none comes.
 */
function rateLimited(perMinute: number, logger: () => Logger): LoggerOptions['hooks'] {
  if (perMinute <= 0) return undefined;
  const limiter = new LogLimiter(perMinute);
  let timer: NodeJS.Timeout | null = null;
  let reporting = false;
  const summary = (n: number): [object, string] => [{ suppressed: n }, `suppressed ${n} warning/error log lines (logErrorsPerMinute)`];
  const report = (): void => {
    timer = null;
    const n = limiter.takeDropped();
    if (n === 0) return;
    reporting = true;
    logger().warn(...summary(n));
    reporting = false;
  };
  return {
    logMethod(args, method, level) {
      if (level < WARN || reporting) return method.apply(this, args);
      if (!limiter.allow()) {
        if (!timer) (timer = setTimeout(report, limiter.refillMs)).unref();
        return;
      }
      const n = limiter.takeDropped();
      if (n > 0) method.apply(this, summary(n) as unknown as Parameters<typeof method>);
      method.apply(this, args);
    },
  };
}

export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logErrorsPerMinute'>>,
  opts: { pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  let logger: Logger | null = null;
  const hooks = rateLimited(config.logErrorsPerMinute ?? 0, () => logger!);
  const o: LoggerOptions = { level: config.logLevel, base: undefined, ...(hooks ? { hooks } : {}) };
  const out = opts.destination ?? process.stdout;
  logger = pretty ? pino(o, prettyStream(out)) : opts.destination ? pino(o, out) : pino(o);
  return logger;
}
