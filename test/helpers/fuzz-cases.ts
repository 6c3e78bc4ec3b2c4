// The fuzzer's case generator: hostile requests shaped like real ones, so that most get past the
// first check and reach the handlers. Kinds: modern API calls with fuzzed path parameters, query
// strings and JSON bodies; signed requests with mangled X-SOGS-* headers; /batch and /sequence
// lists; onion v3/v4 envelopes (built with the client library) around fuzzed inner requests, and
// mangled envelopes; legacy routes. A case is a raw HTTP request: method, target, headers, body.
import { buildV3Plaintext, buildV4Plaintext, padMessage, signedMessage, type SogsClient } from '../../client';
import { parseJson } from '../../src/crypto/json';
import { buildOnionRequestBody, type EncType } from '../../src/crypto/onion';
import { FIELD_NAMES, bytes, chance, deepJsonText, fuzzInt, fuzzJson, hex, int, junk, mutateBytes, oddNumber, pick, type Rng } from './fuzz-values';

export interface FuzzWorld {
  serverPk: Buffer;
  /** Signed identities: plain users, a global admin, one using its unblinded (00) key. */
  clients: SogsClient[];
  rooms: string[];
  messageIds: number[];
  fileIds: number[];
  /** Session ids the server knows (05, 15). */
  sids: string[];
  /** A claimed legacy token of clients[0]'s 05 id in `main`. */
  legacyToken: string;
}

export interface FuzzCase {
  kind: string;
  method: string;
  /** Raw request target: path (maybe with bad escapes or raw UTF-8) and query. */
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

type BodyKind = 'json' | 'none' | 'bytes';
const API: [string, string, BodyKind][] = [
  ['GET', '/capabilities', 'none'], ['GET', '/rooms', 'none'], ['GET', '/room/{room}', 'none'], ['PUT', '/room/{room}', 'json'],
  ['GET', '/room/{room}/pollInfo/{int}', 'none'], ['GET', '/room/{room}/messages/recent', 'none'],
  ['GET', '/room/{room}/messages/before/{mid}', 'none'], ['GET', '/room/{room}/messages/since/{int}', 'none'],
  ['GET', '/room/{room}/message/{mid}', 'none'], ['PUT', '/room/{room}/message/{mid}', 'json'],
  ['DELETE', '/room/{room}/message/{mid}', 'none'], ['POST', '/room/{room}/message', 'json'], ['POST', '/room/{room}/message', 'json'],
  ['POST', '/room/main/message', 'json'], ['POST', '/room/main/message', 'json'], ['PUT', '/room/main/message/{mid}', 'json'],
  ['PUT', '/room/main/reaction/{mid}/{reaction}', 'json'], ['GET', '/room/main/messages/since/{int}', 'none'],
  ['POST', '/room/{room}/file', 'bytes'], ['GET', '/room/{room}/file/{fid}', 'none'], ['GET', '/room/{room}/file/{fid}/{name}', 'none'],
  ['POST', '/room/{room}/pin/{mid}', 'json'], ['POST', '/room/{room}/unpin/{mid}', 'json'], ['POST', '/room/{room}/unpin/all', 'json'],
  ['PUT', '/room/{room}/reaction/{mid}/{reaction}', 'json'], ['DELETE', '/room/{room}/reaction/{mid}/{reaction}', 'none'],
  ['DELETE', '/room/{room}/reactions/{mid}', 'none'], ['DELETE', '/room/{room}/reactions/{mid}/{reaction}', 'none'],
  ['GET', '/room/{room}/reactors/{mid}/{reaction}', 'none'],
  ['POST', '/user/{sid}/moderator', 'json'], ['POST', '/user/{sid}/ban', 'json'], ['POST', '/user/{sid}/unban', 'json'],
  ['DELETE', '/room/{room}/all/{sid}', 'none'], ['DELETE', '/rooms/all/{sid}', 'none'],
  ['GET', '/room/{room}/permissions', 'none'], ['GET', '/room/{room}/permissions/{sid}', 'none'], ['POST', '/room/{room}/permissions/{sid}', 'json'],
  ['GET', '/room/{room}/futurePermissions', 'none'], ['GET', '/room/{room}/futurePermissions/{sid}', 'none'],
  ['POST', '/room/{room}/futurePermissions/{sid}', 'json'],
  ['POST', '/inbox/{sid}', 'json'], ['GET', '/inbox', 'none'], ['GET', '/outbox', 'none'], ['GET', '/inbox/since/{int}', 'none'],
  ['GET', '/outbox/since/{int}', 'none'], ['DELETE', '/inbox', 'none'],
  ['GET', '/', 'none'], ['GET', '/r/{room}', 'none'], ['GET', '/r/{room}/invite.png', 'none'], ['GET', '/{room}', 'none'],
  ['GET', '/static/{name}', 'none'], ['HEAD', '/{room}', 'none'], ['PATCH', '/room/{room}', 'json'], ['GET', '/{name}/{name}/{name}', 'none'],
];

const LEGACY: [string, string, BodyKind][] = [
  ['GET', 'rooms', 'none'], ['GET', 'rooms/{room}', 'none'], ['GET', 'rooms/{room}/image', 'none'], ['POST', 'rooms/{room}/image', 'json'],
  ['POST', 'files', 'json'], ['GET', 'files/{fid}', 'none'], ['GET', 'auth_token_challenge', 'none'], ['POST', 'claim_auth_token', 'json'],
  ['DELETE', 'auth_token', 'none'], ['POST', 'compact_poll', 'json'], ['POST', 'messages', 'json'], ['GET', 'messages', 'none'],
  ['POST', 'delete_messages', 'json'], ['DELETE', 'messages/{mid}', 'none'], ['GET', 'deleted_messages', 'none'], ['GET', 'moderators', 'none'],
  ['POST', 'block_list', 'json'], ['POST', 'ban_and_delete_all', 'json'], ['DELETE', 'block_list/{sid}', 'none'], ['GET', 'block_list', 'none'],
  ['GET', 'member_count', 'none'], ['PUT', 'messages', 'json'], ['GET', '{name}', 'none'],
];

const QUERY_KEYS = ['limit', 't', 'reactors', 'required', 'from_server_id', 'public_key', 'info', 'x', 'limit', '', '%ZZ'];
const CONTENT_TYPES = ['application/json; charset=utf-8', 'text/html', 'multipart/form-data; boundary=x', 'application/octet-stream', 'APPLICATION/JSON', '', 'application/x-www-form-urlencoded'];

function room(r: Rng, w: FuzzWorld): string {
  return chance(r, 0.6) ? pick(r, w.rooms) : junk(r);
}

function sid(r: Rng, w: FuzzWorld): string {
  switch (int(r, 7)) {
    case 0:
    case 1:
      return pick(r, w.sids);
    case 2:
      return '05' + hex(r, 64);
    case 3:
      return '15' + hex(r, 64);
    case 4:
      return pick(r, ['05', '15', '00', '25', 'ff', 'FF']) + hex(r, pick(r, [62, 63, 64, 65, 66])).toUpperCase();
    case 5:
      return '05' + '00'.repeat(32);
    default:
      return junk(r);
  }
}

/** A path parameter as it appears in the target: mostly escaped, sometimes raw (slashes, '?', '%'). */
function param(r: Rng, v: string): string {
  return chance(r, 0.8) ? escape(v) : v;
}

/** encodeURIComponent, with lone surrogates (which it refuses) sent as their UTF-8 replacement. */
function escape(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return encodeURIComponent(Buffer.from(v, 'utf8').toString('utf8'));
  }
}

function fill(r: Rng, w: FuzzWorld, pattern: string): string {
  return pattern.replace(/\{(\w+)\}/g, (_m, k: string) => {
    switch (k) {
      case 'room':
        return param(r, room(r, w));
      case 'int':
        return param(r, fuzzInt(r));
      case 'mid':
        return param(r, fuzzInt(r, w.messageIds));
      case 'fid':
        return param(r, fuzzInt(r, w.fileIds));
      case 'sid':
        return param(r, sid(r, w));
      case 'reaction':
        return param(r, chance(r, 0.5) ? pick(r, ['👍', '❤️', '🏳️‍🌈', 'x']) : junk(r));
      default:
        return param(r, junk(r));
    }
  });
}

function query(r: Rng, w: FuzzWorld): string {
  if (chance(r, 0.6)) return '';
  const parts: string[] = [];
  for (let i = 1 + int(r, 3); i > 0; i--) {
    const k = pick(r, QUERY_KEYS);
    const v = chance(r, 0.5) ? fuzzInt(r, w.messageIds) : k === 'public_key' ? sid(r, w) : junk(r);
    parts.push(`${k}=${chance(r, 0.8) ? escape(v) : v}`);
  }
  return '?' + parts.join(pick(r, ['&', '&', ';', '&&']));
}

/** A value of the type a handler expects for `key` (half the time), else anything. */
function fieldValue(r: Rng, w: FuzzWorld, key: string): unknown {
  if (chance(r, 0.4)) return fuzzJson(r, 2);
  const b64 = (n: number): string => bytes(r, n).toString('base64');
  switch (key) {
    case 'data':
      return padMessage(bytes(r, int(r, 300))).toString('base64');
    case 'signature':
      return b64(pick(r, [64, 64, 63, 0]));
    case 'whisper_to':
    case 'public_key':
      return sid(r, w);
    case 'files':
    case 'ids':
      return Array.from({ length: int(r, 4) }, () => (chance(r, 0.7) ? Number(fuzzInt(r, key === 'files' ? w.fileIds : w.messageIds)) : oddNumber(r)));
    case 'rooms':
      return chance(r, 0.7) ? [pick(r, ['*', ...w.rooms])] : [room(r, w), room(r, w)];
    case 'image':
    case 'id':
      return Number(fuzzInt(r, key === 'image' ? w.fileIds : w.messageIds));
    case 'timeout':
    case 'in':
    case 'timestamp':
    case 'limit':
    case 'from_message_server_id':
    case 'from_deletion_server_id':
      return chance(r, 0.3) ? null : oddNumber(r);
    case 'requests':
      return Array.from({ length: int(r, 3) }, () => ({
        room_id: room(r, w), auth_token: chance(r, 0.5) ? w.legacyToken : junk(r),
        from_message_server_id: fieldValue(r, w, 'id'), from_deletion_server_id: fieldValue(r, w, 'id'),
      }));
    case 'file':
      return b64(int(r, 200));
    case 'name':
    case 'description':
      return junk(r);
    default:
      return chance(r, 0.7) ? chance(r, 0.5) : null;
  }
}

function jsonBodyText(r: Rng, w: FuzzWorld, who: SogsClient | null = null): Buffer {
  const k = int(r, 20);
  if (k === 0) return Buffer.from(deepJsonText(r));
  if (k === 1) return Buffer.alloc(0);
  if (k === 2) return Buffer.from(junk(r));
  if (k === 3) return Buffer.from(JSON.stringify(fuzzJson(r, 4)));
  const o: Record<string, unknown> = {};
  for (let i = int(r, 6); i > 0; i--) {
    const key = pick(r, FIELD_NAMES);
    o[key] = fieldValue(r, w, key);
  }
  // A post or edit that passes the signature check reaches the rules after it.
  if (who?.identity && chance(r, 0.7)) {
    const m = signedMessage(who.identity, w.serverPk, bytes(r, 1 + int(r, 200)));
    o['data'] = m.data.toString('base64');
    o['signature'] = m.signature.toString('base64');
  }
  const text = Buffer.from(JSON.stringify(o));
  return k === 4 ? mutateBytes(r, text) : text;
}

function signer(r: Rng, w: FuzzWorld): SogsClient | null {
  return chance(r, 0.25) ? null : pick(r, w.clients);
}

/** Adds X-SOGS-* headers of `c` (if any); a signing failure (a path it cannot sign) leaves it unsigned. */
function sign(r: Rng, c: SogsClient | null, req: FuzzCase): void {
  if (!c) return;
  try {
    Object.assign(req.headers, c.authHeaders(req.method, req.target, req.body.length > 0 ? req.body : undefined, { nonce: bytes(r, 16) }));
  } catch {
    // Unsignable target: sent unsigned.
  }
}

/** One modern API call (also the inner request of onion cases and the model of batch elements). */
export function apiRequest(r: Rng, w: FuzzWorld, signed = true): FuzzCase {
  const [method, pattern, kind] = pick(r, API);
  const target = fill(r, w, pattern) + query(r, w);
  const headers: Record<string, string> = {};
  const who = signed ? signer(r, w) : null;
  let body: Buffer = Buffer.alloc(0);
  if (kind === 'json' || (chance(r, 0.05) && method !== 'GET')) {
    body = jsonBodyText(r, w, who);
    if (chance(r, 0.85)) headers['content-type'] = chance(r, 0.8) ? 'application/json' : pick(r, CONTENT_TYPES);
  } else if (kind === 'bytes') {
    body = bytes(r, pick(r, [0, 1, 100, 3000]));
    if (chance(r, 0.5)) headers['content-disposition'] = `attachment; filename="${junk(r)}"`;
  }
  const req: FuzzCase = { kind: 'api', method: chance(r, 0.03) ? pick(r, ['get', 'OPTIONS', 'PUT', junk(r)]) : method, target, headers, body };
  sign(r, who, req);
  return req;
}

/** A signed request with one or more X-SOGS-* headers mangled. */
function mangledAuth(r: Rng, w: FuzzWorld): FuzzCase {
  const req = apiRequest(r, w, false);
  sign(r, pick(r, w.clients), req);
  req.kind = 'headers';
  const h = req.headers;
  for (let i = 1 + int(r, 2); i > 0; i--) {
    const name = pick(r, ['x-sogs-pubkey', 'x-sogs-timestamp', 'x-sogs-nonce', 'x-sogs-signature']);
    if (chance(r, 0.15)) {
      delete h[name];
      continue;
    }
    switch (name) {
      case 'x-sogs-pubkey':
        h[name] = chance(r, 0.3) ? pick(r, ['00', '15', '25', '05']) + (h[name] ?? '').slice(2) : sid(r, w);
        break;
      case 'x-sogs-timestamp':
        h[name] = pick(r, ['0', '-1', '1.5', '1e10', '99999999999999999999', String(Math.floor(Date.now() / 1000) + pick(r, [-86401, 86401, -3600])), junk(r)]);
        break;
      case 'x-sogs-nonce':
        h[name] = pick(r, [bytes(r, 16).toString('hex'), bytes(r, 15).toString('base64'), bytes(r, 17).toString('base64'), '', junk(r)]);
        break;
      default:
        h[name] = chance(r, 0.5) ? mutateBytes(r, Buffer.from(h[name] ?? '')).toString('latin1') : bytes(r, pick(r, [63, 64, 65])).toString(pick(r, ['base64', 'hex'] as const));
    }
  }
  return req;
}

/** A batch element from an API call: json when the body is JSON text, else b64 or bytes; sometimes malformed. */
function subRequest(r: Rng, w: FuzzWorld): unknown {
  const a = apiRequest(r, w, false);
  const el: Record<string, unknown> = { method: a.method, path: a.target };
  if (Object.keys(a.headers).length > 0 || chance(r, 0.1)) el['headers'] = chance(r, 0.9) ? a.headers : fuzzJson(r, 2);
  if (a.body.length > 0 || a.method === 'POST' || a.method === 'PUT') {
    let json: unknown;
    try {
      // Parsed with the server's depth limit: a deeper body could not be serialised again here.
      json = parseJson(a.body);
    } catch {
      json = undefined;
    }
    if (json !== undefined && chance(r, 0.8)) el['json'] = json;
    else if (chance(r, 0.5)) el['b64'] = chance(r, 0.9) ? a.body.toString('base64') : junk(r);
    else el['bytes'] = a.body.toString('utf8');
  }
  if (chance(r, 0.1)) {
    const k = pick(r, ['method', 'path', 'headers', 'json', 'b64', 'bytes']);
    if (chance(r, 0.3)) delete el[k];
    else el[k] = k === 'path' ? pick(r, ['/batch', '/sequence', '/oxen/v4/lsrpc', 'room/main', '', junk(r)]) : fuzzJson(r, 2);
  }
  return chance(r, 0.03) ? fuzzJson(r, 2) : el;
}

export function batchRequest(r: Rng, w: FuzzWorld, signed = true): FuzzCase {
  const list = Array.from({ length: chance(r, 0.03) ? 40 : pick(r, [0, 1, 2, 3, 5, 8]) }, () => subRequest(r, w));
  let body: Buffer = Buffer.from(JSON.stringify(list));
  if (chance(r, 0.08)) body = mutateBytes(r, body);
  else if (chance(r, 0.03)) body = Buffer.from(`[{"method":"POST","path":"/room/main/message","json":${deepJsonText(r)}}]`);
  const req: FuzzCase = { kind: 'batch', method: 'POST', target: pick(r, ['/batch', '/sequence']), headers: {}, body };
  if (chance(r, 0.9)) req.headers['content-type'] = 'application/json';
  if (signed) sign(r, signer(r, w), req);
  return req;
}

function legacyRequest(r: Rng, w: FuzzWorld): { method: string; endpoint: string; headers: Record<string, string>; body: Buffer } {
  const [method, pattern, kind] = pick(r, LEGACY);
  let endpoint = fill(r, w, pattern);
  if (pattern === 'auth_token_challenge' || pattern === 'messages' || pattern === 'deleted_messages') {
    endpoint += chance(r, 0.7) ? `?public_key=${sid(r, w)}&from_server_id=${fuzzInt(r, w.messageIds)}&limit=${fuzzInt(r)}` : query(r, w);
  }
  const headers: Record<string, string> = {};
  if (chance(r, 0.8)) headers['Room'] = room(r, w);
  if (chance(r, 0.6)) headers['Authorization'] = chance(r, 0.6) ? w.legacyToken : junk(r);
  const body = kind === 'json' ? jsonBodyText(r, w) : Buffer.alloc(0);
  return { method, endpoint, headers, body };
}

function legacyCase(r: Rng, w: FuzzWorld): FuzzCase {
  const l = legacyRequest(r, w);
  const req: FuzzCase = { kind: 'legacy', method: l.method, target: (chance(r, 0.5) ? '/legacy/' : '/') + l.endpoint, headers: l.headers, body: l.body };
  if (chance(r, 0.5)) req.headers['content-type'] = pick(r, ['application/json', ...CONTENT_TYPES]);
  if (chance(r, 0.3)) sign(r, pick(r, w.clients), req);
  return req;
}

const BAD_BENCODE = ['le', 'l', 'i1e', 'd1:a1:be', 'l99999:ae', 'l1:a1:b1:ce', 'l-1:e', 'l01:ae', 'l2:{}e', 'l4:nulle', 'l2:[]e', 'l5:"abc"e'];

function onionCase(r: Rng, w: FuzzWorld): FuzzCase {
  const v3 = chance(r, 0.4);
  let plaintext: Buffer;
  const legacy = v3 && chance(r, 0.3);
  if (legacy) {
    const l = legacyRequest(r, w);
    const o: Record<string, unknown> = { method: l.method, endpoint: l.endpoint, headers: l.headers, body: l.body.toString('utf8') };
    if (chance(r, 0.5)) o['auth_code'] = chance(r, 0.7) ? w.legacyToken : fuzzJson(r, 1);
    plaintext = Buffer.from(JSON.stringify(o));
  } else {
    const inner = chance(r, 0.3) ? batchRequest(r, w) : apiRequest(r, w);
    try {
      plaintext = (v3 ? buildV3Plaintext : buildV4Plaintext)(inner.method, inner.target, inner.headers, inner.body);
    } catch {
      plaintext = buildV4Plaintext(inner.method, inner.target, inner.headers, inner.body);
    }
  }
  const m = int(r, 12);
  if (m === 0) plaintext = mutateBytes(r, plaintext);
  else if (m === 1) plaintext = Buffer.from(v3 ? JSON.stringify(fuzzJson(r, 3)) : pick(r, BAD_BENCODE));
  else if (m === 2) plaintext = Buffer.from(v3 ? deepJsonText(r) : (() => { const d = deepJsonText(r); return `l${Buffer.byteLength(d)}:${d}e`; })());
  const encType: EncType = pick(r, ['aes-gcm', 'aes-gcm', 'xchacha20']);
  const outerFields = chance(r, 0.5) ? { host: 'example.org', target: '/oxen/v4/lsrpc', method: 'POST' } : {};
  let body: Buffer = buildOnionRequestBody({ serverPk: w.serverPk, plaintext, encType, outerFields }).body;
  const e = int(r, 10);
  if (e === 0) body = mutateBytes(r, body);
  else if (e === 1) {
    // Same ciphertext, hostile metadata.
    const n = body.readUInt32LE(0);
    const meta = chance(r, 0.2) ? deepJsonText(r) : JSON.stringify(chance(r, 0.5) ? { ephemeral_key: junk(r), enc_type: fuzzJson(r, 1) } : fuzzJson(r, 2));
    body = Buffer.concat([body.subarray(0, 4 + n), Buffer.from(meta)]);
  } else if (e === 2) body.writeUInt32LE(pick(r, [0, 0xffffffff, body.length, body.length - 4]), 0);
  const target = v3 ? pick(r, ['/loki/v3/lsrpc', '/oxen/v3/lsrpc']) : chance(r, 0.95) ? '/oxen/v4/lsrpc' : '/loki/v3/lsrpc';
  return { kind: v3 ? 'onion-v3' : 'onion-v4', method: 'POST', target, headers: {}, body };
}

/** Case `r` of a run: weights favour the transports and the handlers they reach. */
export function generateCase(r: Rng, w: FuzzWorld): FuzzCase {
  const k = int(r, 100);
  if (k < 28) return apiRequest(r, w);
  if (k < 38) return mangledAuth(r, w);
  if (k < 58) return batchRequest(r, w);
  if (k < 83) return onionCase(r, w);
  return legacyCase(r, w);
}
