// PostgreSQL: post_fingerprints (flood signals, domain/flood.ts).
import type { Op } from '../../shared/op';
import type { FingerprintsTable } from '../../shared/tables';
import type { FloodCounts, FloodQuery, NewFingerprint } from '../../types';
import { count, one, run, type Query } from '../pg-runner';

export class PgFingerprints implements FingerprintsTable {
  constructor(private readonly q: Query) {}

  *counts(q: FloodQuery): Op<FloodCounts> {
    const r = (yield* one(this.q, `SELECT
        count(DISTINCT "user") FILTER (WHERE room = $2 AND "user" <> $3 AND at >= $4) AS accounts,
        count(*) FILTER (WHERE "user" = $3 AND at >= $5) AS repeats
      FROM post_fingerprints WHERE fingerprint = $1 AND at >= $6`, [
      q.fingerprint, q.roomId, q.userId, q.accountsSince, q.repeatsSince, Math.min(q.accountsSince, q.repeatsSince),
    ]))!;
    return { accounts: r['accounts'] as number, repeats: r['repeats'] as number };
  }

  add(f: NewFingerprint): Op<void> {
    return run(this.q, 'INSERT INTO post_fingerprints (fingerprint, room, "user", at) VALUES ($1, $2, $3, $4)', [f.fingerprint, f.roomId, f.userId, f.now]);
  }

  prune(before: number): Op<number> {
    return count(this.q, 'DELETE FROM post_fingerprints WHERE at < $1', [before]);
  }
}
