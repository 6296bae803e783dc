/** Pictures for your own runs: a one-epoch chart shows its values, filter grids carry a title, class names fit. */
import { renderCurves, PALETTE } from '../../lib/viz/plot';
import { renderFilters } from '../../lib/viz/filters';
import { renderMisclassified } from '../../lib/viz/misclassified';
import { textWidth } from '../../lib/viz/png';
import { Tensor } from '../../lib/tensor';

const same = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

describe('one-epoch accuracy chart', () => {
  test('each single point gets a marker and its value written beside it, in the series colour', () => {
    const c = renderCurves([{ name: 'train', values: [0.95] }, { name: 'validation', values: [0.9] }], { xStart: 1 });
    let colored = [0, 0];
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const p = c.getPixel(x, y);
        if (same(p, PALETTE[0])) colored[0]++;
        if (same(p, PALETTE[1])) colored[1]++;
      }
    }
    // marker (~11×11) + legend line + "train 0.95" in text: far more than a 5×5 speck and a legend swatch
    expect(colored[0]).toBeGreaterThan(250);
    expect(colored[1]).toBeGreaterThan(250);
    const many = renderCurves([{ name: 'train', values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] }], { xStart: 1 });
    expect(many.width).toBe(800);
  });
});

describe('filter grid title', () => {
  test('a title adds a band above the grid with dark text; without one the grid is as before', () => {
    const W = new Tensor(Float32Array.from({ length: 8 * 9 }, (_, i) => Math.sin(i)), [8, 1, 3, 3]);
    const plain = renderFilters(W);
    const titled = renderFilters(W, { title: 'W1 [8, 1, 3, 3] before training' });
    expect(titled.height).toBeGreaterThan(plain.height);
    expect(titled.width).toBeGreaterThanOrEqual(textWidth('W1 [8, 1, 3, 3] before training', 2));
    let dark = 0;
    for (let y = 0; y < titled.height - plain.height; y++) for (let x = 0; x < titled.width; x++) if (titled.getPixel(x, y)[0] < 50) dark++;
    expect(dark).toBeGreaterThan(50);
    expect(() => renderFilters(W, { title: 3 as never })).toThrow(/title/);
  });
});

describe('misclassified class names', () => {
  test('names on their own lines, tiles as wide as the widest drawn name plus a gap, long names cut', () => {
    const x = new Tensor(new Float32Array(4 * 3 * 8 * 8).fill(0.5), [4, 3, 8, 8]);
    const names = ['circle', 'square', 'a very long class name indeed'];
    const r = renderMisclassified(x, [0, 1, 2, 0], [1, 0, 0, 2], { classNames: names, columns: 4 });
    const pitch = r.positions[1].x - r.positions[0].x;
    expect(pitch).toBeGreaterThanOrEqual(textWidth('a very long cl..', 2) + textWidth('M', 2));
    expect(pitch).toBeLessThan(textWidth(names[2], 2)); // cut, not as wide as the whole name
    const digits = renderMisclassified(x, [0, 1, 2, 0], [1, 0, 0, 2], { columns: 4 });
    expect(digits.positions[1].x - digits.positions[0].x).toBeLessThan(pitch);
  });
});
