/**
 * decodeImage fails on truncated or corrupt PNG/JPEG data instead of returning pixels the file does not hold
 * (issue 9: pngjs decoded a truncated image data stream from uninitialized memory), checks a PNG's size before
 * allocating for it, and decodes every PNG colour type and bit depth to the same RGBA as before.
 */
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage } from '../../lib/data/images';
import { buildPng, chunk, rawAdam7, rawRows } from './png-build';

/** Random-looking 8-bit samples (deflate cannot shrink them much, so a cut stream really loses rows). */
const noise = (x: number, y: number, c: number) => ((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) >>> 0 & 255;
const rgb = (x: number, y: number) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2)];

describe('truncated and corrupt PNGs fail', () => {
  const w = 64;
  const h = 64;
  const raw = rawRows(w, h, 3, rgb);
  const good = buildPng({ width: w, height: h, depth: 8, colorType: 2, raw });

  test('a complete file decodes to its pixels', () => {
    const img = decodeImage(good, 'good.png');
    expect([img.width, img.height]).toEqual([w, h]);
    expect([...img.data.subarray(4 * 65, 4 * 65 + 4)]).toEqual([...rgb(1, 1), 255]);
  });

  test.each([4, 10, 100, 6000])('an image data stream cut %i bytes short, in an otherwise well-formed file, is a RangeError', (short) => {
    const zlen = require('zlib').deflateSync(raw).length;
    const bad = buildPng({ width: w, height: h, depth: 8, colorType: 2, raw, cut: zlen - short });
    expect(() => decodeImage(bad, 'cut.png')).toThrow(RangeError);
    expect(() => decodeImage(bad, 'cut.png')).toThrow(/^images: cut\.png: cannot decode \(image data: unexpected end of file\)$/);
  });

  test('image data for fewer or more rows than the header says is refused', () => {
    expect(() => decodeImage(buildPng({ width: w, height: h, depth: 8, colorType: 2, raw: raw.subarray(0, raw.length - 3) }), 's.png'))
      .toThrow(/inflates to 12349 bytes, a 64x64 image needs 12352 \(truncated\?\)/);
    const bomb = buildPng({ width: 2, height: 2, depth: 8, colorType: 2, raw: new Uint8Array(10_000_000) });
    expect(bomb.length).toBeLessThan(20000);
    expect(() => decodeImage(bomb, 'bomb.png')).toThrow(/inflates to more than the 14 bytes of a 2x2 image/);
  });

  test.each([8, 20, 33, 60, 200, 5000, -13, -12, -1])('the file cut at byte %i is a RangeError', (at) => {
    const cut = good.subarray(0, at < 0 ? good.length + at : at);
    expect(() => decodeImage(cut, 't.png')).toThrow(RangeError);
    expect(() => decodeImage(cut, 't.png')).toThrow(/^images: t\.png: cannot decode \((truncated|the first chunk)/);
  });

  test('a flipped bit anywhere past the signature is caught (CRC or structure)', () => {
    for (const at of [12, 17, 29, 40, 500, 3000, good.length - 5]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      expect(() => decodeImage(bad, 'f.png')).toThrow(RangeError);
    }
  });

  test('a 68-byte PNG of width 0 and a huge height is refused before any allocation', () => {
    const zero = buildPng({ width: 0, height: 0x7fffffff, depth: 8, colorType: 6, raw: new Uint8Array(1) });
    expect(zero.length).toBeLessThan(70);
    expect(() => decodeImage(zero, 'zero.png')).toThrow('images: zero.png: cannot decode (bad size 0x2147483647)');
    const wide = buildPng({ width: 0x7fffffff, height: 1, depth: 8, colorType: 6, raw: new Uint8Array(1) });
    expect(() => decodeImage(wide, 'wide.png')).toThrow(/2147483647x1 exceeds maxResolutionInMP 100/);
  });

  test('bad headers, palettes and unsupported interlacing are clear errors', () => {
    expect(() => decodeImage(buildPng({ width: 2, height: 2, depth: 3, colorType: 0, raw: new Uint8Array(4) }), 'd.png')).toThrow(/bad colour type 0 with bit depth 3/);
    expect(() => decodeImage(buildPng({ width: 2, height: 2, depth: 8, colorType: 3, raw: rawRows(2, 2, 1, () => [0]) }), 'p.png')).toThrow(/palette image without PLTE/);
    const plte = chunk('PLTE', Uint8Array.from([255, 0, 0, 0, 255, 0]));
    expect(() => decodeImage(buildPng({ width: 2, height: 1, depth: 8, colorType: 3, raw: rawRows(2, 1, 1, (x) => [x * 5]), extra: [plte] }), 'p.png'))
      .toThrow(/palette index 5 outside the 2-entry palette/);
    expect(() => decodeImage(buildPng({ width: 8, height: 8, depth: 1, colorType: 0, interlace: 1, raw: new Uint8Array(1) }), 'i.png'))
      .toThrow(/interlaced 1-bit images are not supported/);
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), 'x.bin')).toThrow('images: x.bin: not a PNG or JPEG file');
    expect(() => decodeImage('x' as never)).toThrow(TypeError);
  });

  test('a truncated JPEG is a RangeError', () => {
    const d = Buffer.alloc(32 * 32 * 4);
    for (let i = 0; i < d.length; i++) d[i] = noise(i, 0, 1);
    const jp = jpeg.encode({ width: 32, height: 32, data: d }, 90).data;
    for (const at of [3, 100, jp.length >> 1, jp.length - 2]) expect(() => decodeImage(jp.subarray(0, at), 'j.jpg')).toThrow(RangeError);
  });
});

describe('every PNG format decodes as before', () => {
  const px = (x: number, y: number) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2), noise(x, y, 3)];
  const w = 7;
  const h = 5;
  test.each([
    [0, 8], [2, 8], [4, 8], [6, 8], [0, 16], [2, 16], [4, 16], [6, 16],
  ] as const)('colour type %i, %i-bit: same RGBA as pngjs', (colorType, bitDepth) => {
    const p = new PNG({ width: w, height: h });
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(px(x, y), 4 * (y * w + x));
    const file = PNG.sync.write(p, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
    const want = PNG.sync.read(file);
    const got = decodeImage(file);
    expect([got.width, got.height]).toEqual([w, h]);
    expect(Buffer.from(got.data).equals(want.data)).toBe(true);
  });

  test('1-, 2- and 4-bit grey scale to 0..255; palette with tRNS; RGB tRNS key', () => {
    for (const depth of [1, 2, 4]) {
      const max = (1 << depth) - 1;
      const v = (x: number) => x % (max + 1);
      const perRow = Math.ceil((9 * depth) / 8);
      const raw = new Uint8Array(2 * (1 + perRow));
      for (let y = 0; y < 2; y++) for (let x = 0; x < 9; x++) raw[y * (1 + perRow) + 1 + ((x * depth) >> 3)] |= v(x) << (8 - depth - ((x * depth) & 7));
      const img = decodeImage(buildPng({ width: 9, height: 2, depth, colorType: 0, raw }));
      for (let x = 0; x < 9; x++) expect([...img.data.subarray(4 * (9 + x), 4 * (9 + x) + 4)]).toEqual([...Array(3).fill(Math.round((v(x) * 255) / max)), 255]);
    }
    const plte = chunk('PLTE', Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
    const trns = chunk('tRNS', Uint8Array.from([255, 128]));
    const pal = decodeImage(buildPng({ width: 3, height: 1, depth: 8, colorType: 3, raw: Uint8Array.from([0, 0, 1, 2]), extra: [plte, trns] }));
    expect([...pal.data]).toEqual([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 255]);
    const key = chunk('tRNS', Uint8Array.from([0, 1, 0, 2, 0, 3]));
    const keyed = decodeImage(buildPng({ width: 3, height: 1, depth: 8, colorType: 2, raw: Uint8Array.from([0, 1, 2, 3, 1, 2, 4, 1, 2, 3]), extra: [key] }));
    expect([...keyed.data]).toEqual([1, 2, 3, 0, 1, 2, 4, 255, 1, 2, 3, 0]);
  });

  test('Adam7-interlaced 8-bit RGBA equals the same image non-interlaced', () => {
    for (const [iw, ih] of [[1, 1], [3, 2], [9, 11], [16, 16]]) {
      const a = decodeImage(buildPng({ width: iw, height: ih, depth: 8, colorType: 6, interlace: 1, raw: rawAdam7(iw, ih, 4, px) }));
      const b = decodeImage(buildPng({ width: iw, height: ih, depth: 8, colorType: 6, raw: rawRows(iw, ih, 4, px) }));
      expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    }
  });
});
