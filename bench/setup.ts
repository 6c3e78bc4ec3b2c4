// Builds a data folder with realistic history for benchmarks: rooms, many users, many messages,
// written straight through the store (much faster than through HTTP).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeServices, openServices } from '../src/app';
import { defaultConfig, type Config } from '../src/config';
import { padMessage } from '../client';

export interface BenchData {
  dataDir: string;
  config: Config;
  serverPubkey: Buffer;
  rooms: { token: string; seqno: number; infoUpdates: number }[];
}

/**
 * Each room gets `messages` posts of `bytes` bytes each (default: 60 to 259 bytes, varying), and
 * `reactions` reactions by as many posters, spread over its last 100 posts.
 */
export async function buildData(opts: { rooms: { token: string; messages: number; bytes?: number; reactions?: number }[]; posters?: number }): Promise<BenchData> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-bench-'));
  const config: Config = { ...defaultConfig(), dataDir, logLevel: 'silent', rateLimitPosts: 0 };
  const s = await openServices(config, { activityFlushMs: 0 });
  const posters = [];
  for (let i = 0; i < (opts.posters ?? 200); i++) {
    posters.push(await s.store.ensureUser('15' + crypto.randomBytes(32).toString('hex'), s.clock.now()));
  }
  const rooms = [];
  for (const spec of opts.rooms) {
    const room = (await s.store.getRoom(spec.token)) ?? (await s.store.createRoom({ token: spec.token, name: `Bench ${spec.token}`, now: s.clock.now() }));
    const sig = crypto.randomBytes(64);
    for (let i = 0; i < spec.messages; i++) {
      const content = crypto.randomBytes(spec.bytes ?? 60 + (i % 200));
      await s.store.insertMessage({
        roomId: room.id, userId: posters[i % posters.length]!.id, data: padMessage(content), signature: sig,
        whisperTo: null, whisperMods: false, filtered: false, now: s.clock.now() - (spec.messages - i),
      });
    }
    const last = await s.store.recentMessages(room.id, { userId: null, sessionId: null, moderator: false }, 100);
    for (let i = 0; i < (spec.reactions ?? 0) && last.length > 0; i++) {
      await s.store.addReaction(room.id, last[(i * 7) % last.length]!.id, posters[i % posters.length]!.id, ['👍', '❤️', '😂'][i % 3]!, s.clock.now());
    }
    const r = (await s.store.getRoom(spec.token))!;
    rooms.push({ token: r.token, seqno: r.messageSequence, infoUpdates: r.infoUpdates });
  }
  const serverPubkey = s.keys.publicKey;
  await closeServices(s);
  return { dataDir, config, serverPubkey, rooms };
}
