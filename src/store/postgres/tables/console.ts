// PostgreSQL: the web console's links and sessions, and the reads of its pages.
import { toMessage, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { ConsoleTable } from '../../shared/tables';
import type { ConsoleSession, DailyPosts, Message, NewConsoleSession } from '../../types';
import { count, one, rows, run, type Query } from '../pg-runner';
import { MESSAGE_COLUMNS, MESSAGE_FROM } from './messages';

const SESSION_COLUMNS = 'id, session_id, csrf, created, expires';

function toSession(r: Row): ConsoleSession {
  return { id: Number(r['id']), sessionId: r['session_id'] as string, csrf: r['csrf'] as string, created: r['created'] as number, expires: r['expires'] as number };
}

export class PgConsole implements ConsoleTable {
  constructor(private readonly q: Query) {}

  addLink(tokenHash: string, sessionId: string, now: number, expires: number): Op<void> {
    return run(this.q, 'INSERT INTO console_links (token_hash, session_id, created, expires) VALUES ($1, $2, $3, $4)', [tokenHash, sessionId, now, expires]);
  }

  /** One statement: of two processes using one link at once, one gets it. */
  *takeLink(tokenHash: string): Op<{ sessionId: string; expires: number } | null> {
    const r = yield* one(this.q, 'DELETE FROM console_links WHERE token_hash = $1 RETURNING session_id, expires', [tokenHash]);
    return r ? { sessionId: r['session_id'] as string, expires: r['expires'] as number } : null;
  }

  *addSession(n: NewConsoleSession): Op<ConsoleSession> {
    const r = yield* one(
      this.q,
      `INSERT INTO console_sessions (token_hash, session_id, csrf, created, expires) VALUES ($1, $2, $3, $4, $5) RETURNING ${SESSION_COLUMNS}`,
      [n.tokenHash, n.sessionId, n.csrf, n.created, n.expires],
    );
    return toSession(r!);
  }

  *session(tokenHash: string, now: number): Op<ConsoleSession | null> {
    const r = yield* one(this.q, `SELECT ${SESSION_COLUMNS} FROM console_sessions WHERE token_hash = $1 AND expires > $2`, [tokenHash, now]);
    return r ? toSession(r) : null;
  }

  *sessions(now: number): Op<ConsoleSession[]> {
    return (yield* rows(this.q, `SELECT ${SESSION_COLUMNS} FROM console_sessions WHERE expires > $1 ORDER BY id`, [now])).map(toSession);
  }

  endSessions(which: { id: number } | { sessionId: string } | 'all'): Op<number> {
    if (which === 'all') return count(this.q, 'DELETE FROM console_sessions');
    if ('id' in which) return count(this.q, 'DELETE FROM console_sessions WHERE id = $1', [which.id]);
    return count(this.q, 'DELETE FROM console_sessions WHERE session_id = $1', [which.sessionId]);
  }

  *prune(now: number): Op<number> {
    return (yield* count(this.q, 'DELETE FROM console_links WHERE expires <= $1', [now])) + (yield* count(this.q, 'DELETE FROM console_sessions WHERE expires <= $1', [now]));
  }

  *dailyPosts(since: number): Op<DailyPosts[]> {
    const r = yield* rows(this.q, 'SELECT room, floor(posted / 86400)::bigint AS day, count(*) AS n FROM messages WHERE posted >= $1 GROUP BY room, day', [since]);
    return r.map((x) => ({ roomId: Number(x['room']), day: Number(x['day']), posts: Number(x['n']) }));
  }

  *newUsersSince(since: number): Op<number> {
    return Number((yield* one(this.q, 'SELECT count(*) AS n FROM users WHERE created >= $1', [since]))!['n']);
  }

  *moderationMessages(roomId: number, limit: number): Op<Message[]> {
    return (yield* rows(this.q, `SELECT ${MESSAGE_COLUMNS}, m.held FROM ${MESSAGE_FROM} WHERE m.room = $1 AND m.data IS NOT NULL ORDER BY m.id DESC LIMIT $2`, [roomId, limit])).map(toMessage);
  }

  *userMessages(userId: number, limit: number): Op<Message[]> {
    return (yield* rows(this.q, `SELECT ${MESSAGE_COLUMNS}, m.held FROM ${MESSAGE_FROM} WHERE m."user" = $1 AND m.data IS NOT NULL ORDER BY m.id DESC LIMIT $2`, [userId, limit])).map(toMessage);
  }
}
