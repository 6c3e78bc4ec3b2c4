// Session Android's request shapes against the real server over real HTTP onion requests, and its
// reading of our answers. The shapes come from session-android (session-foundation and oxen-io):
// - onion framing: libsession/.../snode/OnionRequestEncryption.kt (encryptHop: routing JSON host,
//   target, method, protocol, port, ephemeral_key, and no enc_type, so AES-GCM);
// - the v4 inner request: snode/OnionRequestAPI.kt generatePayload ({endpoint, method, headers},
//   endpoint with its leading '/', Content-Type added only when there is a body);
// - the SOGS calls: messaging/open_groups/OpenGroupApi.kt (headers "X-SOGS-Pubkey" and "Room";
//   batch items {method, path, headers: {}} with json/b64 only when set; the poll batch; the
//   ban-and-delete-all /sequence), and Endpoint.kt (raw emoji in reaction paths);
// - the models Android parses our JSON into (OpenGroupApi.kt RoomInfo, PinnedMessage, Message,
//   Reaction, DirectMessage): the fields declared Int/Long must be integers in the JSON text.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Identity, onionRequest, padMessage, randomContent, type OnionResponse, type SogsClient } from '../client';
import { permissionsIn } from '../src/domain/rooms';
import { resolveTargetUser, setModerator } from '../src/domain/users';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
let admin: SogsClient;
let user: SogsClient;

before(async () => {
  // The system clock: fractional seconds everywhere, as on a real server.
  t = await startTestServer({ rateLimitPosts: 0 });
  [admin, user] = [t.client(), t.client()];
  const main = (await t.s.store.getRoom('main'))!;
  await setModerator(t.s, await resolveTargetUser(t.s, admin.sessionId), [main], { moderator: true, admin: true, visible: true });
});
after(() => t.close());

/** OpenGroupApi.send: the Room header when the call names a room, then the four X-SOGS-* headers. */
function androidHeaders(c: SogsClient, method: string, target: string, body: Buffer | undefined, room?: string): Record<string, string> {
  const h = c.authHeaders(method, target, body);
  return {
    ...(room ? { Room: room } : {}),
    'X-SOGS-Nonce': h['X-SOGS-Nonce']!,
    'X-SOGS-Timestamp': h['X-SOGS-Timestamp']!,
    'X-SOGS-Pubkey': h['X-SOGS-Pubkey']!,
    'X-SOGS-Signature': h['X-SOGS-Signature']!,
  };
}

/** One call as Android sends it: Jackson JSON body (if any), v4, AES-GCM without enc_type. */
async function android(c: SogsClient, method: string, target: string, json?: unknown, room?: string): Promise<OnionResponse> {
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json), 'utf8');
  const headers = androidHeaders(c, method, target, body, room);
  if (body) headers['Content-Type'] = 'application/json';
  return onionRequest(c, { method, target, headers, ...(body ? { body } : {}) }, { signed: false, routing: 'android' });
}

interface BatchItem {
  code: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The JSON value of every `"name":<number>` in a JSON text, as written. */
function numbersOf(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`"${name}":(-?[0-9][0-9.eE+-]*)`, 'g'))].map((m) => m[1]!);
}

/** Android parses these as Kotlin Int/Long (OpenGroupApi.kt); a float there fails the whole object. */
const LONG_FIELDS = [
  'info_updates', 'message_sequence', 'created', 'active_users', 'active_users_cutoff', // RoomInfo
  'id', 'pinned_at', // PinnedMessage, Message, DirectMessage
  'edited', 'seqno', // Message
  'count', 'index', // Reaction
  'posted_at', 'expires_at', // DirectMessage
];

function assertLongs(text: string, what: string, mustHave: string[]): void {
  for (const f of mustHave) assert.ok(numbersOf(text, f).length > 0, `${what}: the test expects a ${f}`);
  for (const f of LONG_FIELDS) for (const v of numbersOf(text, f)) assert.match(v, /^-?\d+$/, `${what}: ${f} is ${v}, Android wants an integer`);
}

describe('Session Android shapes', () => {
  it('polls through an AES-GCM onion request without enc_type, with empty per-sub-request headers', async () => {
    const r = await android(user, 'POST', '/batch', [
      { method: 'GET', path: '/capabilities', headers: {} },
      { method: 'GET', path: '/room/main/pollInfo/0', headers: {} },
      { method: 'GET', path: '/room/main/messages/recent?t=r&reactors=5', headers: {} },
      { method: 'GET', path: '/inbox', headers: {} },
    ]);
    assert.equal(r.status, 200, r.text());
    const items = r.json<BatchItem[]>();
    assert.deepEqual(items.map((i) => i.code), [200, 200, 200, 200]);
    assert.ok((items[0]!.body as { capabilities: string[] }).capabilities.includes('blind'));
  });

  it('reads a room with a pinned message, an edit, reactions and a DM: every Long field is an integer in the JSON text', async () => {
    const posted = await user.postMessage('main', randomContent());
    assert.equal(posted.status, 201);
    const id = posted.json<{ id: number }>().id;
    const data = padMessage(randomContent());
    const sig = user.identity!.signBlinded(t.serverPubkey, data);
    assert.equal((await android(user, 'PUT', `/room/main/message/${id}`, { data: data.toString('base64'), signature: sig.toString('base64') }, 'main')).status, 200);
    assert.equal((await android(admin, 'POST', `/room/main/pin/${id}`, {}, 'main')).status, 200);
    assert.equal((await android(user, 'PUT', `/room/main/reaction/${id}/🎉`, {}, 'main')).status, 200);
    assert.equal((await android(admin, 'POST', `/inbox/${user.sessionId}`, { message: randomContent().toString('base64') })).status, 201);

    const room = await android(user, 'GET', '/room/main', undefined, 'main');
    assert.equal(room.status, 200);
    assertLongs(room.text(), 'GET /room/main', ['created', 'pinned_at', 'info_updates', 'message_sequence', 'active_users_cutoff']);
    const rooms = await android(user, 'GET', '/rooms');
    assertLongs(rooms.text(), 'GET /rooms', ['created', 'pinned_at']);
    // getCapabilitiesAndRoomInfo (joining) and the poll: the same objects inside a batch reply.
    const poll = await android(user, 'POST', '/sequence', [
      { method: 'GET', path: '/capabilities', headers: {} },
      { method: 'GET', path: '/room/main', headers: {} },
      { method: 'GET', path: '/room/main/pollInfo/0', headers: {} },
      { method: 'GET', path: '/room/main/messages/recent?t=r&reactors=5', headers: {} },
      { method: 'GET', path: '/inbox', headers: {} },
    ]);
    assert.deepEqual(poll.json<BatchItem[]>().map((i) => i.code), [200, 200, 200, 200, 200]);
    assertLongs(poll.text(), 'poll', ['created', 'pinned_at', 'edited', 'seqno', 'count', 'index', 'posted_at', 'expires_at']);
    const pinned = poll.json<BatchItem[]>()[1]!.body as { pinned_messages: { id: number; pinned_at: number }[] };
    assert.equal(pinned.pinned_messages[0]!.id, id);
    assert.ok(Math.abs(pinned.pinned_messages[0]!.pinned_at - Date.now() / 1000) < 60, 'pinned_at is a unix time in seconds');
  });

  it('reacts with a raw emoji in the endpoint (Endpoint.kt), signed over the raw path', async () => {
    const id = (await user.postMessage('main', randomContent())).json<{ id: number }>().id;
    const r = await android(user, 'PUT', `/room/main/reaction/${id}/👍🏽`, {}, 'main');
    assert.equal(r.status, 200, r.text());
    assert.deepEqual(r.json(), { added: true, seqno: r.json<{ seqno: number }>().seqno });
    const msg = (await android(user, 'GET', `/room/main/message/${id}`, undefined, 'main')).json<{ reactions: Record<string, { count: number; you?: boolean }> }>();
    assert.deepEqual(msg.reactions['👍🏽'], { index: 0, count: 1, reactors: [user.sessionId], you: true });
    assert.equal((await android(user, 'DELETE', `/room/main/reaction/${id}/👍🏽`, undefined, 'main')).json<{ removed: boolean }>().removed, true);
  });

  it('uploads a b64 file as a /batch sub-request with its own headers', async () => {
    const bytes = Buffer.from('a small attachment\n');
    const r = await android(user, 'POST', '/batch', [
      {
        method: 'POST',
        path: '/room/main/file',
        headers: { 'Content-Disposition': 'attachment; filename="note.txt"', 'Content-Type': 'application/octet-stream' },
        b64: bytes.toString('base64'),
      },
    ]);
    const [item] = r.json<BatchItem[]>();
    assert.equal(item!.code, 201, JSON.stringify(item));
    const fileId = (item!.body as { id: number }).id;
    const down = await android(user, 'GET', `/room/main/file/${fileId}`, undefined, 'main');
    assert.equal(down.status, 200);
    assert.deepEqual(down.body, bytes);
  });

  it('"ban and delete all" of a user without posts: both steps of the /sequence answer 200', async () => {
    const victim = t.client();
    assert.equal((await victim.get('/room/main')).status, 200, 'the victim is known to the server');
    const r = await android(admin, 'POST', '/sequence', [
      { method: 'POST', path: `/user/${victim.sessionId}/ban`, headers: {}, json: { rooms: ['main'] } },
      { method: 'DELETE', path: `/room/main/all/${victim.sessionId}`, headers: {} },
    ]);
    assert.deepEqual(r.json<BatchItem[]>().map((i) => [i.code, i.body]), [[200, {}], [200, {}]]);
    const main = (await t.s.store.getRoom('main'))!;
    assert.equal((await permissionsIn(t.s, main, await resolveTargetUser(t.s, victim.sessionId))).banned, true);
  });

  it('an anonymous Android join of an unknown room is a 404, not a transport failure', async () => {
    const anon = t.client(Identity.random());
    const r = await android(anon, 'GET', '/room/nosuchroom', undefined, 'nosuchroom');
    assert.equal(r.status, 404);
  });
});
