// Raid defences in the console: every room the signed-in user moderates with its raid state and a
// lockdown switch (raids), and per room (room/:room/raid) the held-posts queue with bulk release
// and drop, and the cleanup of an account window previewed (a dry run) before it is confirmed.
// Every action is the API's domain rule run as the signed-in user (domain/raids.ts: permission
// checks and audit entries included); a global ban stays with global moderators.
import { moderatedRooms } from '../../domain/console-access';
import { badRequest } from '../../domain/errors';
import { cleanupRaidAccounts, dropHeldPosts, listHeldPosts, raidStatus, releaseHeldPosts, switchRaidMode, type CleanupRequest, type RaidStatus } from '../../domain/raids';
import type { Room } from '../../store/types';
import { html, type SafeHtml } from '../html';
import type { ConsoleCtx, ConsoleHandler } from './context';
import { page } from './http';
import { consolePage, csrfField, time } from './layout';
import { postContent } from './messages-view';
import { back, moderatedRoom } from './moderate';

/** Held posts a room's raid page lists (oldest first); "release all" and "drop all" cover every one. */
export const RAID_PAGE_HELD = 200;

/** Held post ids a form may name at once (as the API's list). */
const MAX_IDS = 10_000;

function stateText(st: RaidStatus): SafeHtml {
  if (st.since === null) return html`<span class="raid-state">off</span>`;
  return html`<span class="raid-state"><strong>raid mode</strong> since ${time(st.since)} UTC (${st.automatic ? 'automatic: ends by itself when quiet' : 'manual lockdown'})</span>`;
}

/** Lock down (off), end raid mode (on); an automatic raid mode may also be kept as a lockdown, which does not end by itself. */
function lockdownForm(k: ConsoleCtx, room: Room, st: RaidStatus, backTo: string): SafeHtml {
  const form = (on: boolean, label: string, cls: string): SafeHtml =>
    html`<form class="inline lockdown" method="post" action="${k.s.config.consolePath}room/${room.token}/raid/mode">${csrfField(k)}<input type="hidden" name="back" value="${backTo}"><input type="hidden" name="on" value="${on ? '1' : '0'}"><button class="${cls}" type="submit">${label}</button></form>`;
  if (st.since === null) return form(true, 'Lock down', 'danger');
  return html`${st.automatic ? html`${form(true, 'Keep locked down', 'danger')} ` : ''}${form(false, 'End raid mode', '')}`;
}

export const raidsPage: ConsoleHandler = async (k) => {
  const base = k.s.config.consolePath;
  const rows: SafeHtml[] = [];
  for (const { room } of await moderatedRooms(k.s, k.user)) {
    const st = await raidStatus(k.s, k.user, room);
    rows.push(html`<tr data-room="${room.token}" class="${st.since !== null ? 'held' : ''}"><td><a href="${base}room/${room.token}/raid">${room.token}</a></td><td>${stateText(st)}</td><td class="num held-count">${st.held}</td>
<td class="num">${st.recentNewcomers} / ${st.threshold}</td><td>${lockdownForm(k, room, st, `${base}raids`)} <a href="${base}room/${room.token}/raid">Held posts and cleanup</a></td></tr>`);
  }
  return page(
    200,
    consolePage(
      k,
      'Raids',
      html`<h1>Raids</h1>
<p class="muted">In raid mode the posts of accounts first seen less than ${k.s.config.raidAccountAge} minutes before it began, or later, are held for moderators: their posters see them accepted, members see nothing until you release them. ${k.s.config.raidDetect ? 'The server enters raid mode by itself when more new accounts post within a minute than the threshold, and leaves it after ' + String(k.s.config.raidQuietMinutes) + ' quiet minutes; a lockdown lasts until you end it.' : 'Automatic detection is off (raidDetect); a lockdown lasts until you end it.'} Held posts left alone go after ${k.s.config.raidHeldDays} days.</p>
${rows.length === 0 ? html`<p class="muted">No rooms.</p>` : html`<table class="raids"><thead><tr><th>Room</th><th>State</th><th>Held posts</th><th>New accounts posting in the last minute / threshold</th><th></th></tr></thead><tbody>${rows}</tbody></table>`}`,
    ),
  );
};

/** A unix time as a datetime-local value (UTC, as every console time). */
function localValue(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 16);
}

export const roomRaidPage: ConsoleHandler = async (k) => {
  const { room } = await moderatedRoom(k);
  const [st, held] = await Promise.all([raidStatus(k.s, k.user, room), listHeldPosts(k.s, k.user, room, RAID_PAGE_HELD)]);
  const base = k.s.config.consolePath;
  const self = `${base}room/${room.token}/raid`;
  const hidden = html`${csrfField(k)}<input type="hidden" name="back" value="${self}">`;
  const heldRows = held.map(
    (m) => html`<tr class="held" data-id="${m.id}"><td><input type="checkbox" name="ids" value="${m.id}" form="held" aria-label="select post ${m.id}"></td><td class="num">${m.id}</td><td>${time(m.posted)}</td>
<td><a class="id" href="${base}user/${m.sessionId}">${m.sessionId.slice(0, 12)}…</a></td><td>${m.heldFrom ? html`<span class="tag">taken back from #${m.heldFrom}</span> ` : ''}${postContent(m)}</td></tr>`,
  );
  const queue = held.length === 0
    ? html`<p class="muted">No held posts.</p>`
    : html`<form id="held" method="post" action="${base}room/${room.token}/held">${hidden}</form>
<p class="row"><button form="held" name="action" value="release" type="submit">Release selected</button> <button form="held" class="danger" name="action" value="drop" type="submit">Drop selected</button></p>
<table class="posts"><thead><tr><th></th><th>#</th><th>Time (UTC)</th><th>Author</th><th>Post</th></tr></thead><tbody>${heldRows}</tbody></table>
${st.held > held.length ? html`<p class="muted">The oldest ${held.length} of ${st.held} are listed.</p>` : ''}
<form class="row" id="held-all" method="post" action="${base}room/${room.token}/held">${hidden}<input type="hidden" name="all" value="1"><button name="action" value="release" type="submit">Release all ${st.held}</button> <button class="danger" name="action" value="drop" type="submit">Drop all ${st.held}</button></form>`;
  const globalBan = k.user.moderator || k.user.admin;
  const from = st.since !== null ? st.since - k.s.config.raidAccountAge * 60 : k.s.clock.now() - 3600;
  return page(
    200,
    consolePage(
      k,
      `${room.token} raids`,
      html`<h1>Raid defences of <code>${room.token}</code></h1>
<dl class="facts"><dt>State</dt><dd>${stateText(st)}</dd><dt>Held posts</dt><dd id="held-count">${st.held}</dd><dt>New accounts posting in the last minute</dt><dd>${st.recentNewcomers} (a raid above ${st.threshold})</dd></dl>
<p>${lockdownForm(k, room, st, self)} <a href="${base}room/${room.token}">Room page</a> · <a href="${base}audit?room=${room.token}">Audit log</a></p>
<h2>Held posts</h2>
${queue}
<h2>Clean up a raid's accounts</h2>
<p class="muted">Bans the accounts first seen on this server in a time window that were seen in this room (moderators excepted) and deletes every post of theirs here, held or published. You see the counts before anything happens.</p>
<form class="stack" id="cleanup" method="post" action="${base}room/${room.token}/raid/cleanup">${csrfField(k)}
${st.since !== null ? html`<label class="check"><input type="radio" name="window" value="current" checked>The current raid: accounts first seen since ${time(from)} UTC</label>` : ''}
<label class="check"><input type="radio" name="window" value="range"${st.since === null ? html` checked` : ''}>Accounts first seen in this window (UTC):</label>
<label>From<input type="datetime-local" name="since" value="${localValue(from)}"></label>
<label>Until (empty: now)<input type="datetime-local" name="until"></label>
<label>Ban<select name="ban"><option value="room">in this room</option>${globalBan ? html`<option value="global">on the whole server</option>` : ''}<option value="none">nobody (only delete their posts)</option></select></label>
<button type="submit">Preview</button>
</form>`,
    ),
  );
};

export const raidModeAction: ConsoleHandler = async (k) => {
  const { room } = await moderatedRoom(k);
  const on = k.form.get('on');
  if (on !== '1' && on !== '0') throw badRequest('switch raid mode on or off');
  await switchRaidMode(k.s, k.user, room, on === '1');
  return back(k, on === '1' ? 'raid-on' : 'raid-off');
};

/** The form's held post ids (checkboxes `ids`), or 'all'. */
function heldIds(k: ConsoleCtx): number[] | 'all' {
  if (k.form.get('all') === '1') return 'all';
  const ids = k.form.getAll('ids');
  if (ids.length === 0) throw badRequest('choose at least one held post');
  if (ids.length > MAX_IDS || !ids.every((v) => /^\d{1,15}$/.test(v))) throw badRequest(`choose 1 to ${MAX_IDS} held posts`);
  return ids.map(Number);
}

export const heldAction: ConsoleHandler = async (k) => {
  const { room } = await moderatedRoom(k);
  const action = k.form.get('action');
  if (action !== 'release' && action !== 'drop') throw badRequest('release or drop?');
  const ids = heldIds(k);
  if (action === 'release') await releaseHeldPosts(k.s, k.user, room, ids);
  else await dropHeldPosts(k.s, k.user, room, ids);
  return back(k, action === 'release' ? 'released' : 'dropped');
};

/** A datetime-local value read as UTC, in unix seconds; undefined when empty. */
function utcField(k: ConsoleCtx, name: string): number | undefined {
  const v = (k.form.get(name) ?? '').trim();
  if (v === '') return undefined;
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(v) ? Date.parse(v + 'Z') : NaN;
  if (!Number.isFinite(t)) throw badRequest(`'${name}' must be a date and time (UTC)`);
  return t / 1000;
}

/** A resolved window carried from the preview to the confirmation: unix seconds. */
function secondsField(k: ConsoleCtx, name: string): number {
  const v = Number(k.form.get(name) ?? '');
  if (!Number.isFinite(v) || v < 0) throw badRequest(`'${name}' must be a unix time`);
  return v;
}

function banOf(k: ConsoleCtx): CleanupRequest['ban'] {
  const ban = k.form.get('ban') ?? 'room';
  if (ban !== 'room' && ban !== 'global' && ban !== 'none') throw badRequest('ban in the room, globally or nobody');
  return ban === 'none' ? null : ban;
}

const banText = (ban: CleanupRequest['ban']): string => (ban === null ? 'banned nowhere' : ban === 'global' ? 'banned on the whole server' : 'banned in this room');

/**
 * The cleanup form: without `confirm` a dry run whose page shows the counts and a confirmation
 * carrying the window it resolved to (so what runs is what was previewed); with it, the cleanup.
 */
export const cleanupAction: ConsoleHandler = async (k) => {
  const { room } = await moderatedRoom(k);
  const ban = banOf(k);
  const base = k.s.config.consolePath;
  const self = `${base}room/${room.token}/raid`;
  if (k.form.get('confirm') === '1') {
    const r = await cleanupRaidAccounts(k.s, k.user, room, { window: { since: secondsField(k, 'since_ts'), until: secondsField(k, 'until_ts') }, ban, dryRun: false });
    return page(
      200,
      consolePage(k, 'Cleanup done', html`<h1>Cleanup done</h1>
<p class="notice" role="status" id="cleanup-result"><span class="accounts">${r.accounts}</span> accounts ${banText(ban)}; <span class="posts">${r.posts}</span> published and <span class="held">${r.held}</span> held posts deleted.</p>
<p><a href="${self}">Back to the raid page of ${room.token}</a></p>`),
    );
  }
  let window: CleanupRequest['window'];
  if (k.form.get('window') === 'current') window = 'current';
  else {
    const since = utcField(k, 'since');
    if (since === undefined) throw badRequest('give the start of the window');
    window = { since, until: utcField(k, 'until') ?? k.s.clock.now() + 1 };
  }
  const r = await cleanupRaidAccounts(k.s, k.user, room, { window, ban, dryRun: true });
  return page(
    200,
    consolePage(k, 'Confirm cleanup', html`<h1>Clean up <code>${room.token}</code>?</h1>
<p id="cleanup-preview">Accounts first seen from ${time(r.since)} to ${time(r.until)} UTC and seen in this room: <strong class="accounts">${r.accounts}</strong>, to be ${banText(ban)}. Their posts to delete: <strong class="posts">${r.posts}</strong> published, <strong class="held">${r.held}</strong> held.</p>
<form class="row" id="cleanup-confirm" method="post" action="${base}room/${room.token}/raid/cleanup">${csrfField(k)}<input type="hidden" name="confirm" value="1"><input type="hidden" name="since_ts" value="${r.since}"><input type="hidden" name="until_ts" value="${r.until}"><input type="hidden" name="ban" value="${ban ?? 'none'}">
<button class="danger" type="submit">Clean up now</button> <a href="${self}">Cancel</a></form>`),
  );
};
