// The router with every route of the modern API.
import { Router } from './router';
import { batchRoutes } from './routes/batch';
import { dmRoutes } from './routes/dms';
import { fileRoutes } from './routes/files';
import { pinRoutes } from './routes/pins';
import { reactionRoutes } from './routes/reactions';
import { generalRoutes } from './routes/general';
import { messageRoutes } from './routes/messages';
import { moderationRoutes } from './routes/moderation';
import { onionRoutes } from './routes/onion';
import { permissionRoutes } from './routes/permissions';
import { raidRoutes } from './routes/raids';
import { roomRoutes } from './routes/rooms';
import { webRoutes } from '../web/routes';
import { consoleRoutes } from '../web/console/routes';
import { legacyAliasRoutes, legacyRoutes } from './legacy/routes';

/** `console`: the web console's path when it is on (consoleEnabled, consolePath). */
export function buildRouter(opts: { console?: string } = {}): Router {
  const r = new Router();
  generalRoutes(r);
  batchRoutes(r);
  roomRoutes(r);
  messageRoutes(r);
  reactionRoutes(r);
  pinRoutes(r);
  fileRoutes(r);
  dmRoutes(r);
  moderationRoutes(r);
  permissionRoutes(r);
  raidRoutes(r);
  onionRoutes(r);
  // --- legacy --- the v1 API at /legacy/..., then its plain-path aliases (modern routes win).
  legacyRoutes(r);
  legacyAliasRoutes(r);
  // The moderation console before the public pages, whose `/:room` would take its paths.
  if (opts.console !== undefined) consoleRoutes(r, opts.console);
  // Browser pages last: every API route wins over `/:room`.
  webRoutes(r);
  return r;
}
