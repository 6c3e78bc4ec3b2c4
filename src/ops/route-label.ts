// A bounded label for a request path, for metrics and the access log: ids, numbers and room tokens
// become placeholders, so neither user input nor room names blow up label cardinality.
const API_FIRST = new Set([
  'batch', 'sequence', 'capabilities', 'rooms', 'room', 'inbox', 'outbox', 'user', 'oxen', 'loki', 'legacy', 'static', 'r', 'healthz', 'metrics',
]);

// Labels by path, remembered: nearly every request is a poll on one of a few paths, and working a
// label out costs about as much as recording the metric. Cleared when full (paths with ids vary).
const LABELS_MAX = 4096;
const labels = new Map<string, string>();

/**
 * `consolePrefix` is the web console's path when it is served (config consolePath, e.g. /admin/):
 * its routes are labelled below that prefix by the same rules as the API's.
 */
export function routeLabel(path: string, status: number, consolePrefix: string | null = null): string {
  if (status === 404 || status === 405) return '<unmatched>';
  let label = labels.get(path);
  if (label === undefined) {
    label = consolePrefix !== null && (path + '/').startsWith(consolePrefix)
      ? consolePrefix.slice(0, -1) + labelOf(path.slice(consolePrefix.length - 1), true)
      : labelOf(path);
    if (labels.size >= LABELS_MAX) labels.clear();
    labels.set(path, label);
  }
  return label;
}

function labelOf(path: string, anyFirst = false): string {
  const segs = path.split('/').filter((x) => x !== '');
  if (segs.length === 0) return '/';
  if (!anyFirst && !API_FIRST.has(segs[0]!)) return segs.length === 1 ? '/:room' : '<unmatched>';
  if (segs.length > 8) return '<unmatched>';
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const prev = segs[i - 1];
    if (/^\d+$/.test(seg)) out.push(':int');
    else if (/^[0-9a-fA-F]{64,66}$/.test(seg)) out.push(':id');
    else if (prev === 'room' || prev === 'rooms' || prev === 'r') out.push(':room');
    else if (prev === 'static' || (i >= 3 && /^(reactors|reaction)$/.test(segs[i - 1] ?? ''))) out.push(':name');
    else if (i >= 4 && segs[i - 2] === 'file' && /^\d+$/.test(prev!)) {
      // A download's file name, which may itself hold '/': one placeholder for all of it.
      out.push(':name');
      break;
    }
    // Route words start lower case and may go on in camelCase or with digits (pollInfo, v4).
    else if (/^[a-z][A-Za-z0-9_]{0,23}$/.test(seg)) out.push(seg);
    else out.push(':param');
  }
  return '/' + out.join('/');
}

/** Routes clients poll: their latency is what users feel. */
export function isPollRoute(label: string): boolean {
  return /^\/(batch|sequence)$|^\/room\/:room\/(messages\/since\/:int|pollInfo\/:int|messages\/recent)$|^\/oxen\/v4\/lsrpc$/.test(label);
}
