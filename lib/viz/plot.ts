/**
 * Line charts as PNG: the book's loss and accuracy plots (ch04 train_neuralnet.py, ch06/ch07 training curves).
 * Axes with numbered ticks, light grid lines, a title, axis labels and a legend placed in the emptiest corner.
 *
 * @example
 * plotCurves('out/accuracy.png', [
 *   { name: 'train', values: trainAcc },
 *   { name: 'test', values: testAcc },
 * ], { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', yMin: 0, yMax: 1 });
 */
import { checkInt, checkNumber, invalidRange, invalidType } from '../validate';
import { BLACK, Canvas, type Color, type RGB, textHeight, textWidth, tint, toRGB } from './png';
import { readOptions } from '../validate';

/** One curve. `x` defaults to xStart, xStart + 1, … (the book plots epochs and iterations from 0). */
export interface Series {
  name: string;
  values: ArrayLike<number>;
  color?: Color;
  x?: ArrayLike<number>;
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Image size in pixels (default 800 × 500). */
  width?: number;
  height?: number;
  /** Fixed y range (default: the data's, widened to whole ticks). */
  yMin?: number;
  yMax?: number;
  /** First x value when a series has no `x` (default 0). */
  xStart?: number;
  /**
   * Moving-average window (an odd or even integer ≥ 1; default 1 = none). With smoothing, each raw series of at
   * least two windows is drawn faint and its centered moving average on top: per-batch loss is readable this way.
   */
  smooth?: number;
  /** Text size multiplier of the 5×7 font (default 2; the title is one step larger). */
  textScale?: number;
  /** Line width in pixels (default 2). */
  lineWidth?: number;
}

/** matplotlib's default cycle (tab10), so the pictures look like the book's. */
export const PALETTE: readonly RGB[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

const PLOT_KEYS = ['title', 'xLabel', 'yLabel', 'width', 'height', 'yMin', 'yMax', 'xStart', 'smooth', 'textScale', 'lineWidth'];

const AXIS: RGB = [60, 60, 60];
const GRID: RGB = [225, 225, 225];

/** Centered moving average with a window of `window` points (shrinking at the ends). */
export function movingAverage(values: ArrayLike<number>, window: number): Float64Array {
  checkInt('window', window, 1);
  const n = values.length;
  const out = new Float64Array(n);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + values[i];
  const before = Math.floor((window - 1) / 2);
  const after = window - 1 - before;
  for (let i = 0; i < n; i++) {
    const a = Math.max(0, i - before);
    const b = Math.min(n, i + after + 1);
    out[i] = (prefix[b] - prefix[a]) / (b - a);
  }
  return out;
}

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `range`. */
export function niceStep(range: number, target = 6): number {
  const raw = range / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/** Tick positions: multiples of `step` within [lo, hi] (with a little rounding slack). */
export function ticks(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  const eps = step * 1e-9;
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps && out.length < 1000; k++) out.push(k * step);
  return out;
}

/** A tick label with as many decimals as the step needs. */
export function formatTick(v: number, step: number): string {
  if (Math.abs(v) < step * 1e-6) v = 0;
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(1).replace('e+', 'e');
  const decimals = Math.min(8, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

interface Prepared {
  name: string;
  color: RGB;
  x: Float64Array;
  y: Float64Array;
  smooth: Float64Array | null;
}

/** Where everything goes: the plot area and the data-to-pixel maps (exported for tests). */
export interface ChartLayout {
  width: number;
  height: number;
  /** The plot area: pixels [left, right] × [top, bottom], inclusive. */
  left: number;
  right: number;
  top: number;
  bottom: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  xTicks: number[];
  yTicks: number[];
  xStep: number;
  yStep: number;
  /** Data → pixel (not rounded). */
  px(x: number): number;
  py(y: number): number;
}

function checkString(name: string, v: unknown): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalidType(name, 'a string', v);
  return v;
}

function prepare(series: readonly Series[], opts: PlotOptions): Prepared[] {
  if (!Array.isArray(series)) throw invalidType('series', 'an array of { name, values }', series);
  if (series.length === 0) throw invalidRange('series', 'at least one series', 'an empty array');
  const xStart = opts.xStart === undefined ? 0 : checkNumber('xStart', opts.xStart);
  const smooth = opts.smooth === undefined ? 1 : checkInt('smooth', opts.smooth, 1, 1e6);
  return series.map((s, k) => {
    const name = `series[${k}]`;
    if (s === null || typeof s !== 'object') throw invalidType(name, 'an object { name, values }', s);
    if (typeof s.name !== 'string') throw invalidType(`${name}.name`, 'a string', s.name);
    const v = s.values;
    if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
      throw invalidType(`${name}.values`, 'an array of numbers', v);
    }
    if (v.length === 0) throw invalidRange(`${name}.values`, 'at least one value', `an empty series '${s.name}'`);
    const y = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (typeof e !== 'number') throw invalidType(`${name}.values[${i}]`, 'a number', e);
      if (!Number.isFinite(e)) throw invalidRange(`${name}.values[${i}]`, `finite values in series '${s.name}'`, e);
      y[i] = e;
    }
    const x = new Float64Array(v.length);
    if (s.x !== undefined) {
      if (s.x === null || typeof s.x !== 'object' || s.x.length !== v.length) {
        throw invalidRange(`${name}.x`, `${v.length} x values (one per value)`, s.x);
      }
      for (let i = 0; i < v.length; i++) x[i] = checkNumber(`${name}.x[${i}]`, s.x[i]);
    } else {
      for (let i = 0; i < v.length; i++) x[i] = xStart + i;
    }
    const color = s.color === undefined ? PALETTE[k % PALETTE.length] : toRGB(`${name}.color`, s.color);
    // A series shorter than two windows is drawn as it is: its moving average would flatten it (epoch means
    // beside a per-batch loss).
    return { name: s.name, color, x, y, smooth: smooth > 1 && v.length >= 2 * smooth ? movingAverage(y, smooth) : null };
  });
}

function range(arrays: Float64Array[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) for (const v of a) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Computes the layout of a chart for `series` (validating everything). */
export function layoutChart(series: readonly Series[], opts: PlotOptions = {}): ChartLayout & { prepared: Prepared[]; scale: number } {
  if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts);
  opts = readOptions<PlotOptions>('plotCurves', opts, PLOT_KEYS);
  const width = opts.width === undefined ? 800 : checkInt('width', opts.width, 160, 8192);
  const height = opts.height === undefined ? 500 : checkInt('height', opts.height, 120, 8192);
  const scale = opts.textScale === undefined ? 2 : checkInt('textScale', opts.textScale, 1, 8);
  const title = checkString('title', opts.title);
  const xLabel = checkString('xLabel', opts.xLabel);
  const yLabel = checkString('yLabel', opts.yLabel);
  const prepared = prepare(series, opts);

  // y range: the data's (raw values), or the fixed bounds; widened to whole ticks when not fixed.
  let [yLo, yHi] = range(prepared.map((p) => p.y));
  if (opts.yMin !== undefined) yLo = checkNumber('yMin', opts.yMin);
  if (opts.yMax !== undefined) yHi = checkNumber('yMax', opts.yMax);
  if (opts.yMin !== undefined && opts.yMax !== undefined && !(yLo < yHi)) {
    throw invalidRange('yMax', `a number above yMin ${yLo}`, yHi);
  }
  if (yLo >= yHi) {
    const pad = yLo === 0 ? 1 : Math.abs(yLo) * 0.1;
    if (opts.yMin === undefined) yLo -= pad;
    if (opts.yMax === undefined || yLo >= yHi) yHi = yLo + 2 * pad;
  }
  const yStep = niceStep(yHi - yLo);
  if (opts.yMin === undefined) yLo = Math.floor(yLo / yStep + 1e-9) * yStep;
  if (opts.yMax === undefined) yHi = Math.ceil(yHi / yStep - 1e-9) * yStep;

  let [xLo, xHi] = range(prepared.map((p) => p.x));
  if (xLo === xHi) {
    // one x value (one epoch): half a step each side, so the only tick is that value
    xLo -= 0.5;
    xHi += 0.5;
  }
  const allInt = prepared.every((p) => p.x.every(Number.isInteger));
  // Fewer x ticks until their labels fit side by side (with a gap of two characters) across the width.
  let xStep = 0;
  let xTicks: number[] = [];
  for (let target = 8; target >= 1; target--) {
    xStep = niceStep(xHi - xLo, target);
    if (allInt) xStep = Math.max(1, Math.round(xStep));
    xTicks = ticks(xLo, xHi, xStep);
    const widest = Math.max(0, ...xTicks.map((v) => textWidth(formatTick(v, xStep), scale)));
    if (xTicks.length * (widest + textWidth('00', scale)) <= width * 0.8) break;
  }

  const yTicks = ticks(yLo, yHi, yStep);
  const th = textHeight(scale);
  const pad = 4 * scale;
  const tickLen = 3 * scale;
  const yTickW = Math.max(...yTicks.map((v) => textWidth(formatTick(v, yStep), scale)), 0);
  const left = pad + (yLabel ? th + 3 * scale + pad : 0) + yTickW + 2 * scale + tickLen;
  const lastX = xTicks.length ? textWidth(formatTick(xTicks[xTicks.length - 1], xStep), scale) : 0;
  const right = width - 1 - Math.max(pad * 2, Math.ceil(lastX / 2) + pad);
  const top = pad + (title ? textHeight(scale + 1) + 3 * (scale + 1) + pad : pad);
  const bottom = height - 1 - (tickLen + 2 * scale + th + 3 * scale + (xLabel ? th + 3 * scale + pad : 0) + pad);
  if (right - left < 40 || bottom - top < 40) {
    throw invalidRange('width/height', 'a size leaving room for the plot area', `${width}x${height}`);
  }
  const px = (x: number): number => left + ((x - xLo) / (xHi - xLo)) * (right - left);
  const py = (y: number): number => bottom - ((y - yLo) / (yHi - yLo)) * (bottom - top);
  return {
    width, height, left, right, top, bottom, xMin: xLo, xMax: xHi, yMin: yLo, yMax: yHi,
    xTicks, yTicks, xStep, yStep, px, py, prepared, scale,
  };
}

/** A value with 4 significant digits, without exponent for the usual ranges. */
function formatValue(v: number): string {
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(4))) : v.toPrecision(3);
}

/** Draws the chart into a Canvas (see `plotCurves`). */
export function renderCurves(series: readonly Series[], opts: PlotOptions = {}): Canvas {
  opts = readOptions<PlotOptions>('plotCurves', opts, PLOT_KEYS);
  const L = layoutChart(series, opts);
  const { scale: s, left, right, top, bottom } = L;
  const lineWidth = opts.lineWidth === undefined ? 2 : checkInt('lineWidth', opts.lineWidth, 1, 16);
  const c = new Canvas(L.width, L.height);
  const th = textHeight(s);

  // Grid, then ticks and their labels.
  for (const v of L.yTicks) {
    const y = Math.round(L.py(v));
    c.fillRect(left, y, right - left + 1, 1, GRID);
    c.fillRect(left - 3 * s, y, 3 * s, 1, AXIS);
    const label = formatTick(v, L.yStep);
    c.text(left - 3 * s - 2 * s - textWidth(label, s), y - Math.floor(th / 2), label, BLACK, s);
  }
  for (const v of L.xTicks) {
    const x = Math.round(L.px(v));
    c.fillRect(x, top, 1, bottom - top + 1, GRID);
    c.fillRect(x, bottom + 1, 1, 3 * s, AXIS);
    const label = formatTick(v, L.xStep);
    c.text(x - Math.floor(textWidth(label, s) / 2), bottom + 1 + 3 * s + 2 * s, label, BLACK, s);
  }

  // Curves, clipped to the plot area.
  c.clip = { x0: left, y0: top, x1: right + 1, y1: bottom + 1 };
  const drawPath = (x: Float64Array, y: Float64Array, color: RGB, w: number): void => {
    if (x.length === 1) {
      c.fillRect(Math.round(L.px(x[0])) - w, Math.round(L.py(y[0])) - w, 2 * w + 1, 2 * w + 1, color);
      return;
    }
    for (let i = 1; i < x.length; i++) c.line(L.px(x[i - 1]), L.py(y[i - 1]), L.px(x[i]), L.py(y[i]), color, w);
  };
  for (const p of L.prepared) if (p.smooth) drawPath(p.x, p.y, tint(p.color, 0.65), 1);
  for (const p of L.prepared) drawPath(p.x, p.smooth ?? p.y, p.color, lineWidth);
  // Few points (one or two epochs): a marker on every point, so a single epoch is not a speck
  const r = 2 * lineWidth + 1;
  for (const p of L.prepared) {
    if (p.x.length > 4) continue;
    for (let i = 0; i < p.x.length; i++) c.fillRect(Math.round(L.px(p.x[i])) - r, Math.round(L.py(p.y[i])) - r, 2 * r + 1, 2 * r + 1, p.color);
  }
  c.clip = null;
  // One point per series: its value beside it (stacked when the points are close), the chart's only information
  if (L.prepared.length > 0 && L.prepared.every((p) => p.x.length === 1)) {
    const placed: number[] = [];
    for (const p of [...L.prepared].sort((a, b) => L.py(a.y[0]) - L.py(b.y[0]))) {
      const label = `${p.name} ${formatValue(p.y[0])}`;
      let y = Math.round(L.py(p.y[0])) - Math.floor(th / 2);
      for (const q of placed) if (Math.abs(q - y) < th + 2 * s) y = q + th + 2 * s;
      y = Math.min(Math.max(y, top + s), bottom - th - s);
      placed.push(y);
      const x = Math.round(L.px(p.x[0])) + r + 3 * s;
      c.text(Math.min(x, right - textWidth(label, s) - s), y, label, p.color, s);
    }
  }

  // Axes frame.
  c.strokeRect(left, top, right - left + 1, bottom - top + 1, AXIS);

  // Title and axis labels.
  const title = opts.title ?? '';
  if (title) c.text(Math.round((L.width - textWidth(title, s + 1)) / 2), 4 * s, title, BLACK, s + 1);
  const xLabel = opts.xLabel ?? '';
  if (xLabel) {
    c.text(Math.round((left + right - textWidth(xLabel, s)) / 2), bottom + 1 + 3 * s + 2 * s + th + 3 * s + 2 * s, xLabel, BLACK, s);
  }
  const yLabel = opts.yLabel ?? '';
  if (yLabel) c.text(4 * s, Math.round((top + bottom + textWidth(yLabel, s)) / 2), yLabel, BLACK, s, true);

  drawLegend(c, L);
  return c;
}

function drawLegend(c: Canvas, L: ReturnType<typeof layoutChart>): void {
  const s = L.scale;
  const names = L.prepared.map((p) => p.name);
  if (names.every((n) => n === '')) return;
  const rowH = textHeight(s) + 4 * s;
  const swatch = 10 * s;
  const w = 3 * s + swatch + 3 * s + Math.max(...names.map((n) => textWidth(n, s))) + 4 * s;
  const h = names.length * rowH + 2 * s;
  const m = 4 * s;
  const corners: [number, number][] = [
    [L.right - m - w, L.top + m], [L.right - m - w, L.bottom - m - h], [L.left + m, L.top + m], [L.left + m, L.bottom - m - h],
  ];
  // The corner covering the fewest data points.
  let best = corners[0];
  let bestCount = Infinity;
  for (const [x0, y0] of corners) {
    let count = 0;
    for (const p of L.prepared) {
      const ys = p.smooth ?? p.y;
      for (let i = 0; i < p.x.length; i++) {
        const X = L.px(p.x[i]);
        const Y = L.py(ys[i]);
        if (X >= x0 - m && X <= x0 + w + m && Y >= y0 - m && Y <= y0 + h + m) count++;
      }
      // Segments crossing the box without a point inside: sample midpoints too.
      for (let i = 1; i < p.x.length; i++) {
        const X = L.px((p.x[i - 1] + p.x[i]) / 2);
        const Y = L.py((ys[i - 1] + ys[i]) / 2);
        if (X >= x0 && X <= x0 + w && Y >= y0 && Y <= y0 + h) count++;
      }
    }
    if (count < bestCount) {
      bestCount = count;
      best = [x0, y0];
    }
  }
  const [x0, y0] = best;
  c.fillRect(x0, y0, w, h, [255, 255, 255]);
  c.strokeRect(x0, y0, w, h, [180, 180, 180]);
  L.prepared.forEach((p, i) => {
    const cy = y0 + s + i * rowH + Math.floor(rowH / 2);
    c.fillRect(x0 + 3 * s, cy - s, swatch, 2 * s, p.color);
    c.text(x0 + 3 * s + swatch + 3 * s, cy - Math.floor(textHeight(s) / 2), p.name, BLACK, s);
  });
}

/**
 * Writes a PNG line chart of `series` to `path` (atomically).
 *
 * @example
 * plotCurves('out/loss.png', [{ name: 'train loss', values: losses }], { title: 'Loss', xLabel: 'iteration', yLabel: 'loss', smooth: 25 });
 * @throws {TypeError} a series, option or path of the wrong type
 * @throws {RangeError} no series, an empty series, a non-finite value, or bad sizes/ranges
 */
export function plotCurves(path: string, series: readonly Series[], opts: PlotOptions = {}): void {
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a non-empty path string', path);
  renderCurves(series, opts).save(path);
}
