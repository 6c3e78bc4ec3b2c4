// X-SOGS-* request authentication (docs/protocol/crypto.md §2, docs/protocol/api.md §2.2). The checks run in the reference's
// order so that clients see the same status for the same fault, with one deliberate difference:
// nothing is written (no user row, no nonce) until the signature has verified, so a forged
// request cannot create users or burn other people's nonces. The signature is checked first and
// the database asked once after it (a poll's one round trip for auth); a request that fails the
// check is then looked up to answer with the reference's status (ban, reused nonce, signature).
import { ed25519PkToX25519, isValidEd25519Point } from '../crypto/ids';
import { decodeAuthPubkey, decodeNonce, decodeSignatureHeader, parseAuthTimestamp, requestSigningMessage } from '../crypto/request-auth';
import { verifyEd25519 } from '../crypto/sign';
import { DomainError, badRequest } from '../domain/errors';
import type { RequestContext } from '../domain/request-context';
import type { Services } from '../domain/services';
import type { User } from '../store/types';
import type { ApiRequest } from './types';

const HEADERS = ['x-sogs-pubkey', 'x-sogs-nonce', 'x-sogs-timestamp', 'x-sogs-signature'] as const;
const WINDOW = 86400;

// Point validation costs about as much as the signature check itself, and the same clients poll
// every few seconds: remember keys that passed (bounded; cleared when full).
const VALID_KEYS_MAX = 100_000;
const validKeys = new Set<string>();

function validPoint(header: string, edKey: Buffer): boolean {
  if (validKeys.has(header)) return true;
  if (!isValidEd25519Point(edKey)) return false;
  if (validKeys.size >= VALID_KEYS_MAX) validKeys.clear();
  validKeys.add(header);
  return true;
}

const invalid = (what: string): DomainError => badRequest(`Invalid authentication: ${what}`);

/** The string a signature covers as its path: decoded path, plus '?query' when there is one. */
export function signedPath(req: ApiRequest): string {
  return req.query ? `${req.path}?${req.query}` : req.path;
}

/**
 * Signs `rc` in as the request's user, with what the store read along with it; leaves it
 * anonymous for a request without X-SOGS-* headers, and throws for one that fails the checks.
 */
export async function authenticate(s: Services, req: ApiRequest, rc: RequestContext): Promise<void> {
  const [pubkeyH, nonceH, tsH, sigH] = HEADERS.map((h) => req.headers[h] ?? '');
  const present = [pubkeyH, nonceH, tsH, sigH].filter((v) => v !== '').length;
  if (present === 0) return;
  if (present < 4) {
    throw badRequest(`Invalid authentication headers: missing ${4 - present}/4 required X-SOGS-* headers`);
  }

  const pubkey = decodeAuthPubkey(pubkeyH!);
  if (!pubkey) throw invalid('X-SOGS-Pubkey is not a valid 66-hex digit id');
  const prefix = pubkey[0];
  if (prefix !== 0x00 && prefix !== 0x15) throw invalid('X-SOGS-Pubkey must be 00- or 15- prefixed');
  const edKey = pubkey.subarray(1);
  if (!validPoint(pubkeyH!, edKey)) throw invalid('given X-SOGS-Pubkey is not a valid Ed25519 pubkey');
  let sessionId: string;
  if (prefix === 0x00) {
    const x = ed25519PkToX25519(edKey);
    if (!x) throw invalid('given X-SOGS-Pubkey is not a valid Ed25519 pubkey');
    if (s.config.requireBlindKeys) throw invalid('this server requires the use of blinded ids');
    sessionId = '05' + x.toString('hex');
  } else {
    sessionId = '15' + edKey.toString('hex');
  }

  const nonce = decodeNonce(nonceH!);
  if (!nonce) throw invalid('X-SOGS-Nonce must be 16 bytes (encoded as base64 or hex)');
  const signature = decodeSignatureHeader(sigH!);
  if (!signature) throw invalid('X-SOGS-Signature is not base64[88]');
  const ts = parseAuthTimestamp(tsH!);
  if (ts === null) throw invalid('X-SOGS-Timestamp is not a valid timestamp');
  const now = s.clock.now();
  if (ts < now - WINDOW || ts > now + WINDOW) {
    throw new DomainError('too-early', 'Invalid authentication: X-SOGS-Timestamp is too far from current time');
  }

  const msg = requestSigningMessage(s.keys.publicKey, nonce, tsH!, req.method, signedPath(req), req.body);
  if (!verifyEd25519(signature, msg, edKey)) {
    // The reference checks the ban and the nonce before the signature: a forged request gets
    // the status it would have got there. Only this failure path needs the lookup on its own.
    const { user: known, nonceSeen } = await s.store.authLookup(sessionId, nonce, ts);
    if (known?.banned) throw banned();
    if (nonceSeen) throw reused();
    throw new DomainError('unauthorized', 'Invalid authentication: X-SOGS-Signature verification failed');
  }

  // Verified: now the request may leave traces. The user and the nonce in one round trip.
  const { user: known, nonceSeen, recorded, view } = await s.store.lookupAndRecordNonce(sessionId, nonce, ts);
  if (known?.banned) throw banned();
  if (nonceSeen) throw reused();
  const user: User = known ?? (await s.store.ensureUser(sessionId, now));
  // A newly vivified blinded user may have inherited a global ban from its 05 id.
  if (user.banned) throw banned();
  if (!recorded && !(await s.store.recordNonce(user.id, nonce, ts))) throw reused();
  s.activity.touchUser(user.id, now);
  rc.signIn(user, view);
}

function banned(): DomainError {
  return new DomainError('forbidden', 'Banned');
}

function reused(): DomainError {
  return new DomainError('too-early', 'Invalid authentication: X-SOGS-Nonce cannot be reused');
}
