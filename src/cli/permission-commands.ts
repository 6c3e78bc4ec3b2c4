// The admin command for permissions: room defaults, and per-user overrides (optionally reverted
// after a while through a scheduled change).
import { scheduleUserPermissions, setRoomDefaults, setUserPermissions } from '../domain/moderation';
import type { Services } from '../domain/services';
import { resolveTargetUser } from '../domain/users';
import type { PermissionChange, PermissionOverride, Room, RoomDefaults } from '../store/types';
import { cliErrors, roomsArg, systemActor } from './command-scope';
import { CliError, checkSessionIds } from './errors';

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
