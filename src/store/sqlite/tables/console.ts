// SQLite: the web console's links and sessions, and the reads of its pages.
import { toMessage, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { ConsoleTable } from '../../shared/tables';
import type { ConsoleSession, DailyPosts, Message, NewConsoleSession } from '../../types';
import { lim, type Statements } from '../statements';
import { MESSAGE_COLUMNS, MESSAGE_FROM } from './messages';

const SESSION_COLUMNS = 'id, session_id, csrf, created, expires';

function toSession(r: Row): ConsoleSession {
  return { id: r['id'] as number, sessionId: r['session_id'] as string, csrf: r['csrf'] as string, created: r['created'] as number, expires: r['expires'] as number };
}

export class SqliteConsole implements ConsoleTable {
  constructor(private readonly s: Statements) {}

  *addLink(tokenHash: string, sessionId: string, now: number, expires: number): Op<void> {
    this.s.q('INSERT INTO console_links (token_hash, session_id, created, expires) VALUES (?, ?, ?, ?)').run(tokenHash, sessionId, now, expires);
  }

  *takeLink(tokenHash: string): Op<{ sessionId: string; expires: number } | null> {
    const r = this.s.q('DELETE FROM console_links WHERE token_hash = ? RETURNING session_id, expires').get(tokenHash) as Row | undefined;
    return r ? { sessionId: r['session_id'] as string, expires: r['expires'] as number } : null;
  }

  *addSession(n: NewConsoleSession): Op<ConsoleSession> {
    const r = this.s
      .q(`INSERT INTO console_sessions (token_hash, session_id, csrf, created, expires) VALUES (?, ?, ?, ?, ?) RETURNING ${SESSION_COLUMNS}`)
      .get(n.tokenHash, n.sessionId, n.csrf, n.created, n.expires) as Row;
    return toSession(r);
  }

  *session(tokenHash: string, now: number): Op<ConsoleSession | null> {
    const r = this.s.q(`SELECT ${SESSION_COLUMNS} FROM console_sessions WHERE token_hash = ? AND expires > ?`).get(tokenHash, now) as Row | undefined;
    return r ? toSession(r) : null;
  }

  *sessions(now: number): Op<ConsoleSession[]> {
    return (this.s.q(`SELECT ${SESSION_COLUMNS} FROM console_sessions WHERE expires > ? ORDER BY id`).all(now) as Row[]).map(toSession);
  }

  *endSessions(which: { id: number } | { sessionId: string } | 'all'): Op<number> {
    if (which === 'all') return this.s.q('DELETE FROM console_sessions').run().changes;
    if ('id' in which) return this.s.q('DELETE FROM console_sessions WHERE id = ?').run(which.id).changes;
    return this.s.q('DELETE FROM console_sessions WHERE session_id = ?').run(which.sessionId).changes;
  }

  *prune(now: number): Op<number> {
    return this.s.q('DELETE FROM console_links WHERE expires <= ?').run(now).changes + this.s.q('DELETE FROM console_sessions WHERE expires <= ?').run(now).changes;
  }

  *dailyPosts(since: number): Op<DailyPosts[]> {
    const rows = this.s.q('SELECT room, CAST(posted / 86400 AS INTEGER) AS day, count(*) AS n FROM messages WHERE posted >= ? GROUP BY room, day').all(since) as Row[];
    return rows.map((r) => ({ roomId: r['room'] as number, day: r['day'] as number, posts: r['n'] as number }));
  }

  *newUsersSince(since: number): Op<number> {
    return (this.s.q('SELECT count(*) AS n FROM users WHERE created >= ?').get(since) as Row)['n'] as number;
  }

  *moderationMessages(roomId: number, limit: number): Op<Message[]> {
    return (this.s.q(`SELECT ${MESSAGE_COLUMNS}, m.held FROM ${MESSAGE_FROM} WHERE m.room = ? AND m.data IS NOT NULL ORDER BY m.id DESC LIMIT ${lim(limit)}`).all(roomId) as Row[]).map(toMessage);
  }

  *userMessages(userId: number, limit: number): Op<Message[]> {
    return (this.s.q(`SELECT ${MESSAGE_COLUMNS}, m.held FROM ${MESSAGE_FROM} WHERE m.user = ? AND m.data IS NOT NULL ORDER BY m.id DESC LIMIT ${lim(limit)}`).all(userId) as Row[]).map(toMessage);
  }
}
