// The web pages' static assets, kept in memory as strings so that the build output needs no files
// beside the compiled code: the stylesheet, the copy button's script (progressive enhancement:
// pages work without it) and the favicon. Served under /static/ with a content-hash query string
// in the pages' links, so a changed asset is never served stale from a cache.
import crypto from 'node:crypto';
import { CONSOLE_CSS, CONSOLE_JS } from './console/assets';

const CSS = `
:root {
  color-scheme: light dark;
  --bg: #f7f8f7;
  --fg: #161816;
  --muted: #4d524e;
  --card: #ffffff;
  --border: #c9cfca;
  --link: #055c3a;
  --accent: #0a6b45;
  --accent-fg: #ffffff;
  --code-bg: #e9efeb;
  --focus: #0050b3;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #101211;
    --fg: #eceeed;
    --muted: #b4bab6;
    --card: #1b1e1c;
    --border: #3b423d;
    --link: #4ef0a0;
    --accent: #00f782;
    --accent-fg: #000000;
    --code-bg: #242a26;
    --focus: #8cc4ff;
  }
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--fg);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  font-size: 1rem;
  line-height: 1.5;
}
a { color: var(--link); text-underline-offset: 0.15em; }
a:focus-visible, button:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: 0; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: var(--card); padding: 0.5rem 0.75rem; z-index: 1; }
.wrap { max-width: 44rem; margin: 0 auto; padding: 0 1rem; }
header.site { border-bottom: 1px solid var(--border); background: var(--card); }
header.site .wrap { padding-top: 0.75rem; padding-bottom: 0.75rem; }
header.site a { font-weight: 600; text-decoration: none; color: var(--fg); }
header.site a:hover { text-decoration: underline; }
main { padding-top: 1rem; padding-bottom: 2rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 0.75rem; }
h2 { font-size: 1.3rem; margin: 1.75rem 0 0.5rem; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
h1, h2, h3, p, li, dd { overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.room-head { display: flex; gap: 1rem; align-items: center; }
.room-head img { flex: none; border-radius: 0.75rem; object-fit: cover; background: var(--code-bg); }
.description { white-space: pre-wrap; }
.rooms { list-style: none; padding: 0; margin: 0; }
.rooms > li {
  display: flex; gap: 0.875rem; align-items: flex-start;
  background: var(--card); border: 1px solid var(--border); border-radius: 0.75rem;
  padding: 0.875rem 1rem; margin: 0 0 0.75rem;
}
.rooms img { flex: none; border-radius: 0.5rem; object-fit: cover; background: var(--code-bg); }
.rooms h2 { margin: 0 0 0.25rem; font-size: 1.15rem; }
.rooms p { margin: 0.25rem 0; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 0.75rem; padding: 1rem; }
.join-url {
  display: block; padding: 0.625rem 0.75rem; margin: 0.25rem 0 0.75rem;
  background: var(--code-bg); border-radius: 0.5rem;
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.9rem; overflow-wrap: anywhere; word-break: break-all; user-select: all;
}
button.copy {
  min-height: 2.75rem; padding: 0.5rem 1.125rem; border: 0; border-radius: 999px;
  background: var(--accent); color: var(--accent-fg); font: inherit; font-weight: 600; cursor: pointer;
}
button.copy:hover { filter: brightness(1.08); }
.copy-status { min-height: 1.5em; margin: 0.25rem 0 0; color: var(--muted); }
figure.qr { margin: 1rem 0; }
figure.qr img {
  display: block; width: 16rem; max-width: 100%; height: auto;
  background: #ffffff; border-radius: 0.5rem; image-rendering: pixelated;
}
figure.qr figcaption { color: var(--muted); margin-top: 0.25rem; }
ol.steps { padding-left: 1.5rem; }
ol.steps li { margin: 0.25rem 0; }
.messages { list-style: none; padding: 0; margin: 0; }
.messages > li { border-bottom: 1px solid var(--border); padding: 0.625rem 0; }
.messages > li:last-child { border-bottom: 0; }
.meta { margin: 0; font-size: 0.9rem; color: var(--muted); display: flex; flex-wrap: wrap; gap: 0 0.5rem; }
.meta .name { color: var(--fg); font-weight: 600; }
.meta .sid { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
.body { margin: 0.125rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.note { font-style: italic; color: var(--muted); }
.attachments { margin: 0.25rem 0 0; padding-left: 1.25rem; color: var(--muted); font-size: 0.95rem; }
bdi, .isolate { unicode-bidi: isolate; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; background: var(--code-bg); padding: 0 0.25rem; border-radius: 0.25rem; overflow-wrap: anywhere; }
footer { border-top: 1px solid var(--border); color: var(--muted); font-size: 0.9rem; }
footer .wrap { padding-top: 1rem; padding-bottom: 2rem; }
@media (max-width: 30rem) {
  h1 { font-size: 1.45rem; }
  .room-head img { width: 3.5rem; height: 3.5rem; }
}
`;

// Progressive enhancement for the copy button: the button is `hidden` in the markup and shown only
// when this script runs. Copies with the Clipboard API where the page is a secure context, else by
// selecting the text and execCommand('copy'); if both fail it leaves the text selected and says so.
const COPY_JS = `(function () {
  'use strict';
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function legacyCopy(el) {
    selectText(el);
    try { return document.execCommand('copy'); } catch (e) { return false; }
  }
  function copy(text, el) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return legacyCopy(el); });
    }
    return Promise.resolve(legacyCopy(el));
  }
  var buttons = document.querySelectorAll('button[data-copy-target]');
  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.getAttribute('data-copy-target'));
    var status = document.getElementById(button.getAttribute('data-copy-status'));
    if (!target) return;
    var label = button.textContent;
    var timer = null;
    button.hidden = false;
    button.addEventListener('click', function () {
      copy(target.textContent.trim(), target).then(function (ok) {
        button.textContent = ok ? 'Copied!' : label;
        if (status) status.textContent = ok ? 'Link copied to the clipboard.' : 'Press Ctrl+C (or long-press and choose Copy) to copy the selected link.';
        if (!ok) selectText(target);
        if (timer) clearTimeout(timer);
        timer = setTimeout(function () { button.textContent = label; }, 4000);
      });
    });
  });
})();
`;

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#0a6b45"/><path d="M16 20a6 6 0 0 1 6-6h20a6 6 0 0 1 6 6v16a6 6 0 0 1-6 6H30l-9 8v-8h1a6 6 0 0 1-6-6z" fill="#ffffff"/></svg>
`;

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  /** Short content hash, used as a cache-busting query in links. */
  version: string;
}

function asset(text: string, contentType: string): StaticAsset {
  const body = Buffer.from(text, 'utf8');
  return { body, contentType, version: crypto.createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

export const STATIC_ASSETS: Readonly<Record<string, StaticAsset>> = {
  'site.css': asset(CSS, 'text/css; charset=utf-8'),
  'copy.js': asset(COPY_JS, 'text/javascript; charset=utf-8'),
  'favicon.svg': asset(FAVICON, 'image/svg+xml'),
  'console.css': asset(CONSOLE_CSS, 'text/css; charset=utf-8'),
  'console.js': asset(CONSOLE_JS, 'text/javascript; charset=utf-8'),
};

/** The URL of a static asset, with its content hash. */
export function staticUrl(name: keyof typeof STATIC_ASSETS & string): string {
  const a = STATIC_ASSETS[name];
  if (!a) throw new Error(`no static asset ${name}`);
  return `/static/${name}?v=${a.version}`;
}
