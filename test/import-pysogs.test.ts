// `sogs --import-pysogs DIR`: imports the reference server's fixture data folder, starts our server
// on it with the clock frozen at the capture time, and replays every recorded request as its
// recorded requester, comparing with the reference's answers.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import sodium from 'sodium-native';
import { after, before, describe, it } from 'node:test';
import { Identity, SogsClient } from '../client';
import { runCli } from './helpers/cli';
import { fixturePath, tmp } from './helpers/fixtures';
import { ManualClock, startTestServer, type TestServer } from './helpers/server';
import { sqlAll, sqliteBools } from './helpers/store-sql';

const FIXTURE = fixturePath('pysogs');

interface Rec {
  method: string;
  path: string;
  requester: string;
  status: number;
  content_type: string;
  json?: unknown;
  sha256?: string;
  size?: number;
  'content-disposition'?: string;
  body_text?: string;
  time_dependent?: string[];
}

/** `whisper_mods` as a boolean: the reference returns SQLite's 0/1, docs/protocol/api.md §5 says bool. */
function boolWhisperMods(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(boolWhisperMods);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'whisper_mods' && (x === 0 || x === 1) ? x === 1 : boolWhisperMods(x);
    return out;
  }
  return v;
}

function hasIntWhisperMods(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasIntWhisperMods);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => (k === 'whisper_mods' && typeof x === 'number') || hasIntWhisperMods(x));
  return false;
}

/** The first place where two JSON values differ (for readable failures). */
function firstDiff(a: unknown, b: unknown, at = '$'): string | null {
  if (a === b) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return `${at}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  for (const k of new Set([...ka, ...kb])) {
    const d = firstDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d) return d;
  }
  return null;
}

/**
 * The fixture's requesters as the reference's harness blinded them: for an account whose Ed25519
 * key has the sign bit set, the harness's blinded id is k·A+ (the sign-normalised key, spec
 * docs/protocol/crypto.md §1.3), i.e. the negation of our client library's k·A. Negating `a` gives that key.
 */
function harnessIdentity(seed: string, blindedId: string, serverPk: Buffer): Identity {
  const id = Identity.fromSeed(seed);
  if (id.blindedId(serverPk) === blindedId) return id;
  const neg = Buffer.alloc(32);
  sodium.crypto_core_ed25519_scalar_negate(neg, id.account.xSk);
  const flipped = new Identity({ ...id.account, xSk: neg });
  assert.equal(flipped.blindedId(serverPk), blindedId);
  return flipped;
}

/**
 * The reference's float seconds at the fields we send as whole seconds for Session Android
 * (api/views.ts wholeSeconds, README "Client notes"): truncated, so that the rest still compares exactly.
 */
const WHOLE_SECONDS = new Set(['created', 'pinned_at', 'edited', 'posted_at', 'expires_at']);

function wholeSeconds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(wholeSeconds);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = WHOLE_SECONDS.has(k) && typeof x === 'number' ? Math.floor(x) : wholeSeconds(x);
    return out;
  }
  return v;
}

/** Replaces every `active_users` value by a marker (time-dependent: compared loosely). */
function loosen(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(loosen);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'active_users' && typeof x === 'number' ? '<number>' : loosen(x);
    return out;
  }
  return v;
}

describe('import a PySOGS data folder', () => {
  let dataDir: string;
  let t: TestServer;
  let expected: { captured: { start: number }; server_pubkey: string; records: Rec[] };
  let ids: Record<string, { seed: string; blinded_id: string }>;
  let importOut = '';

  before(async () => {
    expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8'));
    ids = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'identities.json'), 'utf8')).identities;
    dataDir = tmp('sogs-pysogs-dst-');
    const r = await runCli(dataDir, '--import-pysogs', FIXTURE);
    assert.equal(r.code, 0, r.err);
    importOut = r.out;
    t = await startTestServer({}, { dataDir, clock: new ManualClock(expected.captured.start) });
  });
  after(async () => {
    await t?.close();
  });

  it('prints a summary with counts per kind', () => {
    for (const [kind, n] of [['users', 27], ['rooms', 4], ['messages', 252], ['files', 10], ['reactions', 42], ['user_reactions', 45], ['pinned_messages', 4], ['inbox', 6], ['needs_blinding', 1], ['user_permission_overrides', 16], ['user_permission_futures', 2], ['user_ban_futures', 1]] as const) {
      assert.match(importOut, new RegExp(`^  ${kind} +${n}$`, 'm'), `${kind} ${n}`);
    }
    assert.match(importOut, /Skipped: nothing/);
  });

  it('keeps the server key, ids, seqnos and counters', async () => {
    assert.equal(t.s.keys.publicKeyHex, expected.server_pubkey);
    assert.deepEqual(fs.readFileSync(path.join(dataDir, 'key_x25519')), fs.readFileSync(path.join(FIXTURE, 'key_x25519')));
    const a = new Database(path.join(FIXTURE, 'sogs.db'), { readonly: true });
    try {
      // The same SQL on the reference's file and on our database (SQLite or PostgreSQL).
      for (const sql of [
        'SELECT id, token, message_sequence, info_updates, image, created FROM rooms ORDER BY id',
        'SELECT id, room, "user", posted, edited, seqno, seqno_data, seqno_reactions, seqno_creation, data, data_size, signature, whisper, whisper_mods FROM messages ORDER BY id',
        'SELECT id, session_id, banned, moderator, admin, visible_mod FROM users ORDER BY id',
        'SELECT id, message, reaction FROM reactions ORDER BY id',
        'SELECT reaction, "user", at FROM user_reactions ORDER BY reaction, "user"',
        'SELECT id, room, message, size, uploaded, expiry, filename FROM files ORDER BY id',
      ]) {
        assert.deepEqual(sqliteBools(await sqlAll(t.s.store, sql)), a.prepare(sql).all(), sql);
      }
      // The last DM ids on each user row (schema 8) agree with the imported DMs.
      const dmIds = await sqlAll<{ id: number; i: number; o: number; mi: number; mo: number }>(
        t.s.store,
        `SELECT u.id, u.last_inbox_id AS i, u.last_outbox_id AS o,
                coalesce((SELECT max(id) FROM inbox WHERE recipient = u.id), 0) AS mi,
                coalesce((SELECT max(id) FROM inbox WHERE sender = u.id), 0) AS mo FROM users u`,
      );
      assert.ok(dmIds.some((u) => Number(u.i) > 0), 'the fixture has DMs');
      for (const u of dmIds) assert.deepEqual([Number(u.i), Number(u.o)], [Number(u.mi), Number(u.mo)], `user ${u.id}`);
      // Upload paths follow our layout and the bytes came along.
      for (const f of await sqlAll<{ path: string; size: number }>(t.s.store, 'SELECT path, size FROM files')) {
        assert.match(f.path, /^uploads\/[a-z]+\/\d+_/);
        assert.equal((await t.s.blobs.read(f.path))?.length, f.size);
      }
    } finally {
      a.close();
    }
  });

  it('answers every recorded request like the reference', async () => {
    const clients = new Map<string, SogsClient>();
    const clientFor = (name: string): SogsClient => {
      let c = clients.get(name);
      if (!c) {
        c = name === 'anonymous' ? t.client(null) : t.client(harnessIdentity(ids[name]!.seed, ids[name]!.blinded_id, t.serverPubkey), { blinded: true });
        clients.set(name, c);
      }
      return c;
    };
    let matched = 0;
    const boolDiffs: string[] = [];
    const refBugs: string[] = [];
    const differences: { rec: Rec; status: number; body: string }[] = [];
    for (const rec of expected.records) {
      const r = await clientFor(rec.requester).request(rec.method, rec.path);
      const label = `${rec.requester} ${rec.method} ${rec.path}`;
      if (rec.time_dependent?.includes('reference-bug')) {
        refBugs.push(label);
        continue;
      }
      let same = r.status === rec.status;
      let why = same ? '' : `status ${r.status}`;
      if (same && rec.json !== undefined) {
        const ours = r.json();
        const want = wholeSeconds(rec.json);
        const d = firstDiff(loosen(ours), loosen(want));
        if (d !== null && hasIntWhisperMods(want) && firstDiff(loosen(ours), loosen(boolWhisperMods(want))) === null) {
          // Deliberate: we answer `whisper_mods` as the bool docs/protocol/api.md §5 documents; the reference
          // leaks SQLite's 0/1. Same values otherwise.
          assert.ok(!hasIntWhisperMods(ours));
          boolDiffs.push(label);
          continue;
        }
        if (d !== null) {
          same = false;
          why = d;
        }
      } else if (same && rec.sha256 !== undefined) {
        same =
          crypto.createHash('sha256').update(r.body).digest('hex') === rec.sha256 &&
          r.body.length === rec.size &&
          r.headers['content-disposition'] === rec['content-disposition'];
      }
      if (same) matched++;
      else differences.push({ rec, status: r.status, body: why || r.body.toString('utf8').slice(0, 300) });
    }
    // The one known difference: the reference answers 500 for a user with only a future
    // permission row and no override (a reference bug, README "Caveats"); we answer the
    // documented `{}`.
    const known = differences.filter((d) => d.rec.status === 500 && /\/permissions\/15/.test(d.rec.path));
    for (const d of known) {
      assert.equal(d.status, 200, d.body);
      const r = await clientFor(d.rec.requester).request('GET', d.rec.path);
      assert.deepEqual(r.json(), {});
    }
    const unexplained = differences.filter((d) => !known.includes(d));
    console.log(
      `pysogs expected.json: ${matched}/${expected.records.length} answers match; ` +
        `${boolDiffs.length} differ only in whisper_mods true/false vs the reference's 1/0; ` +
        `${known.length} deliberate difference(s) (reference 500 → our {}); ${refBugs.length} reference-bug record(s) skipped`,
    );
    assert.deepEqual(
      unexplained.map((d) => ({ req: `${d.rec.requester} ${d.rec.method} ${d.rec.path}`, want: d.rec.status, got: d.status, body: d.body })),
      [],
    );
    assert.equal(matched + boolDiffs.length + known.length + refBugs.length, expected.records.length);
    assert.equal(matched, 275);
  });
});
