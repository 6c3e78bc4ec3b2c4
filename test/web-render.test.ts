// Rendering of the web pages without a server: escaping, bidi isolation, truncation, and the
// page-wide rules (no inline script or style, no external resources). Plus the pages over real
// HTTP: statuses, security headers, settings, and rooms that must not leak.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeSessionMessage } from '../client/protobuf';
import { escapeHtml, html, stripBidi, truncate, trusted } from '../src/web/html';
import {
  MAX_BODY_CHARS,
  errorPage,
  indexPage,
  messageItem,
  roomPage,
  setupPage,
  type MessageView,
  type RoomPageData,
  type RoomSummary,
} from '../src/web/pages';
import { CSP } from '../src/web/routes';
import { startTestServer, type TestServer } from './helpers/server';

const RLO = '\u202e';
const opts = { showIndex: true };

function room(over: Partial<RoomSummary> = {}): RoomSummary {
  return { token: 'lobby', name: 'Lobby', description: null, imageUrl: null, activeUsers: 3, activeDays: 7, pageUrl: '/r/lobby/', ...over };
}

function msg(over: Partial<MessageView> = {}): MessageView {
  return { id: 1, sessionId: '15' + 'ab'.repeat(32), displayName: 'Alice', body: 'hello', attachments: [], posted: 1_700_000_000, edited: false, ...over };
}

function page(over: Partial<RoomPageData> = {}, messages: MessageView[] | null = []): string {
  return roomPage({ room: room(), joinUrl: 'http://example.org/lobby?public_key=' + 'ee'.repeat(32), qrUrl: '/r/lobby/invite.png', messages, ...over }, opts).value;
}

/** Every occurrence of `needle` sits inside a <bdi> or an element with dir="auto". */
function isolated(markup: string, needle: string): boolean {
  let i = markup.indexOf(needle);
  if (i < 0) return false;
  while (i >= 0) {
    const before = markup.slice(0, i);
    const open = Math.max(before.lastIndexOf('<bdi'), before.lastIndexOf(' dir="auto">'));
    const close = Math.max(before.lastIndexOf('</bdi>'), before.lastIndexOf('</p>'));
    if (open < 0 || close > open) return false;
    i = markup.indexOf(needle, i + 1);
  }
  return true;
}

/** The page-wide rules every page must keep. */
function assertPageRules(markup: string): void {
  assert.match(markup, /^<!DOCTYPE html>\n<html lang="en"/);
  assert.doesNotMatch(markup, /<[a-z][^>]*\sstyle\s*=/i, 'no inline style attributes');
  assert.doesNotMatch(markup, /<style/i, 'no style elements');
  assert.doesNotMatch(markup, /<[a-z][^>]*\son[a-z]+\s*=/i, 'no event handler attributes');
  for (const m of markup.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    assert.match(m[1]!, /\ssrc="\/static\//, 'scripts come from /static');
    assert.equal(m[2], '', 'no inline script');
  }
  // Resources (src, stylesheet and icon links) are all our own, same-origin paths.
  for (const m of markup.matchAll(/\ssrc="([^"]*)"/g)) assert.match(m[1]!, /^\/(?!\/)/);
  for (const m of markup.matchAll(/<link\b[^>]*href="([^"]*)"/g)) assert.match(m[1]!, /^\/(?!\/)/);
  for (const m of markup.matchAll(/<img\b[^>]*>/g)) assert.match(m[0], /\salt="/, 'every image has alt text');
}

describe('escaping', () => {
  it('escapes the five HTML metacharacters and drops control characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    assert.equal(escapeHtml('a\u0000b\u0007c\u009bd\te\nf'), 'abcd\te\nf');
  });

  it('escapes every template value unless it is SafeHtml, including inside lists', () => {
    const evil = '<script>alert(1)</script>';
    const out = html`<p title="${evil}">${evil}${[evil, html`<b>${evil}</b>`]}${trusted('<i>ok</i>')}${null}${false}${42}</p>`.value;
    assert.equal(out.includes('<script>'), false);
    assert.equal(out.split('&lt;script&gt;').length - 1, 4);
    assert.ok(out.includes('<b>&lt;script&gt;'));
    assert.ok(out.includes('<i>ok</i>42</p>'));
  });

  it('strips bidi controls where isolation is impossible', () => {
    assert.equal(stripBidi(`a${RLO}b\u2066c\u2069d\u200fe`), 'abcde');
  });

  it('truncates by code point without splitting surrogate pairs', () => {
    const t = truncate('😀'.repeat(10), 5);
    assert.equal(t.truncated, true);
    assert.deepEqual(Array.from(t.text), ['😀', '😀', '😀', '😀', '…']);
    assert.deepEqual(truncate('short', 10), { text: 'short', truncated: false });
  });
});

describe('messages', () => {
  it('renders HTML, script tags and quotes in messages as text', () => {
    const out = messageItem(
      msg({ displayName: '"><img src=x onerror=alert(1)>', body: `<script>alert("x")</script> & 'quotes' "double"`, attachments: [{ contentType: 'image/png"><b>', fileName: '<i>a.png</i>', size: 2048 }] }),
    ).value;
    assert.equal(/<script|<img|<i>|<b>/.test(out), false, out);
    assert.ok(out.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &quot;double&quot;'));
    assert.ok(out.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(out.includes('Image attachment: <bdi>&lt;i&gt;a.png&lt;/i&gt;</bdi>'));
    assert.ok(out.includes('2.0 KB'));
  });

  it('isolates bidi control characters in names, bodies and file names', () => {
    const out = messageItem(msg({ displayName: `evil${RLO}gnp.exe`, body: `${RLO}reversed <b>`, attachments: [{ contentType: null, fileName: `x${RLO}fdp.exe`, size: null }] })).value;
    assert.ok(isolated(out, RLO), out);
    assert.match(out, /<bdi class="name">evil\u202egnp\.exe<\/bdi>/);
    assert.match(out, /<p class="body" dir="auto">\u202ereversed &lt;b&gt;<\/p>/);
  });

  it('cuts very long text and says so; shows names and ids', () => {
    const long = 'word '.repeat(5000);
    const out = messageItem(msg({ body: long, displayName: 'N'.repeat(500) })).value;
    const body = /<p class="body" dir="auto">([^<]*)<\/p>/.exec(out)![1]!;
    assert.ok(Array.from(body).length <= MAX_BODY_CHARS);
    assert.ok(body.endsWith('…'));
    assert.match(out, /Message shortened/);
    assert.ok(!out.includes('N'.repeat(100)));
    assert.match(out, /<span class="sid" title="Session ID 15(ab){32}">15abab…abab<\/span>/);
    assert.match(out, /<time datetime="2023-11-14T22:13:20.000Z">2023-11-14 22:13 UTC<\/time>/);
  });

  it('falls back to Anonymous for missing names and shows attachment-only messages', () => {
    const out = messageItem(msg({ displayName: null, body: null, attachments: [{ contentType: 'video/mp4', fileName: null, size: 5 * 1024 * 1024 }] })).value;
    assert.match(out, /<span class="name">Anonymous<\/span>/);
    assert.match(out, /Video attachment <span class="isolate">\(video\/mp4, 5\.0 MB\)<\/span>, not shown here/);
    assert.doesNotMatch(out, /class="body"/);
  });
});

describe('pages', () => {
  it('room page: escaped room name everywhere, bidi-free title, join link, QR, copy button', () => {
    const name = `<img src=x onerror=alert(1)>${RLO}moor`;
    const out = page({ room: room({ name, description: `<b>desc</b>${RLO}` }) }, [msg(), msg({ id: 2, body: '<script>x</script>' })]);
    assertPageRules(out);
    assert.equal(out.includes('<img src=x'), false);
    assert.match(out, /<title>&lt;img src=x onerror=alert\(1\)&gt;moor · Session Community<\/title>/);
    assert.ok(isolated(out, RLO));
    assert.match(out, /<code id="join-url" class="join-url">http:\/\/example\.org\/lobby\?public_key=(ee){32}<\/code>/);
    assert.match(out, /<img src="\/r\/lobby\/invite\.png" width="256" height="256" alt="QR code of the join link">/);
    assert.match(out, /<button type="button" class="copy" id="copy-button"[^>]* hidden>Copy link<\/button>/);
    assert.match(out, /<script src="\/static\/copy\.js\?v=[0-9a-f]+" defer><\/script>/);
    assert.match(out, /<ol class="messages"[^>]*>\n<li id="m1">[\s\S]*<li id="m2">/);
  });

  it('room page without messages: empty, disabled, private', () => {
    assert.match(page({}, []), /No messages yet/);
    const disabled = page({ messagesHiddenReason: 'disabled' }, null);
    assert.doesNotMatch(disabled, /Recent messages|<ol class="messages"/);
    assert.match(page({ messagesHiddenReason: 'private' }, null), /visible to members only/);
  });

  it('index lists rooms with escaped names, descriptions, images and active users', () => {
    const out = indexPage([room({ name: '<b>"Lobby"</b>', description: 'the <i>place</i>', imageUrl: '/room/lobby/file/7', activeUsers: 1, activeDays: 1 }), room({ token: 'b', pageUrl: '/r/b/' })], opts).value;
    assertPageRules(out);
    assert.ok(out.includes('<a href="/r/lobby/"><bdi>&lt;b&gt;&quot;Lobby&quot;&lt;/b&gt;</bdi></a>'));
    assert.ok(out.includes('<p class="description" dir="auto">the &lt;i&gt;place&lt;/i&gt;</p>'));
    assert.ok(out.includes('<img src="/room/lobby/file/7" alt="" width="56" height="56">'));
    assert.ok(out.includes('1 active user in the last day'));
    assert.ok(out.includes('3 active users in the last week'));
  });

  it('setup and error pages keep the rules', () => {
    for (const p of [setupPage(opts), errorPage(404, opts, 'room'), errorPage(403, opts, 'index'), errorPage(404, { showIndex: false })]) assertPageRules(p.value);
    assert.doesNotMatch(errorPage(404, { showIndex: false }, 'room').value, /href="\/"/);
  });
});

describe('pages over HTTP', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ rateLimitPosts: 0 });
    t.s.config.baseUrl = t.url; // join URLs name the real (random) port
    const now = t.clock.now();
    await t.s.store.createRoom({ token: 'secret', name: 'Secret <room>', now });
    await t.s.store.createRoom({ token: 'members', name: 'Members only', description: 'Ask to join', now });
    const secret = (await t.s.store.getRoom('secret'))!;
    const members = (await t.s.store.getRoom('members'))!;
    await t.s.store.updateRoom(secret.id, { read: false, accessible: false }, now, null);
    await t.s.store.updateRoom(members.id, { read: false, accessible: true }, now, null);
    const alice = t.client();
    const r = await alice.postMessage('main', encodeSessionMessage({ body: 'public hello', displayName: 'Alice' }));
    assert.equal(r.status, 201, r.text());
  });
  after(() => t.close());

  const get = async (p: string) => {
    const r = await fetch(t.url + p, { redirect: 'manual' });
    return { status: r.status, headers: r.headers, body: await r.text() };
  };

  it('serves the index, room pages and QR with the security headers', async () => {
    for (const p of ['/', '/main', '/main/', '/main?public_key=00', '/r/main', '/r/main/', '/r/MAIN/', '/r/main/invite.png', '/static/site.css', '/static/copy.js']) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('content-security-policy'), CSP, p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', p);
    }
    assert.equal((await get('/')).headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal((await get('/r/main/invite.png')).headers.get('content-type'), 'image/png');
    assert.equal((await get('/static/copy.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    const main = await get('/main?public_key=whatever');
    assert.match(main.body, /<h1><bdi>Main<\/bdi><\/h1>/);
    assert.ok(main.body.includes(`>${t.url}/main?public_key=${t.s.keys.publicKeyHex}</code>`));
    assert.match(main.body, /<bdi class="name">Alice<\/bdi>[\s\S]*public hello/);
  });

  it('does not leak rooms that are not public', async () => {
    const unknown = await get('/nosuchroom');
    assert.equal(unknown.status, 404);
    for (const p of ['/secret', '/r/secret/', '/r/secret/invite.png', '/SECRET']) {
      const r = await get(p);
      assert.equal(r.status, 404, p);
      assert.equal(r.body, unknown.body, p);
      assert.equal(r.body.includes('Secret'), false);
    }
    const index = (await get('/')).body;
    assert.equal(index.includes('Secret'), false);
    assert.ok(index.includes('Members only'));
    const members = await get('/members');
    assert.equal(members.status, 200);
    assert.match(members.body, /visible to members only/);
    assert.doesNotMatch(members.body, /<ol class="messages"/);
  });

  it('leaves API paths to the API', async () => {
    assert.equal((await get('/batch')).status, 405);
    assert.equal((await get('/sequence')).headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await get('/rooms')).headers.get('content-type'), 'application/json');
    assert.equal((await get('/capabilities')).status, 200);
    assert.equal((await get('/room')).status, 404);
    assert.equal((await get('/room')).headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await fetch(t.url + '/main', { method: 'POST' })).status, 405);
    assert.equal((await get('/static/../package.json')).status, 404);
    assert.equal((await get('/static/nope.js')).status, 404);
  });

  it('honours httpShowIndex and httpShowRecent', async () => {
    t.s.config.httpShowIndex = false;
    t.s.config.httpShowRecent = false;
    try {
      const idx = await get('/');
      assert.equal(idx.status, 403);
      assert.match(idx.body, /not public/);
      const main = await get('/main');
      assert.equal(main.status, 200);
      assert.doesNotMatch(main.body, /public hello|Recent messages/);
      assert.doesNotMatch(main.body, /<a href="\/">/);
    } finally {
      t.s.config.httpShowIndex = true;
      t.s.config.httpShowRecent = true;
    }
  });

  it('shows the setup page when no room is public', async () => {
    const t2 = await startTestServer({ httpShowIndex: false });
    try {
      const main = (await t2.s.store.getRoom('main'))!;
      await t2.s.store.updateRoom(main.id, { read: false, accessible: false }, t2.clock.now(), null);
      const r = await fetch(t2.url + '/');
      assert.equal(r.status, 200);
      assert.match(await r.text(), /needs setting up/);
    } finally {
      await t2.close();
    }
  });
});
