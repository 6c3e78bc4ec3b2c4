// Reaction endpoints (docs/protocol/api.md §4.4). The reaction is the rest of the path (it may contain '/');
// the body of PUT is ignored (docs/protocol/api.md §12.22).
import { findRoom } from '../../domain/rooms';
import { addReaction, clearReactions, listReactors, removeReaction } from '../../domain/reactions';
import { intQuery } from '../parse';
import { json } from '../respond';
import type { Ctx, Router } from '../router';

const room = (c: Ctx) => findRoom(c.s, c.rc, c.params['token']!);
const id = (c: Ctx) => Number(c.params['id']);

async function add(c: Ctx) {
  const { room: r, perms } = await room(c);
  return json(await addReaction(c.s, r, c.user, perms, id(c), c.params['reaction']!));
}

async function remove(c: Ctx) {
  const { room: r, perms } = await room(c);
  return json(await removeReaction(c.s, r, c.user, perms, id(c), c.params['reaction']!));
}

async function clear(c: Ctx) {
  const { room: r, perms } = await room(c);
  return json(await clearReactions(c.s, r, c.user, perms, id(c), c.params['reaction'] ?? null));
}

async function reactors(c: Ctx) {
  const { room: r, perms } = await room(c);
  const limit = intQuery(c.query, 'limit', 0, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  return json(await listReactors(c.s, r, perms, id(c), c.params['reaction']!, limit));
}

export function reactionRoutes(r: Router): void {
  r.put('/room/:token/reaction/:id(int)/:reaction(*)', add);
  r.delete('/room/:token/reaction/:id(int)/:reaction(*)', remove);
  r.delete('/room/:token/reactions/:id(int)', clear);
  r.delete('/room/:token/reactions/:id(int)/:reaction(*)', clear);
  r.get('/room/:token/reactors/:id(int)/:reaction(*)', reactors);
}
