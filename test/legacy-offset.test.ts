// Rooms imported from a legacy volume with a negative id offset (the reference's mapping when a
// room's old ids lie above those imported before it: the fixture's `quiet`, 501–525 → 181–205).
// Posts made after the import get ids inside the old range (206…525); a legacy client's cursor
// that is such an id must not be moved back by the offset, or every poll returns the history.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Identity, httpRequest, padMessage, randomContent } from '../client';
import { decodeBase64Strict } from '../src/crypto/base64';
import { decryptLegacyChallenge, legacyChallengeKey } from '../src/crypto/legacy-token';
import { legacyCursor } from '../src/domain/legacy';
import { runCli } from './helpers/cli';
import { startTestServer, type TestServer } from './helpers/server';
import { fixturePath } from './helpers/fixtures';


const VOLUME = fixturePath('legacy-volume');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

describe('legacy cursors in a room imported with a negative id offset', () => {
  let t: TestServer;
  const who = Identity.random();
  let token = '';

  const legacy = async (method: string, endpoint: string, body?: unknown): Promise<J> => {
    const h: Record<string, string> = { Room: 'quiet', ...(token ? { Authorization: token } : {}) };
    const buf = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (buf) h['content-type'] = 'application/json';
    const r = await httpRequest(`${t.url}/legacy/${endpoint}`, method, h, buf);
    return JSON.parse(r.body.toString('utf8')) as J;
  };

  before(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sogs-legacy-offset-'));
    const r = await runCli(dataDir, '--import-legacy', VOLUME!);
    assert.equal(r.code, 0, r.err);
    t = await startTestServer({ requireBlindKeys: false, rateLimitPosts: 0 }, { dataDir });
    const ch = await legacy('GET', `auth_token_challenge?public_key=${who.sessionId}`);
    const key = legacyChallengeKey(who.account.xSk, decodeBase64Strict(ch.challenge.ephemeral_public_key)!);
    const hex = decryptLegacyChallenge(key, decodeBase64Strict(ch.challenge.ciphertext)!)!.toString('hex');
    token = hex;
    assert.equal((await legacy('POST', 'claim_auth_token', { public_key: who.sessionId })).status_code, 200);
  });
  after(() => t?.close());

  it('old ids still move by the offset; ids of posts made after the import do not', async () => {
    const room = (await t.s.store.getRoom('quiet'))!;
    assert.deepEqual(await t.s.store.legacyMessageIdMap(room.id), { oldMessageIdMax: 525, messageIdOffset: -320 });
    assert.equal(await legacyCursor(t.s, room, 510), 190);
    assert.equal(await legacyCursor(t.s, room, 0), -320);

    const data = padMessage(randomContent());
    const posted = await legacy('POST', 'messages', { data: data.toString('base64'), signature: who.signUnblinded(data).toString('base64'), public_key: who.sessionId, timestamp: Date.now() });
    assert.equal(posted.status_code, 200, JSON.stringify(posted));
    const newId = posted.message.server_id as number;
    assert.ok(newId > 205 && newId <= 525, `a new id inside the old range: ${newId}`);
    assert.equal(await legacyCursor(t.s, room, newId), newId);

    // The client's next poll, from the id it was just given: nothing new (it was the whole history).
    const since = await legacy('GET', `messages?from_server_id=${newId}`);
    assert.equal(since.status_code, 200);
    assert.deepEqual(since.messages, []);
    // A client that still holds an old id (510 = new 190) gets the rest of the history and the new post.
    const old = await legacy('GET', 'messages?from_server_id=510');
    const ids = (old.messages as { server_id: number }[]).map((m) => m.server_id);
    assert.equal(ids[ids.length - 1], newId);
    assert.ok(ids.every((id) => id > 190), ids.join(','));
    assert.ok(ids.length > 1);
  });
});
