// Prometheus metrics (prom-client, one registry per running server so tests can run several):
// requests by route and status, request and poll latency, and gauges read at scrape time from the
// store and the data folder (rooms, active users, message sequence, database and file store size).
import client from 'prom-client';
import type { Services } from '../domain/services';
import { isPollRoute } from './route-label';

export interface Metrics {
  registry: client.Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
  render(): Promise<{ contentType: string; body: string }>;
}

const SERIES_MAX = 10_000;

export function createMetrics(s: Services): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'sogs_process_' });
  const requests = new client.Counter({
    name: 'sogs_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'sogs_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const poll = new client.Histogram({
    name: 'sogs_poll_duration_seconds',
    help: 'Latency of the requests clients poll with (/batch, /sequence, onion requests, messages/since, pollInfo)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const rooms = new client.Gauge({ name: 'sogs_rooms', help: 'Rooms on this server', registers: [registry] });
  const active = new client.Gauge({
    name: 'sogs_active_users',
    help: 'Active users per room within activeThresholdDays (as the room info reports)',
    labelNames: ['room'],
    registers: [registry],
  });
  const seq = new client.Gauge({
    name: 'sogs_room_message_sequence',
    help: 'Per-room message sequence counter (grows with posts, edits, deletions and reactions)',
    labelNames: ['room'],
    registers: [registry],
  });
  const dbSize = new client.Gauge({ name: 'sogs_database_bytes', help: 'Database size: the SQLite file with its WAL, or the PostgreSQL schema\'s tables', registers: [registry] });
  const fileStore = new client.Gauge({ name: 'sogs_file_store_bytes', help: 'Total size of stored uploads (on disk or in the database)', registers: [registry] });

  const collectState = async (): Promise<void> => {
    const list = await s.store.listRooms();
    rooms.set(list.length);
    active.reset();
    seq.reset();
    for (const r of list) {
      active.set({ room: r.token }, r.activeUsers);
      seq.set({ room: r.token }, r.messageSequence);
    }
    dbSize.set(await s.store.databaseBytes());
    fileStore.set((await s.blobs.list()).reduce((n, b) => n + b.size, 0));
  };

  // The labelled series of each (method, status, route), looked up once: prom-client hashes the
  // label object on every call otherwise, on every request. Labels are bounded (routeLabel).
  const seriesOf = new Map<string, { count: client.Counter.Internal; duration: client.Histogram.Internal<string>; poll: boolean }>();

  return {
    registry,
    observe(method, route, status, seconds) {
      const key = `${method} ${status} ${route}`;
      let series = seriesOf.get(key);
      if (series === undefined) {
        series = { count: requests.labels(method, route, String(status)), duration: duration.labels(route), poll: isPollRoute(route) };
        if (seriesOf.size < SERIES_MAX) seriesOf.set(key, series);
      }
      series.count.inc();
      series.duration.observe(seconds);
      if (series.poll) poll.observe(seconds);
    },
    async render() {
      await collectState();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** Whether a peer may read /metrics under the `metrics` option. */
export function metricsAllowed(mode: string, peer: string | undefined): boolean {
  if (mode === 'on') return true;
  if (mode !== 'loopback' || peer === undefined) return false;
  return peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1';
}
