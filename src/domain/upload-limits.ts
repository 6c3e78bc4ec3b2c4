// Uploads only from accounts older than uploadAccountAge minutes (beyond the reference). Accounts
// made for a raid upload within seconds of their first request; a person who has just joined
// rarely sends a picture that fast, and the refusal (403) costs them a minute's wait.
import type { Room, User } from '../store/types';
import { trusted } from './antiraid';
import { forbidden } from './errors';
import type { Permissions } from './permissions';
import type { RequestContext } from './request-context';
import type { Services } from './services';

/**
 * Refuses an upload from an account first seen less than uploadAccountAge minutes ago. Moderators
 * and users given an explicit write or upload permission in the room are exempt.
 */
export async function checkUploadAge(s: Services, rc: RequestContext, room: Room, user: User, perms: Permissions): Promise<void> {
  const minutes = s.config.uploadAccountAge;
  if (minutes <= 0 || user.created <= s.clock.now() - minutes * 60) return;
  if (await trusted(s, rc, room, user, perms)) return;
  if ((await rc.overrideOf(s, room.id, user.id))?.upload === true) return;
  throw forbidden('New accounts may not upload files yet');
}
