// Splitting a request target into the decoded path (what is routed and signed) and the raw query.
export function splitTarget(target: string): { rawPath: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, query: '' } : { rawPath: target.slice(0, q), query: target.slice(q + 1) };
}

/** Percent-decodes a path as strict UTF-8; null when the escapes or the UTF-8 are malformed. */
export function decodePath(raw: string): string | null {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}
