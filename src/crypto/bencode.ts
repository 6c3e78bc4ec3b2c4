const L = 0x6c; // 'l'
const E = 0x65; // 'e'
const COLON = 0x3a;

/** `l` + `<len>:<bytes>` for each part + `e`: the v4 onion request/response container. */
export function bencodeList(parts: Buffer[]): Buffer {
  const chunks: Buffer[] = [Buffer.from([L])];
  for (const p of parts) chunks.push(Buffer.from(`${p.length}:`, 'ascii'), p);
  chunks.push(Buffer.from([E]));
  return Buffer.concat(chunks);
}

/**
 * Strict decoder for a top-level list of byte strings only (docs/protocol/crypto.md §4.4): no integers, dicts or nested
 * lists, nothing after the closing `e`, at most `maxParts` elements. Leading zeros in lengths are
 * tolerated as the reference does (int("03") == 3). Returned parts are views into `buf`.
 */
export function bdecodeList(buf: Buffer, maxParts: number): Buffer[] | null {
  if (buf.length < 2 || buf[0] !== L) return null;
  const parts: Buffer[] = [];
  let pos = 1;
  for (;;) {
    if (pos >= buf.length) return null;
    if (buf[pos] === E) return pos === buf.length - 1 ? parts : null;
    if (parts.length >= maxParts) return null;
    const digitsStart = pos;
    let len = 0;
    while (pos < buf.length && buf[pos] >= 0x30 && buf[pos] <= 0x39) {
      len = len * 10 + (buf[pos] - 0x30);
      // Checked per digit so an absurd declared length fails here, before any arithmetic overflow.
      if (len > buf.length) return null;
      pos++;
    }
    if (pos === digitsStart || pos >= buf.length || buf[pos] !== COLON) return null;
    pos++;
    if (len > buf.length - pos) return null;
    parts.push(buf.subarray(pos, pos + len));
    pos += len;
  }
}
