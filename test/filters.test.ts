// Content filters (docs/protocol/api.md §7.1, §9.2, §9.3) with real Session protobuf message bodies: silent and
// rejecting profanity and alphabet filters, per-room overrides from [room:TOKEN] sections,
// filter-bot replies from [filter:ROOM:TYPE] sections, moderators' exemption, dropped edits,
// custom word lists; and the protobuf decoder other features share.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeSessionMessageBody, encodeSessionMessage, padMessage, type SogsClient } from '../client';
import { filterBotKeys } from '../src/crypto/keys';
import { verifyEd25519 } from '../src/crypto/sign';
import { loadConfig } from '../src/config';
import { checkFilterConfig, formatReply, parseFilterSections, replySettings, roomFilterSettings } from '../src/domain/filters';
import { decodeSessionMessage } from '../src/domain/protobuf';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import type { Room, User } from '../src/store/types';
import { seq, since, type Msg } from './helpers/api';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server';

const INI = String.raw`
; the main parser reads [messages] etc.; these sections are ours
[room:loud]
profanity_silent = no
alphabet_filters = cyrillic, arabic persian

[room:ru]
alphabet_filters = cyrillic
alphabet_silent = no

[room:quiet]
profanity_filter = no

[filter:*:profanity]
reply = \p, mind your language in \r (\t).

[filter:loud:alphabet]
reply = Only latin letters here, \@!\nThanks.
public = yes
profile_name = Guard

[filter:loud:persian]
reply = persian!

[filter:bad]
reply = ignored: a filter section needs ROOM and TYPE
`;

function writeIni(dir: string, text: string): string {
  const file = path.join(dir, 'sogs.ini');
  fs.writeFileSync(file, text);
  return file;
}

const say = (body: string, displayName = 'Alice'): Buffer => encodeSessionMessage({ body, displayName });

describe('Session protobuf decoding', () => {
  it('decodes body, display name, timestamp and attachments, padded or not', () => {
    const raw = encodeSessionMessage({ body: 'héllo 👋', displayName: 'Zoë', timestamp: 1700000000123, attachments: [{ id: '18446744073709551615', contentType: 'image/png', size: 42, fileName: 'a.png', url: 'http://x/1' }] });
    for (const data of [raw, padMessage(raw)]) {
      assert.deepEqual(decodeSessionMessage(data), {
        body: 'héllo 👋',
        displayName: 'Zoë',
        timestamp: 1700000000123,
        attachments: [{ id: '18446744073709551615', contentType: 'image/png', size: 42, fileName: 'a.png', url: 'http://x/1' }],
      });
    }
  });

  it('returns null for bytes that are not a Content protobuf, empty fields for non-data messages', () => {
    assert.equal(decodeSessionMessage(Buffer.from([0x0a, 0xff, 0x01])), null);
    assert.equal(decodeSessionMessage(Buffer.from([0x0f])), null);
    // Content.unsendMessage (field 9) only: decodes, with nothing to show.
    assert.deepEqual(decodeSessionMessage(Buffer.from([0x4a, 0x00])), { body: null, displayName: null, attachments: [], timestamp: null });
  });
});

describe('filter configuration sections', () => {
  it('parses [room:TOKEN] and [filter:ROOM:TYPE] with continuation lines and comments', () => {
    const sec = parseFilterSections('[room:Main]\nprofanity_filter: yes\n# c\n[filter:*:*]\nreply = one\n  two\n\n  three\npublic=no\n[filter:x]\nreply=no\n[net]\nport=1\n');
    assert.deepEqual(sec.rooms.get('main'), { profanity_filter: 'yes' });
    assert.deepEqual(sec.replies.get('*:*'), { reply: 'one\ntwo\nthree', public: 'no' });
    assert.equal(sec.replies.size, 1);
  });

  it('reads them from the same file as the main configuration, and checks them at start', () => {
    const dir = tempDataDir();
    const file = writeIni(dir, '[messages]\nprofanity_filter = yes\n[room:ru]\nalphabet_filters = cyrillic\n[filter:*:*]\nreply = \\p!\n  again\n');
    const { config } = loadConfig(['--config', file], {});
    assert.equal(config.profanityFilter, true);
    assert.equal(config.configFile, path.resolve(file));
    assert.deepEqual(roomFilterSettings(config, 'RU').alphabets, ['cyrillic']);
    assert.deepEqual(roomFilterSettings(config, 'main').alphabets, []);
    assert.deepEqual(replySettings(config, { token: 'x' } as Room, { type: 'profanity', language: null, silent: true })!.reply, ['\\p!', 'again']);
    checkFilterConfig(config);
    const bad = loadConfig(['--config', writeIni(tempDataDir(), '[room:x]\nprofanity_silent = maybe\n')], {}).config;
    assert.throws(() => checkFilterConfig(bad), /profanity_silent/);
    const badAlpha = loadConfig(['--config', writeIni(tempDataDir(), '[room:x]\nalphabet_filters = klingon\n')], {}).config;
    assert.throws(() => checkFilterConfig(badAlpha), /klingon/);
    assert.throws(() => loadConfig(['--alphabet-filters', 'greek'], {}), /greek/);
  });

  it('formats reply escapes, including \\t as the room token (docs/protocol/api.md §12.18)', () => {
    const room = { token: 'tok', name: 'Room Name' } as Room;
    const poster = { sessionId: '15ab' } as User;
    assert.equal(formatReply(String.raw`\@ \p \r \t a\nb \\ \x`, room, poster, 'Zed'), '@15ab Zed Room Name tok a\nb \\ \\x');
    assert.equal(formatReply(String.raw`\p`, room, poster, null), '15ab');
  });
});

describe('filters over HTTP', () => {
  let t: TestServer;
  let alice: SogsClient;
  let bob: SogsClient;
  let mod: SogsClient;
  let botSid: string;

  const text = (m: Msg): string | null => decodeSessionMessageBody(Buffer.from(m.data as string, 'base64'))?.body ?? null;

  before(async () => {
    const dataDir = tempDataDir();
    t = await startTestServer({ rateLimitPosts: 0, profanityFilter: true, configFile: writeIni(dataDir, INI) }, { dataDir });
    for (const token of ['loud', 'ru', 'quiet']) await t.s.store.createRoom({ token, name: token.toUpperCase(), now: t.s.clock.now() });
    alice = t.client();
    bob = t.client();
    mod = t.client();
    await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), 'global', { moderator: true, admin: false, visible: false });
    botSid = filterBotKeys('SOGS', t.s.keys.secret).sessionId;
  });
  after(() => t.close());

  it('silently filters profanity: 201 filtered:true, stored but shown to nobody, bot whispers to the poster', async () => {
    const start = await seq(bob, 'main');
    const r = await alice.postMessage('main', say('well this is shit'));
    assert.equal(r.status, 201);
    const m = r.json<Msg>();
    assert.equal(m['filtered'], true);
    assert.equal((await bob.get(`/room/main/message/${m.id}`)).status, 404);
    assert.equal((await alice.get(`/room/main/message/${m.id}`)).status, 404);
    assert.ok(!(await bob.get('/room/main/messages/recent')).json<Msg[]>().some((x) => x.id === m.id));
    const stored = await t.s.store.getMessage(1, m.id);
    assert.equal(stored!.filtered, true);
    // The bot's reply: a whisper to the poster, after the filtered post.
    const mine = await since(alice, start, '?limit=256', 'main');
    assert.deepEqual(mine.map((x) => x.session_id), [botSid]);
    const reply = mine[0]!;
    assert.equal(reply['whisper_to'], alice.sessionId);
    assert.ok(reply.id > m.id);
    assert.equal(text(reply), 'Alice, mind your language in Main (main).');
    assert.equal(decodeSessionMessageBody(Buffer.from(reply.data as string, 'base64'))!.displayName, 'SOGS');
    const sig = Buffer.from(reply['signature'] as string, 'base64');
    assert.ok(verifyEd25519(sig, Buffer.from(reply.data as string, 'base64'), Buffer.from(botSid.slice(2), 'hex')), 'the bot signs with its 15 key');
    assert.deepEqual(await since(bob, start, '?limit=256', 'main'), [], 'others see neither');
  });

  it('checks the display name too, and lets clean messages through', async () => {
    const r = await alice.postMessage('main', say('hello there', 'shithead'));
    assert.equal(r.json<Msg>()['filtered'], true);
    const ok = await alice.postMessage('main', say('hello there, grape and class'));
    assert.equal(ok.status, 201);
    assert.equal('filtered' in ok.json<Msg>(), false);
    assert.equal((await bob.get(`/room/main/message/${ok.json<Msg>().id}`)).status, 200);
  });

  it('rejects with 429 where filtering is loud, storing nothing but the bot reply', async () => {
    const start = await seq(bob, 'loud');
    const r = await alice.postMessage('loud', say('f u c k this, fuuuck'));
    assert.equal(r.status, 429);
    assert.equal(r.text(), 'filtration rejected message (profanity)');
    const after = await since(alice, start, '?limit=256', 'loud');
    assert.deepEqual(after.map((x) => x.session_id), [botSid]);
    assert.equal(text(after[0]!), 'Alice, mind your language in LOUD (loud).');
    assert.equal(await seq(bob, 'loud'), start + 1, 'only the reply was stored');
  });

  it('alphabet filters per room, in the order persian, arabic, cyrillic, with the most specific reply', async () => {
    const start = await seq(bob, 'loud');
    const cyr = await alice.postMessage('loud', say('привет всем'));
    assert.equal(cyr.status, 201);
    assert.equal(cyr.json<Msg>()['filtered'], true, 'alphabet filtering is silent by default');
    const pub = (await since(bob, start, '?limit=256', 'loud')).filter((x) => x.session_id !== alice.sessionId);
    assert.equal(pub.length, 1, 'a public reply');
    assert.equal('whisper' in pub[0]!, false);
    assert.equal(text(pub[0]!), `Only latin letters here, @${alice.sessionId}!\nThanks.`);
    assert.equal(pub[0]!.session_id, filterBotKeys('Guard', t.s.keys.secret).sessionId);
    assert.equal(decodeSessionMessageBody(Buffer.from(pub[0]!.data as string, 'base64'))!.displayName, 'Guard');
    const s2 = await seq(bob, 'loud');
    assert.equal((await alice.postMessage('loud', say('سلام گرم'))).json<Msg>()['filtered'], true);
    assert.deepEqual((await since(alice, s2, '?limit=256', 'loud')).map(text), ['persian!']);
    const s3 = await seq(bob, 'loud');
    assert.equal((await alice.postMessage('loud', say('ة ٣'))).json<Msg>()['filtered'], true, 'arabic-only letters');
    assert.match(text((await since(bob, s3, '?limit=256', 'loud'))[0]!)!, /^Only latin letters/);
    // main has no alphabet filter; ru rejects loudly (alphabet_silent = no).
    assert.equal('filtered' in (await alice.postMessage('main', say('привет'))).json<Msg>(), false);
    const ru = await alice.postMessage('ru', say('привет'));
    assert.equal(ru.status, 429);
    assert.equal(ru.text(), 'filtration rejected message (alphabet)');
    assert.equal((await alice.postMessage('ru', say('سلام'))).status, 201, 'only cyrillic is filtered in ru');
  });

  it('a room can switch the profanity filter off', async () => {
    const r = await alice.postMessage('quiet', say('shit happens'));
    assert.equal(r.status, 201);
    assert.equal('filtered' in r.json<Msg>(), false);
  });

  it('drops filtered edits but answers 200', async () => {
    const m = (await alice.postMessage('main', say('nice day'))).json<Msg>();
    const bad = padMessage(say('nice shit'));
    const r = await alice.put(`/room/main/message/${m.id}`, { data: bad.toString('base64'), signature: Buffer.alloc(64).toString('base64') });
    assert.equal(r.status, 200);
    const got = (await bob.get(`/room/main/message/${m.id}`)).json<Msg>();
    assert.equal(got.data, m.data);
    assert.equal('edited' in got, false);
    const loud = (await alice.postMessage('loud', say('fine'))).json<Msg>();
    const r2 = await alice.put(`/room/loud/message/${loud.id}`, { data: bad.toString('base64'), signature: Buffer.alloc(64).toString('base64') });
    assert.equal(r2.status, 429);
  });

  it('moderators are exempt', async () => {
    const r = await mod.postMessage('loud', say('shit, привет'));
    assert.equal(r.status, 201);
    assert.equal('filtered' in r.json<Msg>(), false);
  });

  it('filtered posts count toward the rate limit', async () => {
    const room = (await t.s.store.getRoom('main'))!;
    await t.s.store.setRoomLimits(room.id, { rateLimitPosts: 2, rateLimitInterval: 60 });
    const c = t.client();
    assert.equal((await c.postMessage('main', say('shit'))).status, 201);
    assert.equal((await c.postMessage('main', say('shit'))).status, 201);
    assert.equal((await c.postMessage('main', say('fine'))).status, 429);
    await t.s.store.setRoomLimits(room.id, { rateLimitPosts: null, rateLimitInterval: null });
  });
});

describe('filter options', () => {
  it('filterMods applies the filters to moderators', async () => {
    const t = await startTestServer({ rateLimitPosts: 0, profanityFilter: true, filterMods: true });
    try {
      const mod = t.client();
      await setModerator(t.s, await resolveTargetUser(t.s, mod.sessionId), [(await t.s.store.getRoom('main'))!], { moderator: true, admin: true, visible: true });
      assert.equal((await mod.postMessage('main', say('shit'))).json<Msg>()['filtered'], true);
      // No reply configured: nothing but the filtered post was stored.
      assert.equal((await t.client().get('/room/main')).json<{ message_sequence: number }>().message_sequence, 1);
    } finally {
      await t.close();
    }
  });

  it('a custom word list replaces the built-in one, matching whole words with leetspeak', async () => {
    const dataDir = tempDataDir();
    fs.writeFileSync(path.join(dataDir, 'words.txt'), '# our list\npotato\nbad phrase\n\n');
    const t = await startTestServer({ rateLimitPosts: 0, profanityFilter: true, profanitySilent: false, profanityCustom: 'words.txt' }, { dataDir });
    try {
      const c = t.client();
      assert.equal((await c.postMessage('main', say('I like p0tat0'))).status, 429);
      assert.equal((await c.postMessage('main', say('this is a BAD PHRASE'))).status, 429);
      assert.equal((await c.postMessage('main', say('potatoes are fine'))).status, 201);
      assert.equal((await c.postMessage('main', say('shit is not on our list'))).status, 201);
      assert.equal((await c.postMessage('main', Buffer.from('not a protobuf'))).status, 201, 'undecodable bodies pass');
    } finally {
      await t.close();
    }
  });

  it('alphabet filters from the server-wide option', async () => {
    const t = await startTestServer({ rateLimitPosts: 0, alphabetFilters: 'cyrillic', alphabetSilent: false });
    try {
      assert.equal((await t.client().postMessage('main', say('Да'))).status, 429);
      assert.equal((await t.client().postMessage('main', say('Yes'))).status, 201);
      const room = { token: 'main', name: 'Main' } as Room;
      assert.equal(replySettings(t.s.config, room, { type: 'alphabet', language: 'cyrillic', silent: false }), null, 'no config file: no reply');
    } finally {
      await t.close();
    }
  });
});
