// "Last active" bookkeeping is written on nearly every poll. Writing it per request would make
// every read a write; instead touches are coalesced in memory and flushed in one transaction
// about once a second (and on shutdown). Losing a second of activity timestamps in a crash is
// harmless: they only feed the active-users count.
import type { Store } from '../store/types';

export class ActivityRecorder {
  private rooms = new Map<string, { roomId: number; userId: number; at: number }>();
  private users = new Map<number, number>();
  /** Reads (room touches) per user since the last flush: the new-account rule counts them. */
  private reads = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 1000,
  ) {}

  touchRoom(roomId: number, userId: number, at: number): void {
    this.rooms.set(`${roomId}:${userId}`, { roomId, userId, at });
    this.reads.set(userId, (this.reads.get(userId) ?? 0) + 1);
    this.arm();
  }

  touchUser(userId: number, at: number): void {
    this.users.set(userId, at);
    this.arm();
  }

  /** Reads of this user not yet flushed to the store. */
  pendingReads(userId: number): number {
    return this.reads.get(userId) ?? 0;
  }

  private arm(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.intervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.rooms.size === 0 && this.users.size === 0) return;
    const rooms = [...this.rooms.values()];
    const users = [...this.users.entries()];
    const reads = [...this.reads.entries()].map(([userId, count]) => ({ userId, count }));
    this.rooms = new Map();
    this.users = new Map();
    this.reads = new Map();
    this.flushing = (async () => {
      await this.store.touchRoomActivity(rooms);
      await this.store.touchUsers(users.map(([userId, at]) => ({ userId, at })));
      await this.store.addUserReads(reads);
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
