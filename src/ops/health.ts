// GET /healthz: 200 {"status":"ok"} after a trivial database query, 503 when the database fails.
import type { Services } from '../domain/services';
import type { ApiResponse } from '../api/types';
import { json } from '../api/respond';

export async function health(s: Services): Promise<ApiResponse> {
  try {
    // A lookup that touches the database and cannot match a room (tokens are never empty).
    await s.store.getRoom('');
    return { ...json({ status: 'ok' }), headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } };
  } catch (e) {
    s.log.error({ err: e }, 'health check: database query failed');
    return { ...json({ status: 'error', error: 'database unavailable' }, 503), headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } };
  }
}
