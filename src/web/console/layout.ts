// The console's page shell: navigation, who is signed in, the sign-out form. The navigation is
// one list (NAV): a page added later is one entry here and one route in routes.ts.
import { html, stripBidi, type SafeHtml } from '../html';
import { staticUrl } from '../static';
import type { ConsoleCtx } from './context';

export interface NavEntry {
  /** Path under the console's root ('' = the overview). */
  path: string;
  label: string;
  /** Shown only to global admins. */
  adminOnly?: boolean;
}

export const NAV: readonly NavEntry[] = [
  { path: '', label: 'Overview' },
  { path: 'raids', label: 'Raids' },
  { path: 'moderators', label: 'Moderators' },
  { path: 'audit', label: 'Audit log' },
  { path: 'status', label: 'Server status' },
];

function head(title: string): SafeHtml {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<title>${stripBidi(title)} · Console</title>
<link rel="stylesheet" href="${staticUrl('console.css')}">
<script src="${staticUrl('console.js')}" defer></script>
</head>`;
}

/** A page for a signed-in moderator. */
export function consolePage(k: ConsoleCtx, title: string, content: SafeHtml): SafeHtml {
  const base = k.s.config.consolePath;
  const links = NAV.filter((n) => !n.adminOnly || k.user.admin).map((n) => html`<a href="${base + n.path}">${n.label}</a>`);
  const role = k.user.admin ? 'global admin' : k.user.moderator ? 'global moderator' : 'room moderator';
  return html`<!DOCTYPE html>
<html lang="en" dir="ltr">
${head(title)}
<body>
<header class="console"><div class="wrap">
<strong>Moderation console</strong>
<nav>${links}</nav>
<span class="who">Signed in as <a class="id" href="${base}user/${k.user.sessionId}">${k.user.sessionId.slice(0, 10)}…</a> (${role})</span>
<form class="inline" method="post" action="${base}logout"><input type="hidden" name="csrf" value="${k.session.csrf}"><button class="plain" type="submit">Sign out</button></form>
</div></header>
<main class="wrap" id="main">
${k.notice ? html`<p class="notice" role="status">${k.notice}</p>` : ''}
${content}
</main>
</body>
</html>
`;
}

/** A page for nobody signed in: the sign-in form and refusals. */
export function publicConsolePage(title: string, content: SafeHtml): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="en" dir="ltr">
${head(title)}
<body>
<header class="console"><div class="wrap"><strong>Moderation console</strong></div></header>
<main class="wrap" id="main">
${content}
</main>
</body>
</html>
`;
}

/** The hidden CSRF field every console form carries. */
export function csrfField(k: ConsoleCtx): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${k.session.csrf}">`;
}

/** A unix time as UTC to the minute. */
export function time(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ');
}
