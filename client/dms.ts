// Blinded direct messages (docs/protocol/api.md §4.10). The body is opaque to the server; real clients encrypt
// it (docs/protocol/crypto.md §6), tests may send any bytes.
import type { ClientResponse, SogsClient } from './client';

export function sendDirectMessage(client: SogsClient, recipient: string, body: Buffer): Promise<ClientResponse> {
  return client.post(`/inbox/${recipient}`, { message: body.toString('base64') });
}
