// Web pages for people who open a community link in a browser (docs/protocol/api.md §4.12): the room index at
// `/`, each public room's page at `/<token>` (the join URL itself) and `/r/<token>`, its QR code at
// `/r/<token>/invite.png`, and the pages' static assets under /static/. Registered after every API
// route, so API routes always win. Pages are rendered on the server, anonymously (whatever a
// request's X-SOGS-* headers say): only rooms whose default permissions make them public show up,
// and messages only when the room is publicly readable.
import { joinUrl } from '../app';
import { DomainError } from '../domain/errors';
import { decodeSessionMessage } from '../domain/protobuf';
import { ROOM_TOKEN_RE, accessRoom, visibleRooms, type RoomAccess } from '../domain/rooms';
import type { Services } from '../domain/services';
import type { RequestContext } from '../domain/request-context';
import { allows } from '../domain/permissions';
import { viewerOf } from '../domain/messages';
import type { Room } from '../store/types';
import { text } from '../api/respond';
import type { Ctx, Handler, Router } from '../api/router';
import type { ApiResponse } from '../api/types';
import type { SafeHtml } from './html';
import { errorPage, indexPage, roomPage, setupPage, type MessageView, type PageOptions, type RoomSummary } from './pages';
import { qrPng } from './qr';
import { STATIC_ASSETS } from './static';
import { LEGACY_PLAIN_SEGMENTS } from '../api/legacy/routes';

/** How many recent messages a room page shows. */
export const RECENT_LIMIT = 50;

export const CSP =
  "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers on every web response (pages, images, assets). */
export const WEB_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Only same-origin subresources (stylesheet, script, QR image) load: they need no CORP opt-in.
  'cross-origin-embedder-policy': 'require-corp',
};

export const CT_HTML = 'text/html; charset=utf-8';

/**
 * First path segments that belong to the API: `/<segment>` is never a room page, so a GET of an
 * API path that has no GET route keeps the router's plain-text answer (e.g. 405 for /batch).
 */
const API_SEGMENTS = new Set(['batch', 'sequence', 'capabilities', 'rooms', 'room', 'inbox', 'outbox', 'user', 'oxen', 'loki', 'legacy', 'healthz', 'metrics',
  // --- legacy --- plain-path aliases of the v1 API (src/api/legacy/routes.ts)
  ...LEGACY_PLAIN_SEGMENTS]);
const POST_ONLY = new Set(['batch', 'sequence']);
/** Our own page prefixes: `/static` and `/r` alone are not rooms either. */
const WEB_SEGMENTS = new Set(['static', 'r']);

function htmlResponse(status: number, page: SafeHtml, cache = 'no-cache'): ApiResponse {
  return {
    status,
    headers: { 'content-type': CT_HTML, 'cache-control': cache, ...WEB_HEADERS },
    body: Buffer.from(page.value, 'utf8'),
  };
}

function pageOptions(s: Services): PageOptions {
  return { showIndex: s.config.httpShowIndex };
}

/** The room as an anonymous visitor may see it, or null (unknown and non-public look the same). */
async function publicRoom(s: Services, rc: RequestContext, token: string): Promise<RoomAccess | null> {
  if (!ROOM_TOKEN_RE.test(token)) return null;
  try {
    return await accessRoom(s, rc, token, true);
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not-found') return null;
    throw e;
  }
}

function summary(s: Services, a: RoomAccess): RoomSummary {
  const room: Room = a.room;
  // The image is downloaded through the file endpoint, which needs read permission.
  const imageUrl = room.image !== null && allows(a.perms, 'read') ? `/room/${room.token}/file/${room.image}` : null;
  return {
    token: room.token,
    name: room.name,
    description: room.description,
    imageUrl,
    activeUsers: room.activeUsers,
    activeDays: s.config.activeThresholdDays,
    pageUrl: `/r/${room.token}/`,
  };
}

async function recentMessages(s: Services, a: RoomAccess): Promise<MessageView[]> {
  // Anonymous viewer: no whispers; deleted and filtered messages are excluded by the store.
  const rows = await s.store.recentMessages(a.room.id, viewerOf(null, a.perms), RECENT_LIMIT);
  const out: MessageView[] = [];
  for (const m of rows.reverse()) {
    if (m.data === null || m.filtered) continue;
    const decoded = decodeSessionMessage(m.data);
    if (!decoded) continue;
    const body = decoded.body !== null && decoded.body.trim() !== '' ? decoded.body : null;
    if (body === null && decoded.attachments.length === 0) continue; // not a visible chat message
    out.push({
      id: m.id,
      sessionId: m.sessionId,
      displayName: decoded.displayName,
      body,
      attachments: decoded.attachments.map((x) => ({ contentType: x.contentType, fileName: x.fileName, size: x.size })),
      posted: m.posted,
      edited: m.edited !== null,
    });
  }
  return out;
}

async function index(c: Ctx): Promise<ApiResponse> {
  const rooms = await visibleRooms(c.s, c.rc, true);
  const opts = pageOptions(c.s);
  // As the reference: with no public room the server "needs setup", whatever http_show_index says.
  if (rooms.length === 0) return htmlResponse(200, setupPage(opts));
  if (!c.s.config.httpShowIndex) return htmlResponse(403, errorPage(403, opts, 'index'));
  return htmlResponse(200, indexPage(rooms.map((a) => summary(c.s, a)), opts));
}

async function renderRoom(s: Services, rc: RequestContext, token: string): Promise<ApiResponse> {
  const a = await publicRoom(s, rc, token);
  if (!a) return htmlResponse(404, errorPage(404, pageOptions(s), 'room'));
  const readable = allows(a.perms, 'read');
  const show = s.config.httpShowRecent && readable;
  return htmlResponse(
    200,
    roomPage(
      {
        room: summary(s, a),
        joinUrl: joinUrl(s.config, s.keys, a.room.token),
        qrUrl: `/r/${a.room.token}/invite.png`,
        messages: show ? await recentMessages(s, a) : null,
        messagesHiddenReason: show ? undefined : readable ? 'disabled' : 'private',
      },
      pageOptions(s),
    ),
  );
}

const roomByPrefix: Handler = (c) => renderRoom(c.s, c.rc, c.params['room']!);

const roomAtRoot: Handler = async (c) => {
  const token = c.params['room']!;
  const seg = token.toLowerCase();
  if (API_SEGMENTS.has(seg)) return POST_ONLY.has(seg) ? text(405, 'Method not allowed') : text(404, 'Not found');
  if (WEB_SEGMENTS.has(seg)) return htmlResponse(404, errorPage(404, pageOptions(c.s)));
  return renderRoom(c.s, c.rc, token);
};

const invitePng: Handler = async (c) => {
  const a = await publicRoom(c.s, c.rc, c.params['room']!);
  if (!a) return htmlResponse(404, errorPage(404, pageOptions(c.s), 'room'));
  const png = qrPng(joinUrl(c.s.config, c.s.keys, a.room.token));
  return { status: 200, headers: { 'content-type': 'image/png', 'cache-control': 'public, max-age=3600', ...WEB_HEADERS }, body: png };
};

function asset(name: string): ApiResponse | null {
  const a = Object.hasOwn(STATIC_ASSETS, name) ? STATIC_ASSETS[name] : undefined;
  if (!a) return null;
  return { status: 200, headers: { 'content-type': a.contentType, 'cache-control': 'public, max-age=86400', ...WEB_HEADERS }, body: a.body };
}

const staticFile: Handler = async (c) => asset(c.params['file']!) ?? htmlResponse(404, errorPage(404, pageOptions(c.s)));

const favicon: Handler = async () => asset('favicon.svg')!;

/** Registers the web pages; call last, after every API route. */
export function webRoutes(r: Router): void {
  // HEAD is answered by the GET route (Router), without the body (the listener).
  const get = (pattern: string, h: Handler): void => {
    r.get(pattern, h);
  };
  get('/', index);
  get('/static/:file', staticFile);
  get('/favicon.ico', favicon);
  get('/r/:room', roomByPrefix);
  get('/r/:room/', roomByPrefix);
  get('/r/:room/invite.png', invitePng);
  get('/:room', roomAtRoot);
  get('/:room/', roomAtRoot);
}
