// File uploads and downloads as Session clients do them (docs/protocol/api.md §4.6).
import type { ClientResponse, SogsClient } from './client';

/** RFC 5987 form, which carries any UTF-8 name. */
export function attachmentHeader(filename: string): string {
  const enc = encodeURIComponent(filename).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `attachment; filename*=UTF-8''${enc}`;
}

/** POST /room/:token/file; the response is 201 {"id": N} on success. */
export function uploadFile(client: SogsClient, room: string, bytes: Buffer, filename?: string): Promise<ClientResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (filename !== undefined) headers['content-disposition'] = attachmentHeader(filename);
  return client.request('POST', `/room/${room}/file`, { body: bytes, headers });
}

/** Uploads and returns the new file id (throws unless 201). */
export async function uploadFileId(client: SogsClient, room: string, bytes: Buffer, filename?: string): Promise<number> {
  const r = await uploadFile(client, room, bytes, filename);
  if (r.status !== 201) throw new Error(`upload failed: HTTP ${r.status}: ${r.text()}`);
  return r.json<{ id: number }>().id;
}

export function downloadFile(client: SogsClient, room: string, id: number, filename?: string): Promise<ClientResponse> {
  return client.get(`/room/${room}/file/${id}` + (filename === undefined ? '' : `/${encodeURIComponent(filename)}`));
}
