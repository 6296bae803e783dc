/** Builds PNG files chunk by chunk for decoder tests and the fuzz seeds: any header, any (even broken) data. */
import * as zlib from 'zlib';
import { crc32 } from '../../lib/io/bytes';

export function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'latin1');
  b.set(data, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}

export interface PngSpec {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace?: 0 | 1;
  /** The filtered scanlines (filter byte + row bytes per row, per pass when interlaced), before deflate. */
  raw: Uint8Array;
  /** Keep only the first `cut` bytes of the deflate stream (a truncated stream in a well-formed file). */
  cut?: number;
  extra?: Buffer[];
}

export function buildPng(s: PngSpec): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr[8] = s.depth;
  ihdr[9] = s.colorType;
  ihdr[12] = s.interlace ?? 0;
  let z = zlib.deflateSync(s.raw);
  if (s.cut !== undefined) z = z.subarray(0, s.cut);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...(s.extra ?? []), chunk('IDAT', z), chunk('IEND', new Uint8Array(0)),
  ]);
}

/** Filter-0 scanlines of 8-bit samples: `px(x, y)` gives the `channels` samples of a pixel. */
export function rawRows(w: number, h: number, channels: number, px: (x: number, y: number) => number[]): Uint8Array {
  const out = new Uint8Array(h * (1 + w * channels));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set(px(x, y), y * (1 + w * channels) + 1 + x * channels);
  return out;
}

/** Adam7-interlaced filter-0 scanlines of 8-bit samples. */
export function rawAdam7(w: number, h: number, channels: number, px: (x: number, y: number) => number[]): Uint8Array {
  const parts: number[] = [];
  for (const [x0, y0, dx, dy] of [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]) {
    const pw = Math.ceil((w - x0) / dx);
    const ph = Math.ceil((h - y0) / dy);
    if (pw <= 0 || ph <= 0) continue;
    for (let y = 0; y < ph; y++) {
      parts.push(0);
      for (let x = 0; x < pw; x++) parts.push(...px(x0 + x * dx, y0 + y * dy));
    }
  }
  return Uint8Array.from(parts);
}
