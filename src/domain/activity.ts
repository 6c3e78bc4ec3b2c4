// "Last active" bookkeeping is written on nearly every poll. Writing it per request would make
// every read a write; instead touches are coalesced in memory and flushed in one transaction
// about once a second (and on shutdown), and a row recorded once is not written again for a
// minute (ACTIVITY_GRANULARITY_SECONDS). Losing a second of activity timestamps in a crash is
// harmless: they only feed the active-users count. A flush the database refuses (a restart, a
// failover) is kept and tried again with the next one, never thrown at the timer.
import type { Store } from '../store/types';

/**
 * A (room, user) or user touched again within this many seconds of a touch that was recorded is
 * not written again. last_active only feeds counts over days (active users within
 * activeThreshold, pruning after activePruneThreshold); without this, a client polling every
 * 10 s would have its rows written again for each poll.
 */
export const ACTIVITY_GRANULARITY_SECONDS = 60;

export class ActivityRecorder {
  private rooms = new Map<string, { roomId: number; userId: number; at: number }>();
  private users = new Map<number, number>();
  /** What was recorded since `start`: touched again before start + granularity, it is skipped. */
  private recent = { start: -Infinity, rooms: new Set<string>(), users: new Set<number>() };
  /** Reads (room touches) per user since the last flush: the new-account rule counts them. */
  private reads = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 1000,
    /** Told of a timed flush that failed (its touches wait for the next one). */
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  touchRoom(roomId: number, userId: number, at: number): void {
    // Every read counts for the new-account rule, however close to the last.
    this.reads.set(userId, (this.reads.get(userId) ?? 0) + 1);
    const key = `${roomId}:${userId}`;
    const recent = this.recentAt(at);
    if (!recent.rooms.has(key)) {
      recent.rooms.add(key);
      this.rooms.set(key, { roomId, userId, at });
    }
    this.arm();
  }

  touchUser(userId: number, at: number): void {
    const recent = this.recentAt(at);
    if (recent.users.has(userId)) return;
    recent.users.add(userId);
    this.users.set(userId, at);
    this.arm();
  }

  private recentAt(at: number): ActivityRecorder['recent'] {
    // A clock set back (tests, a corrected system clock) starts a new window too.
    if (at >= this.recent.start + ACTIVITY_GRANULARITY_SECONDS || at < this.recent.start) {
      this.recent = { start: at, rooms: new Set(), users: new Set() };
    }
    return this.recent;
  }

  /** Reads of this user not yet flushed to the store. */
  pendingReads(userId: number): number {
    return this.reads.get(userId) ?? 0;
  }

  private arm(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((e: unknown) => {
        this.onError(e);
        this.arm();
      });
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
    } catch (e) {
      this.restore(rooms, users, reads);
      throw e;
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Puts a failed flush back under what was touched since. Each write is atomic and
   * idempotent but the read counts, which come last: whatever step failed, nothing after it
   * was written, and what before it was is only written again.
   */
  private restore(
    rooms: { roomId: number; userId: number; at: number }[], users: [number, number][], reads: { userId: number; count: number }[],
  ): void {
    for (const r of rooms) {
      const key = `${r.roomId}:${r.userId}`;
      const now = this.rooms.get(key);
      if (!now || now.at < r.at) this.rooms.set(key, r);
    }
    for (const [userId, at] of users) this.users.set(userId, Math.max(at, this.users.get(userId) ?? 0));
    for (const r of reads) this.reads.set(r.userId, (this.reads.get(r.userId) ?? 0) + r.count);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
