// File upload and download (docs/protocol/api.md §4.6). Uploads are raw bodies named by Content-Disposition;
// downloads carry their metadata in headers (Date = upload time, Expires when expiring).
import { findRoom } from '../../domain/rooms';
import { downloadFile, uploadFile } from '../../domain/files';
import { bytes, json } from '../respond';
import type { Ctx, Router } from '../router';

async function upload(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  const f = await uploadFile(c.s, c.rc, room, c.user, perms, c.req.body, c.req.headers['content-disposition']);
  return json({ id: f.id }, 201);
}

async function download(c: Ctx) {
  const { room, perms } = await findRoom(c.s, c.rc, c.params['token']!);
  const d = await downloadFile(c.s, room, perms, BigInt(c.params['id']!));
  return bytes(d.bytes, d.headers);
}

export function fileRoutes(r: Router): void {
  r.post('/room/:token/file', upload, { body: 'file', credentials: 'sogs' });
  r.get('/room/:token/file/:id(fileid)', download);
  // The trailing filename is ignored (clients add it for nicer URLs).
  r.get('/room/:token/file/:id(fileid)/:filename(*)', download);
}
