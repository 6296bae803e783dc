import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { GLYPH_ADVANCE, fontProblems, glyph, glyphChars } from '../../lib/viz/font';
import { Canvas, decodePng, textWidth, toRGB } from '../../lib/viz/png';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-png-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('font', () => {
  test('every glyph is 5 columns by 7 (or 9 with descenders) rows', () => {
    expect(fontProblems()).toEqual([]);
  });
  test('digits, letters and chart punctuation all have glyphs; distinct digits look distinct', () => {
    const chars = new Set(glyphChars());
    for (const ch of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+>:/()%= ') expect(chars.has(ch)).toBe(true);
    const seen = new Set<string>();
    for (const ch of '0123456789') seen.add(Array.from(glyph(ch)).join(','));
    expect(seen.size).toBe(10);
    // An unknown character draws as '?'.
    expect(Array.from(glyph('€'))).toEqual(Array.from(glyph('?')));
  });
});

describe('Canvas', () => {
  test('pixels, rectangles (clipped) and PNG round trip', () => {
    const c = new Canvas(20, 10);
    expect(c.getPixel(0, 0)).toEqual([255, 255, 255]);
    c.setPixel(3, 4, [10, 20, 30]);
    c.setPixel(-1, 4, [0, 0, 0]); // ignored
    c.setPixel(20, 0, [0, 0, 0]); // ignored
    c.fillRect(15, 7, 10, 10, [1, 2, 3]); // clipped at the edges
    expect(c.getPixel(3, 4)).toEqual([10, 20, 30]);
    expect(c.getPixel(19, 9)).toEqual([1, 2, 3]);
    expect(c.getPixel(14, 9)).toEqual([255, 255, 255]);
    const d = decodePng(c.toPNG());
    expect([d.width, d.height]).toEqual([20, 10]);
    const i = (4 * 20 + 3) * 4;
    expect(Array.from(d.data.subarray(i, i + 4))).toEqual([10, 20, 30, 255]);
  });

  test('lines hit both end points and the pixels between; thickness widens them; clip limits drawing', () => {
    const c = new Canvas(30, 30);
    const red = [255, 0, 0] as const;
    c.line(2, 3, 12, 3, red);
    for (let x = 2; x <= 12; x++) expect(c.getPixel(x, 3)).toEqual([255, 0, 0]);
    expect(c.getPixel(13, 3)).toEqual([255, 255, 255]);
    c.line(0, 10, 9, 19, red); // diagonal
    for (let k = 0; k <= 9; k++) expect(c.getPixel(k, 10 + k)).toEqual([255, 0, 0]);
    c.line(20, 5, 20, 15, [0, 0, 255], 3);
    for (const x of [19, 20, 21]) expect(c.getPixel(x, 10)).toEqual([0, 0, 255]);
    c.clip = { x0: 25, y0: 0, x1: 30, y1: 30 };
    c.line(22, 25, 28, 25, red);
    c.clip = null;
    expect(c.getPixel(23, 25)).toEqual([255, 255, 255]);
    expect(c.getPixel(26, 25)).toEqual([255, 0, 0]);
  });

  test('text draws the glyph bits at the requested place and scale', () => {
    const c = new Canvas(40, 20);
    c.text(1, 2, '1', [0, 0, 0], 2);
    const g = glyph('1');
    for (let r = 0; r < 7; r++) {
      for (let col = 0; col < 5; col++) {
        const ink = (g[r] >> (4 - col)) & 1;
        for (const [dx, dy] of [[0, 0], [1, 1]]) {
          expect(c.getPixel(1 + col * 2 + dx, 2 + r * 2 + dy)).toEqual(ink ? [0, 0, 0] : [255, 255, 255]);
        }
      }
    }
    expect(textWidth('12', 2)).toBe((2 * GLYPH_ADVANCE - 1) * 2);
    expect(textWidth('')).toBe(0);
  });

  test('save writes a valid PNG atomically (no temporary file left behind)', () => {
    const c = new Canvas(7, 5, '#102030');
    const file = path.join(dir, 'a.png');
    c.save(file);
    const d = decodePng(fs.readFileSync(file));
    expect([d.width, d.height]).toEqual([7, 5]);
    expect(Array.from(d.data.subarray(0, 3))).toEqual([16, 32, 48]);
    expect(fs.readdirSync(dir)).toEqual(['a.png']);
  });

  test('bad sizes and colors throw', () => {
    expect(() => new Canvas(0, 5)).toThrow(RangeError);
    expect(() => new Canvas(5.5, 5)).toThrow(/width/);
    expect(() => new Canvas(5, 1e9)).toThrow(/height/);
    expect(() => new Canvas(5, 5, '#12345')).toThrow(RangeError);
    expect(() => toRGB('color', [0, 300, 0])).toThrow(/color\[1\]/);
    expect(() => toRGB('color', 5 as unknown as string)).toThrow(TypeError);
    expect(toRGB('c', '#FF8000')).toEqual([255, 128, 0]);
    expect(() => new Canvas(5, 5).save('')).toThrow(TypeError);
  });
});
