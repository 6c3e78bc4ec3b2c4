// Admin commands on rooms: create, delete, list, and change their settings, rate limit and raid
// mode. They open the same data folder as the running server and write through the same store
// (SQLite WAL allows a second writer process), so the server sees changes at once.
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline/promises';
import { joinUrl } from '../app';
import { auditAction, recordAudit } from '../domain/audit';
import { DomainError } from '../domain/errors';
import { storeFile } from '../domain/files';
import { setRoomRateLimit } from '../domain/moderation';
import { switchRaidMode } from '../domain/raids';
import { applyRoomUpdate, cleanDescription } from '../domain/room-update';
import { createRoomAs, stripControl } from '../domain/rooms';
import type { Services } from '../domain/services';
import type { Room, RoomUpdate } from '../store/types';
import { cliErrors, findRoom, roomsArg, systemActor, when } from './command-scope';
import { CliError } from './errors';

const DELETE_ROOM = auditAction('room.delete');

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
    `Rate limit: ${describeRateLimit(s, limits)}; raid mode: ${limits.raidSince === null ? 'off' : `on since ${when(limits.raidSince)}${limits.raidAuto ? ' (detected)' : ''}`}`,
    `Moderators: ${admins.length} admins (${admins.filter((m) => !m.visible).length} hidden), ${plain.length} moderators (${plain.filter((m) => !m.visible).length} hidden)`,
    ...mods.map((m) => `  ${m.sessionId} ${m.admin ? 'admin' : 'moderator'}${m.visible ? '' : ' (hidden)'}`),
  ].join('\n');
}

export async function addRoom(s: Services, token: string, name: string, description: string | null): Promise<string> {
  try {
    const room = await createRoomAs(s, await systemActor(s), token, name, description);
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
  await recordAudit(s, await systemActor(s), DELETE_ROOM, { room, details: { name: room.name } });
  return `Deleted room with ID: ${room.token}`;
}

export async function listRooms(s: Services): Promise<string> {
  const rooms = await s.store.listRooms();
  if (rooms.length === 0) return 'No rooms.';
  const parts = [];
  for (const r of rooms) parts.push(await roomSummary(s, r));
  return parts.join('\n\n');
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
    lines.push(`Room ${room.token} raid mode: ${on ? `on (posts of accounts first seen less than ${s.config.raidAccountAge} min before now, or later, are held)` : 'off'}`);
  }
  return lines.join('\n');
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
