// The HTTP listener: starts and stops it. Each request goes through listener/ (admission before
// work, bounded bodies, the reply); connection limits and timeouts are set in listener/connections.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createMetrics, type Metrics } from './ops/metrics';
import { hardenTls, startHttpRedirect, tlsOptions } from './ops/tls';
import { buildRouter } from './api';
import type { Router } from './api/router';
import type { Services } from './domain/services';
import { startJobs, type Jobs } from './jobs';
import { BodyBudget } from './listener/budget';
import { limitConnections, serverOptions } from './listener/connections';
import { createHandler, type ListenerState } from './listener/handler';
import { admissionMetrics } from './listener/metrics';
import { LoadShedder } from './listener/shedder';
import { WorkSlices } from './listener/work-slices';

export interface RunningServer {
  server: http.Server | https.Server;
  /** Prometheus metrics of this server (rendered at /metrics when the `metrics` option allows). */
  metrics: Metrics;
  /** Admission state: the body budget and the load shedder (in flight, the heavy limit). */
  admission: { budget: BodyBudget; shedder: LoadShedder };
  port: number;
  router: Router;
  close(): Promise<void>;
}

/** How long shutdown waits for in-flight requests before cutting their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

export async function startServer(s: Services, opts: { port?: number; host?: string; jobs?: boolean } = {}): Promise<RunningServer> {
  const router = buildRouter({ console: s.config.consoleEnabled ? s.config.consolePath : undefined });
  const c = s.config;
  const st: ListenerState = {
    config: c, router, metrics: createMetrics(s), closing: false,
    budget: new BodyBudget(c.bodyBudgetBytes),
    shedder: new LoadShedder({ maxInFlight: c.maxInFlight, latencyMs: c.shedLatencyMs, delayMs: c.shedLoopDelayMs }),
    slices: new WorkSlices(c.workSliceMs),
  };
  admissionMetrics(st.metrics!.registry, st);
  const handler = createHandler(s, router, st);
  const tls = c.tls ? tlsOptions(c) : null;
  const server = tls ? https.createServer({ ...serverOptions(c), ...tls }, handler) : http.createServer(serverOptions(c), handler);
  if (tls) hardenTls(server as https.Server, s, tls.cert as Buffer);
  // Node would answer `Expect: 100-continue` before the handler runs, inviting bodies that
  // admission then refuses; the handler sends the 100 itself once a body is admitted.
  server.on('checkContinue', handler);
  limitConnections(server, c, s.log);
  server.on('connection', () => st.slices.connectionAccepted());
  st.shedder.start();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? s.config.port, host: opts.host ?? s.config.host, backlog: c.listenBacklog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const redirect = await startHttpRedirect(s, opts.host ?? s.config.host, (server.address() as AddressInfo).port);
  s.store.startUpkeep((e) => s.log.error({ err: e }, 'database upkeep failed'));
  const jobs: Jobs | null = opts.jobs === false ? null : startJobs(s);
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    metrics: st.metrics!,
    admission: { budget: st.budget, shedder: st.shedder },
    port,
    router,
    close: async () => {
      jobs?.stop();
      st.shedder.stop();
      redirect?.close();
      redirect?.closeAllConnections();
      // Stop accepting, let in-flight requests finish (their replies carry `connection: close`),
      // drop idle keep-alive sockets now, and any connection still open after the grace period.
      st.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      force.unref();
      await closed;
      clearTimeout(force);
      await s.activity.flush();
    },
  };
}
