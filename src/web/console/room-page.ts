// A room as its moderators see it: recent posts (filtered ones and whispers too) with the
// moderation actions, and the room's bans.
import { html } from '../html';
import type { ConsoleHandler } from './context';
import { page } from './http';
import { consolePage, csrfField, time } from './layout';
import { postsTable } from './messages-view';
import { moderatedRoom } from './moderate';

/** Posts a room page shows. */
export const ROOM_PAGE_POSTS = 100;

export const roomPage: ConsoleHandler = async (k) => {
  const { room, perms } = await moderatedRoom(k);
  const [messages, info, bans] = await Promise.all([k.s.store.moderationMessages(room.id, ROOM_PAGE_POSTS), k.s.roomInfo.get(k.s, room), k.s.store.listBans(room.id)]);
  const pinned = new Set(info.pinned.map((p) => p.id));
  const base = k.s.config.consolePath;
  const back = `${base}room/${room.token}`;
  const rows = messages.map((message) => ({ message, room, perms, pinned: pinned.has(message.id) }));
  const banRows = bans.map(
    (b) => html`<tr><td><a class="id" href="${base}user/${b.sessionId}">${b.sessionId}</a></td><td>${b.unbanAt === null ? "permanent" : `until ${time(b.unbanAt)}`}</td>
<td><form class="inline" method="post" action="${back}/unban">${csrfField(k)}<input type="hidden" name="back" value="${back}"><input type="hidden" name="user" value="${b.sessionId}"><button type="submit">Unban</button></form></td></tr>`,
  );
  return page(
    200,
    consolePage(
      k,
      room.name,
      html`<h1><bdi>${room.name}</bdi> <code>${room.token}</code></h1>
<p class="muted">${room.activeUsers} active users · you are ${perms.admin ? 'an admin' : 'a moderator'} here${perms.admin ? html` · <a href="${back}/settings">Room settings</a>` : ''} · <a href="${base}audit?room=${room.token}">Audit log</a></p>
<h2>Recent posts</h2>
${postsTable(k, rows, back, false)}
<h2>Bans</h2>
${bans.length === 0 ? html`<p class="muted">Nobody is banned here.</p>` : html`<table><thead><tr><th>User</th><th>Ban</th><th></th></tr></thead><tbody>${banRows}</tbody></table>`}
<form class="row" method="post" action="${back}/ban">${csrfField(k)}<input type="hidden" name="back" value="${back}">
<label>Ban a Session id<input type="text" name="user" size="70" required></label><label>Minutes (empty: permanent)<input type="number" name="minutes" min="0" step="any"></label><button class="danger" type="submit">Ban</button></form>`,
    ),
  );
};
