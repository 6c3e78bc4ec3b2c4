// Rules of the legacy (v1) API served from the modern data model (docs/protocol/legacy.md §9). A legacy client
// is an unblinded 05 id; it maps to its own users row (its posts carry the 05 id, so their
// signatures verify), and, when the server knows the blinded (15) user of the same account, the
// powers and restrictions of both rows apply: a ban or a moderator grant made against either
// identity holds for the legacy client too.
import type { Message, Room, User } from '../store/types';
import { recordAudit } from './audit';
import { banUser, unbanUser } from './bans';
import { forbidden } from './errors';
import { storeFile } from './files';
import { DELETE_MESSAGE } from './messages';
import { DELETE_ALL_POSTS, changeRole } from './moderation';
import { allows, type Permissions } from './permissions';
import { applyRoomUpdate } from './room-update';
import { permissionsIn, permissionsOf } from './rooms';
import type { RequestContext } from './request-context';
import type { Services } from './services';
import { findTargetUser, knownBlindedUser, resolveTargetUser } from './users';

/** Legacy uploads live as long as the reference gives them (docs/protocol/legacy.md §3.5): 15 days. */
export const LEGACY_FILE_TTL = 15 * 86400;
/** member_count counts users active in the room within this window (docs/protocol/legacy.md §9). */
export const LEGACY_MEMBER_WINDOW = 7 * 86400;

export const LEGACY_SESSION_ID_RE = /^05[0-9a-fA-F]{64}$/;

export interface LegacyPrincipal {
  /** The 05 user (or the X-SOGS-* user when the request carried one). */
  user: User;
  /** The same account's blinded user, when known. */
  alt: User | null;
  /** Who acts for moderation (the row holding the strongest powers). */
  actor: User;
  perms: Permissions;
}

function merge(a: Permissions, b: Permissions): Permissions {
  return {
    banned: a.banned || b.banned,
    read: a.read && b.read,
    accessible: a.accessible && b.accessible,
    write: a.write && b.write,
    upload: a.upload && b.upload,
    moderator: a.moderator || b.moderator,
    admin: a.admin || b.admin,
    globalModerator: a.globalModerator || b.globalModerator,
    globalAdmin: a.globalAdmin || b.globalAdmin,
  };
}

/** Loads the principal of a legacy request in `room`; `known` is an X-SOGS-* user that takes precedence. */
export async function legacyPrincipal(s: Services, rc: RequestContext, room: Room, sessionId: string, known: User | null): Promise<LegacyPrincipal> {
  const user = known ?? (await s.store.ensureUser(sessionId.toLowerCase(), s.clock.now()));
  const alt = known || !user.sessionId.startsWith('05') ? null : await knownBlindedUser(s, user.sessionId);
  const mine = await permissionsOf(s, rc, room, user);
  if (!alt) return { user, alt, actor: user, perms: mine };
  const theirs = await permissionsOf(s, rc, room, alt);
  const actor = theirs.admin && !mine.admin ? alt : theirs.moderator && !mine.moderator ? alt : user;
  return { user, alt, actor, perms: merge(mine, theirs) };
}

/**
 * A legacy message cursor (`from_server_id`, `from_message_server_id`) as a message id: in a room
 * imported from a legacy server, ids up to the old maximum are old ids and move by the room's
 * offset (docs/protocol/legacy.md §9), so a client that remembers an old id continues where it was.
 */
export async function legacyCursor(s: Services, room: Room, from: number): Promise<number> {
  const map = await s.store.legacyMessageIdMap(room.id);
  if (map === null || from > map.oldMessageIdMax) return from;
  // A negative offset (the reference's, for a room whose old ids lie above those imported before
  // it) puts the ids of later posts, above the imported ones (oldMax + offset), inside the old
  // range. There, an id of one of this room's own messages is such a new id: moved by the offset,
  // the cursor would fall back and the client be sent the room's history on every poll.
  if (map.messageIdOffset < 0 && from > map.oldMessageIdMax + map.messageIdOffset && (await s.store.getMessage(room.id, from)) !== null) return from;
  return from + map.messageIdOffset;
}

/** Whether a 05 id (or the same account's blinded id) is banned in the room; creates no users row. */
export async function legacyBannedIn(s: Services, room: Room, sessionId05: string): Promise<boolean> {
  for (const u of [await s.store.findUser(sessionId05), await knownBlindedUser(s, sessionId05)]) {
    if (u && (await permissionsIn(s, room, u)).banned) return true;
  }
  return false;
}

export function isOwn(p: LegacyPrincipal, m: Message): boolean {
  return m.userId === p.user.id || (p.alt !== null && m.userId === p.alt.id);
}

/**
 * Deletes messages (docs/protocol/legacy.md §3.13/§3.14, reference behaviour): atomic permission check first,
 * unknown or already deleted ids are skipped.
 */
export async function legacyDeleteMessages(s: Services, room: Room, p: LegacyPrincipal, ids: number[]): Promise<number> {
  const live: Message[] = [];
  for (const id of ids) {
    const m = await s.store.getMessage(room.id, id);
    if (!m || m.data === null) continue;
    if (!isOwn(p, m) && !allows(p.perms, 'moderator')) throw forbidden('You can only delete your own messages');
    live.push(m);
  }
  const now = s.clock.now();
  for (const m of live) {
    await s.store.deleteMessage(m.id, now);
    if (!isOwn(p, m)) await recordAudit(s, p.actor, DELETE_MESSAGE, { target: m.sessionId, room, details: { message: m.id } });
  }
  return live.length;
}

function requireModerator(p: LegacyPrincipal): void {
  if (!allows(p.perms, 'moderator')) throw forbidden('This endpoint requires room moderator permission');
}

/** Every users row of the account named by `sessionId` that the server knows (05 row and blinded row). */
async function targetRows(s: Services, sessionId: string, create: boolean): Promise<User[]> {
  const main = create ? await resolveTargetUser(s, sessionId) : await findTargetUser(s, sessionId);
  const rows: User[] = main ? [main] : [];
  const id = sessionId.toLowerCase();
  if (id.startsWith('05')) {
    const plain = await s.store.findUser(id);
    if (plain && !rows.some((u) => u.id === plain.id)) rows.push(plain);
  }
  return rows;
}

/** POST block_list / ban_and_delete_all: a permanent room ban (already banned is not an error). */
export async function legacyBan(s: Services, room: Room, p: LegacyPrincipal, sessionId: string, deleteAll: boolean): Promise<void> {
  requireModerator(p);
  const rows = await targetRows(s, sessionId, true);
  for (const t of rows) {
    if (t.id === p.user.id || t.id === p.alt?.id) throw forbidden('You cannot ban yourself');
  }
  for (const t of rows) await banUser(s, p.actor, t, [room], null);
  if (deleteAll) {
    const now = s.clock.now();
    let n = 0;
    for (const t of rows) n += await s.store.deleteUserMessages(room.id, t.id, now);
    await recordAudit(s, p.actor, DELETE_ALL_POSTS, { target: rows[0]!, room, details: { deleted: n } });
  }
}

/** DELETE block_list/:public_key: lifts the room ban of every row of that account. */
export async function legacyUnban(s: Services, room: Room, p: LegacyPrincipal, sessionId: string): Promise<void> {
  requireModerator(p);
  const rows = await targetRows(s, sessionId, false);
  for (const t of rows) await unbanUser(s, p.actor, t, [room]);
}

/** GET block_list (reference behaviour): moderators see every ban, a banned caller themself, others nothing. */
export async function legacyBanList(s: Services, room: Room, p: LegacyPrincipal): Promise<string[]> {
  const bans = (await s.store.listBans(room.id)).map((b) => b.sessionId);
  const unique = [...new Set(bans)].sort();
  if (allows(p.perms, 'moderator')) return unique;
  if (p.perms.banned) return [p.user.sessionId];
  return [];
}

function requireAdmin(p: LegacyPrincipal): void {
  if (!allows(p.perms, 'admin')) throw forbidden('This endpoint requires room admin permission');
}

/**
 * POST moderators (docs/protocol/legacy.md §3.16, reference behaviour): a room admin makes the key a visible room
 * admin. The legacy model has a single "moderator" level that may also set the room image, which
 * needs an admin here; that is why the reference appoints an admin.
 */
export async function legacyAddModerator(s: Services, room: Room, p: LegacyPrincipal, sessionId: string): Promise<void> {
  requireAdmin(p);
  const target = await resolveTargetUser(s, sessionId);
  await changeRole(s, p.actor, target, [room], { moderator: true, admin: true, visible: true });
}

/** DELETE moderators/:public_key (docs/protocol/legacy.md §3.17, reference): a room admin removes both powers from every row of that account. */
export async function legacyRemoveModerator(s: Services, room: Room, p: LegacyPrincipal, sessionId: string): Promise<void> {
  requireAdmin(p);
  for (const t of await targetRows(s, sessionId, false)) await changeRole(s, p.actor, t, [room], { moderator: false, admin: null, visible: null });
}

/** GET moderators: visible moderators and admins (hidden ones for moderators), sorted, no system user. */
export async function legacyModerators(s: Services, room: Room, p: LegacyPrincipal | null): Promise<string[]> {
  const showHidden = p !== null && allows(p.perms, 'moderator');
  // Every compact_poll asks this for each of its rooms: the lists cached by info_updates.
  const ids = (await s.roomInfo.get(s, room)).mods
    .filter((m) => (m.visible || showHidden) && !m.sessionId.startsWith('ff'))
    .map((m) => m.sessionId);
  return [...new Set(ids)].sort();
}

/** Stores an upload for the legacy API (no file name); the caller checked permissions. */
export async function legacyStoreFile(s: Services, room: Room, uploader: User, bytes: Buffer): Promise<number> {
  return (await storeFile(s, room, uploader, bytes, null, LEGACY_FILE_TTL)).id;
}

/** POST rooms/:id/image (reference): room admin; the upload becomes the (non-expiring) room image. */
export async function legacySetRoomImage(s: Services, room: Room, p: LegacyPrincipal, bytes: Buffer): Promise<number> {
  if (!allows(p.perms, 'admin')) throw forbidden('This endpoint requires room admin permission');
  const id = await legacyStoreFile(s, room, p.actor, bytes);
  await applyRoomUpdate(s, p.actor, room, { image: id }, s.clock.now() + LEGACY_FILE_TTL);
  return id;
}
