// Who may use the web moderation console (src/web/console/) and how they get in: a one-time link
// minted by the admin CLI for a moderator's or admin's Session id, traded once for a session
// bound to that identity. Only SHA-256 hashes of link and session tokens are stored, so a copy of
// the database lets nobody in. The session acts with exactly its user's permissions, read afresh
// on every request: a moderator removed from a room loses it in the console at once.
import crypto from 'node:crypto';
import type { ConsoleSession, User } from '../store/types';
import { auditAction, recordAudit } from './audit';
import { forbidden, notFound } from './errors';
import { allows, effectivePermissions } from './permissions';
import type { RoomAccess } from './rooms';
import type { Services } from './services';
import { findTargetUser } from './users';

const CONSOLE_LINK = auditAction('console.link');
const CONSOLE_SIGN_IN = auditAction('console.sign_in');
const CONSOLE_SIGN_OUT = auditAction('console.sign_out');

/** 256 random bits, URL-safe: link tokens, session tokens and CSRF tokens. */
export function newConsoleToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** What the database keeps of a token. */
export function consoleTokenHash(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two tokens (the CSRF check). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The rooms a user moderates (every room for a global moderator), with their permissions there. */
export async function moderatedRooms(s: Services, user: User): Promise<RoomAccess[]> {
  const out: RoomAccess[] = [];
  const overrides = await s.store.userOverrides(user.id);
  for (const room of await s.store.listRooms()) {
    const perms = effectivePermissions(room, user, overrides.get(room.id) ?? null);
    if (allows(perms, 'moderator') && !perms.banned) out.push({ room, perms });
  }
  return out;
}

/** Whether the user moderates anything: the console is for moderators and admins only. */
export async function mayUseConsole(s: Services, user: User): Promise<boolean> {
  if (user.moderator || user.admin) return !user.banned;
  return (await moderatedRooms(s, user)).length > 0;
}

/**
 * Mints a sign-in link token for a moderator's or admin's Session id (05 or 15): usable once,
 * within consoleLinkMinutes. `actor` is who minted it (the CLI's system user).
 */
export async function mintConsoleLink(s: Services, actor: User, sessionId: string): Promise<{ token: string; user: User; expires: number }> {
  const user = await findTargetUser(s, sessionId);
  if (!user) throw notFound(`${sessionId} is not a user of this server`);
  if (!(await mayUseConsole(s, user))) throw forbidden(`${sessionId} is not a moderator or admin of any room`);
  const token = newConsoleToken();
  const now = s.clock.now();
  const expires = now + s.config.consoleLinkMinutes * 60;
  await s.store.addConsoleLink(consoleTokenHash(token), user.sessionId, now, expires);
  await recordAudit(s, actor, CONSOLE_LINK, { target: user, details: { expires } });
  return { token, user, expires };
}

/**
 * Trades a link token for a new session: null when the link is unknown, used or expired, or its
 * user no longer moderates anything. The link is used up either way.
 */
export async function signInWithLink(s: Services, linkToken: string): Promise<{ token: string; session: ConsoleSession; user: User } | null> {
  const now = s.clock.now();
  const sessionId = await s.store.takeConsoleLink(consoleTokenHash(linkToken), now);
  if (sessionId === null) return null;
  const user = await s.store.findUser(sessionId);
  if (!user || !(await mayUseConsole(s, user))) return null;
  const token = newConsoleToken();
  const session = await s.store.addConsoleSession({
    tokenHash: consoleTokenHash(token),
    sessionId: user.sessionId,
    csrf: newConsoleToken(),
    created: now,
    expires: now + s.config.consoleSessionHours * 3600,
  });
  await recordAudit(s, user, CONSOLE_SIGN_IN, { details: { session: session.id } });
  return { token, session, user };
}

/** The session and user of a session token, or null (unknown, expired, or no longer a moderator). */
export async function consoleIdentity(s: Services, sessionToken: string): Promise<{ session: ConsoleSession; user: User } | null> {
  const session = await s.store.consoleSession(consoleTokenHash(sessionToken), s.clock.now());
  if (!session) return null;
  const user = await s.store.findUser(session.sessionId);
  if (!user || !(await mayUseConsole(s, user))) return null;
  return { session, user };
}

export async function signOut(s: Services, user: User, session: ConsoleSession): Promise<void> {
  await s.store.endConsoleSessions({ id: session.id });
  await recordAudit(s, user, CONSOLE_SIGN_OUT, { details: { session: session.id } });
}
