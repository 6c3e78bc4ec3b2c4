// Direct-message spam from new accounts (beyond the reference): an account first seen less than
// dmNewAccountMinutes ago may start conversations with at most dmNewAccountRecipients people per
// dmRecipientsWindow seconds. Writing again to someone it wrote to in the window, or answering
// someone who wrote to it, is never limited: a newcomer welcomed by many members can reply to all.
// The server cannot read DMs, so whom they go to is the only signal there is.
import type { User } from '../store/types';
import { DomainError } from './errors';
import type { Services } from './services';

/** Call before storing a DM. Global moderators are exempt (no room is involved). */
export async function checkDmRecipients(s: Services, sender: User, recipient: User): Promise<void> {
  const c = s.config;
  if (c.dmNewAccountMinutes <= 0 || sender.moderator || sender.admin) return;
  const now = s.clock.now();
  if (sender.created <= now - c.dmNewAccountMinutes * 60) return;
  const r = await s.store.dmRecipients(sender.id, recipient.id, now - c.dmRecipientsWindow);
  if (r.known || r.strangers < c.dmNewAccountRecipients) return;
  throw new DomainError('rate-limited', 'New accounts may message only a few new people at a time; try again later');
}
