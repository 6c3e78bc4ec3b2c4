// Admin commands. They open the same data folder as the running server and write through the
// same store (SQLite WAL allows a second writer process), so the server sees changes at once.
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline/promises';
import { joinUrl } from '../app';
import { DomainError } from '../domain/errors';
import { createRoom } from '../domain/rooms';
import type { Services } from '../domain/services';
import { findTargetUser, resolveTargetUser } from '../domain/users';
import type { AuditEntry, PermissionChange, PermissionOverride, Room, RoomDefaults, RoomUpdate, User } from '../store/types';
import { systemUserId } from '../crypto/ids';
import { formatAuditEntry, readAuditLog, recordAudit } from '../domain/audit';
import { banUser, checkBan, unbanUser } from '../domain/bans';
import {
  changeRole,
  deleteAllPosts,
  scheduleUserPermissions,
  setRoomDefaults,
  setRoomRateLimit,
  setUserPermissions,
  switchRaidMode,
} from '../domain/moderation';
import { permissionsIn, stripControl } from '../domain/rooms';
import { applyRoomUpdate, cleanDescription } from '../domain/room-update';
import { storeFile } from '../domain/files';

export { CliError } from './errors';
import { CliError, checkSessionIds } from './errors';

async function findRoom(s: Services, token: string): Promise<Room> {
  const r = await s.store.getRoom(token);
  if (!r) throw new CliError(`No such room: ${token}`);
  return r;
}

export async function roomSummary(s: Services, room: Room): Promise<string> {
  const mods = await s.store.roomModerators(room.id);
  const limits = await s.store.roomLimits(room.id);
  const perm = (ok: boolean, name: string): string => `${ok ? '+' : '-'}${name}`;
  const admins = mods.filter((m) => m.admin);
  const plain = mods.filter((m) => !m.admin);
  return [
    room.token,
    '='.repeat(room.token.length),
    `Name: ${room.name}`,
    `Description: ${room.description ?? ''}`,
    `URL: ${joinUrl(s.config, s.keys, room.token)}`,
    `Messages: ${room.messageSequence} events; active users: ${room.activeUsers}`,
    `Default permissions: ${perm(room.read, 'read')}, ${perm(room.write, 'write')}, ${perm(room.upload, 'upload')}, ${perm(room.accessible, 'accessible')}`,
    `Rate limit: ${describeRateLimit(s, limits)}; raid mode: ${limits.raidSince === null ? 'off' : `on since ${when(limits.raidSince)}`}`,
    `Moderators: ${admins.length} admins (${admins.filter((m) => !m.visible).length} hidden), ${plain.length} moderators (${plain.filter((m) => !m.visible).length} hidden)`,
    ...mods.map((m) => `  ${m.sessionId} ${m.admin ? 'admin' : 'moderator'}${m.visible ? '' : ' (hidden)'}`),
  ].join('\n');
}

export async function addRoom(s: Services, token: string, name: string, description: string | null): Promise<string> {
  try {
    const room = await createRoom(s, token, name, description);
    await recordAudit(s, await systemActor(s), 'room.create', { room, details: { name: room.name } });
    return `Created room ${room.token}:\n${await roomSummary(s, room)}`;
  } catch (e) {
    if (e instanceof DomainError) throw new CliError(e.message);
    throw e;
  }
}

export async function deleteRoom(s: Services, token: string, confirm: boolean): Promise<string> {
  const room = await findRoom(s, token);
  if (confirm && process.stdin.isTTY) {
    console.log(await roomSummary(s, room));
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Are you sure you want to delete this room? [yN] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Aborted.');
  }
  await s.store.deleteRoom(room.token);
  await recordAudit(s, await systemActor(s), 'room.delete', { room, details: { name: room.name } });
  return `Deleted room with ID: ${room.token}`;
}

export async function listRooms(s: Services): Promise<string> {
  const rooms = await s.store.listRooms();
  if (rooms.length === 0) return 'No rooms.';
  const parts = [];
  for (const r of rooms) parts.push(await roomSummary(s, r));
  return parts.join('\n\n');
}

export async function listGlobalMods(s: Services): Promise<string> {
  const mods = await s.store.listGlobalModerators();
  const admins = mods.filter((m) => m.admin);
  const plain = mods.filter((m) => !m.admin);
  return [
    `${admins.length} global admins (${admins.filter((m) => !m.visibleMod).length} hidden), ${plain.length} moderators (${plain.filter((m) => !m.visibleMod).length} hidden):`,
    ...mods.map((m) => `- ${m.sessionId} (${m.admin ? 'admin' : 'moderator'}${m.visibleMod ? '' : ', hidden'})`),
  ].join('\n');
}

export interface ModeratorCommand {
  ids: string[];
  rooms: string[];
  remove: boolean;
  admin: boolean;
  /** null = default (visible in rooms, hidden globally). */
  visible: boolean | null;
}

export async function changeModerators(s: Services, cmd: ModeratorCommand): Promise<string> {
  if (cmd.rooms.length === 0) throw new CliError('--rooms is required (a room token, several, * for all rooms, or + for global)');
  const global = cmd.rooms.includes('+');
  if ((global || cmd.rooms.includes('*')) && cmd.rooms.length > 1) throw new CliError('* and + cannot be combined with other rooms');
  const rooms = global ? 'global' : cmd.rooms.includes('*') ? await s.store.listRooms() : await Promise.all(cmd.rooms.map((t) => findRoom(s, t)));
  await checkSessionIds(s, cmd.ids);
  const lines: string[] = [];
  for (const id of cmd.ids) {
    let user;
    try {
      user = await resolveTargetUser(s, id);
    } catch (e) {
      if (e instanceof DomainError) throw new CliError(e.message);
      throw e;
    }
    const visible = cmd.visible ?? !global;
    // The same rules as POST /user/:id/moderator, audited; without --admin an admin becomes a
    // plain moderator (the reference CLI's behaviour).
    await changeRole(s, await systemActor(s), user, rooms, cmd.remove ? { moderator: false, admin: null, visible: null } : { moderator: true, admin: cmd.admin, visible });
    const where = rooms === 'global' ? 'global' : rooms.map((r) => r.token).join(', ');
    const role = cmd.admin ? 'admin' : 'moderator';
    lines.push(cmd.remove ? `Removed ${id} as ${where} moderator/admin` : `Added ${id} as ${where} ${visible ? '' : 'hidden '}${role}`);
  }
  return lines.join('\n');
}

// --- moderation commands --------------------------------------------------------------------
// They run the same domain rules as the API, acting as the system user (a hidden global admin,
// docs/protocol/api.md §10), so every change lands in the audit log.

/** The `ff` system user the CLI acts as. */
export async function systemActor(s: Services): Promise<User> {
  return s.store.ensureUser(systemUserId(s.keys.publicKey), s.clock.now());
}

function cliErrors<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof DomainError) throw new CliError(e.message);
    throw e;
  });
}

/** --rooms for commands that take real rooms: tokens or `*` (all rooms); `+` only where allowed. */
async function roomsArg(s: Services, rooms: string[] | undefined, allowGlobal: boolean): Promise<Room[] | 'global'> {
  if (!rooms || rooms.length === 0) throw new CliError(`--rooms is required (room tokens, * for every room${allowGlobal ? ', + for global' : ''})`);
  if ((rooms.includes('+') || rooms.includes('*')) && rooms.length > 1) throw new CliError('* and + cannot be combined with other rooms');
  if (rooms[0] === '+') {
    if (!allowGlobal) throw new CliError('--rooms + (global) is not valid here');
    return 'global';
  }
  if (rooms[0] === '*') return s.store.listRooms();
  return Promise.all(rooms.map((t) => findRoom(s, t)));
}

const LETTERS: Record<string, 'read' | 'write' | 'upload' | 'accessible'> = { r: 'read', w: 'write', u: 'upload', a: 'accessible' };

function letters(v: string | undefined, flag: string): ('read' | 'write' | 'upload' | 'accessible')[] {
  if (v === undefined) return [];
  return [...v].map((c) => {
    const p = LETTERS[c.toLowerCase()];
    if (!p) throw new CliError(`${flag}: unknown permission letter '${c}' (use r, w, u, a)`);
    return p;
  });
}

function describeDefaults(r: Room): string {
  const perm = (ok: boolean, name: string): string => `${ok ? '+' : '-'}${name}`;
  return `${perm(r.read, 'read')}, ${perm(r.write, 'write')}, ${perm(r.upload, 'upload')}, ${perm(r.accessible, 'accessible')}`;
}

export interface PermsCommand {
  rooms: string[] | undefined;
  /** Without users: the rooms' default permissions. */
  users: string[] | undefined;
  add?: string;
  remove?: string;
  clear?: string;
  /** Seconds after which added/removed user permissions are reverted (a scheduled change). */
  timeout?: number;
}

export async function changePermissions(s: Services, cmd: PermsCommand): Promise<string> {
  const add = letters(cmd.add, '--add-perms');
  const remove = letters(cmd.remove, '--remove-perms');
  const clear = letters(cmd.clear, '--clear-perms');
  const all = [...add, ...remove, ...clear];
  if (all.length === 0) throw new CliError('give --add-perms, --remove-perms or --clear-perms letters');
  if (new Set(all).size !== all.length) throw new CliError('a permission letter may appear only once in --add-perms, --remove-perms and --clear-perms');
  const rooms = await roomsArg(s, cmd.rooms, false);
  if (rooms === 'global') throw new CliError('--rooms + is not valid for permissions');
  const actor = await systemActor(s);
  const change: PermissionChange = {};
  for (const p of add) change[p] = true;
  for (const p of remove) change[p] = false;
  const lines: string[] = [];
  if (!cmd.users || cmd.users.length === 0) {
    if (clear.length > 0) throw new CliError('--clear-perms needs --users (room defaults cannot be cleared)');
    if (cmd.timeout !== undefined) throw new CliError('--timeout applies to user permissions (--users), not room defaults');
    for (const room of rooms) {
      const updated = await setRoomDefaults(s, actor, room, change as Partial<RoomDefaults>);
      lines.push(`Room ${room.token} default permissions: ${describeDefaults(updated)}`);
    }
    return lines.join('\n');
  }
  for (const p of clear) change[p] = null;
  await checkSessionIds(s, cmd.users);
  const unschedule = (['read', 'write', 'upload'] as const).filter((k) => change[k] !== undefined);
  if (cmd.timeout !== undefined && (change.accessible === true || change.accessible === false)) {
    throw new CliError('--timeout cannot revert the accessible permission (only read, write, upload can be scheduled)');
  }
  for (const id of cmd.users) {
    const user = await cliErrors(resolveTargetUser(s, id));
    for (const room of rooms) {
      const ov = await setUserPermissions(s, actor, room, user, change, unschedule);
      let line = `${id} in ${room.token}: ${describeOverride(ov)}`;
      if (cmd.timeout !== undefined) {
        const revert = { read: flip(change.read), write: flip(change.write), upload: flip(change.upload) };
        if (revert.read !== null || revert.write !== null || revert.upload !== null) {
          await cliErrors(scheduleUserPermissions(s, actor, room, user, revert, cmd.timeout));
          line += ` (reverted in ${cmd.timeout} s)`;
        }
      }
      lines.push(line);
    }
  }
  return lines.join('\n');
}

const flip = (v: boolean | null | undefined): boolean | null => (v === true ? false : v === false ? true : null);

function describeOverride(ov: PermissionOverride | null): string {
  if (!ov) return 'room defaults';
  const parts: string[] = [];
  for (const k of ['read', 'write', 'upload', 'accessible'] as const) if (ov[k] !== null) parts.push(`${ov[k] ? '+' : '-'}${k}`);
  if (ov.banned) parts.push('banned');
  if (ov.admin) parts.push('admin');
  else if (ov.moderator) parts.push('moderator');
  return parts.length > 0 ? parts.join(', ') : 'room defaults';
}

function when(t: number): string {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function banCommand(s: Services, ids: string[], rooms: string[] | undefined, timeout: number | undefined, unban: boolean): Promise<string> {
  const scope = await roomsArg(s, rooms, true);
  const actor = await systemActor(s);
  const where = scope === 'global' ? 'globally' : `from ${scope.map((r) => r.token).join(', ')}`;
  await checkSessionIds(s, ids);
  const users = [];
  for (const id of ids) users.push(await cliErrors(resolveTargetUser(s, id)));
  // All or nothing: every ban's refusal (a global moderator in the list, say) before the first ban.
  if (!unban) for (const user of users) await cliErrors(checkBan(s, actor, user, scope));
  const lines: string[] = [];
  for (const [i, id] of ids.entries()) {
    const user = users[i]!;
    if (unban) {
      await cliErrors(unbanUser(s, actor, user, scope));
      lines.push(`Unbanned ${id} ${where}`);
    } else {
      await cliErrors(banUser(s, actor, user, scope, timeout ? timeout : null));
      lines.push(`Banned ${id} ${where}${timeout ? ` until ${when(s.clock.now() + timeout)}` : ''}`);
    }
  }
  return lines.join('\n');
}

export async function listBansCommand(s: Services, rooms: string[] | undefined): Promise<string> {
  let bans;
  if (rooms && rooms.length > 0 && !rooms.includes('*')) {
    const lists = await Promise.all(rooms.map(async (t) => s.store.listBans((await findRoom(s, t)).id)));
    bans = lists.flat().filter((b, i, arr) => arr.findIndex((x) => x.sessionId === b.sessionId && x.roomToken === b.roomToken) === i);
  } else {
    bans = await s.store.listBans();
  }
  if (bans.length === 0) return 'No bans.';
  return bans
    .map((b) => `${b.sessionId} ${b.roomToken === null ? 'global' : `room=${b.roomToken}`} ${b.unbanAt === null ? 'permanent' : `until ${when(b.unbanAt)}`}`)
    .join('\n');
}

export async function listModeratorsCommand(s: Services, rooms: string[] | undefined): Promise<string> {
  const lines: string[] = [];
  const globals = await s.store.listGlobalModerators();
  lines.push('Global:');
  for (const m of globals) lines.push(`  ${m.sessionId} ${m.admin ? 'admin' : 'moderator'}${m.visibleMod ? '' : ' (hidden)'}`);
  if (globals.length === 0) lines.push('  (none)');
  const list = rooms && rooms.length > 0 && !rooms.includes('*') ? await Promise.all(rooms.map((t) => findRoom(s, t))) : await s.store.listRooms();
  for (const room of list) {
    lines.push(`${room.token}:`);
    const mods = await s.store.roomModerators(room.id);
    for (const m of mods) lines.push(`  ${m.sessionId} ${m.admin ? 'admin' : 'moderator'}${m.visible ? '' : ' (hidden)'}`);
    if (mods.length === 0) lines.push('  (none)');
  }
  return lines.join('\n');
}

export async function deleteAllPostsCommand(s: Services, ids: string[], rooms: string[] | undefined): Promise<string> {
  const scope = await roomsArg(s, rooms, false);
  if (scope === 'global') throw new CliError('--rooms + is not valid here');
  await checkSessionIds(s, ids);
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const id of ids) {
    const user = await cliErrors(findTargetUser(s, id));
    if (!user) {
      lines.push(`No such user: ${id}`);
      continue;
    }
    for (const room of scope) {
      const n = await cliErrors(deleteAllPosts(s, actor, { room, perms: await permissionsIn(s, room, actor) }, user));
      lines.push(`Deleted ${n} message(s) of ${id} in ${room.token}`);
    }
  }
  return lines.join('\n');
}

/** `POSTS/SECONDS`, `POSTS` (server interval), `off` (no limit) or `default` (the server's). */
export async function roomRateLimitCommand(s: Services, rooms: string[] | undefined, spec: string): Promise<string> {
  let limits: { rateLimitPosts: number | null; rateLimitInterval: number | null };
  const m = /^(\d+)(?:\/(\d+(?:\.\d+)?))?$/.exec(spec.trim());
  if (spec === 'default') limits = { rateLimitPosts: null, rateLimitInterval: null };
  else if (spec === 'off') limits = { rateLimitPosts: 0, rateLimitInterval: null };
  else if (m && !(m[2] !== undefined && Number(m[2]) <= 0)) limits = { rateLimitPosts: Number(m[1]), rateLimitInterval: m[2] === undefined ? null : Number(m[2]) };
  else throw new CliError(`--room-rate-limit: expected POSTS/SECONDS (e.g. 5/16), POSTS, off or default; got '${spec}'`);
  const scope = await roomsArg(s, rooms, false);
  if (scope === 'global') throw new CliError('--rooms + is not valid here; the server-wide limit is the rateLimitPosts option');
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of scope) {
    await setRoomRateLimit(s, actor, room, limits);
    lines.push(`Room ${room.token} rate limit: ${describeRateLimit(s, limits)}`);
  }
  return lines.join('\n');
}

function describeRateLimit(s: Services, l: { rateLimitPosts: number | null; rateLimitInterval: number | null }): string {
  const posts = l.rateLimitPosts ?? s.config.rateLimitPosts;
  const interval = l.rateLimitInterval ?? s.config.rateLimitInterval;
  const source = l.rateLimitPosts === null && l.rateLimitInterval === null ? ' (server default)' : '';
  return posts <= 0 ? `off${source}` : `${posts} posts per ${interval} s${source}`;
}

export async function raidModeCommand(s: Services, rooms: string[] | undefined, value: string): Promise<string> {
  const on = /^(on|yes|true|1)$/i.test(value) ? true : /^(off|no|false|0)$/i.test(value) ? false : null;
  if (on === null) throw new CliError(`--raid-mode takes on or off, not '${value}'`);
  const scope = await roomsArg(s, rooms, false);
  if (scope === 'global') throw new CliError('--rooms + is not valid here');
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of scope) {
    await switchRaidMode(s, actor, room, on);
    lines.push(`Room ${room.token} raid mode: ${on ? `on (accounts younger than ${s.config.raidAccountAge} min before now cannot post)` : 'off'}`);
  }
  return lines.join('\n');
}

export async function auditLogCommand(s: Services, rooms: string[] | undefined, limit: number): Promise<string> {
  let entries: AuditEntry[];
  if (rooms && rooms.length > 0 && !rooms.includes('*')) {
    const lists = await Promise.all(rooms.map((t) => readAuditLog(s, t, limit)));
    entries = lists.flat().sort((a, b) => b.id - a.id).slice(0, limit);
  } else {
    entries = await readAuditLog(s, undefined, limit);
  }
  if (entries.length === 0) return 'No audit log entries.';
  // Oldest first, like a log file.
  return entries.reverse().map(formatAuditEntry).join('\n');
}

export interface RoomSettingsCommand {
  name?: string;
  /** '' removes the description. */
  description?: string;
  /** A file to upload into each room and make its image. */
  imagePath?: string;
}

/**
 * --set-name, --set-description, --set-image: the change PUT /room makes (cleaned the same way;
 * info_updates bumps so clients refetch; a replaced image expires), audited as the system user.
 */
export async function roomSettingsCommand(s: Services, rooms: string[] | undefined, cmd: RoomSettingsCommand): Promise<string> {
  if (cmd.name !== undefined && stripControl(cmd.name).trim() === '') throw new CliError('--set-name needs a non-empty name');
  const scope = await roomsArg(s, rooms, false);
  if (scope === 'global') throw new CliError('--rooms + is not valid here');
  let image: Buffer | null = null;
  if (cmd.imagePath !== undefined) {
    try {
      image = await fs.readFile(cmd.imagePath);
    } catch (e) {
      throw new CliError(`--set-image: cannot read ${cmd.imagePath}: ${(e as Error).message}`);
    }
  }
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of scope) {
    const u: RoomUpdate = {};
    const parts: string[] = [];
    if (cmd.name !== undefined) {
      u.name = stripControl(cmd.name);
      parts.push(`name ${JSON.stringify(u.name)}`);
    }
    if (cmd.description !== undefined) {
      u.description = cleanDescription(cmd.description);
      parts.push(u.description === null ? 'no description' : `description ${JSON.stringify(u.description)}`);
    }
    if (image !== null) {
      // Each room gets its own copy: a file belongs to one room.
      u.image = (await cliErrors(storeFile(s, room, actor, image, path.basename(cmd.imagePath!)))).id;
      parts.push(`image file ${u.image}`);
    }
    const infoUpdates = await cliErrors(applyRoomUpdate(s, actor, room, u));
    lines.push(`Room ${room.token}: ${parts.join(', ')} (info_updates ${infoUpdates})`);
  }
  return lines.join('\n');
}
