import * as nodeCrypto from 'node:crypto';
import { encodeBase64 } from './base64';
import { blake2b } from './hash';
import { decodeHexOrBase64Exact } from './hex-or-base64';
import { blindedKeys, type Account } from './keys';
import { signBlinded, signEd25519 } from './sign';

/** 33 bytes (prefix + key): 66 hex or 44 base64. The caller checks the prefix and the point. */
export function decodeAuthPubkey(value: string): Buffer | null {
  return decodeHexOrBase64Exact(value, 33);
}

/** 16 bytes: 32 hex, or base64 of 22–24 characters. */
export function decodeNonce(value: string): Buffer | null {
  return decodeHexOrBase64Exact(value, 16);
}

/** 64 bytes: 128 hex, or base64 of 86–88 characters. */
export function decodeSignatureHeader(value: string): Buffer | null {
  return decodeHexOrBase64Exact(value, 64);
}

const TIMESTAMP_RE = /^-?[0-9]{1,15}$/;

/** Base-10 integer seconds; the signature covers the header text, so keep that text too. */
export function parseAuthTimestamp(value: string): number | null {
  if (typeof value !== 'string' || !TIMESTAMP_RE.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * serverPk || nonce || timestamp text || method || path || BLAKE2b-64(body) (body hash only when
 * the body is non-empty). `pathWithQuery` is the percent-decoded path plus "?" + raw query when
 * the query is non-empty.
 */
export function requestSigningMessage(
  serverPk: Buffer,
  nonce: Buffer,
  timestampText: string,
  method: string,
  pathWithQuery: string,
  body: Buffer,
): Buffer {
  if (serverPk.length !== 32) throw new Error('server public key must be 32 bytes');
  if (nonce.length !== 16) throw new Error('nonce must be 16 bytes');
  const parts: Buffer[] = [
    serverPk,
    nonce,
    Buffer.from(timestampText, 'utf8'),
    Buffer.from(method, 'utf8'),
    Buffer.from(pathWithQuery, 'utf8'),
  ];
  if (body.length > 0) parts.push(blake2b(body, 64));
  return Buffer.concat(parts);
}

/**
 * The path as it is signed: `%XX` in the path decoded to bytes and read as UTF-8, then the raw
 * query appended only if non-empty. Null when an escape is malformed or the bytes are not UTF-8.
 */
export function signingPath(rawPathWithQuery: string): string | null {
  const q = rawPathWithQuery.indexOf('?');
  const rawPath = q === -1 ? rawPathWithQuery : rawPathWithQuery.slice(0, q);
  const query = q === -1 ? '' : rawPathWithQuery.slice(q + 1);
  if (/%(?![0-9a-fA-F]{2})/.test(rawPath)) return null;
  const chunks: Buffer[] = [];
  let last = 0;
  for (const m of rawPath.matchAll(/%([0-9a-fA-F]{2})/g)) {
    chunks.push(Buffer.from(rawPath.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1]!, 16)]));
    last = m.index! + 3;
  }
  chunks.push(Buffer.from(rawPath.slice(last), 'utf8'));
  let path: string;
  try {
    path = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return null;
  }
  return query.length > 0 ? `${path}?${query}` : path;
}

export type SignRequestOptions = {
  account: Account;
  blinded: boolean;
  serverPk: Buffer;
  method: string;
  /** the path exactly as signed: percent-decoded, with "?query" when non-empty (see signingPath) */
  path: string;
  body?: Buffer;
  /** unix seconds; defaults to now */
  timestamp?: number;
  /** 16 bytes; defaults to random */
  nonce?: Buffer;
};

/** The four X-SOGS-* headers as a Session client sends them (base64 nonce and signature). */
export function signRequestHeaders(opts: SignRequestOptions): Record<string, string> {
  const nonce = opts.nonce ?? nodeCrypto.randomBytes(16);
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const msg = requestSigningMessage(opts.serverPk, nonce, ts, opts.method, opts.path, opts.body ?? Buffer.alloc(0));
  let pubkey: string;
  let sig: Buffer;
  if (opts.blinded) {
    const keys = blindedKeys(opts.account, opts.serverPk);
    pubkey = keys.blindedId;
    sig = signBlinded(opts.account, keys, msg);
  } else {
    pubkey = '00' + opts.account.edPk.toString('hex');
    sig = signEd25519(opts.account.edSk, msg);
  }
  return {
    'X-SOGS-Pubkey': pubkey,
    'X-SOGS-Timestamp': ts,
    'X-SOGS-Nonce': encodeBase64(nonce),
    'X-SOGS-Signature': encodeBase64(sig),
  };
}
