// Admin commands for the raid defences (domain/raids.ts): a room's raid state, its held posts
// (list, release, drop) and the cleanup of the accounts first seen in a time window. They call
// the same domain rules as the moderator API, as the system user (a global admin).
import { decodeSessionMessage } from '../domain/protobuf';
import { cleanupBan, cleanupRaidAccounts, dropHeldPosts, listHeldPosts, raidStatus, releaseHeldPosts, type CleanupWindow } from '../domain/raids';
import type { Services } from '../domain/services';
import type { Room } from '../store/types';
import { cliErrors, roomsArg, systemActor, when } from './command-scope';
import { CliError } from './errors';

async function roomsOf(s: Services, rooms: string[] | undefined): Promise<Room[]> {
  const scope = await roomsArg(s, rooms, false);
  if (scope === 'global') throw new CliError('--rooms + is not valid here');
  return scope;
}

/** A time: unix seconds, an ISO 8601 date/time, or a duration before now (30m, 2h, 1d). */
export function parseTime(v: string, flag: string, now: number = Date.now() / 1000): number {
  const ago = /^(\d+(?:\.\d+)?)([smhd])$/.exec(v.trim());
  if (ago) return now - Number(ago[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[ago[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliError(`${flag} takes unix seconds, an ISO date/time or a duration ago (30m, 2h, 1d), not '${v}'`);
  return t / 1000;
}

/** `all` or post ids. */
export function parseHeldIds(v: string[], flag: string): number[] | 'all' {
  if (v.length === 1 && v[0] === 'all') return 'all';
  const ids = v.map(Number);
  if (ids.length === 0 || !ids.every((i) => Number.isSafeInteger(i) && i > 0)) throw new CliError(`${flag} takes post ids or all`);
  return ids;
}

export async function raidStatusCommand(s: Services, rooms: string[] | undefined): Promise<string> {
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of await roomsOf(s, rooms)) {
    const st = await raidStatus(s, actor, room);
    const state = st.since === null ? 'off' : `on since ${when(st.since)}${st.automatic ? ' (detected; ends by itself when quiet)' : ' (switched on by hand)'}`;
    lines.push(`Room ${room.token} raid mode: ${state}; held posts: ${st.held}; new accounts posting in the last minute: ${st.recentNewcomers} (raid at more than ${st.threshold})`);
  }
  return lines.join('\n');
}

export async function listHeldCommand(s: Services, rooms: string[] | undefined, limit: number): Promise<string> {
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of await roomsOf(s, rooms)) {
    const held = await listHeldPosts(s, actor, room, Math.max(1, Math.min(limit, 10_000)));
    lines.push(`Room ${room.token}: ${held.length} held post${held.length === 1 ? '' : 's'} shown`);
    for (const m of held) {
      const body = m.data ? (decodeSessionMessage(m.data)?.body ?? '') : '';
      lines.push(`  ${m.id} ${when(m.posted)} ${m.sessionId} ${JSON.stringify(body.length > 60 ? body.slice(0, 60) + '…' : body)}`);
    }
  }
  return lines.join('\n');
}

export async function heldCommand(s: Services, rooms: string[] | undefined, ids: number[] | 'all', release: boolean): Promise<string> {
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of await roomsOf(s, rooms)) {
    const n = release ? (await cliErrors(releaseHeldPosts(s, actor, room, ids))).length : await cliErrors(dropHeldPosts(s, actor, room, ids));
    lines.push(`Room ${room.token}: ${n} held post${n === 1 ? '' : 's'} ${release ? 'released' : 'dropped'}`);
  }
  return lines.join('\n');
}

export interface CleanupOptions {
  since?: number;
  until?: number;
  ban: string;
  dryRun: boolean;
}

export async function raidCleanupCommand(s: Services, rooms: string[] | undefined, o: CleanupOptions): Promise<string> {
  const ban = await cliErrors(Promise.resolve(o.ban).then(cleanupBan));
  if (o.since === undefined && o.until !== undefined) throw new CliError('--until needs --since');
  const window: CleanupWindow = o.since === undefined ? 'current' : { since: o.since, until: o.until ?? s.clock.now() + 1 };
  const actor = await systemActor(s);
  const lines: string[] = [];
  for (const room of await roomsOf(s, rooms)) {
    const started = performance.now();
    const r = await cliErrors(cleanupRaidAccounts(s, actor, room, { window, ban, dryRun: o.dryRun }));
    const ms = Math.round(performance.now() - started);
    const what = `${r.accounts} accounts first seen ${when(r.since)} to ${when(r.until)}, ${r.posts} posts, ${r.held} held posts`;
    lines.push(o.dryRun
      ? `Room ${room.token} (dry run): would ${ban === null ? 'not ban' : `ban (${ban})`} and delete the posts of ${what}`
      : `Room ${room.token}: ${ban === null ? 'deleted the posts of' : `banned (${ban}) and deleted the posts of`} ${what} in ${ms} ms`);
  }
  return lines.join('\n');
}
