// The web pages as pure functions from plain view data to HTML: the room index, a room's page
// (join link, QR code, how to join, recent messages), the "needs setup" page and error pages.
// All user-controlled text goes through the `html` template (escaped) and is isolated from the
// surrounding markup for bidi purposes (<bdi>, or dir="auto" on its own block).
import { html, stripBidi, truncate, type SafeHtml } from './html';
import { staticUrl } from './static';

/** Longest message text shown (code points); longer text is cut with a note. */
export const MAX_BODY_CHARS = 2000;
export const MAX_NAME_CHARS = 64;
export const MAX_ROOM_NAME_CHARS = 100;
export const MAX_DESCRIPTION_CHARS = 1000;
export const MAX_FILENAME_CHARS = 80;

export interface PageOptions {
  /** Whether the room index is public (the header then links to it). */
  showIndex: boolean;
}

export interface RoomSummary {
  token: string;
  name: string;
  description: string | null;
  /** Absolute-path URL of the room image, or null. */
  imageUrl: string | null;
  activeUsers: number;
  activeDays: number;
  /** The room page's URL path. */
  pageUrl: string;
}

export interface AttachmentView {
  contentType: string | null;
  fileName: string | null;
  size: number | null;
}

export interface MessageView {
  id: number;
  sessionId: string;
  displayName: string | null;
  body: string | null;
  attachments: AttachmentView[];
  /** Unix seconds. */
  posted: number;
  edited: boolean;
}

export interface RoomPageData {
  room: RoomSummary;
  joinUrl: string;
  qrUrl: string;
  /** The recent messages, oldest first; null when they are not shown (setting off or not public). */
  messages: MessageView[] | null;
  /** Why messages are not shown (when `messages` is null). */
  messagesHiddenReason?: 'disabled' | 'private';
}

function layout(title: string, content: SafeHtml, opts: PageOptions & { script?: boolean }): SafeHtml {
  const fullTitle = title ? `${stripBidi(title)} · Session Community` : 'Session Community';
  const home = opts.showIndex ? html`<a href="/">Session Communities</a>` : html`<span>Session Community</span>`;
  return html`<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>${fullTitle}</title>
<link rel="stylesheet" href="${staticUrl('site.css')}">
<link rel="icon" href="${staticUrl('favicon.svg')}" type="image/svg+xml">
${opts.script ? html`<script src="${staticUrl('copy.js')}" defer></script>\n` : ''}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="wrap">${home}</div></header>
<main id="main" class="wrap">
${content}
</main>
<footer><div class="wrap"><p>Session is a private messenger. If you do not have it yet, get it at <a href="https://getsession.org/download" rel="noreferrer">getsession.org</a>.</p></div></footer>
</body>
</html>
`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function activeLine(r: RoomSummary): string {
  const days = Math.round(r.activeDays * 10) / 10;
  const window = days === 1 ? 'day' : days === 7 ? 'week' : `${days} days`;
  return `${plural(r.activeUsers, 'active user', 'active users')} in the last ${window}`;
}

/** A user-supplied name, isolated and shortened. */
function userText(text: string, max: number, cls?: string): SafeHtml {
  return html`<bdi${cls ? html` class="${cls}"` : ''}>${truncate(text, max).text}</bdi>`;
}

export function indexPage(rooms: RoomSummary[], opts: PageOptions): SafeHtml {
  const items = rooms.map(
    (r) => html`<li>
${r.imageUrl ? html`<img src="${r.imageUrl}" alt="" width="56" height="56">` : ''}
<div>
<h2><a href="${r.pageUrl}">${userText(r.name, MAX_ROOM_NAME_CHARS)}</a></h2>
${r.description ? html`<p class="description" dir="auto">${truncate(r.description, 300).text}</p>` : ''}
<p class="muted">${activeLine(r)}</p>
</div>
</li>
`,
  );
  return layout(
    'Communities',
    html`<h1>Communities on this server</h1>
<p>Open a community to see its join link and QR code for Session.</p>
<ul class="rooms">
${items}</ul>`,
    opts,
  );
}

export function setupPage(opts: PageOptions): SafeHtml {
  return layout(
    'Needs setup',
    html`<h1>This server needs setting up</h1>
<p>This Session Community server is running, but it has no public communities yet.</p>
<p>If you run it, add one with the admin command, for example:</p>
<p><code>sogs --add-room lobby --name "Lobby"</code></p>`,
    opts,
  );
}

export function errorPage(status: 403 | 404, opts: PageOptions, what: 'room' | 'index' | 'page' = 'page'): SafeHtml {
  if (status === 403 && what === 'index') {
    return layout(
      'Not public',
      html`<h1>The list of communities is not public</h1>
<p>This server does not list its communities. If someone gave you a link to a community, open that link.</p>`,
      { ...opts, showIndex: false },
    );
  }
  if (what === 'room') {
    return layout(
      'Community not found',
      html`<h1>Community not found</h1>
<p>There is no public community at this address. Check the link you were given.</p>
${opts.showIndex ? html`<p><a href="/">See the communities on this server</a>.</p>` : ''}`,
      opts,
    );
  }
  return layout(
    status === 403 ? 'Forbidden' : 'Not found',
    html`<h1>${status === 403 ? 'Forbidden' : 'Page not found'}</h1>
<p>There is nothing to see at this address.</p>
${opts.showIndex ? html`<p><a href="/">See the communities on this server</a>.</p>` : ''}`,
    opts,
  );
}

function formatTime(unixSeconds: number): { iso: string; text: string } {
  const d = new Date(Math.round(unixSeconds * 1000));
  if (Number.isNaN(d.getTime())) return { iso: '', text: '' };
  const iso = d.toISOString();
  return { iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` };
}

function formatSize(n: number): string {
  if (n < 1024) return plural(n, 'byte', 'bytes');
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function shortId(sessionId: string): string {
  return sessionId.length > 12 ? `${sessionId.slice(0, 6)}…${sessionId.slice(-4)}` : sessionId;
}

function attachmentLine(a: AttachmentView): SafeHtml {
  const kind = a.contentType?.split('/')[0];
  const noun = kind === 'image' ? 'Image' : kind === 'video' ? 'Video' : kind === 'audio' ? 'Audio' : 'File';
  const details = [a.contentType, a.size !== null && a.size > 0 ? formatSize(a.size) : null].filter((x): x is string => !!x);
  return html`<li>${noun} attachment${a.fileName ? html`: ${userText(a.fileName, MAX_FILENAME_CHARS)}` : ''}${details.length ? html` <span class="isolate">(${details.join(', ')})</span>` : ''}, not shown here</li>`;
}

export function messageItem(m: MessageView): SafeHtml {
  const t = formatTime(m.posted);
  const name = m.displayName && m.displayName.trim() !== '' ? m.displayName : null;
  const body = m.body !== null && m.body !== '' ? truncate(m.body, MAX_BODY_CHARS) : null;
  return html`<li id="m${m.id}">
<p class="meta">${name ? userText(name, MAX_NAME_CHARS, 'name') : html`<span class="name">Anonymous</span>`} <span class="sid" title="Session ID ${m.sessionId}">${shortId(m.sessionId)}</span> <time datetime="${t.iso}">${t.text}</time>${m.edited ? html` <span>(edited)</span>` : ''}</p>
${body ? html`<p class="body" dir="auto">${body.text}</p>` : ''}
${body?.truncated ? html`<p class="note">Message shortened; read it in full in Session.</p>` : ''}
${m.attachments.length ? html`<ul class="attachments">${m.attachments.map(attachmentLine)}</ul>` : ''}
</li>
`;
}

export function roomPage(d: RoomPageData, opts: PageOptions): SafeHtml {
  const r = d.room;
  let messages: SafeHtml;
  if (d.messages === null) {
    messages =
      d.messagesHiddenReason === 'private'
        ? html`<h2 id="recent">Messages</h2>
<p>Messages in this community are visible to members only.</p>`
        : html``;
  } else if (d.messages.length === 0) {
    messages = html`<h2 id="recent">Recent messages</h2>
<p>No messages yet. Be the first to say hello!</p>`;
  } else {
    messages = html`<h2 id="recent">Recent messages</h2>
<p class="muted">The latest ${plural(d.messages.length, 'message', 'messages')}, oldest first. Times are UTC.</p>
<ol class="messages" aria-labelledby="recent">
${d.messages.map(messageItem)}</ol>`;
  }
  return layout(
    r.name,
    html`<div class="room-head">
${r.imageUrl ? html`<img src="${r.imageUrl}" alt="" width="72" height="72">` : ''}
<div>
<h1>${userText(r.name, MAX_ROOM_NAME_CHARS)}</h1>
<p class="muted">A Session community · ${activeLine(r)}</p>
</div>
</div>
${r.description ? html`<p class="description" dir="auto">${truncate(r.description, MAX_DESCRIPTION_CHARS).text}</p>` : ''}
<section aria-labelledby="join">
<h2 id="join">Join this community</h2>
<div class="card">
<p id="join-label">Join link:</p>
<code id="join-url" class="join-url">${d.joinUrl}</code>
<button type="button" class="copy" id="copy-button" data-copy-target="join-url" data-copy-status="copy-status" hidden>Copy link</button>
<p id="copy-status" class="copy-status" role="status" aria-live="polite"></p>
<figure class="qr">
<img src="${d.qrUrl}" width="256" height="256" alt="QR code of the join link">
<figcaption>Scan this QR code with Session to join.</figcaption>
</figure>
</div>
<h3>How to join from Session</h3>
<ol class="steps">
<li>Install Session on your phone or computer if you do not have it yet.</li>
<li>In Session, tap <strong>+</strong> (New Conversation) and choose <strong>Join Community</strong>.</li>
<li>Scan the QR code above, or paste the join link, and tap <strong>Join</strong>.</li>
</ol>
</section>
${messages}`,
    { ...opts, script: true },
  );
}
