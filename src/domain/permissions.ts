// Effective permissions of a user in a room (docs/protocol/api.md §6.4) and the check order that evaluates them.
import type { PermissionOverride, Room, User } from '../store/types';

export interface Permissions {
  banned: boolean;
  read: boolean;
  accessible: boolean;
  write: boolean;
  upload: boolean;
  /** Room or global moderator (admins are moderators). */
  moderator: boolean;
  /** Room or global admin. */
  admin: boolean;
  globalModerator: boolean;
  globalAdmin: boolean;
}

export type Check = 'accessible' | 'read' | 'write' | 'upload' | 'moderator' | 'admin';

export function effectivePermissions(room: Room, user: User | null, ov: PermissionOverride | null): Permissions {
  if (!user) {
    return {
      banned: false, read: room.read, accessible: room.accessible, write: room.write, upload: room.upload,
      moderator: false, admin: false, globalModerator: false, globalAdmin: false,
    };
  }
  const globalModerator = user.moderator || user.admin;
  const pick = (o: boolean | null | undefined, d: boolean): boolean => (o === null || o === undefined ? d : o);
  const admin = user.admin || (ov?.admin ?? false);
  return {
    banned: user.banned || (ov?.banned ?? false),
    read: globalModerator || pick(ov?.read, room.read),
    accessible: globalModerator || pick(ov?.accessible, room.accessible),
    write: globalModerator || pick(ov?.write, room.write),
    upload: globalModerator || pick(ov?.upload, room.upload),
    moderator: globalModerator || admin || (ov?.moderator ?? false),
    admin,
    globalModerator,
    globalAdmin: user.admin,
  };
}

/** docs/protocol/api.md §6.4 evaluation order: admin, admin-only, moderator, moderator-only, banned, the flag. */
export function allows(p: Permissions, check: Check): boolean {
  if (p.admin) return true;
  if (check === 'admin') return false;
  if (p.moderator) return true;
  if (check === 'moderator') return false;
  if (p.banned) return false;
  switch (check) {
    case 'accessible':
      return p.read || p.accessible;
    case 'read':
      return p.read;
    case 'write':
      return p.write;
    case 'upload':
      return p.write && p.upload;
  }
}
