// Room settings for room admins: name, description, image, post rate limit; and creating a room
// (global admins, as the CLI's --add-room). The same rules as PUT /room and the CLI.
import { forbidden, badRequest } from '../../domain/errors';
import { storeFile } from '../../domain/files';
import { setRoomRateLimit } from '../../domain/moderation';
import { applyRoomUpdate, cleanDescription, requireRoomAdmin } from '../../domain/room-update';
import { createRoomAs, stripControl } from '../../domain/rooms';
import { html } from '../html';
import type { ConsoleCtx, ConsoleHandler } from './context';
import { page, redirect } from './http';
import { consolePage, csrfField } from './layout';
import { moderatedRoom } from './moderate';

async function adminRoom(k: ConsoleCtx) {
  const access = await moderatedRoom(k);
  requireRoomAdmin(k.user, access.perms);
  return access;
}

export const settingsPage: ConsoleHandler = async (k) => {
  const { room } = await adminRoom(k);
  const limits = await k.s.store.roomLimits(room.id);
  const action = `${k.s.config.consolePath}room/${room.token}/settings`;
  return page(
    200,
    consolePage(
      k,
      `${room.token} settings`,
      html`<h1>Settings of <code>${room.token}</code></h1>
<form class="stack" id="room-settings" method="post" action="${action}">${csrfField(k)}
<label>Name<input type="text" name="name" value="${room.name}" required maxlength="200"></label>
<label>Description<textarea name="description" rows="3" maxlength="2000">${room.description ?? ''}</textarea></label>
<label>Posts per window (empty: the server default ${k.s.config.rateLimitPosts}; 0: no limit)<input type="number" name="rate_posts" min="0" value="${limits.rateLimitPosts ?? ''}"></label>
<label>Window in seconds (empty: the server default ${k.s.config.rateLimitInterval})<input type="number" name="rate_interval" min="0" step="any" value="${limits.rateLimitInterval ?? ''}"></label>
<button type="submit">Save</button>
</form>
<h2>Room image</h2>
${room.image !== null ? html`<p><img src="/room/${room.token}/file/${room.image}" alt="current room image" width="64" height="64"></p>` : html`<p class="muted">No image.</p>`}
<form class="stack" id="image-upload" method="post" action="${action.replace(/settings$/, 'image')}">${csrfField(k)}
<label>Image file<input type="file" name="image" accept="image/*"></label>
<button type="submit">Upload</button><span id="image-status" role="status"></span>
<noscript><p class="muted">Uploading an image needs JavaScript.</p></noscript>
</form>`,
    ),
  );
};

function optionalNumber(k: ConsoleCtx, name: string): number | null {
  const v = (k.form.get(name) ?? '').trim();
  if (v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw badRequest(`${name.replace('_', ' ')} must be a non-negative number`);
  return n;
}

export const saveSettings: ConsoleHandler = async (k) => {
  const { room } = await adminRoom(k);
  const name = stripControl(k.form.get('name') ?? '').trim();
  if (name === '') throw badRequest('a room needs a name');
  const description = cleanDescription(k.form.get('description') ?? '');
  const u: { name?: string; description?: string | null } = {};
  if (name !== room.name) u.name = name;
  if (description !== room.description) u.description = description;
  if (Object.keys(u).length > 0) await applyRoomUpdate(k.s, k.user, room, u);
  const posts = optionalNumber(k, 'rate_posts');
  const interval = optionalNumber(k, 'rate_interval');
  const limits = await k.s.store.roomLimits(room.id);
  if (posts !== limits.rateLimitPosts || interval !== limits.rateLimitInterval) await setRoomRateLimit(k.s, k.user, room, { rateLimitPosts: posts, rateLimitInterval: interval });
  return redirect(`${k.s.config.consolePath}room/${room.token}/settings?done=saved`);
};

/** The raw image from console.js (a body of kind `file`, admitted within filesMaxSize). */
export const uploadImage: ConsoleHandler = async (k) => {
  const { room } = await adminRoom(k);
  const body = k.c.req.body;
  if (body.length === 0) throw badRequest('the image is empty');
  if (!(k.c.req.headers['content-type'] ?? '').startsWith('image/')) throw badRequest('the room image must be an image');
  let filename: string | null = null;
  try {
    filename = decodeURIComponent(k.c.req.headers['x-file-name'] ?? '').replace(/[\u0000-\u001f/\\]/g, '').slice(0, 100) || null;
  } catch {
    filename = null;
  }
  const file = await storeFile(k.s, room, k.user, body, filename);
  await applyRoomUpdate(k.s, k.user, room, { image: file.id });
  const next = `${k.s.config.consolePath}room/${room.token}/settings?done=image`;
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-console-next': next, 'cache-control': 'no-store' }, body: Buffer.from('ok') };
};

export const createRoomAction: ConsoleHandler = async (k) => {
  if (!k.user.admin) throw forbidden('Only global admins create rooms');
  const token = (k.form.get('token') ?? '').trim();
  const name = (k.form.get('name') ?? '').trim() || token;
  const description = cleanDescription(k.form.get('description') ?? '');
  const room = await createRoomAs(k.s, k.user, token, name, description);
  return redirect(`${k.s.config.consolePath}room/${room.token}/settings?done=created`);
};
