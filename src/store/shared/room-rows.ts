// Rooms are read on every poll and change rarely: both stores keep the room rows with the
// rooms_version they were read at (a trigger bumps it, whichever process writes) and read them
// again only when it moved. The version is read first, so a change racing the read of the rows
// can only make the kept copy look older than it is. What the version covers differs: on SQLite
// any change to a room row, so the kept rows are whole; on PostgreSQL only rooms added, removed
// or changed in their own fields (a post must not queue on that one row), so the counters
// (message_sequence, info_updates, active_users) are read fresh with each poll and laid over.
import type { Room } from '../types';

export class RoomRows {
  private kept: { version: number; rooms: readonly Room[] } | null = null;

  /** The kept rows if they were read at `version` (a copy of the list: callers may change it). */
  at(version: number): Room[] | null {
    return this.kept?.version === version ? [...this.kept.rooms] : null;
  }

  keep(version: number, rooms: Room[]): Room[] {
    this.kept = { version, rooms: rooms.map((r) => Object.freeze(r)) };
    return [...this.kept.rooms];
  }
}
