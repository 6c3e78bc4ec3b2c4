// Runs fuzz cases against a test server: most in-process through the real router (as the HTTP
// listener would call it), a share over real HTTP. A case fails when it answers 500, when the
// server logs an error ('unhandled error', 'request failed'), or when the connection breaks.
import { AsyncLocalStorage } from 'node:async_hooks';
import { httpRequest, Identity } from '../../client';
import { decodePath, splitTarget } from '../../src/api/paths';
import type { ApiRequest } from '../../src/api/types';
import { decryptLegacyChallenge, legacyChallengeKey } from '../../src/crypto/legacy-token';
import { decodeBase64Strict } from '../../src/crypto/base64';
import { challengeFor, claimToken } from '../../src/domain/legacy-tokens';
import { resolveTargetUser, setModerator } from '../../src/domain/users';
import { generateCase, type FuzzCase, type FuzzWorld } from './fuzz-cases';
import { caseRng } from './fuzz-values';
import type { TestServer } from './server';

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Fraction of cases sent over real HTTP (the rest go through router.dispatch in-process). */
  httpShare?: number;
  /** Cases in flight at once. */
  concurrency?: number;
  /** Called every `progressEvery` cases. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
  /** Stop after this many failures. */
  maxFailures?: number;
}

export interface FuzzFailure {
  index: number;
  kind: string;
  why: string;
  method: string;
  target: string;
}

export interface FuzzResult {
  failures: FuzzFailure[];
  statuses: Map<number, number>;
  http: number;
}

/** Rooms, users (a global admin among them), posts, an upload and a claimed legacy token. */
export async function setupWorld(t: TestServer): Promise<FuzzWorld> {
  const ids = [Identity.random(), Identity.random(), Identity.random(), Identity.random()];
  const clients = [t.client(ids[0]), t.client(ids[1]), t.client(ids[2]), t.client(ids[3], { blinded: false })];
  const admin = await resolveTargetUser(t.s, clients[2]!.sessionId);
  await setModerator(t.s, admin, 'global', { moderator: true, admin: true, visible: false });
  const other = await t.s.store.createRoom({ token: 'fz', name: 'Fuzz', now: t.s.clock.now() });
  const messageIds: number[] = [];
  for (const c of clients.slice(0, 3)) {
    for (const room of ['main', 'fz']) {
      const r = await c.postMessage(room, Buffer.from(`hello ${room}`));
      if (r.status === 201) messageIds.push(r.json<{ id: number }>().id);
    }
  }
  const up = await clients[0]!.request('POST', '/room/main/file', { body: Buffer.from('fuzz file') });
  const fileIds = up.status === 201 ? [up.json<{ id: number }>().id] : [];
  const main = (await t.s.store.getRoom('main'))!;
  const ch = await challengeFor(t.s, main, ids[0]!.sessionId);
  const key = legacyChallengeKey(ids[0]!.account.xSk, decodeBase64Strict(ch.challenge.ephemeral_public_key)!);
  const token = decryptLegacyChallenge(key, decodeBase64Strict(ch.challenge.ciphertext)!)!.toString('hex');
  await claimToken(t.s, main, ids[0]!.sessionId, token);
  return {
    serverPk: t.serverPubkey,
    clients,
    rooms: ['main', other.token, 'nope'],
    messageIds,
    fileIds,
    sids: [...ids.map((i) => i.sessionId), ...clients.slice(0, 3).map((c) => c.sessionId)],
    legacyToken: token,
  };
}

/** The ApiRequest the HTTP listener builds for a case; null when its path escapes are malformed (a 400 there). */
function toApiRequest(c: FuzzCase): ApiRequest | null {
  const { rawPath, query } = splitTarget(c.target);
  const path = decodePath(rawPath);
  if (path === null) return null;
  const headers: Record<string, string> = {};
  for (const k in c.headers) headers[k.toLowerCase()] = c.headers[k]!;
  return { method: c.method, path, query, headers, body: c.body };
}

/** Header values Node's HTTP client would refuse to send are replaced; targets are made sendable. */
function sendable(c: FuzzCase): { target: string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) {
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) headers[k] = v.replace(/[^\t\x20-\x7e]/g, '?');
  }
  let target = '';
  for (const b of Buffer.from(c.target, 'utf8')) target += b >= 0x21 && b <= 0x7e ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`;
  return { target, headers };
}

const CLIENT_REFUSALS = new Set(['ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_UNESCAPED_CHARACTERS', 'ERR_INVALID_ARG_VALUE', 'ERR_HTTP_INVALID_HEADER_VALUE']);

export async function runFuzz(t: TestServer, w: FuzzWorld, opts: FuzzOptions): Promise<FuzzResult> {
  const httpShare = opts.httpShare ?? 0.1;
  const concurrency = opts.concurrency ?? 8;
  const maxFailures = opts.maxFailures ?? 20;
  const failures: FuzzFailure[] = [];
  const statuses = new Map<number, number>();
  let http = 0;

  // Every 500 the router or the listener produces is logged first: catch those lines.
  // Cases run concurrently: each runs in its own async context, so a line is blamed on its case.
  const current = new AsyncLocalStorage<string[]>();
  const stray: string[] = [];
  const log = t.s.log as unknown as { error: (...a: unknown[]) => void };
  const origError = log.error;
  log.error = (...args: unknown[]) => {
    const obj = args[0] as { err?: unknown } | undefined;
    const err = obj?.err instanceof Error ? obj.err.stack ?? obj.err.message : '';
    (current.getStore() ?? stray).push(`${String(args[1] ?? args[0])} ${err}`.slice(0, 2000));
  };

  async function one(index: number): Promise<void> {
    const r = caseRng(opts.seed, index);
    const c = generateCase(r, w);
    const overHttp = r() < httpShare;
    const lines: string[] = [];
    let status: number;
    try {
      if (overHttp) {
        http++;
        const { target, headers } = sendable(c);
        const body = c.body.length > 0 ? c.body : undefined;
        status = (await current.run(lines, () => httpRequest(t.url + target, c.method, headers, body))).status;
      } else {
        const req = toApiRequest(c);
        status = req ? (await current.run(lines, () => t.server.router.dispatch(t.s, req))).status : 400;
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      // Node's client refusing to send a hostile method, target or header is not a server failure.
      const code = (e as { code?: unknown }).code;
      if (overHttp && typeof code === 'string' && CLIENT_REFUSALS.has(code)) return;
      failures.push({ index, kind: c.kind, why: `threw: ${msg}`, method: c.method, target: c.target.slice(0, 300) });
      return;
    }
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status >= 500 || lines.length > 0) {
      failures.push({ index, kind: c.kind, why: `status ${status}${lines.length ? `; log: ${lines.join(' | ')}` : ''}`, method: c.method, target: c.target.slice(0, 300) });
    }
  }

  try {
    let next = 0;
    const every = opts.progressEvery ?? 10_000;
    const worker = async (): Promise<void> => {
      while (next < opts.cases && failures.length < maxFailures) {
        const i = next++;
        await one(i);
        if (opts.onProgress && (i + 1) % every === 0) opts.onProgress(i + 1);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    log.error = origError;
  }
  // A line logged outside any case's context (the HTTP listener's own, say) fails the run too.
  for (const line of stray.slice(0, 5)) failures.push({ index: -1, kind: 'log', why: line, method: '', target: '' });
  return { failures, statuses, http };
}
