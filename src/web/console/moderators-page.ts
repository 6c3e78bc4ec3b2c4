// Moderators and permissions: who moderates what (visible or hidden), appointing and removing,
// per-user permission overrides and scheduled changes in the rooms the signed-in user moderates,
// and room default permissions (room admins).
import { moderatedRooms } from '../../domain/console-access';
import { badRequest, forbidden } from '../../domain/errors';
import { changeRole, resolveScope, scheduleUserPermissions, setRoomDefaults, setUserPermissions } from '../../domain/moderation';
import { allows } from '../../domain/permissions';
import { resolveTargetUser } from '../../domain/users';
import type { FuturePerms, PermissionChange } from '../../store/types';
import { html, type SafeHtml } from '../html';
import type { ConsoleCtx, ConsoleHandler } from './context';
import { page, redirect } from './http';
import { consolePage, csrfField, time } from './layout';
import { moderatedRoom } from './moderate';

const FLAGS = ['read', 'write', 'upload'] as const;

function tri(v: boolean | null): string {
  return v === null ? '–' : v ? 'yes' : 'no';
}

function choice(name: string): SafeHtml {
  return html`<label>${name}<select name="${name}"><option value="">unchanged</option><option value="allow">allow</option><option value="deny">deny</option><option value="default">room default</option></select></label>`;
}

export const moderatorsPage: ConsoleHandler = async (k) => {
  const base = k.s.config.consolePath;
  const rooms = await moderatedRooms(k.s, k.user);
  const globals = await k.s.store.listGlobalModerators();
  const sections: SafeHtml[] = [];
  for (const { room, perms } of rooms) {
    const [mods, overrides, futures] = await Promise.all([k.s.store.roomModerators(room.id), k.s.store.listOverrides(room.id), k.s.store.futurePermissions(room.id)]);
    const modRows = mods.map((m) => html`<li><a class="id" href="${base}user/${m.sessionId}">${m.sessionId}</a> ${m.admin ? 'admin' : 'moderator'}${m.visible ? '' : ' (hidden)'}</li>`);
    const ovRows = overrides
      .filter((o) => o.override.read !== null || o.override.write !== null || o.override.upload !== null || o.override.accessible !== null)
      .map((o) => html`<tr><td><a class="id" href="${base}user/${o.sessionId}">${o.sessionId.slice(0, 12)}…</a></td><td>${tri(o.override.read)}</td><td>${tri(o.override.write)}</td><td>${tri(o.override.upload)}</td></tr>`);
    const futRows = futures.map((f) => html`<tr><td><a class="id" href="${base}user/${f.sessionId}">${f.sessionId.slice(0, 12)}…</a></td><td>${time(f.at)}</td><td>${tri(f.read)}</td><td>${tri(f.write)}</td><td>${tri(f.upload)}</td><td>${f.banned === null ? '' : f.banned ? 'ban' : 'unban'}</td></tr>`);
    const defaults = perms.admin
      ? html`<form class="row" method="post" action="${base}room/${room.token}/defaults">${csrfField(k)}
${(['read', 'accessible', 'write', 'upload'] as const).map((f) => html`<label class="check"><input type="checkbox" name="${f}" value="1"${room[f] ? html` checked` : ''}>${f}</label>`)}
<button type="submit">Save defaults</button></form>`
      : html`<p>Defaults: ${FLAGS.map((f) => `${f} ${room[f] ? 'yes' : 'no'}`).join(', ')}</p>`;
    sections.push(html`<section class="card" data-room="${room.token}"><h2><a href="${base}room/${room.token}">${room.token}</a></h2>
<h3>Moderators</h3>${modRows.length ? html`<ul>${modRows}</ul>` : html`<p class="muted">Only global moderators.</p>`}
<h3>Room defaults</h3>${defaults}
<h3>Per-user permissions</h3>${ovRows.length ? html`<table><thead><tr><th>User</th><th>Read</th><th>Write</th><th>Upload</th></tr></thead><tbody>${ovRows}</tbody></table>` : html`<p class="muted">None.</p>`}
<h3>Scheduled changes</h3>${futRows.length ? html`<table><thead><tr><th>User</th><th>At (UTC)</th><th>Read</th><th>Write</th><th>Upload</th><th>Ban</th></tr></thead><tbody>${futRows}</tbody></table>` : html`<p class="muted">None.</p>`}
</section>`);
  }
  const roomOptions = rooms.filter((a) => allows(a.perms, 'admin')).map(({ room }) => html`<option value="${room.token}">${room.token}</option>`);
  const modOptions = rooms.map(({ room }) => html`<option value="${room.token}">${room.token}</option>`);
  return page(
    200,
    consolePage(
      k,
      'Moderators',
      html`<h1>Moderators and permissions</h1>
<h2>Global moderators and admins</h2>
<ul>${globals.map((u) => html`<li><a class="id" href="${base}user/${u.sessionId}">${u.sessionId}</a> ${u.admin ? 'admin' : 'moderator'}${u.visibleMod ? '' : ' (hidden)'}</li>`)}</ul>
${roomOptions.length || k.user.admin
  ? html`<h2>Appoint or remove</h2>
<form class="row" id="appoint" method="post" action="${base}moderators/role">${csrfField(k)}
<label>Session id<input type="text" name="user" size="70" required></label>
<label>Where<select name="scope">${roomOptions}${k.user.admin ? html`<option value="+">global</option>` : ''}</select></label>
<label>Role<select name="role"><option value="moderator">moderator</option><option value="admin">admin</option><option value="remove">remove</option></select></label>
<label class="check"><input type="checkbox" name="hidden" value="1">hidden</label>
<button type="submit">Apply</button></form>`
  : ''}
<h2>Set a user's permissions</h2>
<form class="row" id="permissions" method="post" action="${base}moderators/permissions">${csrfField(k)}
<label>Session id<input type="text" name="user" size="70" required></label>
<label>Room<select name="room">${modOptions}</select></label>
${FLAGS.map(choice)}
<label>In minutes (empty: now)<input type="number" name="minutes" min="0" step="any"></label>
<button type="submit">Apply</button></form>
<div class="cards">${sections}</div>`,
    ),
  );
};

export const changeRoleAction: ConsoleHandler = async (k) => {
  const token = (k.form.get('scope') ?? '').trim();
  const scope = await resolveScope(k.s, k.user, token === '+' ? { global: true } : { rooms: [token] }, 'admin');
  const role = k.form.get('role');
  const visible = k.form.get('hidden') === '1' ? false : token === '+' ? null : true;
  const req =
    role === 'remove' ? { moderator: false, admin: null, visible: null } : role === 'admin' ? { moderator: true, admin: true, visible } : role === 'moderator' ? { moderator: true, admin: false, visible } : null;
  if (!req) throw badRequest('choose a role');
  await changeRole(k.s, k.user, await resolveTargetUser(k.s, (k.form.get('user') ?? '').trim()), scope, req);
  return redirect(`${k.s.config.consolePath}moderators?done=role`);
};

function flag(k: ConsoleCtx, name: string): boolean | null | undefined {
  const v = k.form.get(name) ?? '';
  return v === 'allow' ? true : v === 'deny' ? false : v === 'default' ? null : undefined;
}

export const permissionsAction: ConsoleHandler = async (k) => {
  k.c.params['room'] = (k.form.get('room') ?? '').trim();
  const { room } = await moderatedRoom(k);
  const target = await resolveTargetUser(k.s, (k.form.get('user') ?? '').trim());
  const minutes = (k.form.get('minutes') ?? '').trim();
  const change: PermissionChange = {};
  for (const f of FLAGS) {
    const v = flag(k, f);
    if (v !== undefined) change[f] = v;
  }
  if (Object.keys(change).length === 0) throw badRequest('choose at least one permission to change');
  if (minutes !== '') {
    const n = Number(minutes);
    if (!Number.isFinite(n) || n <= 0) throw badRequest('the delay must be a positive number of minutes');
    const perms: FuturePerms = { read: change.read ?? null, write: change.write ?? null, upload: change.upload ?? null };
    await scheduleUserPermissions(k.s, k.user, room, target, perms, n * 60);
    return redirect(`${k.s.config.consolePath}moderators?done=scheduled`);
  }
  await setUserPermissions(k.s, k.user, room, target, change, []);
  return redirect(`${k.s.config.consolePath}moderators?done=permissions`);
};

export const defaultsAction: ConsoleHandler = async (k) => {
  const { room, perms } = await moderatedRoom(k);
  if (!perms.admin) throw forbidden('Only room admins change the room defaults');
  await setRoomDefaults(k.s, k.user, room, { read: k.form.get('read') === '1', accessible: k.form.get('accessible') === '1', write: k.form.get('write') === '1', upload: k.form.get('upload') === '1' });
  return redirect(`${k.s.config.consolePath}moderators?done=defaults`);
};
