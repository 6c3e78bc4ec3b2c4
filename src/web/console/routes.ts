// The console's routes under consolePath (a setting; off unless consoleEnabled). Every route but
// the sign-in form goes through `guarded` (context.ts): no valid session, no answer. Forms are
// URL-encoded bodies within maxJsonBodyBytes; the room image is a raw upload within filesMaxSize,
// and a body over maxJsonBodyBytes without the session cookie is refused unread (credentials).
import type { Router } from '../../api/router';
import { guarded } from './context';
import { auditPage } from './audit-page';
import { login, loginForm, logout } from './login';
import { ban, deleteAll, deletePost, pinPost, unban } from './moderate';
import { changeRoleAction, defaultsAction, moderatorsPage, permissionsAction } from './moderators-page';
import { overview } from './overview';
import { cleanupAction, heldAction, raidModeAction, raidsPage, roomRaidPage } from './raids-page';
import { roomPage } from './room-page';
import { createRoomAction, saveSettings, settingsPage, uploadImage } from './settings-page';
import { statusPage } from './status-page';
import { findUser, userPage } from './user-page';

/** Registers the console at `base` (e.g. `/admin/`); call before the public web pages' `/:room`. */
export function consoleRoutes(r: Router, base: string): void {
  // The API's routes were registered first and would win: a path of theirs cannot be the console's.
  for (const probe of ['login', 'room/main', 'user/' + '05'.padEnd(66, '0')]) {
    const m = r.match('GET', base + probe);
    if ('route' in m) throw new Error(`consolePath ${base} collides with the API route ${m.route.pattern}: choose another path`);
  }
  const get = (p: string, h: Parameters<Router['get']>[1]): void => void r.get(base + p, h);
  const post = (p: string, h: Parameters<Router['post']>[1]): void => void r.post(base + p, h, { body: 'json' });
  get('login', loginForm);
  post('login', login);
  post('logout', guarded(logout));
  get('', guarded(overview));
  r.get(base.replace(/\/$/, ''), guarded(overview));
  get('room/:room', guarded(roomPage));
  post('room/:room/delete', guarded(deletePost));
  post('room/:room/pin', guarded(pinPost));
  post('room/:room/ban', guarded(ban));
  post('room/:room/unban', guarded(unban));
  post('room/:room/delete-all', guarded(deleteAll));
  post('room/:room/defaults', guarded(defaultsAction));
  get('room/:room/settings', guarded(settingsPage));
  post('room/:room/settings', guarded(saveSettings));
  get('room/:room/raid', guarded(roomRaidPage));
  post('room/:room/raid/mode', guarded(raidModeAction));
  post('room/:room/raid/cleanup', guarded(cleanupAction));
  post('room/:room/held', guarded(heldAction));
  r.post(`${base}room/:room/image`, guarded(uploadImage, { raw: true }), { body: 'file', credentials: 'console' });
  post('rooms', guarded(createRoomAction));
  get('user', guarded(findUser));
  get('user/:id(sid)', guarded(userPage));
  post('user/:id(sid)/ban', guarded(ban));
  post('user/:id(sid)/unban', guarded(unban));
  post('user/:id(sid)/delete-all', guarded(deleteAll));
  get('raids', guarded(raidsPage));
  get('moderators', guarded(moderatorsPage));
  post('moderators/role', guarded(changeRoleAction));
  post('moderators/permissions', guarded(permissionsAction));
  get('audit', guarded(auditPage));
  get('status', guarded(statusPage));
}
