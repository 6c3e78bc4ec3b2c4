// Raid defences for room moderators (our extension, docs/protocol/api.md §4.14): the room's raid
// state, held posts (list, release, drop) and the cleanup of the accounts of a time window.
import { badRequest } from '../../domain/errors';
import { requireUser } from '../../domain/messages';
import {
  cleanupBan, cleanupRaidAccounts, dropHeldPosts, listHeldPosts, raidStatus, releaseHeldPosts, switchRaidMode, type CleanupWindow, type RaidStatus,
} from '../../domain/raids';
import { findRoom } from '../../domain/rooms';
import type { Room, User } from '../../store/types';
import { intQuery, jsonObject, type JsonObject } from '../parse';
import { json } from '../respond';
import type { Ctx, Router } from '../router';
import { messageJson } from '../views';

/** Unknown room 404, anonymous 401; the domain rules check the moderator permission. */
async function open(c: Ctx): Promise<{ room: Room; actor: User }> {
  const { room } = await findRoom(c.s, c.rc, c.params['token']!);
  return { room, actor: requireUser(c.user) };
}

function statusJson(st: RaidStatus): Record<string, unknown> {
  return { raid: st.since !== null, since: st.since, automatic: st.automatic, held: st.held, recent_newcomers: st.recentNewcomers, threshold: st.threshold };
}

/** `ids`: a list of held post ids, or "all". */
function parseIds(body: JsonObject): number[] | 'all' {
  const ids = body['ids'];
  if (ids === 'all') return 'all';
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 10_000 || !ids.every((i) => Number.isSafeInteger(i) && (i as number) > 0)) {
    throw badRequest("'ids' must be \"all\" or a list of 1 to 10000 post ids");
  }
  return ids as number[];
}

function time(body: JsonObject, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badRequest(`'${name}' must be a unix time in seconds`);
  return v;
}

function parseCleanup(c: Ctx, body: JsonObject): { window: CleanupWindow; ban: 'room' | 'global' | null; dryRun: boolean } {
  const since = time(body, 'since');
  const until = time(body, 'until');
  const current = body['current'] === true;
  if (current === (since !== undefined)) throw badRequest("give either 'since' (and optionally 'until') or 'current': true");
  const ban = cleanupBan(body['ban'] ?? 'room');
  const dryRun = body['dry_run'] ?? false;
  if (typeof dryRun !== 'boolean') throw badRequest("'dry_run' must be a boolean");
  const window: CleanupWindow = current ? 'current' : { since: since!, until: until ?? c.s.clock.now() + 1 };
  return { window, ban, dryRun };
}

async function getRaid(c: Ctx) {
  const { room, actor } = await open(c);
  return json(statusJson(await raidStatus(c.s, actor, room)));
}

async function setRaid(c: Ctx) {
  const { room, actor } = await open(c);
  const on = jsonObject(c.req)['on'];
  if (typeof on !== 'boolean') throw badRequest("'on' must be a boolean");
  await switchRaidMode(c.s, actor, room, on);
  return json(statusJson(await raidStatus(c.s, actor, room)));
}

async function listHeld(c: Ctx) {
  const { room, actor } = await open(c);
  const limit = intQuery(c.query, 'limit', 100, 1, 1000);
  const after = intQuery(c.query, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
  const held = await listHeldPosts(c.s, actor, room, limit, after);
  // held_from: the id the post had while published, before a detected raid took it back.
  return json(held.map((m) => ({ ...messageJson(m, undefined, 0), ...(m.heldFrom ? { held_from: m.heldFrom } : {}) })));
}

async function release(c: Ctx) {
  const { room, actor } = await open(c);
  const ids = await releaseHeldPosts(c.s, actor, room, parseIds(jsonObject(c.req)));
  return json({ released: ids.length, ids });
}

async function drop(c: Ctx) {
  const { room, actor } = await open(c);
  return json({ dropped: await dropHeldPosts(c.s, actor, room, parseIds(jsonObject(c.req))) });
}

async function cleanup(c: Ctx) {
  const { room, actor } = await open(c);
  const r = await cleanupRaidAccounts(c.s, actor, room, parseCleanup(c, jsonObject(c.req)));
  return json({ accounts: r.accounts, posts: r.posts, held: r.held, since: r.since, until: r.until, dry_run: r.dryRun });
}

export function raidRoutes(r: Router): void {
  r.get('/room/:token/raid', getRaid);
  r.post('/room/:token/raid', setRaid);
  r.post('/room/:token/raid/cleanup', cleanup);
  r.get('/room/:token/held', listHeld);
  r.post('/room/:token/held/release', release);
  r.post('/room/:token/held/drop', drop);
}
