// The router with every route of the modern API.
import { Router } from './router';
import { batchRoutes } from './routes/batch';
import { generalRoutes } from './routes/general';
import { messageRoutes } from './routes/messages';
import { onionRoutes } from './routes/onion';
import { roomRoutes } from './routes/rooms';

export function buildRouter(): Router {
  const r = new Router();
  generalRoutes(r);
  batchRoutes(r);
  roomRoutes(r);
  messageRoutes(r);
  onionRoutes(r);
  return r;
}
