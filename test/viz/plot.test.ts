import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { decodePng } from '../../lib/viz/png';
import { formatTick, layoutChart, movingAverage, niceStep, plotCurves, renderCurves, ticks, type Series } from '../../lib/viz/plot';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-plot-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function pixel(d: { width: number; data: Buffer }, x: number, y: number): number[] {
  const i = (Math.round(y) * d.width + Math.round(x)) * 4;
  return Array.from(d.data.subarray(i, i + 3));
}

describe('plotCurves', () => {
  test('writes a PNG of the requested size; the line passes through the data points', () => {
    const file = path.join(dir, 'curve.png');
    const series: Series[] = [
      { name: 'flat', values: [1, 1, 1, 1, 1], color: '#ff0000' },
      { name: 'rise', values: [0, 0.5, 1, 1.5, 2], color: [0, 0, 255] },
    ];
    const opts = { title: 'Test', xLabel: 'epoch', yLabel: 'value', width: 400, height: 300, yMin: 0, yMax: 2 };
    plotCurves(file, series, opts);
    const d = decodePng(fs.readFileSync(file));
    expect([d.width, d.height]).toEqual([400, 300]);
    const L = layoutChart(series, opts);
    expect(L.xMin).toBe(0);
    expect(L.xMax).toBe(4);
    // The flat red line at y = 1 across the plot (away from the crossing with the blue one and the legend).
    for (const x of [0.5, 1.5, 2.5]) expect(pixel(d, L.px(x), L.py(1))).toEqual([255, 0, 0]);
    // The blue line through (1, 0.5) and (3, 1.5), and between points.
    expect(pixel(d, L.px(1), L.py(0.5))).toEqual([0, 0, 255]);
    expect(pixel(d, L.px(3), L.py(1.5))).toEqual([0, 0, 255]);
    expect(pixel(d, L.px(0.5), L.py(0.25))).toEqual([0, 0, 255]);
    // Nothing is drawn in the series colors outside the plot area (lines are clipped).
    for (let y = 0; y < d.height; y++) {
      for (let x = 0; x < d.width; x++) {
        if (x >= L.left && x <= L.right && y >= L.top && y <= L.bottom) continue;
        const p = pixel(d, x, y);
        const isSeries = (p[0] === 255 && p[1] === 0 && p[2] === 0) || (p[0] === 0 && p[1] === 0 && p[2] === 255);
        if (isSeries) {
          throw new Error(`series color outside the plot at (${x}, ${y})`);
        }
      }
    }
  });

  test('values beyond a fixed y range are clipped to the plot area', () => {
    const series: Series[] = [{ name: 'spike', values: [0, 10, 0], color: '#00ff00' }];
    const c = renderCurves(series, { yMin: 0, yMax: 1, width: 300, height: 200 });
    const L = layoutChart(series, { yMin: 0, yMax: 1, width: 300, height: 200 });
    for (let y = 0; y < L.top; y++) for (let x = 0; x < c.width; x++) expect(c.getPixel(x, y)).not.toEqual([0, 255, 0]);
    expect(c.getPixel(Math.round(L.px(0.02)), Math.round(L.py(0.2)))).toEqual([0, 255, 0]);
  });

  test('data ranges widen to whole ticks; integer x gets integer ticks; single values and constants work', () => {
    const L = layoutChart([{ name: 'a', values: [0.13, 0.87] }]);
    expect(L.yMin).toBeCloseTo(0.1, 10);
    expect(L.yMax).toBeCloseTo(0.9, 10);
    const E = layoutChart([{ name: 'loss', values: Array.from({ length: 3 }, (_, i) => 2 - i * 0.5) }], { xStart: 1 });
    expect(E.xTicks.every(Number.isInteger)).toBe(true);
    expect(E.xMin).toBe(1);
    const one = renderCurves([{ name: 'one', values: [0.5] }]);
    expect(one.width).toBe(800);
    const flat = layoutChart([{ name: 'c', values: [0, 0, 0] }]);
    expect(flat.yMin).toBeLessThan(0);
    expect(flat.yMax).toBeGreaterThan(0);
  });

  test('smoothing draws a moving average over the faint raw series', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const series: Series[] = [{ name: 'noisy', values, color: '#0000ff' }];
    const L = layoutChart(series, { smooth: 10, yMin: 0, yMax: 1 });
    const c = renderCurves(series, { smooth: 10, yMin: 0, yMax: 1 });
    // The average of alternating 0/1 is 0.5: the full-color line sits there.
    expect(c.getPixel(Math.round(L.px(100)), Math.round(L.py(0.5)))).toEqual([0, 0, 255]);
  });

  test('bad arguments throw', () => {
    const ok: Series[] = [{ name: 'a', values: [1, 2] }];
    const f = path.join(dir, 'bad.png');
    expect(() => plotCurves(f, [])).toThrow(/series: expected at least one series/);
    expect(() => plotCurves(f, [{ name: 'e', values: [] }])).toThrow(/empty series 'e'/);
    expect(() => plotCurves(f, [{ name: 'n', values: [1, NaN, 2] }])).toThrow(/series\[0\]\.values\[1\]/);
    expect(() => plotCurves(f, [{ name: 'i', values: [1, Infinity] }])).toThrow(RangeError);
    expect(() => plotCurves(f, [{ name: 3 as unknown as string, values: [1] }])).toThrow(TypeError);
    expect(() => plotCurves(f, [{ name: 's', values: 'abc' as unknown as number[] }])).toThrow(TypeError);
    expect(() => plotCurves(f, [{ name: 'c', values: [1], color: 'red' }])).toThrow(/color/);
    expect(() => plotCurves(f, [{ name: 'x', values: [1, 2], x: [0] }])).toThrow(/series\[0\]\.x/);
    expect(() => plotCurves(f, ok, { yMin: 1, yMax: 1 })).toThrow(/yMax/);
    expect(() => plotCurves(f, ok, { width: 10 })).toThrow(/width/);
    expect(() => plotCurves(f, ok, { smooth: 0 })).toThrow(/smooth/);
    expect(() => plotCurves(f, ok, { title: 5 as unknown as string })).toThrow(TypeError);
    expect(() => plotCurves(undefined as unknown as string, ok)).toThrow(/path/);
    expect(() => plotCurves(f, null as unknown as Series[])).toThrow(TypeError);
    expect(fs.existsSync(f)).toBe(false);
  });
});

describe('ticks', () => {
  test('nice steps, positions and labels', () => {
    expect(niceStep(1)).toBeCloseTo(0.2, 12);
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(0.03)).toBeCloseTo(0.005, 12);
    expect(ticks(0, 1, 0.2).map((v) => formatTick(v, 0.2))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(-1e-17, 0.5)).toBe('0.0');
    expect(formatTick(200, 50)).toBe('200');
    expect(formatTick(2e6, 1e6)).toBe('2.0e6');
  });
  test('moving average', () => {
    expect(Array.from(movingAverage([1, 2, 3, 4], 1))).toEqual([1, 2, 3, 4]);
    expect(Array.from(movingAverage([0, 3, 6], 3))).toEqual([1.5, 3, 4.5]);
    expect(() => movingAverage([1], 0)).toThrow(RangeError);
  });
});

describe('layout of a long per-batch series beside per-epoch points', () => {
  const batch = Array.from({ length: 12000 }, (_, i) => 2 * Math.exp(-i / 1000) + 0.8);
  const epochs = Array.from({ length: 20 }, (_, e) => 2 * Math.exp(-(e + 0.5) * 600 / 1000) + 0.8);
  const L = layoutChart(
    [{ name: 'batch loss', values: batch }, { name: 'epoch mean', values: epochs, x: epochs.map((_, e) => (e + 0.5) * 600) }],
    { smooth: 101 },
  );

  test('the short series is not smoothed flat; the long one is', () => {
    expect(L.prepared[0].smooth).not.toBeNull();
    expect(L.prepared[1].smooth).toBeNull();
  });

  test('x tick labels fit side by side', () => {
    const labels = L.xTicks.map((v) => String(v));
    const widest = Math.max(...labels.map((s) => s.length));
    const pxPerTick = (L.right - L.left) / Math.max(1, L.xTicks.length - 1);
    expect(pxPerTick).toBeGreaterThan((widest + 1) * 6 * L.scale); // 5×7 font: 6 px per character at scale 1
  });
});
