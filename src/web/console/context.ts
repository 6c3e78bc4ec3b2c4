// What a console handler runs with, and the guard every console route but sign-in goes through:
// a valid session (cookie) bound to a user who still moderates something, and on POST the
// session's CSRF token. Rule refusals (DomainError) become an HTML page with the API's status.
import { statusOf } from '../../api/respond';
import type { Ctx, Handler } from '../../api/router';
import type { ApiResponse } from '../../api/types';
import { consoleIdentity, sameToken } from '../../domain/console-access';
import { DomainError } from '../../domain/errors';
import { RequestContext } from '../../domain/request-context';
import type { Services } from '../../domain/services';
import type { ConsoleSession, User } from '../../store/types';
import { html } from '../html';
import { cookieToken, crossSite, page, readForm } from './http';
import { consolePage, publicConsolePage } from './layout';

export interface ConsoleCtx {
  c: Ctx;
  s: Services;
  /** The signed-in identity: every rule runs as this user. */
  user: User;
  session: ConsoleSession;
  /** A request context of the signed-in user, for the domain rules that take one. */
  rc: RequestContext;
  /** The POSTed form (empty for GET). */
  form: URLSearchParams;
  /** A one-line status shown at the top of the page (from a fixed list: see NOTICES). */
  notice?: string;
}

export type ConsoleHandler = (k: ConsoleCtx) => Promise<ApiResponse>;

/** What a redirect after an action may say (`?done=KEY`): fixed texts, so a crafted link cannot put words on the page. */
export const NOTICES: Readonly<Record<string, string>> = {
  deleted: 'Post deleted.',
  pinned: 'Post pinned.',
  unpinned: 'Post unpinned.',
  banned: 'User banned.',
  unbanned: 'Ban lifted.',
  'deleted-all': "The user's posts were deleted.",
  role: 'Moderators changed.',
  permissions: 'Permissions changed.',
  scheduled: 'Permission change scheduled.',
  defaults: 'Room defaults changed.',
  saved: 'Room settings saved.',
  created: 'Room created.',
  image: 'Room image changed.',
  'raid-on': "Raid mode on: new accounts' posts are held for moderators.",
  'raid-off': 'Raid mode ended.',
  released: 'Held posts released.',
  dropped: 'Held posts dropped.',
};

export function signInRequired(status: 401 | 403 = 401): ApiResponse {
  return page(
    status,
    publicConsolePage(
      'Sign in',
      html`<h1>Sign in required</h1><p>Open a sign-in link to use the console. An operator mints one on the server with <code>sogs --console-login SESSION_ID</code>; each link works once and only for a few minutes.</p>`,
    ),
  );
}

export function errorPage(k: ConsoleCtx, status: number, message: string): ApiResponse {
  return page(status, consolePage(k, 'Refused', html`<h1>Refused</h1><p class="notice error" role="alert">${message}</p><p><a href="${k.s.config.consolePath}">Back to the overview</a></p>`));
}

/** Wraps a console handler: no valid session, no answer; a POST without the session's CSRF token, 403. */
export function guarded(h: ConsoleHandler, opts: { raw?: boolean } = {}): Handler {
  return async (c) => {
    const token = cookieToken(c.req);
    const identity = token === null ? null : await consoleIdentity(c.s, token);
    if (!identity) return signInRequired();
    const isPost = c.req.method === 'POST';
    const form = isPost && !opts.raw ? readForm(c.req) : new URLSearchParams();
    if (isPost) {
      if (crossSite(c.s.config, c.req)) return page(403, publicConsolePage('Refused', html`<h1>Refused</h1><p>A console form can only be sent from the console itself.</p>`));
      const sent = opts.raw ? (c.req.headers['x-csrf-token'] ?? '') : (form.get('csrf') ?? '');
      if (!sameToken(sent, identity.session.csrf)) return page(403, publicConsolePage('Refused', html`<h1>Refused</h1><p>The form was missing its security token or it was wrong. Go back, reload the page and try again.</p>`));
    }
    const done = c.query.get('done');
    const k: ConsoleCtx = { c, s: c.s, ...identity, rc: new RequestContext(identity.user), form, notice: done !== null && Object.hasOwn(NOTICES, done) ? NOTICES[done] : undefined };
    try {
      return await h(k);
    } catch (e) {
      if (e instanceof DomainError) return errorPage(k, statusOf(e.kind), e.message);
      throw e;
    }
  };
}
