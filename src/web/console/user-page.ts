// A user as the signed-in moderator may see them: their posts in the rooms the moderator
// moderates, when they were first and last seen, their bans and permissions there, and the same
// actions as the room page (ban, timed ban, unban, delete all) over a chosen room, every room, or
// globally for global moderators.
import { moderatedRooms } from '../../domain/console-access';
import { badRequest, notFound } from '../../domain/errors';
import { findTargetUser } from '../../domain/users';
import { html } from '../html';
import type { ConsoleHandler } from './context';
import { page, redirect } from './http';
import { consolePage, csrfField, time } from './layout';
import { postsTable } from './messages-view';

/** Posts a user page shows. */
export const USER_PAGE_POSTS = 100;

/** GET user?id=…: the find form on the overview. */
export const findUser: ConsoleHandler = async (k) => {
  const id = (k.c.query.get('id') ?? '').trim();
  if (!/^[01]5[0-9a-fA-F]{64}$/.test(id)) throw badRequest('a Session id is 05 or 15 and 64 hex digits');
  return redirect(`${k.s.config.consolePath}user/${id.toLowerCase()}`);
};

function yesNo(v: boolean | null): string {
  return v === null ? 'room default' : v ? 'allowed' : 'denied';
}

export const userPage: ConsoleHandler = async (k) => {
  const who = await findTargetUser(k.s, k.c.params['id']!);
  if (!who) throw notFound('This server has never seen that user');
  const mine = await moderatedRooms(k.s, k.user);
  const byId = new Map(mine.map((a) => [a.room.id, a]));
  const [messages, overrides, bans] = await Promise.all([k.s.store.userMessages(who.id, USER_PAGE_POSTS * 4), k.s.store.userOverrides(who.id), k.s.store.listBans()]);
  const rows = messages
    .filter((m) => byId.has(m.roomId))
    .slice(0, USER_PAGE_POSTS)
    .map((message) => ({ message, ...byId.get(message.roomId)!, pinned: false }));
  const base = k.s.config.consolePath;
  const back = `${base}user/${who.sessionId}`;
  const theirBans = bans.filter((b) => b.sessionId === who.sessionId && (b.roomToken === null || mine.some((a) => a.room.token === b.roomToken)));
  const perms = mine
    .filter((a) => overrides.has(a.room.id))
    .map(({ room }) => {
      const o = overrides.get(room.id)!;
      const role = o.admin ? 'admin' : o.moderator ? 'moderator' : '';
      return html`<tr><td><a href="${base}room/${room.token}">${room.token}</a></td><td>${role}${role && !o.visibleMod ? ' (hidden)' : ''}</td><td>${o.banned ? 'banned' : ''}</td><td>${yesNo(o.read)}</td><td>${yesNo(o.write)}</td><td>${yesNo(o.upload)}</td></tr>`;
    });
  const scopes = html`<select name="scope" aria-label="where">${mine.map(({ room }) => html`<option value="${room.token}">${room.token}</option>`)}<option value="*">every room I moderate</option>${k.user.moderator || k.user.admin ? html`<option value="+">global</option>` : ''}</select>`;
  const hidden = html`${csrfField(k)}<input type="hidden" name="back" value="${back}"><input type="hidden" name="user" value="${who.sessionId}">`;
  const globalRole = who.admin ? 'global admin' : who.moderator ? 'global moderator' : 'none';
  return page(
    200,
    consolePage(
      k,
      'User',
      html`<h1>User <code>${who.sessionId}</code></h1>
<dl class="facts"><dt>First seen</dt><dd>${time(who.created)} UTC</dd><dt>Last active</dt><dd>${time(who.lastActive)} UTC</dd><dt>Global role</dt><dd>${globalRole}${(who.moderator || who.admin) && !who.visibleMod ? ' (hidden)' : ''}</dd><dt>Globally banned</dt><dd>${who.banned ? 'yes' : 'no'}</dd></dl>
<h2>Actions</h2>
<form class="row" id="user-ban" method="post" action="${base}user/${who.sessionId}/ban">${hidden}<label>Where${scopes}</label><label>Minutes (empty: permanent)<input type="number" name="minutes" min="0" step="any"></label><button class="danger" type="submit">Ban</button></form>
<form class="row" id="user-unban" method="post" action="${base}user/${who.sessionId}/unban">${hidden}<label>Where${scopes}</label><button type="submit">Unban</button></form>
<form class="row" id="user-delete-all" method="post" action="${base}user/${who.sessionId}/delete-all">${hidden}<label>Where${scopes}</label><button class="danger" type="submit">Delete all their posts</button></form>
<h2>Bans</h2>
${theirBans.length === 0 ? html`<p class="muted">No bans you can see.</p>` : html`<ul>${theirBans.map((b) => html`<li>${b.roomToken ?? 'global'}: ${b.unbanAt === null ? 'permanent' : `until ${time(b.unbanAt)} UTC`}</li>`)}</ul>`}
<h2>Permissions</h2>
${perms.length === 0 ? html`<p class="muted">No per-room permissions in your rooms: room defaults apply.</p>` : html`<table><thead><tr><th>Room</th><th>Role</th><th>Ban</th><th>Read</th><th>Write</th><th>Upload</th></tr></thead><tbody>${perms}</tbody></table>`}
<h2>Posts</h2>
${postsTable(k, rows, back, true)}`,
    ),
  );
};
