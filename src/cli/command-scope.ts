// What an admin command acts on and as whom: rooms named by --rooms, and the system user. The
// commands run the same domain rules as the API, acting as the system user (a hidden global
// admin, docs/protocol/api.md §10), so every change lands in the audit log.
import { systemUserId } from '../crypto/ids';
import { DomainError } from '../domain/errors';
import type { Services } from '../domain/services';
import type { Room, User } from '../store/types';
import { CliError } from './errors';

export async function findRoom(s: Services, token: string): Promise<Room> {
  const r = await s.store.getRoom(token);
  if (!r) throw new CliError(`No such room: ${token}`);
  return r;
}

/** The `ff` system user the CLI acts as. */
export async function systemActor(s: Services): Promise<User> {
  return s.store.ensureUser(systemUserId(s.keys.publicKey), s.clock.now());
}

/** A domain rule's refusal as the CLI's one-line error. */
export function cliErrors<T>(p: Promise<T>): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof DomainError) throw new CliError(e.message);
    throw e;
  });
}

/** --rooms for commands that take real rooms: tokens or `*` (all rooms); `+` only where allowed. */
export async function roomsArg(s: Services, rooms: string[] | undefined, allowGlobal: boolean): Promise<Room[] | 'global'> {
  if (!rooms || rooms.length === 0) throw new CliError(`--rooms is required (room tokens, * for every room${allowGlobal ? ', + for global' : ''})`);
  if ((rooms.includes('+') || rooms.includes('*')) && rooms.length > 1) throw new CliError('* and + cannot be combined with other rooms');
  if (rooms[0] === '+') {
    if (!allowGlobal) throw new CliError('--rooms + (global) is not valid here');
    return 'global';
  }
  if (rooms[0] === '*') return s.store.listRooms();
  return Promise.all(rooms.map((t) => findRoom(s, t)));
}

/** A unix time as an ISO 8601 UTC time to the second. */
export function when(t: number): string {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
