// One typed configuration, merged from (lowest to highest precedence): built-in defaults, an INI
// file (the reference server's sogs.ini keys, plus our own), SOGS_* environment variables and
// command-line flags. Every option is listed once, in OPTIONS (src/config-options.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ini from 'ini';
import { OPTIONS, type Config, type Option } from './config-options';

export { OPTIONS, type Config } from './config-options';

/** An over-budget sub-request's 429 element (some 220 bytes) must fit the share of the batch budget its slot reserves. */
export const MIN_BATCH_REQUEST_COST = 256;

export function defaultConfig(): Config {
  const c = {} as Record<string, unknown>;
  for (const o of OPTIONS) c[o.key] = o.default;
  return c as unknown as Config;
}

export class ConfigError extends Error {}

function coerce(o: Option, raw: string, source: string): Config[keyof Config] {
  const v = raw.trim();
  switch (o.kind) {
    case 'string':
      return v;
    case 'bool':
      if (/^(y|yes|true|on|1)$/i.test(v)) return true;
      if (/^(n|no|false|off|0)$/i.test(v)) return false;
      throw new ConfigError(`${source}: ${o.key} must be a boolean (yes/no), got '${raw}'`);
    case 'int': {
      if (!/^-?\d+$/.test(v.replace(/_/g, ''))) throw new ConfigError(`${source}: ${o.key} must be an integer, got '${raw}'`);
      return Number(v.replace(/_/g, ''));
    }
    case 'float': {
      const n = Number(v);
      if (v === '' || !Number.isFinite(n)) throw new ConfigError(`${source}: ${o.key} must be a number, got '${raw}'`);
      return n;
    }
  }
}

/** Reads an INI file: reference keys (section.key) and our own option names (top level or [sogs]). */
export function readIniFile(file: string): Partial<Config> {
  const parsed = ini.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const lookup = (section: string | null, key: string): unknown => {
    if (section === null) return parsed[key];
    const s = parsed[section];
    return s && typeof s === 'object' ? (s as Record<string, unknown>)[key] : undefined;
  };
  for (const o of OPTIONS) {
    let raw = lookup(null, o.key) ?? lookup('sogs', o.key);
    if (raw === undefined && o.ini) {
      const [section, key] = o.ini.split('.');
      raw = lookup(section!, key!);
    }
    if (raw === undefined) continue;
    out[o.key] = o.key === 'logLevel' ? normaliseLogLevel(String(raw), file) : coerce(o, String(raw), file);
  }
  return out as Partial<Config>;
}

function normaliseLogLevel(v: string, source: string): Config['logLevel'] {
  const l = v.toLowerCase();
  const map: Record<string, Config['logLevel']> = {
    debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', critical: 'error', silent: 'silent',
  };
  const r = map[l];
  if (!r) throw new ConfigError(`${source}: unknown log level '${v}'`);
  return r;
}

export function readEnv(env: NodeJS.ProcessEnv): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    const raw = env[o.env];
    if (raw === undefined || raw === '') continue;
    out[o.key] = o.key === 'logLevel' ? normaliseLogLevel(raw, o.env) : coerce(o, raw, o.env);
  }
  return out as Partial<Config>;
}

/** Parses `--option value` / `--option=value` pairs for every config option; returns what is left. */
export function readFlags(argv: string[]): { config: Partial<Config>; rest: string[]; configFile?: string } {
  const out: Record<string, unknown> = {};
  const rest: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${name} needs a value`);
      return v;
    };
    if (name === '--config' || name === '-c') {
      configFile = takeValue();
      continue;
    }
    const o = OPTIONS.find((x) => x.flag === name);
    if (!o) {
      rest.push(arg);
      continue;
    }
    if (o.kind === 'bool' && inline === undefined && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-'))) {
      out[o.key] = true;
      continue;
    }
    const raw = takeValue();
    out[o.key] = o.key === 'logLevel' ? normaliseLogLevel(raw, name) : coerce(o, raw, name);
  }
  return { config: out as Partial<Config>, rest, configFile };
}

/**
 * Builds the effective config. The config file is `--config`, else $SOGS_CONFIG, else
 * `sogs.ini` in the data folder or the working directory if present.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config: Config; rest: string[]; warnings: string[] } {
  const flags = readFlags(argv);
  const envConf = readEnv(env);
  let file = flags.configFile ?? (env['SOGS_CONFIG'] || undefined);
  if (file !== undefined && !fs.existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
  const dataDirGuess = flags.config.dataDir ?? envConf.dataDir ?? (OPTIONS[0]!.default as string);
  if (file === undefined) {
    for (const candidate of [path.join(dataDirGuess, 'sogs.ini'), 'sogs.ini']) {
      if (fs.existsSync(candidate)) {
        file = candidate;
        break;
      }
    }
  }
  const fileConf = file ? readIniFile(file) : {};
  const config: Config = { ...defaultConfig(), ...fileConf, ...envConf, ...flags.config };
  if (file !== undefined) config.configFile = path.resolve(file);
  const warnings = validate(config);
  return { config, rest: flags.rest, warnings };
}

const MIN_NONCE_RETENTION = 172_800;

/** Checks the config; throws ConfigError on what cannot work, adjusts and returns warnings for what can. */
export function validate(c: Config): string[] {
  const warnings: string[] = [];
  if (c.port < 0 || c.port > 65535) throw new ConfigError(`port ${c.port} is out of range`);
  if (c.publicPort < 0 || c.publicPort > 65535) throw new ConfigError(`publicPort ${c.publicPort} is out of range (0 = the same as port)`);
  if (c.baseUrl && !/^https?:\/\/./.test(c.baseUrl)) throw new ConfigError('baseUrl must start with http:// or https://');
  if (!/^(sqlite:\/\/\/|postgres(ql)?:\/\/)/.test(c.dbUrl)) throw new ConfigError('dbUrl must start with sqlite:/// or postgres://');
  if (!['auto', 'disk', 'database'].includes(c.fileStore)) throw new ConfigError(`fileStore must be auto, disk or database, not '${c.fileStore}'`);
  if (c.fileStore === 'database' && sqlitePath(c) !== null) throw new ConfigError('fileStore = database needs a PostgreSQL dbUrl');
  if (!(c.dbPoolSize >= 1 && c.dbPoolSize <= 1000)) throw new ConfigError('dbPoolSize must be between 1 and 1000');
  if (c.activeThresholdDays > c.activePruneThresholdDays) throw new ConfigError('activeThresholdDays must not exceed activePruneThresholdDays');
  for (const k of ['listenBacklog', 'maxBodyBytes', 'maxMessageBytes', 'filesMaxSize', 'maxOnionBodyBytes', 'maxDmBytes', 'maxJsonBodyBytes', 'bodyBudgetBytes', 'headersTimeoutMs', 'bodyStallMs'] as const) {
    if (!(c[k] > 0)) throw new ConfigError(`${k} must be positive`);
  }
  for (const k of ['maxConnections', 'maxInFlight', 'shedLatencyMs', 'shedLoopDelayMs', 'shedPauseMs', 'workSliceMs', 'shedRetryAfter', 'requestTimeoutMs', 'bodyMinBytesPerSecond', 'keepAliveTimeoutMs', 'logErrorsPerMinute'] as const) {
    if (!(c[k] >= 0)) throw new ConfigError(`${k} must not be negative`);
  }
  if (c.requestTimeoutMs > 0 && c.requestTimeoutMs < c.headersTimeoutMs) throw new ConfigError('requestTimeoutMs must be 0 or at least headersTimeoutMs');
  const need = Math.max(base64Length(c.filesMaxSize) + BODY_SLACK_BYTES, c.maxOnionBodyBytes);
  // Older configs say 12000000 (our earlier default): raised with a warning rather than refusing
  // to start, since a smaller ceiling would turn away uploads the clients allow.
  if (c.maxBodyBytes < need) {
    warnings.push(`maxBodyBytes ${c.maxBodyBytes} cannot hold a filesMaxSize file base64-encoded in /batch plus 64 KiB, or maxOnionBodyBytes; using ${need}`);
    c.maxBodyBytes = need;
  }
  if (!(c.maxBatchRequests >= 0)) throw new ConfigError('maxBatchRequests must not be negative (0 = no count limit)');
  if (!(c.batchRequestCost >= MIN_BATCH_REQUEST_COST)) throw new ConfigError(`batchRequestCost must be at least ${MIN_BATCH_REQUEST_COST} bytes`);
  if (!(c.batchReplyBytes >= 2 * c.batchRequestCost)) throw new ConfigError('batchReplyBytes must be at least twice batchRequestCost');
  if (c.workers < 0 || c.workers > 256) throw new ConfigError('workers must be between 0 and 256');
  if (!['auto', 'on', 'off'].includes(c.hsts)) throw new ConfigError(`hsts must be auto, on or off, not '${c.hsts}'`);
  if (c.httpRedirectPort < 0 || c.httpRedirectPort > 65535) throw new ConfigError(`httpRedirectPort ${c.httpRedirectPort} is out of range`);
  if (c.httpRedirectPort !== 0 && !c.tls) throw new ConfigError('httpRedirectPort needs tls: without it the API port serves plain HTTP itself');
  if (c.httpRedirectPort !== 0 && c.httpRedirectPort === c.port) throw new ConfigError('httpRedirectPort must differ from port');
  if (!/^\/([a-z0-9_-]+\/)+$/.test(c.consolePath)) throw new ConfigError(`consolePath must look like /admin/ (segments of a-z, 0-9, _ and -), not '${c.consolePath}'`);
  if (!(c.consoleLinkMinutes > 0)) throw new ConfigError('consoleLinkMinutes must be positive');
  if (!(c.consoleSessionHours > 0)) throw new ConfigError('consoleSessionHours must be positive');
  if (!['off', 'loopback', 'on'].includes(c.metrics)) throw new ConfigError(`metrics must be off, loopback or on, not '${c.metrics}'`);
  // A request may be stamped up to 24 h ahead and is accepted up to 24 h after its stamp: 48 h in
  // all. Less would reopen the replay gap; older configs say 86400 (the reference's day), so it is
  // raised to the minimum with a warning instead of refusing to start.
  if (!(c.nonceRetention >= MIN_NONCE_RETENTION)) {
    warnings.push(`nonceRetention ${c.nonceRetention} is below the minimum of ${MIN_NONCE_RETENTION} seconds (48 h: the ±24 h timestamp window); using ${MIN_NONCE_RETENTION}`);
    c.nonceRetention = MIN_NONCE_RETENTION;
  }
  if (!(c.legacyTokenDays > 0)) throw new ConfigError('legacyTokenDays must be positive');
  for (const a of c.alphabetFilters.split(/[\s,]+/).filter(Boolean)) {
    if (!['arabic', 'cyrillic', 'persian'].includes(a.toLowerCase())) throw new ConfigError(`alphabetFilters: unknown alphabet '${a}' (use arabic, cyrillic, persian)`);
  }
  for (const k of ['newAccountMinutes', 'newAccountMinReads', 'newAccountPosts', 'newAccountInterval', 'raidAccountAge'] as const) {
    if (!(c[k] >= 0)) throw new ConfigError(`${k} must not be negative`);
  }
  for (const k of ['floodMinChars', 'floodAccounts', 'floodRepeats', 'uploadAccountAge', 'dmNewAccountMinutes', 'dmNewAccountRecipients'] as const) {
    if (!(c[k] >= 0)) throw new ConfigError(`${k} must not be negative`);
  }
  for (const k of ['floodAccountsWindow', 'floodRepeatsWindow', 'dmRecipientsWindow'] as const) {
    if (!(c[k] > 0)) throw new ConfigError(`${k} must be positive`);
  }
  for (const k of ['raidMinPosters', 'raidBaselineFactor', 'raidBaselineDays', 'raidQuietMinutes', 'raidHeldDays'] as const) {
    if (!(c[k] > 0)) throw new ConfigError(`${k} must be positive`);
  }
  return warnings;
}

/** Room a JSON body needs beside its base64 payload (signature, field names, a batch's framing). */
export const BODY_SLACK_BYTES = 65_536;

/** Length of the base64 (padded) encoding of n bytes. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

export function resolveInDataDir(c: Config, p: string): string {
  return path.isAbsolute(p) ? p : path.join(c.dataDir, p);
}

export function sqlitePath(c: Config): string | null {
  if (!c.dbUrl.startsWith('sqlite:///')) return null;
  const rest = c.dbUrl.slice('sqlite:///'.length);
  // sqlite:////abs/path (four slashes) is absolute, as in the reference.
  return rest.startsWith('/') ? rest : resolveInDataDir(c, rest);
}

/** Whether uploads are kept in the database (fileStore; only PostgreSQL can hold them). */
export function blobsInDatabase(c: Config): boolean {
  return sqlitePath(c) === null && c.fileStore !== 'disk';
}

/** The machine's first non-internal IPv4 address, else its first global IPv6 address, else null. */
export function primaryAddress(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string | null {
  const all = Object.values(ifaces).flatMap((list) => list ?? []).filter((a) => !a.internal);
  const v4 = all.find((a) => a.family === 'IPv4');
  if (v4) return v4.address;
  // Link-local IPv6 (fe80::/10) needs a zone id that no client has: not an address to hand out.
  return all.find((a) => a.family === 'IPv6' && !/^fe[89ab]/i.test(a.address))?.address ?? null;
}

export interface PublicUrl {
  /** Base of every join link, web page link and QR code (no trailing slash). */
  url: string;
  /** What to tell the operator at start when the URL is a guess (baseUrl not set), else null. */
  warning: string | null;
}

/**
 * The public base URL: baseUrl, or one derived from the listening address (the machine's primary
 * address when listening on all of them) and publicPort/port. `localhost` is a last resort:
 * Session's join parser refuses a host without a dot, and no other device could reach it anyway.
 */
export function describePublicUrl(c: Config, ifaces?: NodeJS.Dict<os.NetworkInterfaceInfo[]>): PublicUrl {
  if (c.baseUrl) return { url: c.baseUrl.replace(/\/+$/, ''), warning: null };
  const wildcard = c.host === '0.0.0.0' || c.host === '::' || c.host === '';
  const found = wildcard ? primaryAddress(ifaces) : c.host;
  const host = found ?? 'localhost';
  const url = `${c.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${c.publicPort || c.port}`;
  const how = 'set the address users reach this server at with --base-url URL, SOGS_BASE_URL or base_url in the [net] section of sogs.ini (e.g. https://sogs.example.org)';
  const warning =
    found === null
      ? `baseUrl is not set and this machine has no network address besides loopback: join links use ${url}, which Session clients refuse and no other device can reach; ${how}`
      : `baseUrl is not set: join links use ${url}, derived from ${wildcard ? "this machine's first network address" : 'host'}; ${how}`;
  return { url, warning };
}

/** Public base URL for join links, web pages and QR codes. */
export function publicBaseUrl(c: Config): string {
  return describePublicUrl(c).url;
}
