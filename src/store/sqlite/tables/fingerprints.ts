// SQLite: post_fingerprints (flood signals, domain/flood.ts).
import type { Row } from '../../rows';
import type { Op } from '../../shared/op';
import type { FingerprintsTable } from '../../shared/tables';
import type { FloodCounts, FloodQuery, NewFingerprint } from '../../types';
import type { Statements } from '../statements';

export class SqliteFingerprints implements FingerprintsTable {
  constructor(private readonly s: Statements) {}

  *counts(q: FloodQuery): Op<FloodCounts> {
    const r = this.s.q(`SELECT
        count(DISTINCT user) FILTER (WHERE room = @room AND user <> @user AND at >= @accountsSince) AS accounts,
        count(*) FILTER (WHERE user = @user AND at >= @repeatsSince) AS repeats
      FROM post_fingerprints WHERE fingerprint = @fingerprint AND at >= @since`).get({
      fingerprint: q.fingerprint, room: q.roomId, user: q.userId, accountsSince: q.accountsSince, repeatsSince: q.repeatsSince,
      since: Math.min(q.accountsSince, q.repeatsSince),
    }) as Row;
    return { accounts: r['accounts'] as number, repeats: r['repeats'] as number };
  }

  *add(f: NewFingerprint): Op<void> {
    this.s.q('INSERT INTO post_fingerprints (fingerprint, room, user, at) VALUES (?, ?, ?, ?)').run(f.fingerprint, f.roomId, f.userId, f.now);
  }

  *prune(before: number): Op<number> {
    return this.s.q('DELETE FROM post_fingerprints WHERE at < ?').run(before).changes;
  }
}
