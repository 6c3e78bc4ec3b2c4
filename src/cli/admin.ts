// Admin commands. They open the same data folder as the running server and write through the
// same store (SQLite WAL allows a second writer process), so the server sees changes at once.
import readline from 'node:readline/promises';
import { joinUrl } from '../app';
import { publicBaseUrl } from '../config';
import { DomainError } from '../domain/errors';
import { createRoom } from '../domain/rooms';
import type { Services } from '../domain/services';
import { resolveTargetUser, setModerator } from '../domain/users';
import type { Room } from '../store/types';

export class CliError extends Error {}

async function findRoom(s: Services, token: string): Promise<Room> {
  const r = await s.store.getRoom(token);
  if (!r) throw new CliError(`No such room: ${token}`);
  return r;
}

export async function roomSummary(s: Services, room: Room): Promise<string> {
  const mods = await s.store.roomModerators(room.id);
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
    `Moderators: ${admins.length} admins (${admins.filter((m) => !m.visible).length} hidden), ${plain.length} moderators (${plain.filter((m) => !m.visible).length} hidden)`,
    ...mods.map((m) => `  ${m.sessionId} ${m.admin ? 'admin' : 'moderator'}${m.visible ? '' : ' (hidden)'}`),
  ].join('\n');
}

export async function addRoom(s: Services, token: string, name: string, description: string | null): Promise<string> {
  try {
    const room = await createRoom(s, token, name, description);
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
    await setModerator(s, user, rooms, { moderator: !cmd.remove, admin: !cmd.remove && cmd.admin, visible });
    const where = rooms === 'global' ? 'global' : rooms.map((r) => r.token).join(', ');
    const role = cmd.admin ? 'admin' : 'moderator';
    lines.push(cmd.remove ? `Removed ${id} as ${where} moderator/admin` : `Added ${id} as ${where} ${visible ? '' : 'hidden '}${role}`);
  }
  return lines.join('\n');
}

export function printUrl(s: Services, rooms: Room[]): string {
  return [
    'Users can join rooms on this open group server using the following URL format:',
    `${publicBaseUrl(s.config)}/[room_id]?public_key=${s.keys.publicKeyHex}`,
    ...rooms.map((r) => joinUrl(s.config, s.keys, r.token)),
  ].join('\n');
}
