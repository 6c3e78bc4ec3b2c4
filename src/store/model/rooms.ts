// Rooms: their rows, settings, moderators and pins as the store returns them.
import type { PermissionOverride } from './moderation';

export interface Room {
  id: number;
  token: string;
  name: string;
  description: string | null;
  image: number | null;
  created: number;
  messageSequence: number;
  infoUpdates: number;
  activeUsers: number;
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
}

/** A moderator of a room (room-level or global), with visibility merged as in docs/protocol/api.md §3.1. */
export interface RoomModerator {
  sessionId: string;
  admin: boolean;
  visible: boolean;
}

export interface PinnedMessage {
  id: number;
  pinnedAt: number;
  pinnedBy: string;
}

export interface NewRoom {
  token: string;
  name: string;
  description?: string | null;
  now: number;
}

export interface ModeratorChange {
  /** null = global. */
  roomId: number | null;
  userId: number;
  moderator: boolean;
  admin: boolean;
  visible: boolean;
}

export interface ActivityTouch {
  roomId: number;
  userId: number;
  at: number;
}

/** The room rows and one user's permission overrides by room id (null: no user asked). */
export interface RoomsView {
  rooms: Room[];
  overrides: Map<number, PermissionOverride> | null;
}

export interface RoomUpdate {
  name?: string;
  /** null removes the description. */
  description?: string | null;
  image?: number;
  read?: boolean;
  accessible?: boolean;
  write?: boolean;
  upload?: boolean;
}

export interface RoomDefaults {
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
}

/** Per-room anti-raid settings; null = use the server-wide configuration. */
export interface RoomLimits {
  rateLimitPosts: number | null;
  rateLimitInterval: number | null;
  /** When raid mode was switched on (by a moderator or by the raid detection), or null when off. */
  raidSince: number | null;
  /** Raid mode was entered by the detection (domain/raids.ts) and ends by itself after a quiet period. */
  raidAuto: boolean;
}
