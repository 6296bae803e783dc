import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { Tensor } from '../../lib/tensor';
import { drawMisclassified, misclassifiedIndices, renderMisclassified } from '../../lib/viz/misclassified';
import { decodePng } from '../../lib/viz/png';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-mis-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** N images of 4x4: image i has value (i % 2 ? 1 : 0) everywhere, except pixel (1, 2) = 1 - that. */
function images(N: number, layout: 'nchw' | 'flat' | 'nhw' = 'nchw'): Tensor {
  const d = new Float32Array(N * 16);
  for (let i = 0; i < N; i++) {
    d.fill(i % 2, i * 16, (i + 1) * 16);
    d[i * 16 + 1 * 4 + 2] = 1 - (i % 2);
  }
  const shape = layout === 'nchw' ? [N, 1, 4, 4] : layout === 'flat' ? [N, 16] : [N, 4, 4];
  return new Tensor(d, shape);
}

describe('drawMisclassified', () => {
  test('draws only the misclassified images, in order, dark on light, where it says', () => {
    const t = [0, 1, 2, 3, 4, 5];
    const p = [0, 9, 2, 7, 4, 1];
    const file = path.join(dir, 'm.png');
    const shown = drawMisclassified(file, images(6), t, p, { scale: 3 });
    expect(shown).toEqual([1, 3, 5]);
    const d = decodePng(fs.readFileSync(file));
    const { canvas, positions, total } = renderMisclassified(images(6), t, p, { scale: 3 });
    expect([d.width, d.height]).toEqual([canvas.width, canvas.height]);
    expect(total).toBe(3);
    const px = (x: number, y: number): number[] => Array.from(d.data.subarray((y * d.width + x) * 4, (y * d.width + x) * 4 + 3));
    // Image 1 is all ink (value 1 -> black) except pixel (row 1, col 2), which is 0 -> white.
    const { x, y } = positions[0];
    expect(px(x, y)).toEqual([0, 0, 0]);
    expect(px(x + 3 * 4 - 1, y + 3 * 4 - 1)).toEqual([0, 0, 0]);
    expect(px(x + 2 * 3, y + 1 * 3)).toEqual([255, 255, 255]);
    expect(px(x + 2 * 3 + 2, y + 1 * 3 + 2)).toEqual([255, 255, 255]);
    expect(px(x + 1 * 3, y + 1 * 3)).toEqual([0, 0, 0]);
    // Tiles go left to right.
    expect(positions[1].x).toBeGreaterThan(x);
    expect(positions[1].y).toBe(y);
    // The label above has red (prediction) and black (truth) ink.
    let red = 0;
    let black = 0;
    for (let yy = y - 20; yy < y - 1; yy++) for (let xx = x - 16; xx < x + 28; xx++) {
      const q = canvas.getPixel(xx, yy);
      if (q[0] === 200 && q[1] === 30) red++;
      if (q[0] === 0 && q[1] === 0 && q[2] === 0) black++;
    }
    expect(red).toBeGreaterThan(5);
    expect(black).toBeGreaterThan(5);
  });

  test('max, columns, flat and [N,H,W] layouts, 0..255 values, class names', () => {
    const N = 30;
    const t = Array.from({ length: N }, () => 1);
    const p = Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 2)); // 20 wrong
    expect(misclassifiedIndices(t, p).length).toBe(20);
    const r = renderMisclassified(images(N, 'flat'), t, p, { max: 7, columns: 3, scale: 1 });
    expect(r.indices).toEqual([1, 2, 4, 5, 7, 8, 10]);
    expect(r.positions[3].y).toBeGreaterThan(r.positions[0].y); // 4th tile on the second row
    expect(r.positions[3].x).toBe(r.positions[0].x);
    const hw = renderMisclassified(images(4, 'nhw'), [0, 0, 0, 0], [1, 1, 1, 1], { classNames: ['cat', 'dog'] });
    expect(hw.indices).toEqual([0, 1, 2, 3]);
    const big = new Tensor(new Float32Array(2 * 16).fill(255), [2, 1, 4, 4]);
    const b = renderMisclassified(big, [0, 1], [1, 0], { scale: 1 });
    expect(b.canvas.getPixel(b.positions[0].x, b.positions[0].y)).toEqual([0, 0, 0]);
  });

  test('nothing misclassified still writes a picture and returns no indices', () => {
    const file = path.join(dir, 'none.png');
    expect(drawMisclassified(file, images(3), [1, 2, 3], Int32Array.from([1, 2, 3]))).toEqual([]);
    expect(decodePng(fs.readFileSync(file)).width).toBeGreaterThan(0);
  });

  test('bad arguments throw', () => {
    const f = path.join(dir, 'bad.png');
    const x = images(3);
    expect(() => drawMisclassified(f, x.data as unknown as Tensor, [0, 1, 2], [0, 1, 2])).toThrow(TypeError);
    expect(() => drawMisclassified(f, new Tensor(new Float32Array(30), [3, 10]), [0, 1, 2], [1, 1, 1])).toThrow(/images/);
    expect(() => drawMisclassified(f, x, [0, 1], [1, 1, 1])).toThrow(/trueLabels: expected 3 labels/);
    expect(() => drawMisclassified(f, x, [0, 1, 2], [1, 1.5, 1])).toThrow(/predLabels\[1\]/);
    expect(() => drawMisclassified(f, x, [0, 1, -1], [1, 1, 1])).toThrow(RangeError);
    expect(() => drawMisclassified(f, x, 'abc' as unknown as number[], [1, 1, 1])).toThrow(TypeError);
    expect(() => drawMisclassified(f, x, [0, 1, 2], [1, 1, 1], { max: 0 })).toThrow(/max/);
    expect(() => drawMisclassified(f, x, [0, 1, 2], [1, 1, 1], { classNames: [1, 2] as unknown as string[] })).toThrow(TypeError);
    expect(() => drawMisclassified(3 as unknown as string, x, [0, 1, 2], [1, 1, 1])).toThrow(/path/);
    expect(fs.existsSync(f)).toBe(false);
  });
});

describe('misclassifiedIndices on bad input', () => {
  test('refuses label lists of different lengths and a max that is not an integer >= 0', () => {
    expect(misclassifiedIndices([0, 1, 2], [0, 2, 1])).toEqual([1, 2]);
    expect(misclassifiedIndices([0, 1, 2], [0, 2, 1], 1)).toEqual([1]);
    expect(() => misclassifiedIndices([0, 1, 2], [0, 2])).toThrow(/^predLabels: expected 3 labels \(as many as trueLabels\), got 2 labels$/);
    expect(() => misclassifiedIndices([0], [0], -1)).toThrow(RangeError);
  });
});
