// Onion requests as a Session client builds them (docs/protocol/crypto.md §4): the inner request is signed,
// wrapped (v4 bencoded or v3 JSON), encrypted to the server key and POSTed to the lsrpc endpoint
// as the last service node would. The returned response is the INNER one.
import { bdecodeList, bencodeList } from '../src/crypto/bencode';
import { buildOnionRequestBody, onionDecrypt, type EncType } from '../src/crypto/onion';
import { decodeBase64Strict } from '../src/crypto/base64';
import type { SogsClient } from './client';
import { httpRequest } from './http';

export interface OnionInnerRequest {
  method: string;
  /** Path with optional ?query, as it would be requested directly. */
  target: string;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
}

export interface OnionOptions {
  version?: 'v4' | 'v3';
  encType?: EncType;
  /** Sign the inner request (default: when the client has an identity). */
  signed?: boolean;
  /** Override the lsrpc endpoint (e.g. /loki/v3/lsrpc). */
  endpointPath?: string;
  /**
   * The routing fields of the outer JSON, as each client's onion builder writes them (the server
   * ignores them; tests replay the apps' exact shapes):
   * - 'desktop' (default): host, target, method, plus protocol and port for plain-HTTP servers;
   *   no enc_type.
   * - 'android': host, target, method, protocol, port, always; no enc_type
   *   (session-android libsession/.../snode/OnionRequestEncryption.kt encryptHop).
   * - 'libsession': the same plus enc_type, always, keys sorted: libsession-util's
   *   onionreq/builder.cpp (nlohmann::json), which the iOS app builds its requests with.
   */
  routing?: 'desktop' | 'android' | 'libsession';
}

export interface OnionResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  json<T = unknown>(): T;
  text(): string;
}

/** The server refused the outer request (no encrypted reply exists), e.g. a plain 400. */
export class OnionTransportError extends Error {
  constructor(
    readonly status: number,
    readonly body: Buffer,
  ) {
    super(`onion request failed with HTTP ${status}: ${body.toString('utf8')}`);
  }
}

/** l<metadata JSON>[<body>]e; metadata key order and the omitted empty body match the desktop client. */
export function buildV4Plaintext(method: string, endpoint: string, headers: Record<string, string>, body?: Buffer): Buffer {
  const meta = Buffer.from(JSON.stringify({ method, endpoint, headers }), 'utf8');
  return bencodeList(body && body.length > 0 ? [meta, body] : [meta]);
}

/** {endpoint, method, headers, body?}: v3 bodies are strings, so binary bodies cannot be sent. */
export function buildV3Plaintext(method: string, endpoint: string, headers: Record<string, string>, body?: Buffer): Buffer {
  const req: Record<string, unknown> = { endpoint, method, headers };
  if (body && body.length > 0) {
    const s = body.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(body)) throw new Error('v3 onion request bodies must be valid UTF-8');
    req['body'] = s;
  }
  return Buffer.from(JSON.stringify(req), 'utf8');
}

function wrap(status: number, headers: Record<string, string>, body: Buffer): OnionResponse {
  return { status, headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T, text: () => body.toString('utf8') };
}

/** Decodes a decrypted v4 reply: exactly [{code, headers}, body]. */
export function openV4Reply(plaintext: Buffer): OnionResponse {
  const parts = bdecodeList(plaintext, 2);
  if (!parts || parts.length !== 2) throw new Error('malformed v4 onion reply: not a two-element bencoded list');
  const meta = JSON.parse(parts[0]!.toString('utf8')) as { code?: unknown; headers?: unknown };
  if (typeof meta.code !== 'number' || typeof meta.headers !== 'object' || meta.headers === null) {
    throw new Error('malformed v4 onion reply metadata');
  }
  return wrap(meta.code, meta.headers as Record<string, string>, Buffer.from(parts[1]!));
}

/** A v3 reply has no headers: a bare {"status_code": N} means failure N, anything else is a 2xx body. */
export function openV3Reply(plaintext: Buffer): OnionResponse {
  let status = 200;
  try {
    const v = JSON.parse(plaintext.toString('utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const code = (v as Record<string, unknown>)['status_code'];
      if (keys.length === 1 && typeof code === 'number') status = code;
    }
  } catch {
    // Not JSON: a successful non-JSON body.
  }
  return wrap(status, {}, plaintext);
}

export async function onionRequest(client: SogsClient, inner: OnionInnerRequest, opts: OnionOptions = {}): Promise<OnionResponse> {
  const version = opts.version ?? 'v4';
  const encType = opts.encType ?? 'aes-gcm';
  const body = inner.json !== undefined ? Buffer.from(JSON.stringify(inner.json), 'utf8') : (inner.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = { ...inner.headers };
  if (inner.json !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json';
  }
  if (opts.signed ?? client.identity !== undefined) {
    Object.assign(headers, client.authHeaders(inner.method, inner.target, body.length > 0 ? body : undefined));
  }
  const plaintext = (version === 'v4' ? buildV4Plaintext : buildV3Plaintext)(inner.method, inner.target, headers, body);

  const path = opts.endpointPath ?? (version === 'v4' ? '/oxen/v4/lsrpc' : '/loki/v3/lsrpc');
  const url = new URL(client.baseUrl);
  // Routing fields for the last service node, as the desktop client sends them (the server ignores them).
  const routing = opts.routing ?? 'desktop';
  const outerFields: Record<string, unknown> = { host: url.hostname, target: path, method: 'POST' };
  const scheme = url.protocol.replace(/:$/, '');
  if (url.protocol === 'http:' || routing !== 'desktop') {
    Object.assign(outerFields, { protocol: scheme, port: Number(url.port || (scheme === 'https' ? 443 : 80)) });
  }
  const libsession = routing === 'libsession';
  const { body: outer, key } = buildOnionRequestBody({
    serverPk: client.serverPubkey, plaintext, encType, outerFields, ...(libsession ? { includeEncType: true, sortKeys: true } : {}),
  });

  const res = await httpRequest(client.baseUrl + path, 'POST', {}, outer);
  if (res.status !== 200) throw new OnionTransportError(res.status, res.body);
  const ciphertext = version === 'v4' ? res.body : decodeBase64Strict(res.body.toString('ascii'));
  const reply = ciphertext && onionDecrypt(encType, key, ciphertext);
  if (!reply) throw new Error('onion reply could not be decrypted');
  return version === 'v4' ? openV4Reply(reply) : openV3Reply(reply);
}
