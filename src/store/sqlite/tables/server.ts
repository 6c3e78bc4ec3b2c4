// SQLite: audit_log, settings, job_runs, and the legacy tables (import id maps, auth tokens).
import { toAuditEntry, type Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { AuditTable, LegacyTable, SettingsTable } from '../../shared/tables';
import type { AuditEntry, AuditQuery, LegacyMessageIdMap, NewAuditEntry } from '../../types';
import { lim, type Statements } from '../statements';

export class SqliteAudit implements AuditTable {
  constructor(private readonly s: Statements) {}

  *add(e: NewAuditEntry): Op<void> {
    this.s.q('INSERT INTO audit_log (at, actor, action, target, room, details) VALUES (?, ?, ?, ?, ?, ?)').run(e.at, e.actor, e.action, e.target, e.roomToken, JSON.stringify(e.details));
  }

  /** audit_log.room is COLLATE NOCASE. */
  *list(q: AuditQuery): Op<AuditEntry[]> {
    return (
      this.s
        .q(
          `SELECT * FROM audit_log WHERE (@room IS NULL OR room = @room) AND (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action)
            AND (@target IS NULL OR target = @target) ORDER BY id DESC LIMIT ${lim(q.limit)}`,
        )
        .all({ room: q.roomToken ?? null, actor: q.actor ?? null, action: q.action ?? null, target: q.target ?? null }) as Row[]
    ).map(toAuditEntry);
  }
}

export class SqliteSettings implements SettingsTable {
  constructor(private readonly s: Statements) {}

  *get(key: string): Op<Buffer | null> {
    const r = this.s.q('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined;
    return r ? (r['value'] as Buffer) : null;
  }

  *init(key: string, value: Buffer): Op<void> {
    this.s.q('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING').run(key, value);
  }

  *set(key: string, value: Buffer): Op<void> {
    this.s.q('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  *claimJobTick(name: string, tick: number): Op<boolean> {
    return (
      this.s.q(`INSERT INTO job_runs (name, tick) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET tick = excluded.tick WHERE job_runs.tick < excluded.tick RETURNING tick`).get(name, tick) !==
      undefined
    );
  }
}

export class SqliteLegacy implements LegacyTable {
  constructor(private readonly s: Statements) {}

  *messageIdMap(roomId: number): Op<LegacyMessageIdMap | null> {
    const r = this.s.q('SELECT old_message_id_max, message_id_offset FROM room_import_hacks WHERE room = ?').get(roomId) as Row | undefined;
    return r ? { oldMessageIdMax: r['old_message_id_max'] as number, messageIdOffset: r['message_id_offset'] as number } : null;
  }

  *importedFileId(roomId: number, oldFileId: bigint): Op<number | null> {
    const r = this.s.q('SELECT file FROM file_id_hacks WHERE room = ? AND old_file_id = ?').get(roomId, oldFileId) as Row | undefined;
    return r ? (r['file'] as number) : null;
  }

  /** One statement: two challenges at once agree on the token. */
  *pendingToken(roomId: number, sessionId: string, fresh: Buffer, now: number, validSince: number): Op<Buffer> {
    const r = this.s.q(
      `INSERT INTO legacy_pending_tokens (room, session_id, token, created) VALUES (?, ?, ?, ?)
       ON CONFLICT (room, session_id) DO UPDATE SET
         token = CASE WHEN legacy_pending_tokens.created > ? THEN legacy_pending_tokens.token ELSE excluded.token END,
         created = excluded.created
       RETURNING token`,
    ).get(roomId, sessionId, fresh, now, validSince) as Row;
    return r['token'] as Buffer;
  }

  *takePending(roomId: number, sessionId: string, token: Buffer, validSince: number): Op<boolean> {
    return this.s.q('DELETE FROM legacy_pending_tokens WHERE room = ? AND session_id = ? AND token = ? AND created > ?').run(roomId, sessionId, token, validSince).changes > 0;
  }

  *addClaimed(roomId: number, sessionId: string, token: Buffer, now: number): Op<void> {
    this.s.q('INSERT INTO legacy_tokens (token, room, session_id, claimed) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(token.toString('hex'), roomId, sessionId, now);
  }

  *tokenOwner(roomId: number, tokenHex: string, validSince: number): Op<string | null> {
    const r = this.s.q('SELECT session_id FROM legacy_tokens WHERE token = ? AND room = ? AND claimed > ?').get(tokenHex, roomId, validSince) as Row | undefined;
    return r ? (r['session_id'] as string) : null;
  }

  *revoke(roomId: number, sessionId: string): Op<number> {
    return this.s.q('DELETE FROM legacy_tokens WHERE room = ? AND session_id = ?').run(roomId, sessionId).changes;
  }

  *pruneClaimed(before: number): Op<number> {
    return this.s.q('DELETE FROM legacy_tokens WHERE claimed <= ?').run(before).changes;
  }

  *prunePending(before: number): Op<number> {
    return this.s.q('DELETE FROM legacy_pending_tokens WHERE created <= ?').run(before).changes;
  }
}
