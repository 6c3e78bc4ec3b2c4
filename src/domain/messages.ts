// Posting, editing, deleting and reading messages: who may, in which order the checks run, and
// the limits (size, rate). Sequence numbers and history are kept by the store.
import type { Message, Room, User, Viewer } from '../store/types';
import { DomainError, badRequest, forbidden, notFound, unauthorized } from './errors';
import { allows, type Permissions } from './permissions';
import { checkAntiRaid, checkRateLimit } from './antiraid';
import { auditAction, recordAudit } from './audit';
import { applyFilters } from './filters';
import { raidDisposition } from './raids';
import { attachFiles } from './files';
import { checkFlood, floodRefusal } from './flood';
import type { RequestContext } from './request-context';
import type { Services } from './services';

/** A moderator's deletion of someone else's post (also through the legacy API). */
export const DELETE_MESSAGE = auditAction('message.delete');

export interface PostInput {
  data: Buffer;
  signature: Buffer;
  whisperTo: string | null;
  whisperMods: boolean;
  /** Uploads to attach (the `files` field, docs/protocol/api.md §4.3). */
  files?: number[];
}

export function viewerOf(user: User | null, perms: Permissions): Viewer {
  return { userId: user?.id ?? null, sessionId: user?.sessionId ?? null, moderator: perms.moderator };
}

export function requireUser(user: User | null): User {
  if (!user) throw unauthorized();
  return user;
}

export function requirePermission(perms: Permissions, check: 'read' | 'write' | 'upload' | 'moderator' | 'admin'): void {
  if (!allows(perms, check)) {
    const what = check === 'moderator' || check === 'admin' ? `room ${check}` : `room message '${check}'`;
    throw forbidden(`This endpoint requires ${what} permission`);
  }
}

function checkSize(s: Services, data: Buffer): void {
  if (data.length > s.config.maxMessageBytes) {
    throw new DomainError('too-large', `message data is ${data.length} bytes; the limit is ${s.config.maxMessageBytes}`);
  }
  if (data.length === 0) throw badRequest('message data must not be empty');
}

export async function postMessage(
  s: Services, rc: RequestContext, room: Room, user: User | null, perms: Permissions, input: PostInput,
): Promise<Message> {
  const author = requireUser(user);
  requirePermission(perms, 'write');
  if ((input.whisperTo !== null || input.whisperMods) && !perms.moderator) throw forbidden('Only moderators may whisper');
  checkSize(s, input.data);
  // Raid mode, new-account limits and the rate limit run before the content filters (the
  // reference filters first): a flood of filtered posts then cannot make the filter bot flood too.
  // Both read the room's limits: once, through the request's context.
  const gate = await checkAntiRaid(s, rc, room, author, perms);
  await checkRateLimit(s, rc, room, author, perms);
  const flood = await checkFlood(s, rc, room, author, perms, input.data);
  if (flood === 'reject') throw floodRefusal();
  const filter = await applyFilters(s, room, author, perms, input.data);
  // In raid mode a new account's post is held: answered like any post, shown to nobody until a
  // moderator releases it (domain/raids.ts); so is a new account's copy of a text many accounts
  // are posting. The raid rules still see a flood-held post, so that it counts toward detection.
  const raidHold = gate !== null && filter === null && (await raidDisposition(s, room, author, gate.raidSince, gate.raidAuto)) === 'hold';
  const hold = filter === null && (raidHold || flood === 'hold');
  const whisperTo = input.whisperTo === null ? null : (await s.store.ensureUser(input.whisperTo, s.clock.now())).id;
  const message = {
    roomId: room.id, userId: author.id, data: input.data, signature: input.signature,
    whisperTo, whisperMods: input.whisperMods, filtered: filter !== null, now: s.clock.now(),
  };
  const posted = hold ? await s.store.holdMessage(message) : await s.store.insertMessage(message);
  if (filter) await filter.afterStore();
  // A silently filtered post is never shown, so its uploads are not kept for it.
  else if (input.files?.length) await attachFiles(s, posted.id, input.files);
  return posted;
}

/** A live (not deleted, not filtered) message of this room, or 404. */
async function liveMessage(s: Services, room: Room, id: number): Promise<Message> {
  const m = await s.store.getMessage(room.id, id);
  if (!m || m.data === null || m.filtered) throw notFound(`No such post: ${id}`);
  return m;
}

export async function editMessage(
  s: Services, room: Room, user: User | null, perms: Permissions, id: number, data: Buffer, signature: Buffer, files: number[] = [],
): Promise<Message> {
  const author = requireUser(user);
  requirePermission(perms, 'write');
  const m = await liveMessage(s, room, id);
  if (m.userId !== author.id) throw forbidden('You can only edit your own messages');
  checkSize(s, data);
  // A silently filtered edit is dropped, yet answered as a success (docs/protocol/api.md §4.3).
  const filter = await applyFilters(s, room, author, perms, data);
  if (filter) {
    await filter.afterStore();
    return m;
  }
  const edited = await s.store.editMessage(id, data, signature, s.clock.now());
  await attachFiles(s, id, files);
  return edited;
}

export async function deleteMessage(s: Services, room: Room, user: User | null, perms: Permissions, id: number): Promise<void> {
  const actor = requireUser(user);
  requirePermission(perms, 'write');
  const m = await liveMessage(s, room, id);
  if (m.userId !== actor.id && !perms.moderator) throw forbidden('You can only delete your own messages');
  await s.store.deleteMessage(id, s.clock.now());
  if (m.userId !== actor.id) await recordAudit(s, actor, DELETE_MESSAGE, { target: m.sessionId, room, details: { message: id } });
}

/** A message the viewer may see (docs/protocol/api.md §4.3 single-message GET). */
export async function readMessage(s: Services, room: Room, viewer: Viewer, id: number): Promise<Message> {
  const m = await liveMessage(s, room, id);
  const isWhisper = m.whisperTo !== null || m.whisperMods;
  if (isWhisper) {
    const toMe = m.whisperTo !== null && m.whisperTo === viewer.sessionId;
    const modSees = viewer.moderator && (m.whisperMods || m.userId === viewer.userId);
    if (!toMe && !modSees) throw notFound(`No such post: ${id}`);
  }
  return m;
}
