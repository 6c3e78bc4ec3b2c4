// Uploads and direct messages.

export interface FileRecord {
  id: number;
  /** null once the room was deleted. */
  roomId: number | null;
  uploaderId: number | null;
  /** The post it is attached to, if any. */
  messageId: number | null;
  size: number;
  uploaded: number;
  /** null = never expires. */
  expiry: number | null;
  /** As the uploader named it (NUL and '/' replaced), or null. */
  filename: string | null;
  /** Where the bytes live, relative to the blob store's root (a FileBlobs path). */
  path: string;
}

export interface NewFile {
  roomId: number;
  uploaderId: number;
  size: number;
  filename: string | null;
  now: number;
  expiry: number;
  /** Builds the blob path from the new row's id (ids are only known after the insert). */
  pathFor(id: number): string;
}

export interface DirectMessage {
  id: number;
  postedAt: number;
  expiresAt: number;
  sender: string;
  recipient: string;
  body: Buffer;
}

export interface NewDirectMessage {
  senderId: number;
  recipientId: number;
  body: Buffer;
  now: number;
  expiry: number;
}

/** Whom a sender wrote to lately (Store.dmRecipients; domain/dm-limits.ts). */
export interface DmRecipients {
  /** Different people the sender wrote to in the window, leaving out those who wrote to the sender. */
  strangers: number;
  /** The recipient is one the sender wrote to in the window, or one who wrote to the sender. */
  known: boolean;
}
