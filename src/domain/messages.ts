// Posting, editing, deleting and reading messages: who may, in which order the checks run, and
// the limits (size, rate). Sequence numbers and history are kept by the store.
import type { Message, Room, User, Viewer } from '../store/types';
import { DomainError, badRequest, forbidden, notFound, unauthorized } from './errors';
import { allows, type Permissions } from './permissions';
import type { Services } from './services';

export interface PostInput {
  data: Buffer;
  signature: Buffer;
  whisperTo: string | null;
  whisperMods: boolean;
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

async function checkRateLimit(s: Services, room: Room, user: User, perms: Permissions): Promise<void> {
  const { rateLimitPosts: max, rateLimitInterval: window } = s.config;
  if (max <= 0 || perms.admin) return;
  const recent = await s.store.countPostsSince(room.id, user.id, s.clock.now() - window);
  if (recent >= max) throw new DomainError('rate-limited', 'Rate limited');
}

export async function postMessage(s: Services, room: Room, user: User | null, perms: Permissions, input: PostInput): Promise<Message> {
  const author = requireUser(user);
  requirePermission(perms, 'write');
  if ((input.whisperTo !== null || input.whisperMods) && !perms.moderator) throw forbidden('Only moderators may whisper');
  checkSize(s, input.data);
  await checkRateLimit(s, room, author, perms);
  const whisperTo = input.whisperTo === null ? null : (await s.store.ensureUser(input.whisperTo, s.clock.now())).id;
  return s.store.insertMessage({
    roomId: room.id, userId: author.id, data: input.data, signature: input.signature,
    whisperTo, whisperMods: input.whisperMods, filtered: false, now: s.clock.now(),
  });
}

/** A live (not deleted, not filtered) message of this room, or 404. */
async function liveMessage(s: Services, room: Room, id: number): Promise<Message> {
  const m = await s.store.getMessage(room.id, id);
  if (!m || m.data === null || m.filtered) throw notFound(`No such post: ${id}`);
  return m;
}

export async function editMessage(s: Services, room: Room, user: User | null, perms: Permissions, id: number, data: Buffer, signature: Buffer): Promise<Message> {
  const author = requireUser(user);
  requirePermission(perms, 'write');
  const m = await liveMessage(s, room, id);
  if (m.userId !== author.id) throw forbidden('You can only edit your own messages');
  checkSize(s, data);
  return s.store.editMessage(id, data, signature, s.clock.now());
}

export async function deleteMessage(s: Services, room: Room, user: User | null, perms: Permissions, id: number): Promise<void> {
  const actor = requireUser(user);
  requirePermission(perms, 'write');
  const m = await liveMessage(s, room, id);
  if (m.userId !== actor.id && !perms.moderator) throw forbidden('You can only delete your own messages');
  await s.store.deleteMessage(id, s.clock.now());
}

/** A message the viewer may see (api.md §4.3 single-message GET). */
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
