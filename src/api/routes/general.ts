// /capabilities (docs/protocol/api.md §4.1).
import type { Config } from '../../config';
import { json, jsonText } from '../respond';
import type { Ctx, Router } from '../router';

/** A server's capabilities, sorted, and the reply listing them, serialised (see headersJson for why). */
export interface Capabilities {
  list: readonly string[];
  text: string;
}

function build(blind: boolean): Capabilities {
  const list = ['sogs', 'reactions'];
  if (blind) list.push('blind');
  list.sort();
  return { list: Object.freeze(list), text: JSON.stringify({ capabilities: list }) };
}

// Every poll asks, and the answer depends on one setting: both answers are built once, here.
const OPEN = build(false);
const BLIND = build(true);

export function capabilities(config: Pick<Config, 'requireBlindKeys'>): Capabilities {
  return config.requireBlindKeys ? BLIND : OPEN;
}

async function getCapabilities(c: Ctx) {
  const caps = capabilities(c.s.config);
  const required = c.query.get('required');
  if (required !== null) {
    const missing = required.split(',').filter((r) => !caps.list.includes(r));
    if (missing.length > 0) return json({ capabilities: caps.list, missing }, 412);
  }
  return jsonText(caps.text);
}

export function generalRoutes(r: Router): void {
  r.get('/capabilities', getCapabilities);
}
