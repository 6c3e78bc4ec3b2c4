import { decodeBase64Strict } from './base64';
import { decodeHex } from './hex';

/**
 * PySOGS decode_hex_or_b64: exactly 2×size characters means hex (many hex strings are also valid
 * base64, so length decides); otherwise base64 whose length lies between the unpadded and padded
 * encodings of `size` bytes and which decodes to exactly `size` bytes.
 */
export function decodeHexOrBase64Exact(value: string, size: number): Buffer | null {
  if (typeof value !== 'string') return null;
  if (value.length === size * 2) return decodeHex(value);
  const unpadded = Math.ceil((size * 4) / 3);
  const padded = Math.ceil(size / 3) * 4;
  if (value.length < unpadded || value.length > padded) return null;
  const b = decodeBase64Strict(value);
  return b && b.length === size ? b : null;
}
