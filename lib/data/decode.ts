/**
 * PNG and JPEG bytes to RGBA 8-bit, failing on anything truncated or corrupt instead of returning pixels the
 * file does not hold.
 *
 * PNG: the container is checked here before any pixel is decoded — signature, every chunk's length and CRC,
 * IHDR first with a valid size, bit depth and colour type, the pixel count against a budget (before anything is
 * allocated for it), IDAT data that inflates (Node's zlib, which fails on a truncated or corrupt stream) to
 * exactly the bytes the header promises, an IEND chunk. Then fast-png (pure JavaScript, synchronous, MIT; the
 * image-js project's decoder) unfilters and de-interlaces, and the samples are expanded to RGBA here (grey,
 * grey+alpha, RGB, RGBA, palette; 1/2/4/8/16-bit; tRNS transparency). fast-png 6 is used (7+ ships only as an ES
 * module, which this CommonJS package and Node 18 cannot require). It mis-decodes interlaced images of fewer than
 * 8 bits per sample, so those are refused with a clear error.
 * JPEG: jpeg-js, with its resolution and memory caps.
 *
 * Why not pngjs (used before): its synchronous inflate decoded truncated IDAT streams "successfully", filling
 * the missing rows from uninitialized memory. Why not sharp (libvips): asynchronous only, while decodeImage is a
 * synchronous public API used by the CLI and loadImage; a native dependency the TypeScript-only path must not
 * need; and, for 28×28 images, slower per image than the pure-JS decoders (scripts/bench-decode.ts).
 */
import * as zlib from 'zlib';
import * as jpeg from 'jpeg-js';
import { decode as decodePng } from 'fast-png';
import { invalidType } from '../validate';
import { crc32 } from '../io/bytes';

export interface RgbaImage {
  width: number;
  height: number;
  /** width·height·4 bytes, RGBA, row-major. */
  data: Uint8Array;
}

export interface DecodeOptions {
  /** Refuse images above this many megapixels before decoding them (default 100). */
  maxResolutionInMP?: number;
  /** JPEG decoder memory cap in MB (default 512). */
  maxMemoryUsageInMB?: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_MAGIC.every((v, i) => b[i] === v);
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** Samples per pixel of each PNG colour type, and the bit depths it allows. */
const COLOR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] }, // grey
  2: { channels: 3, depths: [8, 16] }, // RGB
  3: { channels: 1, depths: [1, 2, 4, 8] }, // palette index
  4: { channels: 2, depths: [8, 16] }, // grey + alpha
  6: { channels: 4, depths: [8, 16] }, // RGBA
};

const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/** Filtered (pre-unfilter) bytes a PNG of this header inflates to: one filter byte per row of each pass. */
function rawSize(h: PngHeader): number {
  const bits = COLOR_TYPES[h.colorType].channels * h.depth;
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (h.interlace === 0) return rows(h.width, h.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy));
  return total;
}

/** Walks and checks the PNG container; returns the header and the inflated image data's expected size. */
function checkPng(buf: Uint8Array, maxPixels: number): PngHeader {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 8;
  let header: PngHeader | null = null;
  const idat: Uint8Array[] = [];
  let sawPlte = false;
  for (;;) {
    if (off + 12 > buf.length) throw new Error(`truncated at byte ${buf.length} (no IEND chunk)`);
    const len = dv.getUint32(off, false);
    const type = String.fromCharCode(buf[off + 4], buf[off + 5], buf[off + 6], buf[off + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`bad chunk type at byte ${off}`);
    if (len > 0x7fffffff || off + 12 + len > buf.length) throw new Error(`truncated inside chunk ${type} at byte ${off} (${len} bytes declared)`);
    const body = buf.subarray(off + 8, off + 8 + len);
    const crcOk = crc32(buf.subarray(off + 4, off + 8 + len)) === dv.getUint32(off + 8 + len, false);
    if (!crcOk && header !== null) throw new Error(`CRC mismatch in chunk ${type} at byte ${off}`);
    if (header === null) {
      if (type !== 'IHDR' || len !== 13) throw new Error('the first chunk is not a 13-byte IHDR');
      const b = new DataView(body.buffer, body.byteOffset, 13);
      header = { width: b.getUint32(0, false), height: b.getUint32(4, false), depth: body[8], colorType: body[9], interlace: body[12] };
      const { width: w, height: h, depth, colorType, interlace } = header;
      if (w < 1 || h < 1 || w > 0x7fffffff || h > 0x7fffffff) throw new Error(`bad size ${w}x${h}`);
      if (w * h > maxPixels) throw new Error(`${w}x${h} exceeds maxResolutionInMP ${maxPixels / 1e6}`);
      const ct = COLOR_TYPES[colorType];
      if (!ct || !ct.depths.includes(depth)) throw new Error(`bad colour type ${colorType} with bit depth ${depth}`);
      if (body[10] !== 0 || body[11] !== 0 || interlace > 1) throw new Error('unknown compression, filter or interlace method');
      if (interlace === 1 && depth < 8) throw new Error(`interlaced ${depth}-bit images are not supported`);
      if (!crcOk) throw new Error('CRC mismatch in chunk IHDR'); // after the size check, which names the size
    } else if (type === 'IHDR') {
      throw new Error('a second IHDR chunk');
    } else if (type === 'PLTE') {
      sawPlte = true;
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    off += 12 + len;
  }
  if (!header) throw new Error('no IHDR chunk');
  if (header.colorType === 3 && !sawPlte) throw new Error('a palette image without PLTE');
  if (idat.length === 0) throw new Error('no IDAT chunk');
  const expected = rawSize(header);
  let inflated: Buffer;
  try {
    inflated = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`image data inflates to more than the ${expected} bytes of a ${header.width}x${header.height} image`);
    throw new Error(`image data: ${e.message}`);
  }
  if (inflated.length !== expected) {
    throw new Error(`image data inflates to ${inflated.length} bytes, a ${header.width}x${header.height} image needs ${expected} (truncated?)`);
  }
  return header;
}

/** fast-png's samples as RGBA 8-bit. */
function toRgba(png: ReturnType<typeof decodePng>, h: PngHeader): Uint8Array {
  const { width: w, height: ht, depth } = h;
  const { channels } = COLOR_TYPES[h.colorType];
  const n = w * ht;
  const out = new Uint8Array(n * 4);
  const src = png.data;
  const maxV = (1 << depth) - 1;
  const rowBytes = Math.ceil((w * channels * depth) / 8); // packed rows below 8 bits (non-interlaced only)
  const sample = (p: number, c: number): number => {
    if (depth >= 8) return src[p * channels + c];
    const y = Math.floor(p / w);
    const bit = ((p - y * w) * channels + c) * depth;
    return (src[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & maxV;
  };
  const to8 = (v: number): number => (depth === 16 ? (v * 255 + 32767) / 65535 | 0 : depth === 8 ? v : Math.round((v * 255) / maxV));
  const trns = png.transparency; // grey: [v], RGB: [r, g, b] at the image's depth
  const palette = png.palette;
  for (let p = 0; p < n; p++) {
    let r: number;
    let g: number;
    let b: number;
    let a = 255;
    if (h.colorType === 3) {
      const idx = sample(p, 0);
      const entry = palette?.[idx];
      if (!entry) throw new Error(`palette index ${idx} outside the ${palette?.length ?? 0}-entry palette`);
      [r, g, b] = entry;
      if (entry.length > 3) a = entry[3];
    } else if (channels <= 2) {
      const v = sample(p, 0);
      r = g = b = to8(v);
      if (channels === 2) a = to8(sample(p, 1));
      else if (trns && trns.length >= 1 && v === trns[0]) a = 0;
    } else {
      const [rv, gv, bv] = [sample(p, 0), sample(p, 1), sample(p, 2)];
      r = to8(rv);
      g = to8(gv);
      b = to8(bv);
      if (channels === 4) a = to8(sample(p, 3));
      else if (trns && trns.length >= 3 && rv === trns[0] && gv === trns[1] && bv === trns[2]) a = 0;
    }
    out[4 * p] = r;
    out[4 * p + 1] = g;
    out[4 * p + 2] = b;
    out[4 * p + 3] = a;
  }
  return out;
}

/**
 * Decodes PNG or JPEG bytes to RGBA 8-bit. `name` appears in errors.
 *
 * @example
 * const { width, height, data } = decodeImage(fs.readFileSync('digit.png'), 'digit.png');
 * @throws {TypeError} buf is not a Uint8Array
 * @throws {RangeError} not a PNG or JPEG; truncated or corrupt data (a bad CRC, a short or overlong image data
 *   stream, a palette index past the palette …); an image over maxResolutionInMP / maxMemoryUsageInMB (checked
 *   before anything is allocated for it). The message names the file: "images: <name>: cannot decode (…)".
 */
export function decodeImage(buf: Uint8Array, name = '<buffer>', opts: DecodeOptions = {}): RgbaImage {
  if (!(buf instanceof Uint8Array)) throw invalidType('buf', 'a Uint8Array', buf);
  const maxMP = opts.maxResolutionInMP ?? 100;
  const maxMem = opts.maxMemoryUsageInMB ?? 512;
  const png = isPng(buf);
  if (!png && !isJpeg(buf)) throw new RangeError(`images: ${name}: not a PNG or JPEG file`);
  try {
    if (png) {
      const header = checkPng(buf, maxMP * 1e6);
      const decoded = decodePng(buf, { checkCrc: false }); // CRCs were checked above
      if (decoded.width !== header.width || decoded.height !== header.height) throw new Error('decoder disagrees with the header');
      return { width: header.width, height: header.height, data: toRgba(decoded, header) };
    }
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxMP, maxMemoryUsageInMB: maxMem });
    if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) throw new Error('decoder returned no pixels');
    return { width: img.width, height: img.height, data: img.data };
  } catch (err) {
    const msg = err instanceof Error || (err && typeof (err as Error).message === 'string') ? (err as Error).message : String(err);
    throw new RangeError(`images: ${name}: cannot decode (${msg})`);
  }
}
