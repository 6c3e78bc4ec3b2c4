// Direct messages (docs/protocol/api.md §4.10): POST /inbox/:blinded_id, inbox/outbox listings and their
// `since` polls (304 with an empty body when nothing is new), DELETE /inbox.
import { BLINDED_ID_RE, clearInbox, findRecipient, listDirectMessages, requireBlindUser, sendDirectMessage } from '../../domain/dms';
import { notFound } from '../../domain/errors';
import { requireUser } from '../../domain/messages';
import type { DirectMessage } from '../../store/types';
import { base64Field, intQuery, jsonObject } from '../parse';
import { CT_TEXT, json } from '../respond';
import type { Ctx, Router } from '../router';
import { wholeSeconds } from '../views';
import type { ApiResponse } from '../types';

function dmJson(m: DirectMessage, withBody: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: m.id, posted_at: wholeSeconds(m.postedAt), expires_at: wholeSeconds(m.expiresAt), sender: m.sender, recipient: m.recipient };
  if (withBody) out['message'] = m.body.toString('base64');
  return out;
}

async function send(c: Ctx) {
  // A path that is not a blinded id does not name this route at all (404 before auth).
  if (!BLINDED_ID_RE.test(c.params['sid']!)) throw notFound('Not found');
  requireUser(c.user);
  const recipient = await findRecipient(c.s, c.params['sid']!);
  const body = base64Field(jsonObject(c.req), 'message');
  return json(dmJson(await sendDirectMessage(c.s, c.user, recipient, body), false), 201);
}

/** 304 with an empty body (docs/protocol/api.md §12.21); not JSON, so a batch reply carries body "". */
const notModified = (): ApiResponse => ({ status: 304, headers: { 'content-type': CT_TEXT }, body: Buffer.alloc(0) });

function listing(box: 'inbox' | 'outbox', since: boolean) {
  return async (c: Ctx): Promise<ApiResponse> => {
    requireBlindUser(c.user);
    const limit = intQuery(c.query, 'limit', 100, 1, 256);
    const after = since ? Number(c.params['id']) : 0;
    const rows = await listDirectMessages(c.s, c.user, box, after, limit);
    if (since && rows.length === 0) return notModified();
    return json(rows.map((m) => dmJson(m, true)));
  };
}

async function deleteInbox(c: Ctx) {
  return json({ deleted: await clearInbox(c.s, c.user) });
}

export function dmRoutes(r: Router): void {
  r.post('/inbox/:sid', send, { body: 'message', credentials: 'sogs' });
  r.get('/inbox', listing('inbox', false));
  r.get('/outbox', listing('outbox', false));
  r.get('/inbox/since/:id(int)', listing('inbox', true));
  r.get('/outbox/since/:id(int)', listing('outbox', true));
  r.delete('/inbox', deleteInbox);
}
