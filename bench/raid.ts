// The raid scenario (`npm run bench -- --only raid`): the 2024 attack on Session's communities,
// replayed against the real server with default settings. The server runs in this process on a
// ManualClock (src/domain/clock.ts) that the scenario moves event by event, and real clients talk
// to it over HTTP, signing with that clock: ten simulated minutes of raid, and a simulated day of
// genuine growth, run in seconds, with every rule (rate limits, detection minutes, quiet periods)
// seeing simulated time. A server setting for a test clock would have put a back door into the
// production binary; the domain's injectable clock is what the tests use already.
//
// Phases, in one room of 50 regulars first seen days before:
//   1. false alarm: 200 genuinely new members join over a simulated day and chat (3 posts each
//      within ~10 minutes of joining) while the regulars chat; the room must never enter raid mode.
//   2. raid: 5,000 fresh identities each post one short random message over 10 simulated minutes
//      (some the same text, some with an uploaded image, some also DMing a regular) while the
//      regulars chat and one regular polls messages/since every 10 seconds.
//   3. cleanup: the moderator command for "the current raid" (dry run, then for real), timed.
//   4. the cleanup's worst case: 5,000 accounts whose posts were all published, timed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Identity, SogsClient, encodeSessionMessage, padMessage, sendDirectMessage, uploadFile } from '../client';
import { closeServices, openServices } from '../src/app';
import { systemActor } from '../src/cli/command-scope';
import { defaultConfig, type Config } from '../src/config';
import { ManualClock } from '../src/domain/clock';
import { cleanupRaidAccounts } from '../src/domain/raids';
import type { Services } from '../src/domain/services';
import { startServer } from '../src/server';

const REGULARS = 50;
const NEWCOMERS = 200;
const RAIDERS = 5000;
const RAID_SECONDS = 600;
const WORDS = ['hey', 'join', 'free', 'now', 'hello', 'crypto', 'look', 'here', 'win', 'big', 'click', 'fast', 'wow', 'all', 'new'];
const REPEATED = 'JOIN OUR GROUP NOW FREE COINS';
/** Members each DM-sending raider writes to. */
const DM_TARGETS = 10;

function words(n: number): string {
  return Array.from({ length: n }, () => WORDS[crypto.randomInt(WORDS.length)]!).join(' ');
}

type Event = { at: number; run: () => Promise<void> };

interface World {
  s: Services;
  clock: ManualClock;
  client(): SogsClient;
}

async function runEvents(clock: ManualClock, events: Event[]): Promise<void> {
  events.sort((a, b) => a.at - b.at);
  for (const e of events) {
    clock.set(Math.max(clock.now(), e.at));
    await e.run();
  }
}

async function raidDetections(s: Services): Promise<number> {
  return (await s.store.auditLog({ roomToken: 'main', limit: 100_000 })).filter((e) => e.action === 'room.raid_detected').length;
}

async function scenario(w: World, store: string, quick: boolean): Promise<void> {
  const { s, clock } = w;
  const scale = quick ? 0.2 : 1;
  const nRaiders = Math.round(RAIDERS * scale);
  const room = (await s.store.getRoom('main'))!;
  const regulars = Array.from({ length: REGULARS }, () => w.client());
  for (const r of regulars) await r.get('/room/main');
  clock.advance(3 * 86400);
  const member = regulars[0]!;
  const say = (c: SogsClient, body: string) => c.postMessage('main', encodeSessionMessage({ body, displayName: 'x' }));

  // 1. A simulated day of genuine growth.
  const dayStart = clock.now();
  const events: Event[] = [];
  let newcomerPosts = 0;
  let newcomerOk = 0;
  for (let i = 0; i < NEWCOMERS; i++) {
    const joined = dayStart + crypto.randomInt(86400 - 900);
    const c = w.client();
    for (let k = 0; k < 3; k++) {
      events.push({ at: joined + k * (60 + crypto.randomInt(240)), run: async () => {
        newcomerPosts++;
        if ((await say(c, words(4 + crypto.randomInt(8)))).status === 201) newcomerOk++;
      } });
    }
  }
  for (const r of regulars) {
    for (let h = 0; h < 24; h++) events.push({ at: dayStart + h * 3600 + crypto.randomInt(3600), run: async () => void (await say(r, words(6))) });
  }
  await runEvents(clock, events);
  const falseAlarms = await raidDetections(s);
  const heldAfterDay = await s.store.countHeld(room.id);
  clock.advance(2 * 3600);

  // 2. The raid, with the regulars chatting and one of them polling.
  let seq = (await member.get('/room/main')).json<{ message_sequence: number }>().message_sequence;
  const seen = new Map<number, string>();
  const poll = async (): Promise<void> => {
    for (;;) {
      const page = (await member.get(`/room/main/messages/since/${seq}?limit=256`)).json<{ id: number; seqno: number; session_id: string; data: string | null }[]>();
      for (const m of page) {
        seq = Math.max(seq, m.seqno);
        if (m.data !== null) seen.set(m.id, m.session_id);
      }
      if (page.length < 256) return;
    }
  };
  const raidStart = clock.now();
  const raidEvents: Event[] = [];
  const raiderIds = new Set<string>();
  const repeatedIds = new Set<number>();
  const regularPosts = new Set<number>();
  let regularSent = 0;
  const counts = { posted: 0, accepted: 0, repeated: 0, uploads: 0, uploadsOk: 0, dms: 0, dmsOk: 0 };
  for (let i = 0; i < nRaiders; i++) {
    const at = raidStart + (i * RAID_SECONDS) / nRaiders;
    raidEvents.push({ at, run: async () => {
      const c = w.client();
      raiderIds.add(c.sessionId);
      const kind = i % 10;
      const extra: Record<string, unknown> = {};
      if (kind === 3) {
        counts.uploads++;
        const up = await uploadFile(c, 'main', crypto.randomBytes(2048), 'pic.png');
        if (up.status === 201) {
          counts.uploadsOk++;
          extra['files'] = [up.json<{ id: number }>().id];
        }
      }
      const repeated = kind === 1 || kind === 2;
      if (repeated) counts.repeated++;
      counts.posted++;
      const r = await c.postMessage('main', encodeSessionMessage({ body: repeated ? REPEATED : words(3), displayName: 'r' }), extra);
      if (r.status === 201) {
        counts.accepted++;
        if (repeated) repeatedIds.add(r.json<{ id: number }>().id);
      }
      if (kind === 5) {
        // A spammer writes to as many members as it can: DM_TARGETS different ones each.
        const first = crypto.randomInt(REGULARS);
        for (let k = 0; k < DM_TARGETS; k++) {
          counts.dms++;
          if ((await sendDirectMessage(c, regulars[(first + k) % REGULARS]!.sessionId, crypto.randomBytes(64))).status === 201) counts.dmsOk++;
        }
      }
    } });
  }
  for (const r of regulars) {
    for (let t = crypto.randomInt(300); t < RAID_SECONDS; t += 240 + crypto.randomInt(120)) {
      raidEvents.push({ at: raidStart + t, run: async () => {
        regularSent++;
        const res = await say(r, words(6));
        if (res.status === 201) regularPosts.add(res.json<{ id: number }>().id);
      } });
    }
  }
  for (let t = 0; t <= RAID_SECONDS + 10; t += 10) raidEvents.push({ at: raidStart + t + 0.001, run: poll });
  const wall0 = performance.now();
  await runEvents(clock, raidEvents);
  const raidWall = (performance.now() - wall0) / 1000;
  await poll();
  const limits = await s.store.roomLimits(room.id);
  const raidVisible = [...seen.values()].filter((sid) => raiderIds.has(sid)).length;
  const repeatedVisible = [...seen.keys()].filter((id) => repeatedIds.has(id)).length;
  const delivered = [...regularPosts].filter((id) => seen.has(id)).length;
  const held = await s.store.countHeld(room.id);
  const recent = (await member.get('/room/main/messages/recent?limit=256')).json<{ session_id: string }[]>();
  const stillVisible = recent.filter((m) => raiderIds.has(m.session_id)).length;

  // 3. Cleanup of the current raid.
  const actor = await systemActor(s);
  const d0 = performance.now();
  const dry = limits.raidSince === null ? null : await cleanupRaidAccounts(s, actor, room, { window: 'current', ban: 'room', dryRun: true });
  const dryMs = performance.now() - d0;
  const c0 = performance.now();
  const done = limits.raidSince === null ? null : await cleanupRaidAccounts(s, actor, room, { window: 'current', ban: 'room', dryRun: false });
  const cleanupMs = performance.now() - c0;

  // 4. The cleanup's worst case: every raider's post published (as with raidDetect off), written
  // straight to the store in a room of its own, then the same command for their window.
  const open = await s.store.createRoom({ token: 'open', name: 'Open', now: clock.now() });
  const from = clock.now();
  for (let i = 0; i < nRaiders; i++) {
    const u = await s.store.ensureUser('05' + crypto.randomBytes(32).toString('hex'), clock.now());
    const data = padMessage(encodeSessionMessage({ body: words(3), displayName: 'r' }));
    await s.store.insertMessage({ roomId: open.id, userId: u.id, data, signature: crypto.randomBytes(64), whisperTo: null, whisperMods: false, filtered: false, now: clock.now() });
  }
  const p0 = performance.now();
  const published = await cleanupRaidAccounts(s, actor, open, { window: { since: from, until: clock.now() + 1 }, ban: 'room', dryRun: false });
  const publishedMs = performance.now() - p0;

  const pct = (n: number, of: number): string => `${of === 0 ? 0 : ((100 * n) / of).toFixed(2)}%`;
  const line = (label: string, value: string, target?: string): void => console.log(`  ${label.padEnd(48)} ${value}${target ? `   (target ${target})` : ''}`);
  console.log(`\nraid scenario, ${store}, default settings, ${nRaiders} raiders${quick ? ' (--quick)' : ''}; ${raidWall.toFixed(1)} s wall for 10 simulated minutes`);
  line('false alarm: raid states in a day of growth', `${falseAlarms} (${NEWCOMERS} newcomers, ${newcomerOk}/${newcomerPosts} posts accepted, ${heldAfterDay} held)`, '0');
  line('raid posts a regular polling every 10 s saw', `${raidVisible} of ${counts.posted} (${pct(raidVisible, counts.posted)})`, '<= 1%');
  line('raid posts among the 256 most recent at the end', String(stillVisible));
  line("regulars' posts delivered", `${delivered} of ${regularSent} (${pct(delivered, regularSent)})`, '100%');
  line('raid traffic before detection', limits.raidSince === null ? 'never detected' : `${(limits.raidSince - raidStart).toFixed(1)} s`, '<= 30 s');
  line('raid posts accepted as far as raiders see', `${counts.accepted} of ${counts.posted}`);
  line('posts held', String(held));
  line('cleanup dry run', dry ? `${dry.accounts} accounts, ${dry.posts} posts, ${dry.held} held; ${dryMs.toFixed(0)} ms` : 'no raid');
  line('cleanup (room ban + delete) run time', done ? `${cleanupMs.toFixed(0)} ms for ${done.accounts} accounts` : 'no raid', '< 5 s');
  line('cleanup, every post published (worst case)', `${publishedMs.toFixed(0)} ms for ${published.accounts} accounts, ${published.posts} posts`, '< 5 s');
  line('repeated-text posts visible', `${repeatedVisible} of ${counts.repeated}`);
  line('image uploads accepted', `${counts.uploadsOk} of ${counts.uploads}`);
  line('DMs to members accepted', `${counts.dmsOk} of ${counts.dms} (${DM_TARGETS} different members from each of ${counts.dms / DM_TARGETS} raiders)`);
}

async function withServer(store: string, quick: boolean): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-raid-bench-'));
  const base = process.env['SOGS_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `raid_bench_${process.pid}`;
  let dbUrl: string | undefined;
  if (store === 'postgres') {
    const u = new URL(base);
    u.searchParams.set('schema', schema);
    dbUrl = u.toString();
  }
  const config: Config = { ...defaultConfig(), dataDir, host: '127.0.0.1', port: 0, logLevel: 'silent', ...(dbUrl ? { dbUrl } : {}) };
  const clock = new ManualClock(Math.floor(Date.now() / 1000) - 4 * 86400);
  const s = await openServices(config, { clock });
  const server = await startServer(s, { port: 0, host: '127.0.0.1', jobs: false });
  const url = `http://127.0.0.1:${server.port}`;
  try {
    await scenario({ s, clock, client: () => new SogsClient({ baseUrl: url, serverPubkey: s.keys.publicKey, identity: Identity.random(), now: () => clock.now() }) }, store, quick);
  } finally {
    await server.close();
    await closeServices(s);
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (store === 'postgres') {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
}

export async function raidScenario(opts: { quick: boolean; stores: string[] }): Promise<void> {
  for (const store of opts.stores) await withServer(store, opts.quick);
}
