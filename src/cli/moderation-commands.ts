// Admin commands on people: moderators and admins, bans, deleting a user's posts, and reading the
// audit log that records all of them.
import { formatAuditEntry, readAuditLog } from '../domain/audit';
import { banUser, checkBan, unbanUser } from '../domain/bans';
import { DomainError } from '../domain/errors';
import { changeRole, deleteAllPosts } from '../domain/moderation';
import { permissionsIn } from '../domain/rooms';
import type { Services } from '../domain/services';
import { findTargetUser, resolveTargetUser } from '../domain/users';
import type { AuditEntry } from '../store/types';
import { cliErrors, findRoom, roomsArg, systemActor, when } from './command-scope';
import { CliError, checkSessionIds } from './errors';

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
