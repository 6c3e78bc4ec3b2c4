// SQLite: users, needs_blinding and the request nonces.
import { b, int, toUser, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { NoncesTable, Roles, UsersTable } from '../../shared/tables';
import { StoreConflict, type User } from '../../types';
import type { Statements } from '../statements';

export class SqliteUsers implements UsersTable {
  constructor(private readonly s: Statements) {}

  *find(sessionId: string): Op<User | null> {
    const r = this.s.q('SELECT * FROM users WHERE session_id = ?').get(sessionId) as Row | undefined;
    return r ? toUser(r) : null;
  }

  *get(id: number): Op<User | null> {
    const r = this.s.q('SELECT * FROM users WHERE id = ?').get(id) as Row | undefined;
    return r ? toUser(r) : null;
  }

  /** The transaction holds the database's write lock already. */
  lock(id: number): Op<User | null> {
    return this.get(id);
  }

  *insert(sessionId: string, now: number): Op<number | null> {
    const r = this.s.q('INSERT INTO users (session_id, created, last_active) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING id').get(sessionId, now, now) as Row | undefined;
    return r ? (r['id'] as number) : null;
  }

  *setRoles(id: number, r: Roles): Op<void> {
    this.s.q('UPDATE users SET banned = ?, moderator = ?, admin = ?, visible_mod = ? WHERE id = ?').run(int(r.banned), int(r.moderator), int(r.admin), int(r.visibleMod), id);
  }

  *appoint(id: number, moderator: boolean, admin: boolean, visible: boolean): Op<void> {
    this.s.q('UPDATE users SET moderator = ?, admin = ?, visible_mod = ?, banned = banned AND NOT ? WHERE id = ?').run(int(moderator), int(admin), int(visible), int(moderator), id);
  }

  *setBanned(id: number, banned: boolean): Op<void> {
    try {
      this.s.q('UPDATE users SET banned = ? WHERE id = ?').run(int(banned), id);
    } catch (e) {
      if (e instanceof Error && /CHECK/.test(e.message)) throw new StoreConflict('a global moderator or admin cannot be banned');
      throw e;
    }
  }

  *globalModerators(): Op<User[]> {
    return (this.s.q("SELECT * FROM users WHERE moderator AND session_id NOT LIKE 'ff%' ORDER BY session_id").all() as Row[]).map(toUser);
  }

  *touch(touches: { userId: number; at: number }[]): Op<void> {
    for (const t of touches) this.s.q('UPDATE users SET last_active = ? WHERE id = ? AND last_active < ?').run(t.at, t.userId, t.at);
  }

  *recordNeedsBlinding(userId: number, abs: string): Op<void> {
    this.s.q('INSERT INTO needs_blinding (blinded_abs, user) VALUES (?, ?) ON CONFLICT DO NOTHING').run(abs, userId);
  }

  *takeNeedsBlinding(abs: string): Op<number | null> {
    const r = this.s.q('DELETE FROM needs_blinding WHERE blinded_abs = ? RETURNING user').get(abs) as Row | undefined;
    return r ? (r['user'] as number) : null;
  }
}

export class SqliteNonces implements NoncesTable {
  constructor(private readonly s: Statements) {}

  *record(userId: number, nonce: Buffer, ts: number): Op<boolean> {
    return this.s.q('INSERT INTO request_nonces (ts, nonce, user) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(ts, nonce, userId).changes === 1;
  }

  *prune(tsBefore: number, now: number): Op<number> {
    return this.s.q('DELETE FROM request_nonces WHERE ts < ?').run(tsBefore).changes + this.s.q('DELETE FROM user_request_nonces WHERE expiry < ?').run(now).changes;
  }
}

/** The user and whether the nonce was used (with this timestamp, or at all before schema 15): one statement. */
export function authLookupRow(s: Statements, sessionId: string, nonce: Buffer, ts: number): { user: User | null; nonceSeen: boolean } {
  const r = s.q(
    `SELECT EXISTS (SELECT 1 FROM request_nonces WHERE ts = ? AND nonce = ?)
            OR EXISTS (SELECT 1 FROM user_request_nonces WHERE nonce = ?) AS nonce_seen, u.*
       FROM (SELECT 1) LEFT JOIN users u ON u.session_id = ?`,
  ).get(ts, nonce, nonce, sessionId) as Row;
  return { user: r['id'] === null ? null : toUser(r), nonceSeen: b(r['nonce_seen']) };
}
