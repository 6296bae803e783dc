import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { Tensor } from '../../lib/tensor';
import { drawFilters, renderFilters } from '../../lib/viz/filters';
import { decodePng } from '../../lib/viz/png';
import { randomArray } from '../helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-filters-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('drawFilters', () => {
  test('grid size, and a single bright weight lands on its tile and pixel', () => {
    const [F, C, K] = [10, 1, 3];
    const w = randomArray(F * C * K * K, 4);
    // Filter 6: zeros with one bright weight at (y=2, x=1).
    for (let i = 0; i < 9; i++) w[6 * 9 + i] = 0;
    w[6 * 9 + 2 * 3 + 1] = 0.7;
    const file = path.join(dir, 'f.png');
    drawFilters(file, new Tensor(w, [F, C, K, K]), { scale: 4, columns: 4, gap: 2 });
    const d = decodePng(fs.readFileSync(file));
    // 4 columns, 3 rows of 12-pixel tiles with 2-pixel gaps.
    expect([d.width, d.height]).toEqual([2 + 4 * 14, 2 + 3 * 14]);
    const px = (x: number, y: number): number[] => Array.from(d.data.subarray((y * d.width + x) * 4, (y * d.width + x) * 4 + 3));
    // Filter 6 is at column 2, row 1: tile origin (30, 16); its weight (2, 1) covers x 34..37, y 24..27.
    for (const [x, y] of [[34, 24], [37, 27]]) expect(px(x, y)).toEqual([255, 255, 255]);
    for (const [x, y] of [[33, 24], [38, 24], [34, 23], [30, 16], [41, 27]]) expect(px(x, y)).toEqual([0, 0, 0]);
    // The gap around the tile is the background.
    expect(px(29, 20)).toEqual([90, 120, 170]);
  });

  test('invert (the book\'s gray_r), constant filters, channel choice', () => {
    const w = new Float32Array(2 * 2 * 2 * 2);
    w[3] = 1; // filter 0, channel 0, pixel (1, 1)
    w[4 + 0] = 5; // filter 0, channel 1, pixel (0, 0)
    w.fill(0.25, 8, 16); // filter 1 constant
    const t = new Tensor(w, [2, 2, 2, 2]);
    const inv = renderFilters(t, { scale: 1, gap: 0, invert: true });
    expect(inv.getPixel(1, 1)).toEqual([0, 0, 0]);
    expect(inv.getPixel(0, 0)).toEqual([255, 255, 255]);
    expect(inv.getPixel(2, 0)).toEqual([128, 128, 128]); // constant: mid-gray
    const ch1 = renderFilters(t, { scale: 1, gap: 0, channel: 1 });
    expect(ch1.getPixel(0, 0)).toEqual([255, 255, 255]);
    expect(ch1.getPixel(1, 1)).toEqual([0, 0, 0]);
  });

  test('C = 3 draws color tiles', () => {
    const w = new Float32Array(1 * 3 * 2 * 2);
    w[0] = 1; // red at (0, 0)
    w[4 + 1] = 1; // green at (0, 1)
    const c = renderFilters(new Tensor(w, [1, 3, 2, 2]), { scale: 2, gap: 1 });
    expect(c.getPixel(1, 1)).toEqual([255, 0, 0]);
    expect(c.getPixel(3, 1)).toEqual([0, 255, 0]);
    expect(c.getPixel(1, 3)).toEqual([0, 0, 0]);
    // The default scale makes small filters visible (about 48 pixels a tile).
    expect(renderFilters(new Tensor(new Float32Array(3 * 9), [1, 3, 3, 3])).width).toBe(3 + 48 + 3);
  });

  test('bad arguments throw', () => {
    const ok = new Tensor(randomArray(2 * 1 * 3 * 3, 5), [2, 1, 3, 3]);
    const f = path.join(dir, 'bad.png');
    expect(() => drawFilters(f, new Float32Array(9) as unknown as Tensor)).toThrow(TypeError);
    expect(() => drawFilters(f, ok.reshape([2, 3, 3]))).toThrow(/W: expected a tensor of shape \[F, C, KH, KW\]/);
    expect(() => drawFilters(f, new Tensor(new Float32Array(9).fill(NaN), [1, 1, 3, 3]))).toThrow(/finite/);
    expect(() => drawFilters(f, ok, { mode: 'rgb' })).toThrow(/mode/);
    expect(() => drawFilters(f, ok, { channel: 1 })).toThrow(/channel/);
    expect(() => drawFilters(f, ok, { scale: 0 })).toThrow(/scale/);
    expect(() => drawFilters(f, ok, { invert: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => drawFilters('', ok)).toThrow(/path/);
    expect(fs.existsSync(f)).toBe(false);
  });
});
