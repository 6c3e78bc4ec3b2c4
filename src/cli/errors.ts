// What the CLI reports as one line (`Error: …`, exit 1), and the checks that must pass before a
// command changes anything.
import type { Services } from '../domain/services';
import { findTargetUser } from '../domain/users';

export class CliError extends Error {}

/**
 * Resolves every session id before anything changes, so that a bad id listed last does not leave
 * the ones before it applied. Creates nothing (findTargetUser), and turns an id that is no Session
 * id (wrong length, or a 05 key that is not a curve point) into one line saying what is expected.
 */
export async function checkSessionIds(s: Services, ids: string[]): Promise<void> {
  for (const id of ids) {
    try {
      await findTargetUser(s, id);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new CliError(`invalid session id '${id}' (${why}): expected 66 hex digits, 05 + a Session account's public key or 15 + a blinded id`);
    }
  }
}
