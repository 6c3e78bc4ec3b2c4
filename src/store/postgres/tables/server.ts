// PostgreSQL: audit_log, settings, job_runs, and the legacy tables (import id maps, auth tokens).
import { toAuditEntry } from '../../rows';
import type { Op } from '../../shared/op';
import type { AuditTable, LegacyTable, SettingsTable } from '../../shared/tables';
import type { AuditEntry, AuditQuery, LegacyMessageIdMap, NewAuditEntry } from '../../types';
import { count, one, rows, run, type Query } from '../pg-runner';

export class PgAudit implements AuditTable {
  constructor(private readonly q: Query) {}

  add(e: NewAuditEntry): Op<void> {
    return run(this.q, 'INSERT INTO audit_log (at, actor, action, target, room, details) VALUES ($1, $2, $3, $4, $5, $6)', [e.at, e.actor, e.action, e.target, e.roomToken, JSON.stringify(e.details)]);
  }

  *list(q: AuditQuery): Op<AuditEntry[]> {
    return (
      yield* rows(
        this.q,
        `SELECT * FROM audit_log WHERE ($1::text IS NULL OR lower(room) = lower($1)) AND ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4)
          AND ($5::text IS NULL OR target = $5) ORDER BY id DESC LIMIT $2`,
        [q.roomToken ?? null, q.limit, q.actor ?? null, q.action ?? null, q.target ?? null],
      )
    ).map(toAuditEntry);
  }
}

export class PgSettings implements SettingsTable {
  constructor(private readonly q: Query) {}

  *get(key: string): Op<Buffer | null> {
    const r = yield* one(this.q, 'SELECT value FROM settings WHERE key = $1', [key]);
    return r ? (r['value'] as Buffer) : null;
  }

  init(key: string, value: Buffer): Op<void> {
    return run(this.q, 'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [key, value]);
  }

  set(key: string, value: Buffer): Op<void> {
    return run(this.q, 'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  *claimJobTick(name: string, tick: number): Op<boolean> {
    const n = yield* count(
      this.q,
      `INSERT INTO job_runs (name, tick) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET tick = excluded.tick WHERE job_runs.tick < excluded.tick RETURNING tick`,
      [name, tick],
    );
    return n === 1;
  }
}

export class PgLegacy implements LegacyTable {
  constructor(private readonly q: Query) {}

  *messageIdMap(roomId: number): Op<LegacyMessageIdMap | null> {
    const r = yield* one(this.q, 'SELECT old_message_id_max, message_id_offset FROM room_import_hacks WHERE room = $1', [roomId]);
    return r ? { oldMessageIdMax: r['old_message_id_max'] as number, messageIdOffset: r['message_id_offset'] as number } : null;
  }

  /** Sent as text: the id may exceed 2^53, and PostgreSQL casts it to the BIGINT column exactly. */
  *importedFileId(roomId: number, oldFileId: bigint): Op<number | null> {
    const r = yield* one(this.q, 'SELECT file FROM file_id_hacks WHERE room = $1 AND old_file_id = $2', [roomId, oldFileId.toString()]);
    return r ? (r['file'] as number) : null;
  }

  /** One statement: two challenges at once (on any instance) agree on the token. */
  *pendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Op<Buffer> {
    const r = yield* one(
      this.q,
      `INSERT INTO legacy_pending_tokens (room, session_id, token, created) VALUES ($1, $2, $3, $4)
       ON CONFLICT (room, session_id) DO UPDATE SET
         token = CASE WHEN legacy_pending_tokens.created > $5 THEN legacy_pending_tokens.token ELSE excluded.token END,
         created = excluded.created
       RETURNING token`,
      [roomId, sessionId, fresh, now, validSince],
    );
    return r!['token'] as Buffer;
  }

  *takePending(roomId: number, sessionId: string, token: Buffer, validSince: number): Op<boolean> {
    return (yield* count(this.q, 'DELETE FROM legacy_pending_tokens WHERE room = $1 AND session_id = $2 AND token = $3 AND created > $4', [roomId, sessionId, token, validSince])) > 0;
  }

  addClaimed(roomId: number, sessionId: string, token: Buffer, now: number): Op<void> {
    return run(this.q, 'INSERT INTO legacy_tokens (token, room, session_id, claimed) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [token.toString('hex'), roomId, sessionId, now]);
  }

  *tokenOwner(roomId: number, tokenHex: string, validSince: number): Op<string | null> {
    const r = yield* one(this.q, 'SELECT session_id FROM legacy_tokens WHERE token = $1 AND room = $2 AND claimed > $3', [tokenHex, roomId, validSince]);
    return r ? (r['session_id'] as string) : null;
  }

  revoke(roomId: number, sessionId: string): Op<number> {
    return count(this.q, 'DELETE FROM legacy_tokens WHERE room = $1 AND session_id = $2', [roomId, sessionId]);
  }

  pruneClaimed(before: number): Op<number> {
    return count(this.q, 'DELETE FROM legacy_tokens WHERE claimed <= $1', [before]);
  }

  prunePending(before: number): Op<number> {
    return count(this.q, 'DELETE FROM legacy_pending_tokens WHERE created <= $1', [before]);
  }
}
