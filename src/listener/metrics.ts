// Admission's state as Prometheus gauges, read at scrape time: what load shedding and the body
// budget see (refusals themselves are counted as 503s in sogs_http_requests_total).
import client from 'prom-client';
import type { BodyBudget } from './budget';
import type { LoadShedder } from './shedder';
import type { WorkSlices } from './work-slices';

export function admissionMetrics(registry: client.Registry, a: { budget: BodyBudget; shedder: LoadShedder; slices: WorkSlices }): void {
  const gauge = (name: string, help: string, read: () => number): void => {
    new client.Gauge({
      name, help, registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('sogs_requests_in_flight', 'Requests admitted and not yet answered', () => a.shedder.inFlight);
  gauge('sogs_request_body_budget_bytes', 'Request-body bytes held by requests in progress (limit: bodyBudgetBytes)', () => a.budget.inUse);
  gauge('sogs_heavy_in_flight_limit', 'Heavy requests (onion, batch, large or anonymous) admitted at most at once now: load shedding steers it by their service time (shedLatencyMs)', () => a.shedder.heavyLimit);
  gauge('sogs_requests_waiting_for_a_slice', 'Admitted requests whose work waits for a slice between rounds of I/O (workSliceMs)', () => a.slices.waiting);
  gauge('sogs_event_loop_delay_ms', 'How late the event loop ran at the last sample (every 100 ms)', () => a.shedder.eventLoopDelayMs);
}
