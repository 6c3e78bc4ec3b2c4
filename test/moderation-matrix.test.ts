// The role × action matrix of docs/protocol/api.md §6.5 against every mutating moderation endpoint, directly and
// inside /batch and /sequence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Identity, type SubRequest, type SubResponse } from '../client';
import { Role, ROLES, t, main, other, clients, freshUser, insertPost, useRoleServer } from './helpers/moderation-roles';
import { ACTIONS } from './helpers/moderation-actions';

useRoleServer();

type Mode = 'direct' | 'batch' | 'sequence';

/** The router's own answers for a path or method it does not know (not a rule's 404). */
function routerMiss(status: number, body: unknown): boolean {
  return (status === 404 && body === 'Not found') || (status === 405 && body === 'Method not allowed');
}

interface Outcome {
  status: number;
  /** False when the router did not know the route: the row tests nothing, so it fails. */
  routed: boolean;
}

async function run(mode: Mode, role: Role, sub: SubRequest): Promise<Outcome> {
  const c = clients[role];
  if (mode === 'direct') {
    const r = sub.b64 !== undefined
      ? await c.request(sub.method, sub.path, { body: Buffer.from(sub.b64, 'base64'), headers: { 'content-type': 'application/octet-stream' } })
      : await c.request(sub.method, sub.path, sub.json === undefined ? {} : { json: sub.json });
    return { status: r.status, routed: !routerMiss(r.status, r.text()) };
  }
  const r = await c.post(`/${mode}`, [sub]);
  // A refused /batch or /sequence (a global ban) refuses its subrequest too.
  if (r.status !== 200) return { status: r.status, routed: true };
  const results = r.json<SubResponse[]>();
  assert.equal(results.length, 1);
  return { status: results[0]!.code, routed: !routerMiss(results[0]!.code, results[0]!.body) };
}

describe('role × action matrix (docs/protocol/api.md §6.5)', () => {
  for (const mode of ['direct', 'batch', 'sequence'] as Mode[]) {
    for (const action of ACTIONS) {
      it(`${mode}: ${action.name}`, async () => {
        const got: Record<string, number> = {};
        const want: Record<string, number> = {};
        for (const [i, role] of ROLES.entries()) {
          const { sub, verify } = await action.prepare(role);
          const out = await run(mode, role, sub);
          assert.ok(out.routed, `${sub.method} ${sub.path}: no such route (as ${role})`);
          got[role] = out.status;
          want[role] = action.expect[i]!;
          if (verify) await verify(got[role]);
        }
        assert.deepEqual(got, want);
      });
    }
  }

  it('DELETE /rooms/all/:id deletes only where the caller may, and 401s anonymous requests', async () => {
    const expected: Record<Role, number> = { anonymous: -1, user: 0, banned: 0, roomMod: 1, roomAdmin: 1, globalMod: 2, globalAdmin: 2, globalBanned: -1 };
    for (const role of ROLES) {
      const { user } = await freshUser();
      await insertPost(user.id, main);
      await insertPost(user.id, other);
      const r = await clients[role].delete(`/rooms/all/${user.sessionId}`);
      if (role === 'anonymous' || role === 'globalBanned') {
        assert.equal(r.status, role === 'anonymous' ? 401 : 403, role);
        continue;
      }
      assert.equal(r.status, 200, role);
      const j = r.json<{ total: number; rooms: Record<string, number> }>();
      assert.equal(j.total, expected[role], role);
      if (role === 'globalMod') assert.deepEqual(j.rooms, { main: 1, other: 1 });
      if (role === 'roomMod') assert.deepEqual(j.rooms, { main: 1 });
    }
    const unknown = Identity.random().blindedId(t.serverPubkey);
    assert.equal((await clients.globalAdmin.delete(`/rooms/all/${unknown}`)).status, 404);
  });
});
