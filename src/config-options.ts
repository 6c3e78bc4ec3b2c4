// Every setting of the server, once: its type in Config, and in OPTIONS its default, kind, INI key,
// environment variable, flag and documentation (src/config.ts parses and checks them;
// src/config-docs.ts writes the README's table from the same list, so docs and parsing cannot drift).

export interface Config {
  /** Folder holding the database, key and uploads. */
  dataDir: string;
  host: string;
  port: number;
  /** Public base URL used in join links; empty = derived from host and port. */
  baseUrl: string;
  /** Port in the derived join URL when baseUrl is empty; 0 = `port` (the Docker image publishes 80 as 9999). */
  publicPort: number;
  /** Web pages: show the index of public rooms at `/` (docs/protocol/api.md §4.12 http_show_index). */
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
  // Batch budget (api/batch-budget.ts): what one /batch or /sequence may cost.
  /** Most sub-requests one /batch or /sequence may carry; 0 = no count limit (the budget bounds them). */
  maxBatchRequests: number;
  /** Largest /batch or /sequence reply, in bytes; sub-requests past it answer 429 in their slot. */
  batchReplyBytes: number;
  /** Bytes of batchReplyBytes each sub-request counts at the least (its reply's size when larger). */
  batchRequestCost: number;
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
  // Content filters (docs/protocol/api.md §7.1, §9.1); per-room overrides in [room:TOKEN] sections.
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
  // Automatic raid detection and held posts (domain/raids.ts).
  /** Detect raids per room and hold new accounts' posts while one lasts. */
  raidDetect: boolean;
  /** New accounts posting within a minute below which a room is never judged raided. */
  raidMinPosters: number;
  /** A raid is at least this many times the room's busiest minute of new-account posts in raidBaselineDays. */
  raidBaselineFactor: number;
  raidBaselineDays: number;
  /** Minutes below the threshold after which an automatic raid state ends. */
  raidQuietMinutes: number;
  /** Days a held post waits for a moderator before it is deleted. */
  raidHeldDays: number;
  // Flood signals by content (domain/flood.ts), young-account uploads (domain/upload-limits.ts)
  // and DM recipients (domain/dm-limits.ts).
  /** Texts shorter than this (letters, once normalised) are never counted as copies. */
  floodMinChars: number;
  /** Most different accounts that may post the same text in one room within floodAccountsWindow; 0 = off. */
  floodAccounts: number;
  floodAccountsWindow: number;
  /** Most copies of the same text one account may post (any room) within floodRepeatsWindow; 0 = off. */
  floodRepeats: number;
  floodRepeatsWindow: number;
  /** Minutes since an account was first seen before it may upload files; 0 = off. */
  uploadAccountAge: number;
  /** Minutes since first seen during which an account's DM recipients are limited; 0 = off. */
  dmNewAccountMinutes: number;
  /** People such an account may start DM conversations with per dmRecipientsWindow. */
  dmNewAccountRecipients: number;
  dmRecipientsWindow: number;
  /** The INI file the configuration came from: its [room:TOKEN] and [filter:ROOM:TYPE] sections. */
  configFile?: string;
  /** Server processes sharing the port (node:cluster); 0 = one per CPU core. */
  workers: number;
  // Operations: native TLS, security headers, access log, metrics.
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
  // Admission (the hostile internet): bounded memory, load shedding, timeouts, quiet logs.
  /** Largest body of routes that take plain JSON (no message, file or onion payload), in bytes. */
  maxJsonBodyBytes: number;
  /** Request-body bytes all requests in flight may hold together; past it large bodies get 503. */
  bodyBudgetBytes: number;
  /** Open connections per listener (0 = no cap). */
  maxConnections: number;
  /** Connections the kernel holds for the server to accept (capped by net.core.somaxconn). */
  listenBacklog: number;
  /** Requests in progress before new ones get 503 (heavy ones at most half of it); 0 = no cap. */
  maxInFlight: number;
  /** Service time (ms) of heavy requests the load shedder's heavy limit steers to; 0 = not steered by it. */
  shedLatencyMs: number;
  /** Event-loop delay (ms) the heavy limit steers to; 0 = not steered by it. */
  shedLoopDelayMs: number;
  /** Ms a connection refused for overload is not read; 0 = no pause. */
  shedPauseMs: number;
  /** Ms of admitted work started per turn of the event loop before it reads its sockets again; 0 = no slices. */
  workSliceMs: number;
  /** Seconds in the Retry-After of a 503 from admission. */
  shedRetryAfter: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Least average rate of a request body within each bodyStallMs window (0 = no check). */
  bodyMinBytesPerSecond: number;
  bodyStallMs: number;
  keepAliveTimeoutMs: number;
  /** Warnings and errors logged per minute (token bucket); the excess is summarised. 0 = no cap. */
  logErrorsPerMinute: number;
  // The web moderation console (src/web/console/).
  /** Serve the web moderation console at consolePath. */
  consoleEnabled: boolean;
  /** Path prefix of the console: `/` + segments + `/`. */
  consolePath: string;
  /** Minutes a sign-in link from `sogs --console-login` stays usable. */
  consoleLinkMinutes: number;
  /** Hours a console session lasts after sign-in. */
  consoleSessionHours: number;
}

export type Kind = 'string' | 'int' | 'float' | 'bool';
export interface Option {
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
  opt('dataDir', 'string', './data', 'Folder for the database, key file and uploads (created by the server\'s first start and the imports; admin commands never create it).'),
  opt('host', 'string', '0.0.0.0', 'Address to listen on.', 'net.host'),
  opt('port', 'int', 9999, 'TCP port to listen on (unprivileged by default; the Docker image maps it).', 'net.port'),
  opt('baseUrl', 'string', '', 'Public base URL for join links, web pages and QR codes, e.g. https://sogs.example.org. Empty = http://ADDRESS:PORT, where ADDRESS is `host`, or when that is 0.0.0.0/:: the machine\'s first non-loopback address (a warning at start says so): set it.', 'net.base_url'),
  opt('publicPort', 'int', 0, 'Port in the derived join URL when baseUrl is empty (0 = `port`); e.g. the port a container\'s listening port is published as.', 'net.public_port'),
  opt('httpShowIndex', 'bool', true, 'Show a list of the public rooms to browsers at `/` (off: 403). Room pages (`/TOKEN`, `/r/TOKEN`) are shown either way.', 'net.http_show_index'),
  opt('httpShowRecent', 'bool', true, 'Show the most recent messages on the web page of a publicly readable room.', 'net.http_show_recent'),
  opt('dbUrl', 'string', 'sqlite:///sogs.db', 'Database: sqlite:///FILE (relative to dataDir; four slashes for an absolute path) or postgres://USER@HOST:PORT/DB, optionally with ?schema=NAME (created if missing) to keep the tables out of `public`.', 'db.url'),
  opt('dbPoolSize', 'int', 10, 'PostgreSQL only: connections each server process keeps open (two of them carry the poll\'s batched statements, so at least 3; workers multiply it; keep the total below the server\'s max_connections).', 'db.pool_size'),
  opt('fileStore', 'string', 'auto', 'Where uploaded files are kept: disk (`uploads/` in dataDir), database (PostgreSQL only: every instance on the database serves every file) or auto (database on PostgreSQL, disk on SQLite).', 'files.store'),
  opt('keyFile', 'string', 'key_x25519', 'Server X25519 secret key file (32 raw bytes), relative to dataDir; generated if missing.', 'crypto.key_file'),
  opt('requireBlindKeys', 'bool', true, 'Require blinded (15) ids for authentication; adds the `blind` capability.', 'users.require_blind_keys'),
  opt('rateLimitPosts', 'int', 5, 'Posts allowed per user per room within rateLimitInterval (0 = no limit; room and global admins are exempt). Per room: `sogs --rooms TOKEN --room-rate-limit POSTS/SECONDS`.', 'rooms.rate_limit_posts'),
  opt('rateLimitInterval', 'float', 16, 'Post rate-limit window in seconds.', 'rooms.rate_limit_interval'),
  opt('maxBodyBytes', 'int', 14_000_000, 'Largest HTTP request body of any route (bytes); larger bodies get 413 before they are read. Must hold a filesMaxSize file base64-encoded (4/3 of it plus 64 KiB: /batch and legacy uploads) and maxOnionBodyBytes; a smaller value (older configs) is raised to that with a warning at start. Each route has its own smaller limit (see "Under attack / limits").', 'net.max_body_bytes'),
  opt('maxBatchRequests', 'int', 0, 'Most sub-requests in one /batch or /sequence, more is a 400; 0 = no count limit (the default: batchReplyBytes and batchRequestCost bound a batch, so a client polling every room of the server in one batch always fits).', 'net.max_batch_requests'),
  opt('batchReplyBytes', 'int', 10_485_760, 'Batch budget: the largest reply of one /batch or /sequence (direct or in an onion request), in bytes. Once a reply does not fit, the rest are not run and answer 429 in their own slots (as does a read whose reply did not fit), and a client asks for them again in its next request; a write whose reply did not fit keeps its status with a short text body in place of the reply. A poll of every room is far smaller; download large files with a direct request.', 'net.batch_reply_bytes'),
  opt('batchRequestCost', 'int', 512, 'Batch budget: bytes of batchReplyBytes each sub-request counts at the least (its reply\'s size when larger), so a batch may carry at most batchReplyBytes / (batchRequestCost + 1) sub-requests (default 20,440: a poll of 10,000 rooms); more is a 413. At least 256.', 'net.batch_request_cost'),
  opt('maxOnionBodyBytes', 'int', 10_551_296, 'Largest onion request body (/oxen/v4/lsrpc, v3) accepted (bytes); larger ones get 413 before they are read. The default is what service nodes relay (10 MiB) plus 64 KiB of envelope, so a filesMaxSize upload in its onion envelope gets through and a larger file gets its 413 inside the encrypted reply.', 'net.max_onion_body_bytes'),
  opt('maxMessageBytes', 'int', 1_000_000, 'Largest message `data` accepted after base64 decoding (bytes); larger posts get 413.', 'messages.max_size'),
  opt('filesMaxSize', 'int', 10_000_000, 'Largest file upload accepted (bytes); larger uploads get 413.', 'files.max_size'),
  opt('filesExpiryDays', 'float', 15, 'Days an upload attached to a post is kept (0 = forever).', 'files.expiry'),
  opt('activeThresholdDays', 'float', 7, 'Window in days for a room\'s active_users count.', 'rooms.active_threshold'),
  opt('activePruneThresholdDays', 'float', 60, 'Days of per-room activity kept.', 'rooms.active_prune_threshold'),
  opt('historyPruneThresholdDays', 'float', 30, 'Days of message edit/deletion history kept.', 'messages.history_prune_threshold'),
  opt('dmExpiryDays', 'float', 15, 'Days a direct message is kept.', 'direct_messages.expiry'),
  opt('maxDmBytes', 'int', 1_000_000, 'Largest direct message (`/inbox`) body accepted after base64 decoding (bytes); larger ones get 413.', 'direct_messages.max_size'),
  opt('nonceRetention', 'int', 172_800, 'Seconds a used request nonce is remembered: at least 172800 (48 h, the ±24 h timestamp window); a smaller value is raised to it with a warning at start.'),
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
  // Admission (the hostile internet): see the README's "Under attack / limits".
  opt('maxJsonBodyBytes', 'int', 65_536, 'Largest body of a route that takes plain JSON (bytes); message routes allow maxMessageBytes/maxDmBytes base64-encoded plus 64 KiB, uploads filesMaxSize, /batch and legacy uploads filesMaxSize base64-encoded plus 64 KiB, onion requests maxOnionBodyBytes. Larger bodies get 413 before they are read.', 'net.max_json_body_bytes'),
  opt('bodyBudgetBytes', 'int', 134_217_728, 'Request-body bytes all requests in progress may hold together (128 MiB). Past it a request declaring a body over maxJsonBodyBytes gets 503 with Retry-After before it is read; a chunked body that crosses it is cut (503, connection closed).', 'net.body_budget_bytes'),
  opt('maxConnections', 'int', 10_000, 'Open connections per listener (0 = no cap); beyond it new connections are dropped. Near it, idle keep-alive connections are closed. Onion requests all come from a few service nodes, so there is no per-IP cap.', 'net.max_connections'),
  opt('listenBacklog', 'int', 4_096, 'Connections the kernel queues for the server to accept (the listen backlog; Linux caps it at net.core.somaxconn). The server accepts one connection per turn of its event loop, so under load a burst of connections waits here; past it the kernel drops them and clients retry after 1 s, 3 s, 7 s. Node\'s default is 511.', 'net.listen_backlog'),
  opt('maxInFlight', 'int', 1_024, 'Requests in progress at once (0 = no cap). Heavy requests (onion, /batch, bodies over maxJsonBodyBytes, requests without X-SOGS-* headers) get 503 with Retry-After from half of it, a signed request\'s cheap poll from all of it, before its body is read.', 'net.max_in_flight'),
  opt('shedLatencyMs', 'int', 1000, 'Load shedding: the service time (from a request body\'s arrival to the reply) heavy requests (onion, /batch, uploads, large or anonymous ones) are steered to. Past it, or past shedLoopDelayMs, the number of heavy requests admitted at once shrinks (down to 8), below both it grows back (up to half of maxInFlight); the rest get 503 with Retry-After before their body is read or decrypted. 0 = not steered by service time.', 'net.shed_latency_ms'),
  opt('shedLoopDelayMs', 'int', 200, 'Load shedding: the event-loop delay heavy requests are steered to (see shedLatencyMs): every connection, a newcomer\'s too, waits about that long to be read. 0 = not steered by it.', 'net.shed_loop_delay_ms'),
  opt('shedPauseMs', 'int', 1000, 'Load shedding: after a request is refused for overload, nothing more is read from its connection for this many ms, so a client that asks again at once (a flood over keep-alive connections) costs one refusal a pause; new connections are read at once (0 = off).', 'net.shed_pause_ms'),
  opt('workSliceMs', 'int', 10, 'Admitted requests start their work (decryption, signature checks, up to their database read) in slices of this many ms between rounds of reading sockets (a tenth of it, at least 1 ms, while new connections keep arriving), signed cheap requests first; so however much work waits, the server reads its connections and accepts a new one at least this often (it accepts one connection per round). 0 = every request starts as soon as it is read.', 'net.work_slice_ms'),
  opt('shedRetryAfter', 'int', 2, 'Seconds in the Retry-After header of a 503 from load shedding or the body budget.', 'net.shed_retry_after'),
  opt('headersTimeoutMs', 'int', 10_000, 'A request\'s headers must arrive within this many ms of its first byte, else 408 and the connection is closed.', 'net.headers_timeout_ms'),
  opt('requestTimeoutMs', 'int', 300_000, 'A whole request (headers and body) must arrive within this many ms, else 408 and the connection is closed. Generous, for a full-size upload on a slow mobile link; bodyMinBytesPerSecond cuts stalled bodies long before.', 'net.request_timeout_ms'),
  opt('bodyMinBytesPerSecond', 'int', 4_096, 'A request body must arrive at least this fast on average in every bodyStallMs window, else 408 and the connection is closed (0 = no check).', 'net.body_min_bytes_per_second'),
  opt('bodyStallMs', 'int', 10_000, 'The window of bodyMinBytesPerSecond: a stalled body is cut after at most twice this.', 'net.body_stall_ms'),
  opt('keepAliveTimeoutMs', 'int', 65_000, 'Idle keep-alive connections are closed after this many ms (longer than the 60 s upstream idle time of common reverse proxies, so they never reuse a connection the server is closing).', 'net.keep_alive_timeout_ms'),
  opt('logErrorsPerMinute', 'int', 60, 'Warnings and errors logged per minute (token bucket, bursts up to the same number); the excess is dropped and summarised as "suppressed N log lines" (0 = no cap).', 'log.errors_per_minute'),
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
  opt('consoleEnabled', 'bool', false, 'Serve the web moderation console at consolePath. Moderators and admins sign in with a one-time link from `sogs --console-login SESSION_ID`; serve it over HTTPS only (tls, or a reverse proxy: see "Web moderation console").', 'console.enabled'),
  opt('consolePath', 'string', '/admin/', 'Path of the web moderation console: one or more segments of a-z, 0-9, _ and -, with a leading and trailing slash. A room whose token is its first segment keeps its page at /r/TOKEN.', 'console.path'),
  opt('consoleLinkMinutes', 'float', 10, 'Minutes a console sign-in link stays usable (it works once).', 'console.link_minutes'),
  opt('consoleSessionHours', 'float', 12, 'Hours a console session lasts after sign-in; then the moderator needs a new link. `sogs --console-sessions` lists them, `--console-logout` ends them.', 'console.session_hours'),
  opt('raidAccountAge', 'float', 60, 'Anti-raid: while a room is in raid mode (`sogs --rooms TOKEN --raid-mode on`), accounts first seen less than this many minutes before raid mode began, or later, may not post there.', 'rooms.raid_account_age'),
  opt('raidDetect', 'bool', true, 'Anti-raid: detect raids in each room by itself: when new accounts (first seen less than raidAccountAge minutes ago) post at an abnormal rate, the room enters raid mode, in which the posts of new accounts are held for moderators (the poster sees the post accepted; members do not see it) instead of published. An automatic raid mode ends after raidQuietMinutes; a moderator can end it at once, release or drop held posts, and clean up the accounts (README "Anti-raid").', 'rooms.raid_detect'),
  opt('raidMinPosters', 'int', 20, 'Anti-raid: new accounts posting in a room within a minute (each counted once a minute, so one account\'s flood is left to the rate limits) at or below which the room is never judged raided, however quiet it usually is: the floor for small rooms.', 'rooms.raid_min_posters'),
  opt('raidBaselineFactor', 'float', 4, 'Anti-raid: a room is raided when more new accounts post there within a minute than raidMinPosters and than this many times the most that did in any minute of the last raidBaselineDays (raids excepted): a room used to many newcomers needs more.', 'rooms.raid_baseline_factor'),
  opt('raidBaselineDays', 'float', 7, 'Anti-raid: the days of history a room\'s baseline of new-account posts per minute is taken from.', 'rooms.raid_baseline_days'),
  opt('raidQuietMinutes', 'float', 15, 'Anti-raid: an automatic raid mode ends by itself once the new accounts posting there stayed at or below the raid threshold in every minute for this long.', 'rooms.raid_quiet_minutes'),
  opt('raidHeldDays', 'float', 7, 'Anti-raid: days a held post waits for a moderator to release it before it is deleted (a background job).', 'rooms.raid_held_days'),
  opt('floodMinChars', 'int', 16, 'Flood signals: a post\'s text counts as a copy of another when both are the same once normalised (case, accents, look-alike characters, digits, spaces, punctuation and repeated letters ignored); texts of fewer letters than this are never counted, so "hi", "ok" or "good morning" can be said by anyone, any number of times.', 'messages.flood_min_chars'),
  opt('floodAccounts', 'int', 10, 'Flood signals: at most this many different accounts may post the same text in one room within floodAccountsWindow; until the window moves on, further copies from new accounts (first seen less than raidAccountAge minutes ago) are held for moderators (accepted as far as the poster can tell, shown to nobody until released), while established members\' copies pass (0 = off). Moderators and users given an explicit write permission in the room are exempt.', 'messages.flood_accounts'),
  opt('floodAccountsWindow', 'float', 300, 'Flood signals: the window in seconds for floodAccounts.', 'messages.flood_accounts_window'),
  opt('floodRepeats', 'int', 3, 'Flood signals: one account may post the same text at most this many times, in any rooms, within floodRepeatsWindow; further copies are refused (429) (0 = off). Moderators and users given an explicit write permission in the room are exempt.', 'messages.flood_repeats'),
  opt('floodRepeatsWindow', 'float', 600, 'Flood signals: the window in seconds for floodRepeats.', 'messages.flood_repeats_window'),
  opt('uploadAccountAge', 'float', 2, 'Anti-raid: accounts first seen on this server less than this many minutes ago may not upload files (403); 0 = off. Scripted accounts upload within seconds of their first request; a person who has just joined rarely sends a picture that fast, and can send it a minute later. Moderators and users given an explicit write or upload permission in the room are exempt.', 'files.upload_account_age'),
  opt('dmNewAccountMinutes', 'float', 1440, 'Anti-spam: an account first seen less than this many minutes ago may start direct-message conversations with at most dmNewAccountRecipients people per dmRecipientsWindow (0 = off). Replies to people who wrote to it first, and further messages to someone it already wrote to in the window, are not limited. Global moderators are exempt.', 'direct_messages.new_account_minutes'),
  opt('dmNewAccountRecipients', 'int', 5, 'Anti-spam: the people a new account (dmNewAccountMinutes) may start direct-message conversations with per dmRecipientsWindow; more gets 429. 0 = it may only reply.', 'direct_messages.new_account_recipients'),
  opt('dmRecipientsWindow', 'float', 3600, 'Anti-spam: the window in seconds for dmNewAccountRecipients.', 'direct_messages.recipients_window'),
];
