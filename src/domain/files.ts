// Uploaded files (docs/protocol/api.md §4.6, §8.2): upload, download, claiming uploads as post attachments, and
// the cleanup step that removes expired files from the database and the blob store.
//
// Expiry lives in one column (files.expiry, null = never) and every rule below sets it:
//   upload                            now + 1 h
//   claimed by a post/edit (`files`)  now + filesExpiryDays (never when 0; never while pinned)
//   room image                        never
//   replaced room image               now (normal expiry instead if attached to a live post)
//   post pinned / unpinned            never / uploaded + filesExpiryDays
//   post deleted, room deleted        now
// A file is expired when expiry < now: downloads 404 at once and cleanup removes it.
//
// Blob paths are chosen here, never taken from a request: `uploads/<room token>/<id>_<safe name>`
// like the reference server (so an imported PySOGS uploads folder keeps working), relative to the
// data folder. The row is written before the blob and deleted before the blob is removed, so a
// crash leaves at most a blob without a row (the orphan sweep removes it) or a fresh upload's row
// without a blob (downloads 404; the row goes when its hour expires).
import type { FileRecord, Room, User } from '../store/types';
import { UPLOADS_DIR } from '../store/blobs';
import { DomainError, badRequest, forbidden, notFound, unauthorized } from './errors';
// Not from ./messages: messages.ts imports this module to claim attachments.
import { allows, type Permissions } from './permissions';
import type { RequestContext } from './request-context';
import type { Services } from './services';
import { checkUploadAge } from './upload-limits';

/** Seconds an upload lives unless something claims it (docs/protocol/api.md §4.6). */
export const UPLOAD_TTL = 3600;

/** Seconds an attachment lives, or null = forever (filesExpiryDays = 0). */
export function attachmentTtl(s: Services): number | null {
  return s.config.filesExpiryDays > 0 ? s.config.filesExpiryDays * 86400 : null;
}

function attachmentExpiry(s: Services, now: number): number | null {
  const ttl = attachmentTtl(s);
  return ttl === null ? null : now + ttl;
}

export function isExpired(f: FileRecord, now: number): boolean {
  return f.expiry !== null && f.expiry < now;
}

// --- file names ---------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: false });
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Percent-decodes to bytes (characters outside ASCII are taken as UTF-8). */
function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/**
 * HTTP header values reach us as latin1 (one char per byte); a client that sent raw UTF-8 in a
 * quoted filename gets its text back, anything else is kept as given.
 */
function fromLatin1Utf8(s: string): string {
  if (!/[\u0080-\u00ff]/.test(s) || /[^\u0000-\u00ff]/.test(s)) return s;
  try {
    return strictUtf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

/**
 * The filename of `Content-Disposition: attachment; filename*=UTF-8''<pct>` (RFC 5987, preferred)
 * or `filename="name"` / `filename=name`; null when absent or empty. NUL and '/' become U+FFFD.
 */
export function filenameFromDisposition(header: string | undefined): string | null {
  if (!header) return null;
  let name: string | null = null;
  const ext = /(?:^|;)\s*filename\*\s*=\s*([^;]*)/i.exec(header);
  if (ext) {
    const m = /^([A-Za-z0-9_-]*)'[^']*'(.*)$/.exec(ext[1]!.trim());
    // UTF-8 (bad sequences become U+FFFD, as in the reference); RFC 5987 also allows ISO-8859-1.
    if (m) name = /^iso-8859-1$/i.test(m[1]!) ? percentDecode(m[2]!).toString('latin1') : utf8.decode(percentDecode(m[2]!));
  }
  if (name === null) {
    const quoted = /(?:^|;)\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
    const bare = /(?:^|;)\s*filename\s*=\s*([^";\s][^;]*)/i.exec(header);
    if (quoted) name = fromLatin1Utf8(quoted[1]!.replace(/\\(.)/g, '$1'));
    else if (bare) name = fromLatin1Utf8(bare[1]!.trim());
  }
  if (name === null || name === '') return null;
  return name.replace(/[\u0000/]/g, '\ufffd');
}

/** The reference's on-disk name: runs of unsafe characters become '_', long names are shortened. */
export function safeFileName(filename: string | null): string {
  if (filename === null) return '(unnamed)';
  const cleaned = filename.replace(/[^\p{L}\p{N}_+\-.'()@[\]]+/gu, '_');
  const chars = [...cleaned];
  return chars.length > 60 ? chars.slice(0, 40).join('') + '...' + chars.slice(-17).join('') : cleaned;
}

export function blobPath(room: Room, id: number, filename: string | null): string {
  let name = safeFileName(filename);
  // "." and ".." cannot appear alone (the id prefix), but keep names clear of the temp suffix.
  if (name.endsWith('.tmp')) name += '_';
  return `${UPLOADS_DIR}/${room.token}/${id}_${name}`;
}

/** `attachment; filename*=UTF-8''…` with everything but A-Z a-z 0-9 _ . - ~ / percent-encoded. */
export function contentDisposition(filename: string | null): string {
  if (filename === null) return 'attachment';
  let enc = '';
  for (const byte of Buffer.from(filename, 'utf8')) {
    const c = String.fromCharCode(byte);
    enc += /[A-Za-z0-9_.\-~/]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return `attachment; filename*=UTF-8''${enc}`;
}

function httpDate(t: number): string {
  return new Date(Math.floor(t) * 1000).toUTCString();
}

// --- upload and download -------------------------------------------------------------------

export async function uploadFile(
  s: Services, rc: RequestContext, room: Room, user: User | null, perms: Permissions, body: Buffer, disposition: string | undefined,
): Promise<FileRecord> {
  if (!user) throw unauthorized();
  if (!allows(perms, 'upload')) throw forbidden("This endpoint requires room message 'upload' permission");
  await checkUploadAge(s, rc, room, user, perms);
  return storeFile(s, room, user, body, filenameFromDisposition(disposition));
}

/** Stores an upload (size-checked; an hour to live unless told otherwise) for a caller that checked permissions. */
export async function storeFile(
  s: Services, room: Room, uploader: User, body: Buffer, filename: string | null, ttl = UPLOAD_TTL,
): Promise<FileRecord> {
  if (body.length > s.config.filesMaxSize) {
    throw new DomainError('too-large', `file is ${body.length} bytes; the limit is ${s.config.filesMaxSize}`);
  }
  const now = s.clock.now();
  const f = await s.store.insertFile({
    roomId: room.id, uploaderId: uploader.id, size: body.length, filename, now, expiry: now + ttl,
    pathFor: (id) => blobPath(room, id, filename),
  });
  try {
    await s.blobs.write(f.path, body);
  } catch (e) {
    await s.store.deleteFileRow(f.id);
    throw e;
  }
  return f;
}

export interface Download {
  file: FileRecord;
  bytes: Buffer;
  headers: Record<string, string>;
}

const INT64_MAX = (1n << 63n) - 1n;

/**
 * The file `id` names in the room: one of its own files, else a file imported from a legacy
 * server under that old id (file_id_hacks; docs/protocol/api.md §4.6, docs/protocol/legacy.md §9). Old ids are random below
 * 2^53 or nanosecond timestamps above it, so they arrive as bigint; an id beyond any stored
 * one is simply not found.
 */
async function findRoomFile(s: Services, room: Room, id: number | bigint): Promise<FileRecord | null> {
  const big = BigInt(id);
  if (big <= BigInt(Number.MAX_SAFE_INTEGER)) {
    const f = await s.store.getFile(Number(big));
    if (f && f.roomId === room.id) return f;
  }
  if (big > INT64_MAX) return null;
  const mapped = await s.store.importedFileId(room.id, big);
  const f = mapped === null ? null : await s.store.getFile(mapped);
  return f && f.roomId === room.id ? f : null;
}

export async function downloadFile(s: Services, room: Room, perms: Permissions, id: number | bigint): Promise<Download> {
  if (!allows(perms, 'read')) throw forbidden("This endpoint requires room message 'read' permission");
  const f = await findRoomFile(s, room, id);
  if (!f || isExpired(f, s.clock.now())) throw notFound(`No such file: ${id}`);
  const bytes = await s.blobs.read(f.path);
  if (bytes === null) {
    s.log.warn({ file: f.id, path: f.path }, 'file row without stored contents');
    throw notFound(`No such file: ${id}`);
  }
  const headers: Record<string, string> = { 'content-disposition': contentDisposition(f.filename), date: httpDate(f.uploaded) };
  if (f.expiry !== null) headers['expires'] = httpDate(f.expiry);
  return { file: f, bytes, headers };
}

// --- attachments ---------------------------------------------------------------------------

/** The `files` field of a post or edit: integer ids (numeric strings accepted); absent/null = none. */
export function parseFileIds(v: unknown): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest("'files' must be an array of file ids");
  return v.map((x) => {
    if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) return x;
    if (typeof x === 'string' && /^\d{1,15}$/.test(x)) return Number(x);
    throw badRequest("'files' must contain integer file ids");
  });
}

/** Claims the author's fresh uploads for a post or edit; other ids are ignored (docs/protocol/api.md §4.3). */
export async function attachFiles(s: Services, messageId: number, fileIds: number[]): Promise<number[]> {
  if (fileIds.length === 0) return [];
  const now = s.clock.now();
  return s.store.attachFiles(messageId, [...new Set(fileIds)], now - UPLOAD_TTL, now, attachmentExpiry(s, now));
}

// --- cleanup -------------------------------------------------------------------------------

/** Cleanup step 1 (docs/protocol/api.md §8.1): expired rows go first, then their blobs. */
export async function cleanupFiles(s: Services): Promise<number> {
  const paths = await s.store.takeExpiredFiles(s.clock.now());
  for (const p of paths) {
    try {
      await s.blobs.remove(p);
    } catch (e) {
      s.log.warn({ err: e, path: p }, 'could not remove an expired file; the orphan sweep will retry');
    }
  }
  return paths.length;
}

/**
 * Removes blobs no file row refers to and that are older than `minAge` seconds (wall clock): the
 * leftovers of a crash between deleting a row and its blob, or during an upload. Young blobs are
 * left alone because an upload in progress writes its blob after its row.
 */
export async function sweepOrphanBlobs(s: Services, minAge = 600): Promise<number> {
  const cutoff = Date.now() / 1000 - minAge;
  const blobs = await s.blobs.list();
  const known = await s.store.allFilePaths();
  let removed = 0;
  for (const b of blobs) {
    if (known.has(b.path) || b.modified > cutoff) continue;
    await s.blobs.remove(b.path);
    removed++;
  }
  return removed;
}
