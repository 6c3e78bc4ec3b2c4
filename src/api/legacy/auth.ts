// Legacy auth tokens, PySOGS style (crypto.md §5.2): stateless, token = server Ed25519
// signature || 05 session id; the challenge encrypts it to the user's X25519 key with the
// server's long-term X25519 key as the "ephemeral" key.
import { parseSessionId } from '../../crypto/ids';
import {
  decodePysogsAuthorization,
  encryptLegacyChallenge,
  legacyChallengeJson,
  legacyChallengeKey,
  makePysogsToken,
  pysogsTokenPublicKey,
  verifyPysogsToken,
} from '../../crypto/legacy-token';
import { DomainError } from '../../domain/errors';
import type { Services } from '../../domain/services';

const edPkCache = new WeakMap<Buffer, Buffer>();

function tokenPublicKey(s: Services): Buffer {
  let pk = edPkCache.get(s.keys.secret);
  if (!pk) {
    pk = pysogsTokenPublicKey(s.keys.secret);
    edPkCache.set(s.keys.secret, pk);
  }
  return pk;
}

/** 401: clients forget their token and redo the challenge (legacy.md §2.1, §11.2). */
export const noToken = (msg = 'Missing or invalid auth token'): DomainError => new DomainError('unauthorized', msg);

/** The 05 id an `Authorization` value carries, or null if it is not a token of this server. */
export function tokenOwner(s: Services, authorization: string): string | null {
  const token = decodePysogsAuthorization(authorization.trim());
  return token ? verifyPysogsToken(tokenPublicKey(s), token) : null;
}

/** Body of GET auth_token_challenge for a (validated) 05 id. */
export function challengeFor(s: Services, sessionId05: string): ReturnType<typeof legacyChallengeJson> {
  const token = makePysogsToken(s.keys.secret, sessionId05);
  const key = legacyChallengeKey(s.keys.secret, parseSessionId(sessionId05).key);
  return legacyChallengeJson(encryptLegacyChallenge(key, token), s.keys.publicKey);
}
