// Permissions, scheduled changes, bans and the audit log.
import type { RoomDefaults } from './rooms';

/** A user's explicit per-room settings (user_permission_overrides); null = room default. */
export interface PermissionOverride {
  banned: boolean;
  read: boolean | null;
  accessible: boolean | null;
  write: boolean | null;
  upload: boolean | null;
  moderator: boolean;
  admin: boolean;
  visibleMod: boolean;
}

/** undefined = leave unchanged, null = back to the room default, boolean = explicit override. */
export type PermissionChange = { [K in keyof RoomDefaults]?: boolean | null };

export interface FuturePerms {
  read: boolean | null;
  write: boolean | null;
  upload: boolean | null;
}

/** A scheduled change (docs/protocol/api.md §3.8): a permission change, or a room ban change (banned set). */
export interface FutureChange extends FuturePerms {
  sessionId: string;
  at: number;
  banned: boolean | null;
}

export type AppliedSchedule =
  | { kind: 'permissions'; roomToken: string; sessionId: string; perms: FuturePerms }
  | { kind: 'ban'; roomToken: string | null; sessionId: string; banned: boolean };

export interface BanEntry {
  sessionId: string;
  /** null = global ban. */
  roomToken: string | null;
  /** Scheduled unban time, or null when permanent. */
  unbanAt: number | null;
}

export interface NewAuditEntry {
  at: number;
  /** Session id of who acted; null = the server itself (scheduled changes). */
  actor: string | null;
  action: string;
  target: string | null;
  roomToken: string | null;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
}

/** Which audit entries to list (Store.auditLog): each given field narrows the list. */
export interface AuditQuery {
  roomToken?: string;
  actor?: string;
  action?: string;
  target?: string;
  limit: number;
}
