// The SOGS client: signed requests (X-SOGS-*), JSON helpers, /batch and /sequence. Tests,
// benchmarks and operators' bots use it.
import { signRequestHeaders, signingPath } from '../src/crypto/request-auth';
import { httpRequest, type RawResponse } from './http';
import type { Identity } from './identity';
import { signedMessage } from './messages';

export interface ClientResponse extends RawResponse {
  json<T = unknown>(): T;
  text(): string;
}

export interface RequestOptions {
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
  /** Sign with the identity (default: when the client has one). */
  signed?: boolean;
}

export interface SubRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  b64?: string;
  bytes?: string;
}

export interface SubResponse {
  code: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface ClientOptions {
  baseUrl: string;
  serverPubkey: Buffer | string;
  identity?: Identity;
  /** Authenticate with the blinded (15) key; false = unblinded (00). Default true. */
  blinded?: boolean;
  /** Unix seconds for X-SOGS-Timestamp (default: the system clock); tests pass the server's manual clock. */
  now?: () => number;
}

function wrap(r: RawResponse): ClientResponse {
  return {
    ...r,
    json: <T>() => JSON.parse(r.body.toString('utf8')) as T,
    text: () => r.body.toString('utf8'),
  };
}

export class SogsClient {
  readonly baseUrl: string;
  readonly serverPubkey: Buffer;
  readonly identity: Identity | undefined;
  readonly blinded: boolean;
  private readonly now: (() => number) | undefined;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.serverPubkey = typeof opts.serverPubkey === 'string' ? Buffer.from(opts.serverPubkey, 'hex') : opts.serverPubkey;
    this.identity = opts.identity;
    this.blinded = opts.blinded ?? true;
    this.now = opts.now;
  }

  /** This client's session id as the server sees it. */
  get sessionId(): string {
    if (!this.identity) throw new Error('anonymous client');
    return this.blinded ? this.identity.blindedId(this.serverPubkey) : this.identity.sessionId;
  }

  /** The X-SOGS-* headers for a request (exposed for onion requests and for tests). */
  authHeaders(method: string, target: string, body?: Buffer, extra?: { timestamp?: number; nonce?: Buffer }): Record<string, string> {
    if (!this.identity) throw new Error('anonymous client cannot sign');
    const path = signingPath(target);
    if (path === null) throw new Error(`cannot sign malformed path ${target}`);
    return signRequestHeaders({
      account: this.identity.account,
      blinded: this.blinded,
      serverPk: this.serverPubkey,
      method,
      path,
      body,
      ...(this.now ? { timestamp: Math.floor(this.now()) } : {}),
      ...extra,
    });
  }

  async request(method: string, target: string, opts: RequestOptions = {}): Promise<ClientResponse> {
    const body = opts.json !== undefined ? Buffer.from(JSON.stringify(opts.json), 'utf8') : opts.body;
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.json !== undefined) headers['content-type'] ??= 'application/json';
    if (opts.signed ?? this.identity !== undefined) Object.assign(headers, this.authHeaders(method, target, body));
    return wrap(await httpRequest(this.baseUrl + target, method, headers, body));
  }

  get(target: string, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('GET', target, opts);
  }
  post(target: string, json: unknown, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('POST', target, { ...opts, json });
  }
  put(target: string, json: unknown, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('PUT', target, { ...opts, json });
  }
  delete(target: string, opts?: RequestOptions): Promise<ClientResponse> {
    return this.request('DELETE', target, opts);
  }

  async batch(subs: SubRequest[]): Promise<SubResponse[]> {
    return this.expectOk(await this.post('/batch', subs)).json<SubResponse[]>();
  }

  async sequence(subs: SubRequest[]): Promise<SubResponse[]> {
    return this.expectOk(await this.post('/sequence', subs)).json<SubResponse[]>();
  }

  /** Posts `content` (padded and signed like a Session client) to a room. */
  async postMessage(room: string, content: Buffer, extra: Record<string, unknown> = {}): Promise<ClientResponse> {
    if (!this.identity) throw new Error('anonymous client cannot post');
    const m = signedMessage(this.identity, this.serverPubkey, content);
    return this.post(`/room/${room}/message`, { data: m.data.toString('base64'), signature: m.signature.toString('base64'), ...extra });
  }

  private expectOk(r: ClientResponse): ClientResponse {
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text()}`);
    return r;
  }
}
