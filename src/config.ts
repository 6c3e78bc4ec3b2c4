// One typed configuration, merged from (lowest to highest precedence): built-in defaults, an INI
// file (the reference server's sogs.ini keys, plus our own), SOGS_* environment variables and
// command-line flags. Every option is listed in OPTIONS so that docs and parsing cannot drift.
import fs from 'node:fs';
import path from 'node:path';
import ini from 'ini';

export interface Config {
  /** Folder holding the database, key and uploads. */
  dataDir: string;
  host: string;
  port: number;
  /** Public base URL used in join links; empty = derived from host and port. */
  baseUrl: string;
  /** Web pages: show the index of public rooms at `/` (api.md §4.12 http_show_index). */
  httpShowIndex: boolean;
  /** Web pages: show a public room's recent messages on its page (http_show_recent). */
  httpShowRecent: boolean;
  /** `sqlite:///path` (relative to dataDir unless absolute) or `postgres://...`. */
  dbUrl: string;
  /** PostgreSQL connections per server process. */
  dbPoolSize: number;
  /** Where upload contents live: 'auto' (database on PostgreSQL, else disk), 'disk' or 'database'. */
  fileStore: string;
  /** Raw 32-byte X25519 secret (reference format), relative to dataDir unless absolute. */
  keyFile: string;
  requireBlindKeys: boolean;
  /** Posts allowed per user and room within rateLimitInterval seconds; 0 disables. */
  rateLimitPosts: number;
  rateLimitInterval: number;
  /** Largest HTTP request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Most sub-requests one /batch or /sequence may carry. */
  maxBatchRequests: number;
  /** Largest onion request body (framed ciphertext) accepted, in bytes. */
  maxOnionBodyBytes: number;
  /** Largest message `data` (decoded, padded) accepted, in bytes. */
  maxMessageBytes: number;
  /** Largest upload accepted, in bytes. */
  filesMaxSize: number;
  /** Days an attached upload is kept (0 = forever). */
  filesExpiryDays: number;
  activeThresholdDays: number;
  activePruneThresholdDays: number;
  historyPruneThresholdDays: number;
  dmExpiryDays: number;
  /** Largest direct message body (decoded) accepted, in bytes. */
  maxDmBytes: number;
  /** Seconds a used request nonce is remembered (>= 48 h closes the replay gap of the ±24 h window). */
  nonceRetention: number;
  /** How often background jobs run, in seconds. */
  jobInterval: number;
  /** Days a claimed legacy (v1 API) auth token stays valid. */
  legacyTokenDays: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  // Content filters (api.md §7.1, §9.1); per-room overrides in [room:TOKEN] sections.
  profanityFilter: boolean;
  profanitySilent: boolean;
  /** Custom profanity word list file (one word or phrase per line); empty = built-in list. */
  profanityCustom: string;
  /** Space/comma-separated subset of: arabic, cyrillic, persian. */
  alphabetFilters: string;
  alphabetSilent: boolean;
  filterMods: boolean;
  // Anti-raid (beyond the reference): new-account slow mode and raid mode.
  newAccountMinutes: number;
  newAccountMinReads: number;
  newAccountPosts: number;
  newAccountInterval: number;
  raidAccountAge: number;
  /** The INI file the configuration came from: its [room:TOKEN] and [filter:ROOM:TYPE] sections. */
  configFile?: string;
  /** Server processes sharing the port (node:cluster); 0 = one per CPU core. */
  workers: number;
  // Operations (issue 8): native TLS, security headers, access log, metrics.
  /** Serve HTTPS with tlsCert/tlsKey instead of plain HTTP. */
  tls: boolean;
  /** PEM certificate chain, relative to dataDir unless absolute. */
  tlsCert: string;
  /** PEM private key, relative to dataDir unless absolute. */
  tlsKey: string;
  /** Strict-Transport-Security: 'auto' (only when tls), 'on' (also behind an HTTPS proxy), 'off'. */
  hsts: string;
  /** Adds `preload` to Strict-Transport-Security (for hstspreload.org). */
  hstsPreload: boolean;
  /** With tls: a plain-HTTP port that only redirects to https:// (0 = off). */
  httpRedirectPort: number;
  /** Log one line per request: method, route pattern, status, duration (no IP, no query). */
  logRequests: boolean;
  /** Prometheus `/metrics`: 'off', 'loopback' (only from 127.0.0.1/::1) or 'on'. */
  metrics: string;
}

type Kind = 'string' | 'int' | 'float' | 'bool';
interface Option {
  key: keyof Config;
  kind: Kind;
  default: Config[keyof Config];
  env: string;
  flag: string;
  /** Reference `sogs.ini` section.key, where one exists. */
  ini?: string;
  doc: string;
}

const opt = (key: keyof Config, kind: Kind, dflt: Config[keyof Config], doc: string, iniKey?: string): Option => ({
  key,
  kind,
  default: dflt,
  env: 'SOGS_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase(),
  flag: '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()),
  ini: iniKey,
  doc,
});

export const OPTIONS: readonly Option[] = [
  opt('dataDir', 'string', './data', 'Folder for the database, key file and uploads (created on first start).'),
  opt('host', 'string', '0.0.0.0', 'Address to listen on.', 'net.host'),
  opt('port', 'int', 9999, 'TCP port to listen on (unprivileged by default; the Docker image maps it).', 'net.port'),
  opt('baseUrl', 'string', '', 'Public base URL for join links, e.g. https://sogs.example.org; empty = http://HOST:PORT.', 'net.base_url'),
  opt('httpShowIndex', 'bool', true, 'Show a list of the public rooms to browsers at `/` (off: 403). Room pages (`/TOKEN`, `/r/TOKEN`) are shown either way.', 'net.http_show_index'),
  opt('httpShowRecent', 'bool', true, 'Show the most recent messages on the web page of a publicly readable room.', 'net.http_show_recent'),
  opt('dbUrl', 'string', 'sqlite:///sogs.db', 'Database: sqlite:///FILE (relative to dataDir; four slashes for an absolute path) or postgres://USER@HOST:PORT/DB, optionally with ?schema=NAME (created if missing) to keep the tables out of `public`.', 'db.url'),
  opt('dbPoolSize', 'int', 10, 'PostgreSQL only: connections each server process keeps open (workers multiply it; keep the total below the server\'s max_connections).', 'db.pool_size'),
  opt('fileStore', 'string', 'auto', 'Where uploaded files are kept: disk (`uploads/` in dataDir), database (PostgreSQL only: every instance on the database serves every file) or auto (database on PostgreSQL, disk on SQLite).', 'files.store'),
  opt('keyFile', 'string', 'key_x25519', 'Server X25519 secret key file (32 raw bytes), relative to dataDir; generated if missing.', 'crypto.key_file'),
  opt('requireBlindKeys', 'bool', true, 'Require blinded (15) ids for authentication; adds the `blind` capability.', 'users.require_blind_keys'),
  opt('rateLimitPosts', 'int', 5, 'Posts allowed per user per room within rateLimitInterval (0 = no limit; room and global admins are exempt). Per room: `sogs --rooms TOKEN --room-rate-limit POSTS/SECONDS`.', 'rooms.rate_limit_posts'),
  opt('rateLimitInterval', 'float', 16, 'Post rate-limit window in seconds.', 'rooms.rate_limit_interval'),
  opt('maxBodyBytes', 'int', 12_000_000, 'Largest HTTP request body accepted (bytes); larger bodies get 413.', 'net.max_body_bytes'),
  opt('maxBatchRequests', 'int', 200, 'Most sub-requests in one /batch or /sequence; more is a 400.', 'net.max_batch_requests'),
  opt('maxOnionBodyBytes', 'int', 10_000_000, 'Largest onion request body (/oxen/v4/lsrpc, v3) accepted (bytes); larger ones get 413 before decryption. The onion network itself caps requests near 10 MB.', 'net.max_onion_body_bytes'),
  opt('maxMessageBytes', 'int', 1_000_000, 'Largest message `data` accepted after base64 decoding (bytes); larger posts get 413.', 'messages.max_size'),
  opt('filesMaxSize', 'int', 10_000_000, 'Largest file upload accepted (bytes); larger uploads get 413.', 'files.max_size'),
  opt('filesExpiryDays', 'float', 15, 'Days an upload attached to a post is kept (0 = forever).', 'files.expiry'),
  opt('activeThresholdDays', 'float', 7, 'Window in days for a room\'s active_users count.', 'rooms.active_threshold'),
  opt('activePruneThresholdDays', 'float', 60, 'Days of per-room activity kept.', 'rooms.active_prune_threshold'),
  opt('historyPruneThresholdDays', 'float', 30, 'Days of message edit/deletion history kept.', 'messages.history_prune_threshold'),
  opt('dmExpiryDays', 'float', 15, 'Days a direct message is kept.', 'direct_messages.expiry'),
  opt('maxDmBytes', 'int', 1_000_000, 'Largest direct message (`/inbox`) body accepted after base64 decoding (bytes); larger ones get 413.', 'direct_messages.max_size'),
  opt('nonceRetention', 'int', 172_800, 'Seconds a used request nonce is remembered (at least 48 h to cover the ±24 h timestamp window).'),
  opt('jobInterval', 'float', 10, 'Seconds between background job runs (cleanup, expiry, active users).'),
  opt('legacyTokenDays', 'float', 7, 'Days a legacy (v1 API) auth token stays valid after it is claimed, as on the legacy server; then it gives 401, the background job deletes it, and the client signs in to that room again.'),
  opt('workers', 'int', 1, 'Server processes sharing the port (0 = one per CPU core). Each opens the database; on SQLite writes are serialised by the database lock.', 'net.workers'),
  opt('tls', 'bool', false, 'Serve HTTPS directly (TLS 1.2+, modern ciphers) with tlsCert and tlsKey. Usually a reverse proxy (Caddy, nginx) terminates TLS instead.', 'net.tls'),
  opt('tlsCert', 'string', 'tls/cert.pem', 'PEM certificate (chain) for tls, relative to dataDir unless absolute; read at start.', 'net.tls_cert'),
  opt('tlsKey', 'string', 'tls/key.pem', 'PEM private key for tls, relative to dataDir unless absolute.', 'net.tls_key'),
  opt('hsts', 'string', 'auto', 'Strict-Transport-Security (max-age=63072000; includeSubDomains): auto = only when tls is on, on = always (set it behind an HTTPS reverse proxy), off = never.', 'net.hsts'),
  opt('hstsPreload', 'bool', false, 'Add `preload` to Strict-Transport-Security, as hstspreload.org requires. Only for a domain whose every subdomain serves HTTPS for good: leaving the preload list takes months.', 'net.hsts_preload'),
  opt('httpRedirectPort', 'int', 0, 'With tls: also listen for plain HTTP on this port and answer every request with a redirect to https:// (same host and path; 301, or 308 for other methods than GET/HEAD). 0 = off. The API port itself never redirects.', 'net.http_redirect_port'),
  opt('logRequests', 'bool', false, 'Access log: one line per HTTP request with method, route pattern, status and duration (never the client IP, query or body).', 'log.requests'),
  opt('metrics', 'string', 'off', 'Prometheus metrics at `/metrics`: off, loopback (only from 127.0.0.1/::1) or on (anyone; protect it at your proxy).', 'net.metrics'),
  opt('logLevel', 'string', 'info', 'Log level: debug, info, warn, error or silent.', 'log.level'),
  opt('profanityFilter', 'bool', false, 'Filter posts and edits whose text or display name contains profanity (the `obscenity` package\'s English list, with leetspeak variants, or profanityCustom). Per room: `[room:TOKEN] profanity_filter`.', 'messages.profanity_filter'),
  opt('profanitySilent', 'bool', true, 'Profane posts are stored hidden (the poster gets 201 with `filtered: true`; edits are dropped) instead of rejected with 429. Per room: `[room:TOKEN] profanity_silent`.', 'messages.profanity_silent'),
  opt('profanityCustom', 'string', '', 'File (relative to dataDir) with one word or phrase per line to use instead of the built-in profanity list.', 'messages.profanity_custom'),
  opt('alphabetFilters', 'string', '', 'Filter posts containing letters of these alphabets: a space/comma-separated subset of arabic, cyrillic, persian. Per room: `[room:TOKEN] alphabet_filters`.', 'messages.alphabet_filters'),
  opt('alphabetSilent', 'bool', true, 'Alphabet-filtered posts are stored hidden instead of rejected with 429. Per room: `[room:TOKEN] alphabet_silent`.', 'messages.alphabet_silent'),
  opt('filterMods', 'bool', false, 'Apply the content filters to moderators and admins too.', 'messages.filter_mods'),
  opt('newAccountMinutes', 'float', 0, 'Anti-raid: an account first seen less than this many minutes ago is "new" (0 = off). New accounts are limited by newAccountPosts.', 'users.new_account_minutes'),
  opt('newAccountMinReads', 'int', 0, 'Anti-raid: an account that has read (polled, fetched messages) fewer than this many times is "new" (0 = off).', 'users.new_account_min_reads'),
  opt('newAccountPosts', 'int', 1, 'Anti-raid: posts per room, and DMs, a new account may send per newAccountInterval; 0 = none at all. Moderators and users given an explicit write permission in the room are exempt.', 'users.new_account_posts'),
  opt('newAccountInterval', 'float', 60, 'Anti-raid: the window in seconds for newAccountPosts.', 'users.new_account_interval'),
  opt('raidAccountAge', 'float', 60, 'Anti-raid: while a room is in raid mode (`sogs --rooms TOKEN --raid-mode on`), accounts first seen less than this many minutes before raid mode began, or later, may not post there.', 'rooms.raid_account_age'),
];

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
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config: Config; rest: string[] } {
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
  validate(config);
  return { config, rest: flags.rest };
}

export function validate(c: Config): void {
  if (c.port < 0 || c.port > 65535) throw new ConfigError(`port ${c.port} is out of range`);
  if (c.baseUrl && !/^https?:\/\/./.test(c.baseUrl)) throw new ConfigError('baseUrl must start with http:// or https://');
  if (!/^(sqlite:\/\/\/|postgres(ql)?:\/\/)/.test(c.dbUrl)) throw new ConfigError('dbUrl must start with sqlite:/// or postgres://');
  if (!['auto', 'disk', 'database'].includes(c.fileStore)) throw new ConfigError(`fileStore must be auto, disk or database, not '${c.fileStore}'`);
  if (c.fileStore === 'database' && sqlitePath(c) !== null) throw new ConfigError('fileStore = database needs a PostgreSQL dbUrl');
  if (!(c.dbPoolSize >= 1 && c.dbPoolSize <= 1000)) throw new ConfigError('dbPoolSize must be between 1 and 1000');
  if (c.activeThresholdDays > c.activePruneThresholdDays) throw new ConfigError('activeThresholdDays must not exceed activePruneThresholdDays');
  for (const k of ['maxBodyBytes', 'maxMessageBytes', 'filesMaxSize', 'maxBatchRequests', 'maxOnionBodyBytes', 'maxDmBytes'] as const) {
    if (!(c[k] > 0)) throw new ConfigError(`${k} must be positive`);
  }
  if (c.workers < 0 || c.workers > 256) throw new ConfigError('workers must be between 0 and 256');
  if (!['auto', 'on', 'off'].includes(c.hsts)) throw new ConfigError(`hsts must be auto, on or off, not '${c.hsts}'`);
  if (c.httpRedirectPort < 0 || c.httpRedirectPort > 65535) throw new ConfigError(`httpRedirectPort ${c.httpRedirectPort} is out of range`);
  if (c.httpRedirectPort !== 0 && !c.tls) throw new ConfigError('httpRedirectPort needs tls: without it the API port serves plain HTTP itself');
  if (c.httpRedirectPort !== 0 && c.httpRedirectPort === c.port) throw new ConfigError('httpRedirectPort must differ from port');
  if (!['off', 'loopback', 'on'].includes(c.metrics)) throw new ConfigError(`metrics must be off, loopback or on, not '${c.metrics}'`);
  // A request may be stamped up to 24 h ahead and is accepted up to 24 h after its stamp: 48 h in all.
  if (c.nonceRetention < 172_800) throw new ConfigError('nonceRetention must be at least 172800 seconds (48 h: the ±24 h timestamp window)');
  if (!(c.legacyTokenDays > 0)) throw new ConfigError('legacyTokenDays must be positive');
  for (const a of c.alphabetFilters.split(/[\s,]+/).filter(Boolean)) {
    if (!['arabic', 'cyrillic', 'persian'].includes(a.toLowerCase())) throw new ConfigError(`alphabetFilters: unknown alphabet '${a}' (use arabic, cyrillic, persian)`);
  }
  for (const k of ['newAccountMinutes', 'newAccountMinReads', 'newAccountPosts', 'newAccountInterval', 'raidAccountAge'] as const) {
    if (!(c[k] >= 0)) throw new ConfigError(`${k} must not be negative`);
  }
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

/** Public base URL for join links. */
export function publicBaseUrl(c: Config): string {
  if (c.baseUrl) return c.baseUrl.replace(/\/+$/, '');
  const host = c.host === '0.0.0.0' || c.host === '::' ? 'localhost' : c.host;
  return `${c.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${c.port}`;
}
