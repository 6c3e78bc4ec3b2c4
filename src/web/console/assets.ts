// The console's stylesheet and script, served with the public pages' assets under /static/ (so
// that the console's own path answers nothing without a session). The script is small and only
// helps: it moves a sign-in link's token from the URL fragment into the sign-in form, and sends a
// room image as the raw upload the server reads (the form says so without it).

export const CONSOLE_CSS = `
:root { color-scheme: light dark; --bg: #f6f7f6; --fg: #161816; --muted: #545a56; --card: #fff; --border: #c9cfca;
  --accent: #0a6b45; --accent-fg: #fff; --warn: #8a5a00; --bad: #a3141e; --mark: #fff4cc; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #111312; --fg: #eceeed; --muted: #b4bab6; --card: #1b1e1c; --border: #3b423d; --accent: #00c76a;
    --accent-fg: #000; --warn: #f0b34e; --bad: #ff7a82; --mark: #3a3213; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.45 system-ui, sans-serif; }
header.console { background: var(--card); border-bottom: 1px solid var(--border); }
header.console .wrap { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header.console nav a { margin-right: .8rem; }
header.console .who { margin-left: auto; color: var(--muted); font-size: .9em; }
.wrap { max-width: 72rem; margin: 0 auto; padding: .6rem 1rem; }
a { color: var(--accent); }
h1 { font-size: 1.4rem; margin: .6rem 0; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { border: 1px solid var(--border); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .id { font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
.muted { color: var(--muted); }
.notice { background: var(--card); border-left: 4px solid var(--accent); padding: .5rem .8rem; }
.error { border-left-color: var(--bad); }
.tag { display: inline-block; font-size: .78em; padding: 0 .35rem; border-radius: .3rem; border: 1px solid var(--border); }
.tag.filtered, .tag.held { color: var(--bad); border-color: var(--bad); }
.tag.whisper { color: var(--warn); border-color: var(--warn); }
tr.filtered td, tr.held td { background: var(--mark); }
form.inline { display: inline; }
form.stack { display: grid; gap: .4rem; max-width: 32rem; background: var(--card); padding: .7rem; border: 1px solid var(--border); }
form.row { display: flex; flex-wrap: wrap; gap: .4rem; align-items: end; margin: .3rem 0; }
label { display: grid; gap: .1rem; font-size: .9em; }
label.check { display: inline-flex; gap: .3rem; align-items: center; }
input, select, textarea, button { font: inherit; }
input[type=text], input[type=number], textarea, select { padding: .25rem .35rem; border: 1px solid var(--border); background: var(--bg); color: var(--fg); }
button { padding: .2rem .6rem; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-fg); border-radius: .25rem; cursor: pointer; }
button.danger { border-color: var(--bad); background: var(--bad); color: #fff; }
button.plain { background: transparent; color: var(--accent); }
.body { white-space: pre-wrap; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: .8rem; }
.card { background: var(--card); border: 1px solid var(--border); padding: .6rem .8rem; }
.card h2 { margin-top: 0; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart .bar { fill: var(--accent); }
svg.chart .axis { stroke: var(--border); }
svg.chart text { fill: var(--muted); font-size: 10px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: var(--card); padding: .6rem .8rem; border: 1px solid var(--border); }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
`;

export const CONSOLE_JS = `(function () {
  'use strict';
  var login = document.getElementById('console-login');
  if (login) {
    var token = location.hash.slice(1);
    if (token) {
      // The token leaves the address bar (and the history) before anything else happens.
      history.replaceState(null, '', location.pathname);
      login.elements.namedItem('token').value = token;
      login.submit();
    }
  }
  var upload = document.getElementById('image-upload');
  if (upload) {
    upload.addEventListener('submit', function (e) {
      e.preventDefault();
      var file = upload.elements.namedItem('image').files[0];
      var status = document.getElementById('image-status');
      if (!file) { status.textContent = 'Choose an image first.'; return; }
      status.textContent = 'Uploading…';
      fetch(upload.action, {
        method: 'POST', credentials: 'same-origin', body: file,
        headers: { 'content-type': file.type || 'application/octet-stream', 'x-csrf-token': upload.elements.namedItem('csrf').value,
          'x-file-name': encodeURIComponent(file.name) },
      }).then(function (r) {
        if (r.ok) { location.href = r.headers.get('x-console-next') || location.href; return; }
        return r.text().then(function (t) { status.textContent = 'Upload refused (' + r.status + '): ' + t; });
      }, function () { status.textContent = 'Upload failed.'; });
    });
  }
})();
`;
