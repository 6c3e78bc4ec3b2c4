// The audit log with filters (room, actor, action, target). A room moderator sees the entries of
// the rooms they moderate; global moderators and admins see everything, global entries too.
import { moderatedRooms } from '../../domain/console-access';
import { forbidden } from '../../domain/errors';
import { html } from '../html';
import type { ConsoleHandler } from './context';
import { page } from './http';
import { consolePage, time } from './layout';

/** Entries the audit page shows. */
export const AUDIT_PAGE_ENTRIES = 200;

function filter(k: Parameters<ConsoleHandler>[0], name: string): string | undefined {
  const v = (k.c.query.get(name) ?? '').trim();
  return v === '' ? undefined : v.slice(0, 100);
}

export const auditPage: ConsoleHandler = async (k) => {
  const q = { roomToken: filter(k, 'room'), actor: filter(k, 'actor'), action: filter(k, 'action'), target: filter(k, 'target') };
  const global = k.user.moderator || k.user.admin;
  let mine: Set<string> | null = null;
  if (!global) {
    mine = new Set((await moderatedRooms(k.s, k.user)).map((a) => a.room.token.toLowerCase()));
    if (q.roomToken !== undefined && !mine.has(q.roomToken.toLowerCase())) throw forbidden('You do not moderate this room');
  }
  // A room moderator's unfiltered view is the newest entries of their rooms among a wider read.
  const read = await k.s.store.auditLog({ ...q, limit: mine && q.roomToken === undefined ? AUDIT_PAGE_ENTRIES * 5 : AUDIT_PAGE_ENTRIES });
  const entries = (mine ? read.filter((e) => e.roomToken !== null && mine.has(e.roomToken.toLowerCase())) : read).slice(0, AUDIT_PAGE_ENTRIES);
  const base = k.s.config.consolePath;
  const field = (name: string, label: string, value: string | undefined) => html`<label>${label}<input type="text" name="${name}" value="${value ?? ''}"></label>`;
  const rows = entries.map(
    (e) => html`<tr><td>${time(e.at)}</td><td>${e.actor !== null ? html`<a class="id" href="${base}user/${e.actor}">${e.actor.slice(0, 12)}…</a>` : '(scheduled)'}</td><td><code>${e.action}</code></td>
<td>${e.roomToken ?? 'global'}</td><td>${e.target !== null ? html`<a class="id" href="${base}user/${e.target}">${e.target.slice(0, 12)}…</a>` : ''}</td><td><code>${Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</code></td></tr>`,
  );
  return page(
    200,
    consolePage(
      k,
      'Audit log',
      html`<h1>Audit log</h1>
<form class="row" method="get" action="${base}audit">${field('room', 'Room', q.roomToken)}${field('actor', 'Actor', q.actor)}${field('action', 'Action', q.action)}${field('target', 'Target', q.target)}<button type="submit">Filter</button></form>
${entries.length === 0 ? html`<p class="muted">No entries.</p>` : html`<table class="audit"><thead><tr><th>Time (UTC)</th><th>Actor</th><th>Action</th><th>Room</th><th>Target</th><th>Details</th></tr></thead><tbody>${rows}</tbody></table>`}`,
    ),
  );
};
