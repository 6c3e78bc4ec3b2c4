// The moderation audit log: who did what to whom, where and when. Every moderation action of the
// API and of the admin CLI is recorded here (the CLI acts as the system user), and scheduled
// changes applied by the background job are recorded with no actor.
import type { AuditEntry, Room, User } from '../store/types';
import type { Services } from './services';

declare const declaredAction: unique symbol;

/**
 * An action in the audit log (`ban`, `room.update`, …). Each is declared once with auditAction(),
 * next to the rule that records it; recordAudit takes no other string.
 */
export type AuditAction = string & { readonly [declaredAction]: true };

const declared = new Set<string>();

/** Declares an audit action where its rule lives; a second declaration of the same name throws. */
export function auditAction(name: string): AuditAction {
  if (declared.has(name)) throw new Error(`audit action ${name} is declared twice`);
  declared.add(name);
  return name as AuditAction;
}

/** The author of a post, as the target of a moderation action on it (null if there is no such post). */
export async function postAuthor(s: Services, room: Room, messageId: number): Promise<string | null> {
  return (await s.store.getMessage(room.id, messageId))?.sessionId ?? null;
}

export interface AuditInput {
  /** The user acted upon (session id or user). */
  target?: User | string | null;
  /** The room, or null for global actions. */
  room?: Room | string | null;
  details?: Record<string, unknown>;
}

/** Records one moderation action; `actor` null = the server itself (a scheduled change). */
export async function recordAudit(s: Services, actor: User | null, action: AuditAction, input: AuditInput = {}): Promise<void> {
  const target = input.target ?? null;
  const room = input.room ?? null;
  await s.store.addAuditEntry({
    at: s.clock.now(),
    actor: actor?.sessionId ?? null,
    action,
    target: target === null ? null : typeof target === 'string' ? target : target.sessionId,
    roomToken: room === null ? null : typeof room === 'string' ? room : room.token,
    details: input.details ?? {},
  });
}

export function readAuditLog(s: Services, roomToken: string | undefined, limit: number): Promise<AuditEntry[]> {
  return s.store.auditLog({ roomToken, limit });
}

/** One line per entry, oldest last: `time actor action room target details`. */
export function formatAuditEntry(e: AuditEntry): string {
  const when = new Date(e.at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const details = Object.keys(e.details).length > 0 ? ' ' + JSON.stringify(e.details) : '';
  return `${when} ${e.actor ?? '(scheduled)'} ${e.action}${e.roomToken !== null ? ` room=${e.roomToken}` : ' global'}${e.target !== null ? ` target=${e.target}` : ''}${details}`;
}
