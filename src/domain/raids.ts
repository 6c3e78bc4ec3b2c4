// Raid defences that need no moderator awake (beyond the reference server):
// - detection, per room: new accounts (first seen less than raidAccountAge minutes ago) posting
//   are counted per minute in the database (room_raid_counts; an account once a minute), so every
//   process on one database sees the same counts. When the last 60 seconds (this minute plus the
//   part of the last one still inside them) hold more than raidMinPosters and more than
//   raidBaselineFactor times the busiest minute of the room's last raidBaselineDays (raids
//   excepted), the room enters raid mode, marked automatic, and the posts new accounts published
//   in those minutes are held too (their originals deleted, so clients drop them). A regular's
//   post costs nothing more (their account age is on the user row the request read); a new
//   account's costs an indexed count of its own recent posts and one small transaction (count,
//   read two rows).
// - while a room is in raid mode (automatic or switched on by a moderator), posts from accounts
//   first seen less than raidAccountAge minutes before it began, or later, are held: accepted as
//   far as the poster can tell (as a silent filter does), shown to nobody, listed for moderators,
//   who release (published as new posts) or drop them; unreleased ones go after raidHeldDays.
// - an automatic raid mode ends once every minute of the last raidQuietMinutes stayed below the
//   threshold (checked by the background job, and by new accounts' posts while it lasts).
// - a cleanup bans and deletes every post of every account first seen in a time window (or since
//   the current raid began) that was seen in the room, moderators excepted, in one transaction.
// "First seen" is the account's first request to this server (users.created), not a per-room
// record: the attack is made of fresh identities, the user row is at hand on every request, and
// "seen in the room" is already recorded (its posts, held or not, and room_users activity).
import type { Message, RaidCleanupCounts, Room, User } from '../store/types';
import { auditAction, recordAudit } from './audit';
import { badRequest, forbidden } from './errors';
import { allows } from './permissions';
import { permissionsIn } from './rooms';
import type { Services } from './services';

const SET_RAID_MODE = auditAction('room.raid_mode');
const RAID_DETECTED = auditAction('room.raid_detected');
const RAID_ENDED = auditAction('room.raid_ended');
const RELEASE_HELD = auditAction('held.release');
const DROP_HELD = auditAction('held.drop');
const RAID_CLEANUP = auditAction('raid.cleanup');

/** How long a process trusts a room's baseline, and waits between quietness checks, in seconds. */
const BASELINE_TTL = 60;
const QUIET_CHECK_EVERY = 30;

interface RoomMemo {
  baseline: { at: number; peak: number } | null;
  quietCheckedAt: number;
}
const memos = new WeakMap<Services, Map<number, RoomMemo>>();

function memo(s: Services, roomId: number): RoomMemo {
  let m = memos.get(s);
  if (!m) memos.set(s, (m = new Map()));
  let r = m.get(roomId);
  if (!r) m.set(roomId, (r = { baseline: null, quietCheckedAt: 0 }));
  return r;
}

const minuteOf = (t: number): number => Math.floor(t / 60);

/** Whether the raid rules see this account as new now (detection). */
export function isRaidNewcomer(s: Services, user: User): boolean {
  return user.created > s.clock.now() - s.config.raidAccountAge * 60;
}

/** Whether a post of this account is held while the room is in raid mode since `raidSince`. */
export function heldInRaid(s: Services, user: User, raidSince: number): boolean {
  return user.created >= raidSince - s.config.raidAccountAge * 60;
}

/** New accounts posting within a minute that make a raid in this room now. */
async function threshold(s: Services, roomId: number): Promise<number> {
  const now = s.clock.now();
  const m = memo(s, roomId);
  if (!m.baseline || now - m.baseline.at > BASELINE_TTL || now < m.baseline.at) {
    const minute = minuteOf(now);
    // The current and previous minute are what is being judged; they are not their own baseline.
    const peak = await s.store.peakNewPosts(roomId, minute - Math.ceil(s.config.raidBaselineDays * 1440), minute - 1, false);
    m.baseline = { at: now, peak };
  }
  return Math.max(s.config.raidMinPosters, s.config.raidBaselineFactor * m.baseline.peak);
}

/** Posts in the 60 seconds up to now, from a minute's count and the one before's. */
function lastSixtySeconds(now: number, w: { current: number; previous: number }): number {
  const into = now / 60 - minuteOf(now);
  return w.current + w.previous * (1 - into);
}

/**
 * A post by an account the anti-raid rules do not exempt, after every other check passed: counts
 * it when the account is new, enters raid mode when that makes a raid, and says whether to hold it.
 */
export async function raidDisposition(s: Services, room: Room, user: User, raidSince: number | null, raidAuto: boolean): Promise<'hold' | 'publish'> {
  let since = raidSince;
  if (since !== null && raidAuto && (await endIfQuiet(s, room, since))) since = null;
  // Each new account counts once a minute: the attack is many accounts, and one account's flood
  // is the rate limits' business.
  if (s.config.raidDetect && isRaidNewcomer(s, user) && (await s.store.countPostsSince(room.id, user.id, s.clock.now() - 60)) === 0) {
    const now = s.clock.now();
    const w = await s.store.countNewPost(room.id, minuteOf(now), since !== null);
    if (since === null && lastSixtySeconds(now, w) > (await threshold(s, room.id))) {
      since = await enterRaid(s, room, w.current + w.previous);
    }
  }
  return since !== null && heldInRaid(s, user, since) ? 'hold' : 'publish';
}

async function enterRaid(s: Services, room: Room, posts: number): Promise<number> {
  const now = s.clock.now();
  const current = await s.store.roomLimits(room.id);
  // Another process (or a moderator) got there first.
  if (current.raidSince !== null) return current.raidSince;
  await s.store.setRoomLimits(room.id, { raidSince: now, raidAuto: true });
  await s.store.markRaidMinutes(room.id, minuteOf(now) - 1);
  // What the raid published before it was recognised (the minutes counted) is held as well: the
  // originals become deletions, so members' clients drop them.
  const retracted = await s.store.holdRecentPosts(room.id, (minuteOf(now) - 1) * 60, now - s.config.raidAccountAge * 60, now);
  s.log.warn({ room: room.token, newcomers: posts, retracted }, 'raid detected: new accounts\' posts are held');
  await recordAudit(s, null, RAID_DETECTED, { room, details: { newcomers: posts, retracted } });
  return now;
}

/** Ends an automatic raid mode whose room has been quiet for raidQuietMinutes; true if it ended. */
async function endIfQuiet(s: Services, room: Room, since: number, force = false): Promise<boolean> {
  const now = s.clock.now();
  const quiet = s.config.raidQuietMinutes * 60;
  if (now - since < quiet) return false;
  const m = memo(s, room.id);
  if (!force && now - m.quietCheckedAt < QUIET_CHECK_EVERY && now >= m.quietCheckedAt) return false;
  m.quietCheckedAt = now;
  const minute = minuteOf(now);
  const busiest = await s.store.peakNewPosts(room.id, minute - Math.ceil(quiet / 60), minute + 1, true);
  if (busiest > (await threshold(s, room.id))) return false;
  const current = await s.store.roomLimits(room.id);
  if (current.raidSince === null || !current.raidAuto) return false;
  await s.store.setRoomLimits(room.id, { raidSince: null, raidAuto: false });
  s.log.info({ room: room.token }, 'raid over: new accounts post normally again');
  await recordAudit(s, null, RAID_ENDED, { room, details: { since: current.raidSince } });
  return true;
}

/** The background job's step: ends quiet automatic raids, deletes expired held posts, prunes old counts. */
export async function raidUpkeep(s: Services): Promise<{ raidsEnded: number; heldExpired: number }> {
  let raidsEnded = 0;
  for (const room of await s.store.listRooms()) {
    const l = await s.store.roomLimits(room.id);
    if (l.raidSince !== null && l.raidAuto && (await endIfQuiet(s, room, l.raidSince, true))) raidsEnded++;
  }
  const now = s.clock.now();
  const heldExpired = await s.store.expireHeld(now - s.config.raidHeldDays * 86400);
  await s.store.pruneRaidCounts(minuteOf(now) - Math.ceil(s.config.raidBaselineDays * 1440) - 1);
  return { raidsEnded, heldExpired };
}

// --- for moderators (API, CLI, web console) --------------------------------------------------

async function requireModerator(s: Services, actor: User, room: Room): Promise<void> {
  if (!allows(await permissionsIn(s, room, actor), 'moderator')) throw forbidden('This requires room moderator permission');
}

/**
 * A moderator switches the room's raid mode: on lasts until switched off (raidAuto false); off
 * also ends a detected raid.
 */
export async function switchRaidMode(s: Services, actor: User, room: Room, on: boolean): Promise<void> {
  await requireModerator(s, actor, room);
  const current = await s.store.roomLimits(room.id);
  if (!on || current.raidSince === null || current.raidAuto) {
    await s.store.setRoomLimits(room.id, { raidSince: on ? (current.raidSince ?? s.clock.now()) : null, raidAuto: false });
  }
  await recordAudit(s, actor, SET_RAID_MODE, { room, details: { on } });
}

export interface RaidStatus {
  /** When raid mode began, or null when the room is not in raid mode. */
  since: number | null;
  /** Entered by the detection (ends by itself) rather than by a moderator. */
  automatic: boolean;
  held: number;
  /** New accounts that posted in the last 60 seconds, and how many make a raid. */
  recentNewcomers: number;
  threshold: number;
}

export async function raidStatus(s: Services, actor: User, room: Room): Promise<RaidStatus> {
  await requireModerator(s, actor, room);
  const l = await s.store.roomLimits(room.id);
  const minute = minuteOf(s.clock.now());
  const current = await s.store.peakNewPosts(room.id, minute, minute + 1, true);
  const previous = await s.store.peakNewPosts(room.id, minute - 1, minute, true);
  return {
    since: l.raidSince,
    automatic: l.raidSince !== null && l.raidAuto,
    held: await s.store.countHeld(room.id),
    recentNewcomers: Math.round(lastSixtySeconds(s.clock.now(), { current, previous })),
    threshold: await threshold(s, room.id),
  };
}

export async function listHeldPosts(s: Services, actor: User, room: Room, limit: number, afterId = 0): Promise<Message[]> {
  await requireModerator(s, actor, room);
  return s.store.heldMessages(room.id, limit, afterId);
}

/** Publishes held posts (all when ids is 'all') as new posts; their new ids. */
export async function releaseHeldPosts(s: Services, actor: User, room: Room, ids: number[] | 'all'): Promise<number[]> {
  await requireModerator(s, actor, room);
  const released = await s.store.releaseHeld(room.id, ids === 'all' ? null : ids);
  await recordAudit(s, actor, RELEASE_HELD, { room, details: { released: released.length } });
  return released;
}

export async function dropHeldPosts(s: Services, actor: User, room: Room, ids: number[] | 'all'): Promise<number> {
  await requireModerator(s, actor, room);
  const dropped = await s.store.dropHeld(room.id, ids === 'all' ? null : ids);
  await recordAudit(s, actor, DROP_HELD, { room, details: { dropped } });
  return dropped;
}

/** Accounts first seen in [since, until), or 'current': since the current raid's accounts (heldInRaid). */
export type CleanupWindow = { since: number; until: number } | 'current';

/** The ban a cleanup applies, as the API and the CLI take it: "room" (their default), "global" or "none". */
export function cleanupBan(v: unknown): 'room' | 'global' | null {
  if (v === 'none') return null;
  if (v === 'room' || v === 'global') return v;
  throw badRequest(`the ban must be "room", "global" or "none", not ${JSON.stringify(v)}`);
}

export interface CleanupRequest {
  window: CleanupWindow;
  ban: 'room' | 'global' | null;
  dryRun: boolean;
}

export interface CleanupResult extends RaidCleanupCounts {
  since: number;
  until: number;
  dryRun: boolean;
}

/**
 * Bans (in the room, globally, or not at all) and deletes every post (published and held) of every
 * account first seen in the window that was seen in the room, moderators excepted. A dry run only counts.
 */
export async function cleanupRaidAccounts(s: Services, actor: User, room: Room, req: CleanupRequest): Promise<CleanupResult> {
  await requireModerator(s, actor, room);
  if (req.ban === 'global' && !(actor.moderator || actor.admin)) throw forbidden('A global ban requires global moderator permission');
  let w: { since: number; until: number };
  if (req.window === 'current') {
    const l = await s.store.roomLimits(room.id);
    if (l.raidSince === null) throw badRequest('This room is not in raid mode; give a time window');
    w = { since: l.raidSince - s.config.raidAccountAge * 60, until: s.clock.now() + 1 };
  } else {
    w = req.window;
    if (!(w.since < w.until)) throw badRequest('the window must end after it begins');
  }
  const counts = req.dryRun ? await s.store.raidCleanupCounts(room.id, w) : await s.store.raidCleanup(room.id, w, req.ban, s.clock.now());
  if (!req.dryRun) {
    await recordAudit(s, actor, RAID_CLEANUP, { room, details: { since: w.since, until: w.until, ban: req.ban ?? 'none', ...counts } });
  }
  return { ...counts, ...w, dryRun: req.dryRun };
}
