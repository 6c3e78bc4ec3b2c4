// Row mappers shared by the SQLite and PostgreSQL stores: both use the same table and column
// names, and differ only in how booleans arrive (0/1 from SQLite, true/false from PostgreSQL).
import { addPadding } from '../crypto/padding';
import type { DueChange, StoredContent } from './shared/tables';
import type { AuditEntry, BanEntry, DirectMessage, FileRecord, FutureChange, Message, PermissionOverride, PinnedMessage, ReactionInfo, Room, RoomLimits, RoomModerator, User } from './types';

export type Row = Record<string, unknown>;

export const b = (v: unknown): boolean => v === 1 || v === true;
export const nb = (v: unknown): boolean | null => (v === null || v === undefined ? null : b(v));
export const int = (v: boolean): number => (v ? 1 : 0);

export function toRoom(r: Row): Room {
  return {
    id: r['id'] as number,
    token: r['token'] as string,
    name: r['name'] as string,
    description: (r['description'] as string | null) ?? null,
    image: (r['image'] as number | null) ?? null,
    created: r['created'] as number,
    messageSequence: r['message_sequence'] as number,
    infoUpdates: r['info_updates'] as number,
    activeUsers: r['active_users'] as number,
    read: b(r['read']),
    accessible: b(r['accessible']),
    write: b(r['write']),
    upload: b(r['upload']),
  };
}

export function toUser(r: Row): User {
  return {
    id: r['id'] as number,
    sessionId: r['session_id'] as string,
    created: r['created'] as number,
    lastActive: r['last_active'] as number,
    banned: b(r['banned']),
    moderator: b(r['moderator']),
    admin: b(r['admin']),
    visibleMod: b(r['visible_mod']),
    lastInboxId: r['last_inbox_id'] as number,
    lastOutboxId: r['last_outbox_id'] as number,
  };
}

export function toOverride(r: Row): PermissionOverride {
  return {
    banned: b(r['banned']),
    read: nb(r['read']),
    accessible: nb(r['accessible']),
    write: nb(r['write']),
    upload: nb(r['upload']),
    moderator: b(r['moderator']),
    admin: b(r['admin']),
    visibleMod: b(r['visible_mod']),
  };
}

/** A user's override rows by room id. */
export function toOverrideMap(rows: Row[]): Map<number, PermissionOverride> {
  return new Map(rows.map((r) => [r['room'] as number, toOverride(r)]));
}

/**
 * A message row's columns in the order of an array row: each store's MESSAGE_COLUMNS lists them
 * so, and the SQLite store checks it when it prepares a statement (Statements.rows).
 */
export const MESSAGE_ROW = [
  'id', 'room', 'user', 'session_id', 'posted', 'edited', 'seqno', 'seqno_data', 'seqno_reactions', 'seqno_creation',
  'data', 'data_size', 'signature', 'filtered', 'whisper_to', 'whisper_mods',
] as const;

export function toMessage(r: Row): Message {
  const m = toMessageRow(MESSAGE_ROW.map((k) => r[k]));
  // Held posts' listing for moderators also reads held_from (domain/raids.ts); the console's
  // listings read held.
  if (r['held'] !== undefined) m.held = b(r['held']);
  if (r['held_from'] !== undefined) m.heldFrom = (r['held_from'] as number | null) ?? null;
  return m;
}

/** A message from an array row in MESSAGE_ROW's order. */
export function toMessageRow(a: readonly unknown[]): Message {
  const data = a[10] as Buffer | null;
  return {
    id: a[0] as number,
    roomId: a[1] as number,
    userId: a[2] as number,
    sessionId: a[3] as string,
    posted: a[4] as number,
    edited: (a[5] as number | null) ?? null,
    seqno: a[6] as number,
    seqnoData: a[7] as number,
    seqnoReactions: a[8] as number,
    seqnoCreation: a[9] as number,
    data: data === null ? null : addPadding(data, (a[11] as number | null) ?? data.length),
    signature: (a[12] as Buffer | null) ?? null,
    filtered: b(a[13]),
    whisperTo: (a[14] as string | null) ?? null,
    whisperMods: b(a[15]),
  };
}

export function toFile(r: Row): FileRecord {
  return {
    id: r['id'] as number,
    roomId: (r['room'] as number | null) ?? null,
    uploaderId: (r['uploader'] as number | null) ?? null,
    messageId: (r['message'] as number | null) ?? null,
    size: r['size'] as number,
    uploaded: r['uploaded'] as number,
    expiry: (r['expiry'] as number | null) ?? null,
    filename: (r['filename'] as string | null) ?? null,
    path: r['path'] as string,
  };
}

export function toDirectMessage(r: Row): DirectMessage {
  return {
    id: r['id'] as number,
    postedAt: r['posted_at'] as number,
    expiresAt: r['expiry'] as number,
    sender: r['sender'] as string,
    recipient: r['recipient'] as string,
    body: r['body'] as Buffer,
  };
}

export function toAuditEntry(r: Row): AuditEntry {
  return {
    id: r['id'] as number,
    at: r['at'] as number,
    actor: (r['actor'] as string | null) ?? null,
    action: r['action'] as string,
    target: (r['target'] as string | null) ?? null,
    roomToken: (r['room'] as string | null) ?? null,
    details: JSON.parse(r['details'] as string) as Record<string, unknown>,
  };
}

export function toFutureChange(r: Row): FutureChange {
  return {
    sessionId: r['session_id'] as string,
    at: r['at'] as number,
    read: nb(r['read']),
    write: nb(r['write']),
    upload: nb(r['upload']),
    banned: nb(r['banned']),
  };
}

/**
 * Rows of (reaction id, message, reaction, count, you), ordered by message and reaction id, as
 * per-message lists in `out` (index = position, docs/protocol/api.md §4.4); returns them by reaction id so the
 * first reactors can be filled in.
 */
export function groupReactions(counts: Row[], out: Map<number, ReactionInfo[]>): Map<number, ReactionInfo> {
  const byId = new Map<number, ReactionInfo>();
  for (const c of counts) {
    const list = out.get(c['message'] as number) ?? [];
    const info: ReactionInfo = { reaction: c['reaction'] as string, index: list.length, count: c['count'] as number, reactors: [], you: b(c['you']) };
    list.push(info);
    out.set(c['message'] as number, list);
    byId.set(c['id'] as number, info);
  }
  return byId;
}

/** A claimed user_permission_futures row (id: its insertion order). */
export function toDuePermissions(r: Row): DueChange {
  return {
    kind: 'permissions', id: r['id'] as number, roomId: r['room'] as number, userId: r['user'] as number, at: r['at'] as number,
    perms: { read: nb(r['read']), write: nb(r['write']), upload: nb(r['upload']) },
  };
}

/** A claimed user_ban_futures row (id: its insertion order). */
export function toDueBan(r: Row): DueChange {
  return { kind: 'ban', id: r['id'] as number, roomId: (r['room'] as number | null) ?? null, userId: r['user'] as number, at: r['at'] as number, banned: b(r['banned']) };
}

export function toBanEntry(r: Row): BanEntry {
  return { sessionId: r['session_id'] as string, roomToken: (r['token'] as string | null) ?? null, unbanAt: (r['unban_at'] as number | null) ?? null };
}

export function toPinnedMessage(r: Row): PinnedMessage {
  return { id: r['message'] as number, pinnedAt: r['pinned_at'] as number, pinnedBy: r['session_id'] as string };
}

export function toRoomModerator(r: Row): RoomModerator {
  return { sessionId: r['session_id'] as string, admin: b(r['admin']), visible: b(r['visible']) };
}

export function toRoomLimits(r: Row | null | undefined): RoomLimits {
  return {
    rateLimitPosts: (r?.['rate_limit_posts'] as number | null) ?? null,
    rateLimitInterval: (r?.['rate_limit_interval'] as number | null) ?? null,
    raidSince: (r?.['raid_since'] as number | null) ?? null,
    raidAuto: b(r?.['raid_auto']),
  };
}

export function toStoredContent(r: Row): StoredContent {
  return { room: r['room'] as number, user: r['user'] as number, data: r['data'] as Buffer | null, dataSize: r['data_size'] as number | null, signature: r['signature'] as Buffer | null };
}
