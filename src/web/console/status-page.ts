// Server status for global moderators and admins: version, uptime, database and uploads size,
// and the health check's database query.
import { forbidden } from '../../domain/errors';
import { SERVER_VERSION } from '../../version';
import { html } from '../html';
import type { ConsoleHandler } from './context';
import { page } from './http';
import { consolePage } from './layout';

function bytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `${d ? `${d} d ` : ''}${h} h ${m} min`;
}

export const statusPage: ConsoleHandler = async (k) => {
  if (!(k.user.moderator || k.user.admin)) throw forbidden('Server status is for global moderators and admins');
  let healthy = true;
  let dbBytes = 0;
  try {
    dbBytes = await k.s.store.databaseBytes();
  } catch (e) {
    healthy = false;
    k.s.log.error({ err: e }, 'console status: database query failed');
  }
  const blobs = await k.s.blobs.list();
  const uploads = blobs.reduce((a, b) => a + b.size, 0);
  const [rooms, sessions] = await Promise.all([k.s.store.listRooms(), k.s.store.consoleSessions(k.s.clock.now())]);
  return page(
    200,
    consolePage(
      k,
      'Server status',
      html`<h1>Server status</h1>
<dl class="facts" id="status">
<dt>Health</dt><dd id="health">${healthy ? 'ok' : 'database unavailable'}</dd>
<dt>Version</dt><dd>${SERVER_VERSION}</dd>
<dt>Uptime (this process)</dt><dd>${duration(process.uptime())}</dd>
<dt>Database</dt><dd>${k.s.store.kind}, ${bytes(dbBytes)}</dd>
<dt>Uploads</dt><dd>${blobs.length} files, ${bytes(uploads)}</dd>
<dt>Rooms</dt><dd>${rooms.length}</dd>
<dt>Console sessions</dt><dd>${sessions.length}</dd>
</dl>`,
    ),
  );
};
