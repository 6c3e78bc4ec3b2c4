// Reactions (docs/protocol/api.md §4.4): the reaction is percent-encoded UTF-8 in the path.
import type { ClientResponse, SogsClient } from './client';

const path = (room: string, id: number, reaction: string) => `/room/${room}/reaction/${id}/${encodeURIComponent(reaction)}`;

export function react(client: SogsClient, room: string, id: number, reaction: string): Promise<ClientResponse> {
  return client.put(path(room, id, reaction), {});
}

export function unreact(client: SogsClient, room: string, id: number, reaction: string): Promise<ClientResponse> {
  return client.delete(path(room, id, reaction));
}

export function reactors(client: SogsClient, room: string, id: number, reaction: string, limit?: number): Promise<ClientResponse> {
  return client.get(`/room/${room}/reactors/${id}/${encodeURIComponent(reaction)}` + (limit === undefined ? '' : `?limit=${limit}`));
}
