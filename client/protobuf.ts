// Session message bodies as clients build them: a `signalservice.Content` protobuf with a text
// data message and a profile (field numbers from Session's SignalService.proto). Unpadded: pass
// the result to SogsClient.postMessage, which pads and signs it.
import { sessionContent as content } from '../src/proto/session-content';

export interface SessionMessageParts {
  body?: string;
  displayName?: string;
  /** Milliseconds; default now. */
  timestamp?: number;
  attachments?: { id: number | string; contentType?: string; size?: number; fileName?: string; url?: string }[];
}

export function encodeSessionMessage(m: SessionMessageParts): Buffer {
  const t = content();
  const dataMessage: Record<string, unknown> = { timestamp: m.timestamp ?? Date.now() };
  if (m.body !== undefined) dataMessage['body'] = m.body;
  if (m.displayName !== undefined) dataMessage['profile'] = { displayName: m.displayName };
  if (m.attachments) dataMessage['attachments'] = m.attachments.map((a) => ({ ...a, id: String(a.id) }));
  return Buffer.from(t.encode(t.fromObject({ dataMessage })).finish());
}

/** Reads back body and display name (bot replies in tests); null if not a Content protobuf. */
export function decodeSessionMessageBody(data: Buffer): { body: string | null; displayName: string | null } | null {
  let end = data.length;
  if (end > 0 && (data[end - 1] === 0 || data[end - 1] === 0x80)) {
    while (end > 0 && data[end - 1] === 0) end--;
    if (end > 0 && data[end - 1] === 0x80) end--;
    else end = data.length;
  }
  try {
    const t = content();
    const o = t.toObject(t.decode(data.subarray(0, end)), { longs: String }) as { dataMessage?: { body?: string; profile?: { displayName?: string } } };
    return { body: o.dataMessage?.body ?? null, displayName: o.dataMessage?.profile?.displayName ?? null };
  } catch {
    return null;
  }
}
