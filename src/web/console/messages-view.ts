// Posts as moderators review them: the text and attachments decoded from the Session protobuf,
// the author, the time, and what is special about the post (held in raid mode, filtered, whisper,
// pinned), with the actions the viewer may take on it. A held post is stored filtered as well; it
// is marked held, since a moderator can still release it (raids-page.ts).
import { decodeSessionMessage } from '../../domain/protobuf';
import type { Permissions } from '../../domain/permissions';
import type { Message, Room } from '../../store/types';
import { html, truncate, type SafeHtml } from '../html';
import type { ConsoleCtx } from './context';
import { csrfField, time } from './layout';

/** Longest post text shown (code points). */
const MAX_TEXT = 1500;

export interface PostRow {
  message: Message;
  room: Room;
  perms: Permissions;
  pinned: boolean;
}

export function postContent(m: Message): SafeHtml {
  const d = m.data === null ? null : decodeSessionMessage(m.data);
  if (!d) return html`<span class="muted">(not a readable Session message)</span>`;
  const body = d.body !== null && d.body !== '' ? html`<div class="body" dir="auto">${truncate(d.body, MAX_TEXT).text}</div>` : '';
  const atts = d.attachments.map((a) => html`<div class="muted">📎 <bdi>${a.fileName ?? 'attachment'}</bdi> ${a.contentType ?? ''}${a.size !== null ? ` · ${a.size} bytes` : ''}</div>`);
  return html`${d.displayName !== null ? html`<div><strong><bdi>${d.displayName}</bdi></strong></div>` : ''}${body}${atts}`;
}

function tags(r: PostRow): SafeHtml {
  const m = r.message;
  const mark = m.held ? html`<span class="tag held">held</span> ` : m.filtered ? html`<span class="tag filtered">filtered</span> ` : '';
  return html`${mark}${m.whisperMods || m.whisperTo !== null ? html`<span class="tag whisper">whisper</span> ` : ''}${r.pinned ? html`<span class="tag">pinned</span> ` : ''}${m.edited !== null ? html`<span class="tag">edited</span>` : ''}`;
}

function actions(k: ConsoleCtx, r: PostRow, back: string): SafeHtml {
  const base = `${k.s.config.consolePath}room/${r.room.token}/`;
  const m = r.message;
  const hidden = html`${csrfField(k)}<input type="hidden" name="back" value="${back}">`;
  const del = m.held
    ? html`<form class="inline" method="post" action="${base}held">${hidden}<input type="hidden" name="ids" value="${m.id}"><button name="action" value="release" type="submit">Release</button> <button class="danger" name="action" value="drop" type="submit">Drop</button></form> `
    : m.filtered ? '' : html`<form class="inline" method="post" action="${base}delete">${hidden}<input type="hidden" name="id" value="${m.id}"><button class="danger" type="submit">Delete</button></form> `;
  const pin = r.perms.admin && !m.filtered
    ? html`<form class="inline" method="post" action="${base}pin">${hidden}<input type="hidden" name="id" value="${m.id}">${r.pinned ? html`<input type="hidden" name="unpin" value="1"><button type="submit">Unpin</button>` : html`<button type="submit">Pin</button>`}</form> `
    : '';
  const who = html`<input type="hidden" name="user" value="${m.sessionId}">`;
  const ban = html`<form class="inline" method="post" action="${base}ban">${hidden}${who}<input type="number" name="minutes" min="0" step="any" placeholder="minutes" aria-label="ban length in minutes (empty: permanent)"><button class="danger" type="submit">Ban</button></form> `;
  const all = html`<form class="inline" method="post" action="${base}delete-all">${hidden}${who}<button class="danger" type="submit">Delete all from user</button></form>`;
  return html`${del}${pin}${ban}${all}`;
}

/** A table of posts; `showRoom` adds the room column (the user page). */
export function postsTable(k: ConsoleCtx, rows: PostRow[], back: string, showRoom: boolean): SafeHtml {
  if (rows.length === 0) return html`<p class="muted">No posts.</p>`;
  const base = k.s.config.consolePath;
  const trs = rows.map(
    (r) => html`<tr class="${r.message.held ? 'held' : r.message.filtered ? 'filtered' : ''}" data-id="${r.message.id}">
<td class="num">${r.message.id}</td>
${showRoom ? html`<td><a href="${base}room/${r.room.token}">${r.room.token}</a></td>` : ''}
<td>${time(r.message.posted)}</td>
<td><a class="id" href="${base}user/${r.message.sessionId}">${r.message.sessionId.slice(0, 12)}…</a></td>
<td>${tags(r)}${postContent(r.message)}</td>
<td>${actions(k, r, back)}</td>
</tr>`,
  );
  return html`<table class="posts"><thead><tr><th>#</th>${showRoom ? html`<th>Room</th>` : ''}<th>Time (UTC)</th><th>Author</th><th>Post</th><th>Actions</th></tr></thead><tbody>${trs}</tbody></table>`;
}
