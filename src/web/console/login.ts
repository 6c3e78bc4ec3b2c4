// Signing in and out. GET shows the sign-in form (the link's token is in its fragment, which the
// browser never sends: console.js moves it into the form); POST trades the token, once, for a
// session cookie. Neither the link nor the session token is ever written to a log or a page.
import type { Handler } from '../../api/router';
import { signInWithLink, signOut } from '../../domain/console-access';
import { html } from '../html';
import type { ConsoleHandler } from './context';
import { crossSite, page, readForm, redirect, sessionCookie } from './http';
import { publicConsolePage } from './layout';

export const loginForm: Handler = async (c) =>
  page(
    200,
    publicConsolePage(
      'Sign in',
      html`<h1>Sign in</h1>
<form id="console-login" class="stack" method="post" action="${c.s.config.consolePath}login">
<label>Sign-in token (the part of your link after <code>#</code>)<input type="text" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button>
</form>
<p class="muted">Links come from <code>sogs --console-login SESSION_ID</code> on the server. Each works once, for a few minutes.</p>`,
    ),
  );

export const login: Handler = async (c) => {
  const token = readForm(c.req).get('token')?.trim() ?? '';
  // A sign-in sent from another site would sign the browser in as someone else: refused unused.
  const done = !crossSite(c.s.config, c.req) && /^[A-Za-z0-9_-]{20,100}$/.test(token) ? await signInWithLink(c.s, token) : null;
  if (!done) {
    return page(
      403,
      publicConsolePage('Sign in', html`<h1>This link cannot be used</h1><p class="notice error" role="alert">The sign-in link is unknown, was used already or has expired. Ask for a new one (<code>sogs --console-login SESSION_ID</code>).</p>`),
    );
  }
  const cookie = sessionCookie(c.s.config, c.req, done.token, done.session.expires - c.s.clock.now());
  return redirect(c.s.config.consolePath, { 'set-cookie': cookie });
};

export const logout: ConsoleHandler = async (k) => {
  await signOut(k.s, k.user, k.session);
  return redirect(`${k.s.config.consolePath}login`, { 'set-cookie': sessionCookie(k.s.config, k.c.req, 'ended', 0) });
};
