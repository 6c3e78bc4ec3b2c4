// /capabilities (docs/protocol/api.md §4.1).
import { json, jsonText } from '../respond';
import type { Ctx, Router } from '../router';

export function capabilities(c: Ctx): string[] {
  const caps = ['sogs', 'reactions'];
  if (c.s.config.requireBlindKeys) caps.push('blind');
  return caps.sort();
}

// Every poll asks: the answer, one of two, is serialised once (see headersJson for why).
const capabilitiesText = new Map<string, string>();

async function getCapabilities(c: Ctx) {
  const caps = capabilities(c);
  const required = c.query.get('required');
  if (required !== null) {
    const missing = required.split(',').filter((r) => !caps.includes(r));
    if (missing.length > 0) return json({ capabilities: caps, missing }, 412);
  }
  const key = caps.join(',');
  let text = capabilitiesText.get(key);
  if (text === undefined) capabilitiesText.set(key, (text = JSON.stringify({ capabilities: caps })));
  return jsonText(text);
}

export function generalRoutes(r: Router): void {
  r.get('/capabilities', getCapabilities);
}
