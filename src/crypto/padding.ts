/**
 * Session padding (docs/protocol/api.md §5.6): if the last byte is 0x00 or 0x80, strip trailing 0x00s and then
 * one 0x80; if no 0x80 turns up, the data was not padded and is returned untouched.
 */
export function removePadding(data: Buffer): Buffer {
  const lastByte = data[data.length - 1];
  if (data.length === 0 || (lastByte !== 0x00 && lastByte !== 0x80)) return data;
  let end = data.length;
  while (end > 0 && data[end - 1] === 0x00) end--;
  if (end > 0 && data[end - 1] === 0x80) return data.subarray(0, end - 1);
  return data;
}

/** Re-pads to the originally posted length with 0x80 then 0x00s, so signed bytes round-trip. */
export function addPadding(unpadded: Buffer, paddedSize: number): Buffer {
  if (paddedSize <= unpadded.length) return unpadded;
  const out = Buffer.alloc(paddedSize);
  unpadded.copy(out);
  out[unpadded.length] = 0x80;
  return out;
}
