// Anti-raid controls, beyond the reference server (all off or lenient by default):
// - per-room post rate limits (rooms.rate_limit_posts / rate_limit_interval; null = the
//   server-wide rateLimitPosts / rateLimitInterval);
// - a "new account" slow mode: an account first seen less than newAccountMinutes ago, or with
//   fewer than newAccountMinReads reads, may post (per room) and send DMs only newAccountPosts
//   times per newAccountInterval seconds, or not at all when newAccountPosts is 0;
// - a per-room raid mode (rooms.raid_since), switched by a moderator or by the raid detection:
//   while on, posts of accounts first seen less than raidAccountAge minutes before it began, or
//   later, are held for moderators (domain/raids.ts).
// Moderators are exempt from all of it except the plain rate limit (docs/protocol/api.md §7.3: only admins are
// exempt from that); so is anyone a moderator gave an explicit write permission in the room.
import type { Room, User } from '../store/types';
import { DomainError, forbidden } from './errors';
import type { Permissions } from './permissions';
import type { RequestContext } from './request-context';
import { isRaidNewcomer } from './raids';
import type { Services } from './services';

const rateLimited = (): DomainError => new DomainError('rate-limited', 'Rate limited');

/** Whether the new-account rules apply to this user now. */
export async function isNewAccount(s: Services, user: User): Promise<boolean> {
  const { newAccountMinutes: minutes, newAccountMinReads: minReads } = s.config;
  if (minutes > 0 && user.created > s.clock.now() - minutes * 60) return true;
  if (minReads > 0) {
    const reads = (await s.store.userReads(user.id)) + s.activity.pendingReads(user.id);
    if (reads < minReads) return true;
  }
  return false;
}

/** Moderators, and users a moderator explicitly allowed to write here, skip the anti-raid rules. */
export async function trusted(s: Services, rc: RequestContext, room: Room, user: User, perms: Permissions): Promise<boolean> {
  if (perms.moderator) return true;
  return (await rc.overrideOf(s, room.id, user.id))?.write === true;
}

/** What the raid rules need to judge a post once every other check passed (domain/raids.ts). */
export interface RaidGate {
  raidSince: number | null;
  raidAuto: boolean;
}

/**
 * The new-account rules for a post; runs before the content filters. Returns what raid mode and
 * the raid detection need for the post (null: neither applies, or the poster is exempt). A regular
 * poster in a room not in raid mode costs nothing here beyond the room limits the request reads.
 */
export async function checkAntiRaid(s: Services, rc: RequestContext, room: Room, user: User, perms: Permissions): Promise<RaidGate | null> {
  const limits = await rc.roomLimits(s, room.id);
  const raid = limits.raidSince !== null;
  const fresh = s.config.newAccountMinutes > 0 || s.config.newAccountMinReads > 0;
  const watched = s.config.raidDetect && isRaidNewcomer(s, user);
  if (!raid && !fresh && !watched) return null;
  if (await trusted(s, rc, room, user, perms)) return null;
  if (fresh && (await isNewAccount(s, user))) {
    if (s.config.newAccountPosts <= 0) throw forbidden('New accounts may not post yet');
    const recent = await s.store.countPostsSince(room.id, user.id, s.clock.now() - s.config.newAccountInterval);
    if (recent >= s.config.newAccountPosts) throw rateLimited();
  }
  return raid || watched ? { raidSince: limits.raidSince, raidAuto: limits.raidAuto } : null;
}

/** The room's post rate limit (docs/protocol/api.md §7.3, configurable per room); room and global admins are exempt. */
export async function checkRateLimit(s: Services, rc: RequestContext, room: Room, user: User, perms: Permissions): Promise<void> {
  if (perms.admin) return;
  const limits = await rc.roomLimits(s, room.id);
  const max = limits.rateLimitPosts ?? s.config.rateLimitPosts;
  const window = limits.rateLimitInterval ?? s.config.rateLimitInterval;
  if (max <= 0) return;
  const recent = await s.store.countPostsSince(room.id, user.id, s.clock.now() - window);
  if (recent >= max) throw rateLimited();
}

/**
 * The new-account rule for direct messages: call before storing a DM. Global moderators are
 * exempt (no room is involved, so room permissions cannot exempt anyone).
 */
export async function checkDirectMessageAllowed(s: Services, sender: User): Promise<void> {
  if (sender.moderator || sender.admin) return;
  if (s.config.newAccountMinutes <= 0 && s.config.newAccountMinReads <= 0) return;
  if (!(await isNewAccount(s, sender))) return;
  if (s.config.newAccountPosts <= 0) throw forbidden('New accounts may not send direct messages yet');
  const recent = await s.store.countDmsSince(sender.id, s.clock.now() - s.config.newAccountInterval);
  if (recent >= s.config.newAccountPosts) throw rateLimited();
}
