// The overview: the rooms the signed-in moderator moderates (every room for a global one) with
// posts per day over the last two weeks, active users, a room in raid mode or with held posts
// marked (linking to its raid page), and the server's new accounts.
import { moderatedRooms } from '../../domain/console-access';
import { html } from '../html';
import { barChart } from './chart';
import type { ConsoleHandler } from './context';
import { csrfField, consolePage } from './layout';
import { page } from './http';

/** Days the overview's charts cover. */
export const OVERVIEW_DAYS = 14;

export const overview: ConsoleHandler = async (k) => {
  const now = k.s.clock.now();
  const today = Math.floor(now / 86400);
  const since = (today - OVERVIEW_DAYS + 1) * 86400;
  const [rooms, daily, newUsers] = await Promise.all([moderatedRooms(k.s, k.user), k.s.store.dailyPosts(since), k.s.store.newUsersSince(now - 86400 * 7)]);
  const base = k.s.config.consolePath;
  const raids = await Promise.all(rooms.map(async ({ room }) => ({ limits: await k.s.store.roomLimits(room.id), held: await k.s.store.countHeld(room.id) })));
  const cards = rooms.map(({ room, perms }, i) => {
    const { limits, held } = raids[i]!;
    const raid = limits.raidSince !== null || held > 0
      ? html`<p class="raid"><a href="${base}room/${room.token}/raid">${limits.raidSince !== null ? html`<span class="tag held">raid mode</span> ` : ''}${held} held posts</a></p>`
      : '';
    const perDay = Array.from({ length: OVERVIEW_DAYS }, (_, i) => daily.find((d) => d.roomId === room.id && d.day === today - OVERVIEW_DAYS + 1 + i)?.posts ?? 0);
    const total = perDay.reduce((a, b) => a + b, 0);
    return html`<section class="card" data-room="${room.token}">
<h2><a href="${base}room/${room.token}"><bdi>${room.name}</bdi></a> <code>${room.token}</code></h2>
${barChart(perDay, `Posts per day in ${room.token}, last ${OVERVIEW_DAYS} days`)}
${raid}<p><span class="posts-today">${perDay[perDay.length - 1]!}</span> posts today, ${total} in ${OVERVIEW_DAYS} days · ${room.activeUsers} active users (${k.s.config.activeThresholdDays} days)</p>
<p>${perms.admin ? html`<a href="${base}room/${room.token}/settings">Settings</a> · ` : ''}<a href="${base}audit?room=${room.token}">Audit log</a></p>
</section>`;
  });
  const create = k.user.admin
    ? html`<h2>Create a room</h2>
<form class="row" method="post" action="${base}rooms">${csrfField(k)}
<label>Token<input type="text" name="token" required maxlength="64"></label>
<label>Name<input type="text" name="name" required></label>
<label>Description<input type="text" name="description"></label>
<button type="submit">Create</button></form>`
    : '';
  const find = html`<form class="row" method="get" action="${base}user"><label>Find a user by Session id<input type="text" name="id" size="70" required></label><button type="submit">Open</button></form>`;
  return page(
    200,
    consolePage(
      k,
      'Overview',
      html`<h1>Overview</h1>
<p>${rooms.length} rooms you moderate · <span id="new-accounts">${newUsers}</span> new accounts on the server in the last 7 days.</p>
<div class="cards">${cards}</div>
${find}
${create}`,
    ),
  );
};
