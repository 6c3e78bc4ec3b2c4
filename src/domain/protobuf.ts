// The few fields of Session's `signalservice.Content` protobuf the server needs: a message's text,
// its author's display name, attachments and timestamp (content filters, filter-bot replies, web
// pages). Field numbers follow Session's SignalService.proto (also shipped by the reference
// server as static/session.proto): Content.dataMessage = 1; DataMessage.body = 1,
// attachments = 2, timestamp = 7, profile = 101; LokiProfile.displayName = 1,
// profilePicture = 2; AttachmentPointer.id = 1, contentType = 2, size = 4, fileName = 7, url = 101.
// Unknown fields are skipped, so full client messages decode fine.
import { sessionContent as content } from '../proto/session-content';
import { removePadding } from '../crypto/padding';

export interface SessionAttachment {
  /** fixed64 as a decimal string (it may exceed 2^53). */
  id: string | null;
  contentType: string | null;
  size: number | null;
  fileName: string | null;
  url: string | null;
}

export interface SessionMessage {
  /** The text, or null when the message has none (attachment-only, or not a data message). */
  body: string | null;
  displayName: string | null;
  attachments: SessionAttachment[];
  /** Client timestamp in milliseconds, or null. */
  timestamp: number | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Decodes a message's `data` as a Session client sends it (padded or not). null when the bytes
 * are not a Session `Content` protobuf. A Content without a data message (e.g. an unsend request)
 * decodes with every field empty.
 */
export function decodeSessionMessage(data: Buffer | Uint8Array): SessionMessage | null {
  let obj: Record<string, unknown>;
  try {
    const t = content();
    obj = t.toObject(t.decode(removePadding(Buffer.from(data))), { longs: String, defaults: false }) as Record<string, unknown>;
  } catch {
    return null;
  }
  const dm = (obj['dataMessage'] ?? {}) as Record<string, unknown>;
  const profile = (dm['profile'] ?? {}) as Record<string, unknown>;
  const ts = dm['timestamp'];
  const atts = Array.isArray(dm['attachments']) ? (dm['attachments'] as Record<string, unknown>[]) : [];
  return {
    body: str(dm['body']),
    displayName: str(profile['displayName']),
    attachments: atts.map((a) => ({
      id: str(a['id']),
      contentType: str(a['contentType']),
      size: typeof a['size'] === 'number' ? a['size'] : null,
      fileName: str(a['fileName']),
      url: str(a['url']),
    })),
    timestamp: typeof ts === 'string' && ts !== '' ? Number(ts) : null,
  };
}

export interface SessionMessageInput {
  body: string;
  displayName?: string;
  /** Milliseconds; default none. */
  timestamp?: number;
}

/** Encodes a text message (unpadded), as the filter bot posts it. */
export function encodeSessionMessage(m: SessionMessageInput): Buffer {
  const t = content();
  const dataMessage: Record<string, unknown> = { body: m.body };
  if (m.timestamp !== undefined) dataMessage['timestamp'] = m.timestamp;
  if (m.displayName !== undefined) dataMessage['profile'] = { displayName: m.displayName };
  return Buffer.from(t.encode(t.fromObject({ dataMessage })).finish());
}
