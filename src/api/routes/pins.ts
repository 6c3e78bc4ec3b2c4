// Pinning (docs/protocol/api.md §4.5): room admins only; the JSON body is ignored.
import { findRoom } from '../../domain/rooms';
import { pinMessage, unpinAll, unpinMessage } from '../../domain/pins';
import { json } from '../respond';
import type { Ctx, Router } from '../router';

async function pin(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  return json(await pinMessage(c.s, room, c.user, perms, Number(c.params['id'])));
}

async function unpin(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  return json(await unpinMessage(c.s, room, c.user, perms, Number(c.params['id'])));
}

async function unpinEverything(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  return json(await unpinAll(c.s, room, c.user, perms));
}

export function pinRoutes(r: Router): void {
  r.post('/room/:token/pin/:id(int)', pin);
  r.post('/room/:token/unpin/all', unpinEverything);
  r.post('/room/:token/unpin/:id(int)', unpin);
}
