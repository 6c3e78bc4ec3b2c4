// QR codes of join URLs. The `qrcode` package encodes the text into modules; we draw them as an
// exactly 512×512 black-on-white PNG (docs/protocol/api.md §4.12) with whole-pixel modules, centred, and at
// least the standard 4-module quiet zone, so phone cameras read it at a glance. Join URLs change
// only with the configuration or the server key, so each is drawn once per process and kept.
import { PNG } from 'pngjs';
import QRCode from 'qrcode';

export const QR_SIZE = 512;
const QUIET_ZONE = 4;
const MAX_CACHED = 256;
const cache = new Map<string, Buffer>();

export function drawQrPng(text: string, size = QR_SIZE): Buffer {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const scale = Math.max(1, Math.floor(size / (n + 2 * QUIET_ZONE)));
  const offset = Math.floor((size - n * scale) / 2);
  const png = new PNG({ width: size, height: size }); // RGBA, written out as 8-bit grey
  png.data.fill(255);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      if (!qr.modules.get(row, col)) continue;
      for (let y = offset + row * scale; y < offset + (row + 1) * scale; y++) {
        for (let x = offset + col * scale; x < offset + (col + 1) * scale; x++) {
          const i = (y * size + x) * 4;
          png.data[i] = png.data[i + 1] = png.data[i + 2] = 0;
        }
      }
    }
  }
  return PNG.sync.write(png, { colorType: 0 });
}

/** The join URL's QR code as a PNG (cached). */
export function qrPng(text: string): Buffer {
  let png = cache.get(text);
  if (!png) {
    if (cache.size >= MAX_CACHED) cache.clear();
    png = drawQrPng(text);
    cache.set(text, png);
  }
  return png;
}
