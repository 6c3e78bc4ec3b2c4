// JSON shapes of docs/protocol/api.md §3: room objects, pollInfo, messages, reactions. Flags that are false are
// omitted rather than sent as false, exactly as clients expect.
import type { Config } from '../config';
import type { RoomDetails } from '../domain/rooms';
import { allows, type Permissions } from '../domain/permissions';
import type { FutureChange, Message, PermissionOverride, ReactionInfo, Room } from '../store/types';

type Json = Record<string, unknown>;

function addRoleFlags(out: Json, perms: Permissions, room: Room): void {
  if (perms.moderator) {
    out['moderator'] = true;
    out['default_read'] = room.read;
    out['default_accessible'] = room.accessible;
    out['default_write'] = room.write;
    out['default_upload'] = room.upload;
  }
  if (perms.admin) out['admin'] = true;
  if (perms.globalModerator) out['global_moderator'] = true;
  if (perms.globalAdmin) out['global_admin'] = true;
}

function permissionFlags(perms: Permissions): { read: boolean; write: boolean; upload: boolean } {
  return { read: allows(perms, 'read'), write: allows(perms, 'write'), upload: allows(perms, 'upload') };
}

/**
 * Timestamps that Session Android declares as integers (Kotlin `Long`) are sent as whole seconds,
 * truncated: room `created`, `pinned_messages[].pinned_at`, message `edited`, and the DM
 * `posted_at`/`expires_at`. The reference sends float seconds there; Android's parser then rejects
 * the whole room (one pinned message broke every poll and the /rooms list). iOS decodes these as
 * `TimeInterval` (a Double, which takes an integer) and the desktop client as JS numbers, so every
 * client accepts an integer. Message `posted` stays a float: Android declares it a Double and
 * clients order by it. See the README's client notes.
 */
export function wholeSeconds(t: number): number {
  return Math.floor(t);
}

export function activeUsersCutoff(config: Config): number {
  return Math.round(config.activeThresholdDays * 86400);
}

export function roomJson(d: RoomDetails, config: Config): Json {
  const { room, perms, mods } = d;
  const out: Json = {
    token: room.token,
    name: room.name,
  };
  if (room.description !== null) out['description'] = room.description;
  out['info_updates'] = room.infoUpdates;
  out['message_sequence'] = room.messageSequence;
  out['created'] = wholeSeconds(room.created);
  out['active_users'] = room.activeUsers;
  out['active_users_cutoff'] = activeUsersCutoff(config);
  if (room.image !== null) out['image_id'] = room.image;
  if (d.pinned.length > 0) {
    out['pinned_messages'] = d.pinned.map((p) => ({ id: p.id, pinned_at: wholeSeconds(p.pinnedAt), pinned_by: p.pinnedBy }));
  }
  out['moderators'] = mods.moderators;
  out['admins'] = mods.admins;
  if (perms.moderator) {
    if (mods.hiddenModerators.length > 0) out['hidden_moderators'] = mods.hiddenModerators;
    if (mods.hiddenAdmins.length > 0) out['hidden_admins'] = mods.hiddenAdmins;
  }
  Object.assign(out, permissionFlags(perms));
  addRoleFlags(out, perms, room);
  return out;
}

export function pollInfoJson(room: Room, perms: Permissions, details: Json | null): Json {
  const out: Json = { token: room.token, active_users: room.activeUsers, ...permissionFlags(perms) };
  if (details) out['details'] = details;
  addRoleFlags(out, perms, room);
  return out;
}

// Messages are written as JSON text directly rather than built as objects for JSON.stringify: a
// 100-post listing is ~70 KB, mostly base64, and JSON.stringify spent more instructions checking
// each of its characters for escapes than anything else on the listing's path (callgrind,
// bench/history-instructions.ts). Base64 and numbers need no escaping; every other string goes
// through JSON.stringify.

function reactionsJsonText(list: ReactionInfo[] | undefined, reactors: number): string {
  if (!list || list.length === 0) return '{}';
  const parts = list.map((r) => {
    let v = `${JSON.stringify(r.reaction)}:{"index":${r.index},"count":${r.count}`;
    if (reactors > 0) v += `,"reactors":${JSON.stringify(r.reactors)}`;
    return r.you ? `${v},"you":true}` : `${v}}`;
  });
  return `{${parts.join(',')}}`;
}

/** A message (docs/protocol/api.md §3.3) as JSON text. */
export function messageJsonText(m: Message, reactions: ReactionInfo[] | undefined, reactors: number): string {
  let out = `{"id":${m.id},"session_id":${JSON.stringify(m.sessionId)},"posted":${JSON.stringify(m.posted)},"seqno":${m.seqno}`;
  if (m.data === null) out += ',"data":null,"deleted":true';
  else out += `,"data":"${m.data.toString('base64')}","signature":${m.signature === null ? 'null' : `"${m.signature.toString('base64')}"`}`;
  if (m.edited !== null) out += `,"edited":${wholeSeconds(m.edited)}`;
  if (m.whisperTo !== null || m.whisperMods) {
    out += `,"whisper":true,"whisper_mods":${m.whisperMods}`;
    if (m.whisperTo !== null) out += `,"whisper_to":${JSON.stringify(m.whisperTo)}`;
  }
  if (m.data !== null) out += `,"reactions":${reactionsJsonText(reactions, reactors)}`;
  return `${out}}`;
}

/** A since-listing's entry for a message whose reactions alone changed, as JSON text. */
export function reactionUpdateJsonText(m: Message, reactions: ReactionInfo[] | undefined, reactors: number): string {
  return `{"id":${m.id},"seqno":${m.seqno},"reactions":${reactionsJsonText(reactions, reactors)}}`;
}

/** A message as a JSON value, for a reply that adds to it. */
export function messageJson(m: Message, reactions: ReactionInfo[] | undefined, reactors: number): Json {
  return JSON.parse(messageJsonText(m, reactions, reactors)) as Json;
}

// --- moderation views ----------------------------------------------------------------------

/** docs/protocol/api.md §3.7: only what is explicitly set for the user in the room. */
export function permissionOverrideJson(ov: PermissionOverride | null): Json {
  const out: Json = {};
  if (!ov) return out;
  for (const k of ['read', 'accessible', 'write', 'upload'] as const) if (ov[k] !== null) out[k] = ov[k];
  if (ov.banned) out['banned'] = true;
  if (ov.admin) out['admin'] = true;
  else if (ov.moderator) out['moderator'] = true;
  if (ov.moderator && !ov.visibleMod) out['hidden'] = true;
  return out;
}

/** docs/protocol/api.md §3.8: a scheduled change; the per-user listing omits session_id. */
export function futureChangeJson(f: FutureChange, withSessionId: boolean): Json {
  const out: Json = withSessionId ? { session_id: f.sessionId, at: f.at } : { at: f.at };
  for (const k of ['read', 'write', 'upload', 'banned'] as const) if (f[k] !== null) out[k] = f[k];
  return out;
}
