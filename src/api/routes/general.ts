// /capabilities (api.md §4.1).
import { json } from '../respond';
import type { Ctx, Router } from '../router';

export function capabilities(c: Ctx): string[] {
  const caps = ['sogs', 'reactions'];
  if (c.s.config.requireBlindKeys) caps.push('blind');
  return caps.sort();
}

async function getCapabilities(c: Ctx) {
  const caps = capabilities(c);
  const required = c.query.get('required');
  if (required !== null) {
    const missing = required.split(',').filter((r) => !caps.includes(r));
    if (missing.length > 0) return json({ capabilities: caps, missing }, 412);
  }
  return json({ capabilities: caps });
}

export function generalRoutes(r: Router): void {
  r.get('/capabilities', getCapabilities);
}
