// Pinned messages (docs/protocol/api.md §4.5): room admins pin regular messages; every pin, re-pin and unpin
// bumps info_updates (clients refresh the room's pinned_messages). Attachments of a pinned post
// never expire; unpinning restarts their expiry from the upload time (docs/protocol/api.md §12.17). Pins are
// moderation actions: every accepted request goes to the audit log with what it changed (also
// when that is nothing), the post's author as the target.
import { postAuthor, auditAction, recordAudit } from './audit';
import type { Room, User } from '../store/types';
import { forbidden, notFound } from './errors';
import { allows, type Permissions } from './permissions';
import { attachmentTtl } from './files';
import type { Services } from './services';

const PIN = auditAction('message.pin');
const UNPIN = auditAction('message.unpin');
const UNPIN_ALL = auditAction('messages.unpin_all');

/** No auth decorator in the reference: anonymous requests get 403, not 401. */
function requireAdmin(user: User | null, perms: Permissions): User {
  if (!user || !allows(perms, 'admin')) throw forbidden('This endpoint requires room admin permission');
  return user;
}

export async function pinMessage(s: Services, room: Room, user: User | null, perms: Permissions, id: number): Promise<{ info_updates: number }> {
  const admin = requireAdmin(user, perms);
  const r = await s.store.pinMessage(room.id, id, admin.id, s.clock.now());
  if (!r) throw notFound(`No such post: ${id}`);
  await recordAudit(s, admin, PIN, { room, target: await postAuthor(s, room, id), details: { message: id } });
  return { info_updates: r.infoUpdates };
}

export async function unpinMessage(s: Services, room: Room, user: User | null, perms: Permissions, id: number): Promise<{ unpinned: boolean; info_updates: number }> {
  const admin = requireAdmin(user, perms);
  const r = await s.store.unpinMessages(room.id, id, attachmentTtl(s));
  await recordAudit(s, admin, UNPIN, { room, target: await postAuthor(s, room, id), details: { message: id, unpinned: r.unpinned > 0 } });
  return { unpinned: r.unpinned > 0, info_updates: r.infoUpdates };
}

export async function unpinAll(s: Services, room: Room, user: User | null, perms: Permissions): Promise<{ unpinned: number; info_updates: number }> {
  const admin = requireAdmin(user, perms);
  const r = await s.store.unpinMessages(room.id, null, attachmentTtl(s));
  await recordAudit(s, admin, UNPIN_ALL, { room, details: { unpinned: r.unpinned } });
  return { unpinned: r.unpinned, info_updates: r.infoUpdates };
}
