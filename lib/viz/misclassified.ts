/**
 * A grid of misclassified images, like the book's ch08/misclassified_mnist.py: each image whose predicted
 * label differs from the true one, in order, up to `max`, drawn dark-on-light (cmap=gray_r) and labelled
 * "true>pred" above it (true in black, prediction in red).
 *
 * @example
 * const shown = drawMisclassified('out/misclassified.png', xTest, tTest, predictions, { max: 20 });
 */
import { checkInt, invalidRange, invalidType } from '../validate';
import { Tensor } from '../tensor';
import { BLACK, Canvas, type RGB, textHeight, textWidth } from './png';
import { readOptions } from '../validate';

export interface MisclassifiedOptions {
  /** At most this many images (default 20, as the book). */
  max?: number;
  /** Images per row (default 10). */
  columns?: number;
  /** Pixels per image pixel (default 2). */
  scale?: number;
  /** Class names to print instead of indices (e.g. CIFAR's 'cat'). */
  classNames?: readonly string[];
}

const RED: RGB = [200, 30, 30];
const GRAY: RGB = [120, 120, 120];
const FRAME: RGB = [210, 210, 210];

/** [N, C, H, W] view of the accepted image layouts: [N,C,H,W] (C = 1 or 3), [N,H,W], [N,D] with D square. */
function imageDims(images: Tensor): [number, number, number, number] {
  const s = images.shape;
  if (s.length === 4 && (s[1] === 1 || s[1] === 3)) return [s[0], s[1], s[2], s[3]];
  if (s.length === 3) return [s[0], 1, s[1], s[2]];
  if (s.length === 2) {
    const side = Math.round(Math.sqrt(s[1]));
    if (side * side === s[1]) return [s[0], 1, side, side];
  }
  throw invalidRange('images', 'a tensor of shape [N, 1|3, H, W], [N, H, W] or [N, D] with D a square (784)', `shape [${s.join(', ')}]`);
}

function checkLabels(name: string, v: unknown, n: number): ArrayLike<number> {
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw invalidType(name, 'an array of class indices', v);
  }
  const a = v as ArrayLike<number>;
  if (a.length !== n) throw invalidRange(name, `${n} labels (one per image)`, `${a.length} labels`);
  for (let i = 0; i < n; i++) {
    if (typeof a[i] !== 'number' || !Number.isInteger(a[i]) || a[i] < 0) {
      throw invalidRange(`${name}[${i}]`, 'a non-negative integer class index', a[i]);
    }
  }
  return a;
}

/**
 * The indices i with trueLabels[i] != predLabels[i], in order, at most `max` (default: all).
 *
 * @example
 * misclassifiedIndices([0, 1, 2], [0, 2, 1]);      // [1, 2]
 * @throws {TypeError} trueLabels or predLabels is not an array, max not a number
 * @throws {RangeError} the label lists differ in length, max not an integer >= 0
 */
export function misclassifiedIndices(trueLabels: ArrayLike<number>, predLabels: ArrayLike<number>, max?: number): number[] {
  for (const [name, v] of [['trueLabels', trueLabels], ['predLabels', predLabels]] as const) {
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && 'length' in v)) throw invalidType(name, 'an array of class labels', v);
  }
  if (predLabels.length !== trueLabels.length) {
    throw invalidRange('predLabels', `${trueLabels.length} labels (as many as trueLabels)`, `${predLabels.length} labels`);
  }
  const limit = max === undefined ? Infinity : checkInt('max', max, 0);
  const out: number[] = [];
  for (let i = 0; i < trueLabels.length && out.length < limit; i++) if (trueLabels[i] !== predLabels[i]) out.push(i);
  return out;
}

/**
 * Renders the grid (see `drawMisclassified`); returns the canvas, the indices drawn, how many were
 * misclassified in all, and the top-left pixel of each drawn image.
 */
export function renderMisclassified(
  images: Tensor, trueLabels: ArrayLike<number>, predLabels: ArrayLike<number>, opts: MisclassifiedOptions = {},
): { canvas: Canvas; indices: number[]; total: number; positions: { x: number; y: number }[] } {
  if (!(images instanceof Tensor)) throw invalidType('images', 'a Tensor', images);
  if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts);
  opts = readOptions<MisclassifiedOptions>('drawMisclassified', opts, ['max', 'columns', 'scale', 'classNames']);
  const [N, C, H, W] = imageDims(images);
  const t = checkLabels('trueLabels', trueLabels, N);
  const p = checkLabels('predLabels', predLabels, N);
  const max = opts.max === undefined ? 20 : checkInt('max', opts.max, 1, 10000);
  const columns = opts.columns === undefined ? 10 : checkInt('columns', opts.columns, 1, 1000);
  const scale = opts.scale === undefined ? 2 : checkInt('scale', opts.scale, 1, 64);
  const names = opts.classNames;
  if (names !== undefined && (!Array.isArray(names) || !names.every((x) => typeof x === 'string'))) {
    throw invalidType('classNames', 'an array of strings', names);
  }
  const name = (k: number): string => (names && k < names.length ? names[k] : String(k));

  const total = misclassifiedIndices(t, p).length;
  const indices = misclassifiedIndices(t, p, max);
  const ts = scale >= 2 ? 2 : 1; // label text scale
  const pad = 4;
  // Class names: the true and the predicted name on two lines (black, red), the tile as wide as the widest name
  // drawn (up to 16 characters, longer names are cut with '..'); digits: one line "true>pred".
  const twoLines = names !== undefined;
  const maxNameW = Math.max(W * scale, textWidth('M'.repeat(16), ts));
  const fit = (str: string): string => {
    if (textWidth(str, ts) <= maxNameW) return str;
    let k = str.length;
    while (k > 1 && textWidth(`${str.slice(0, k)}..`, ts) > maxNameW) k--;
    return `${str.slice(0, k)}..`;
  };
  const drawnNames = indices.flatMap((i) => [fit(name(t[i])), fit(name(p[i]))]);
  const lineH = textHeight(ts) + 2 * ts;
  const labelH = twoLines ? 2 * lineH + 3 : textHeight(ts) + 2 * ts + 3;
  const tileW = (twoLines
    ? Math.max(W * scale, ...drawnNames.map((n) => textWidth(n, ts)))
    : Math.max(W * scale, textWidth(`${name(9)}>${name(9)}`, ts))) + 2 + (twoLines ? textWidth('MM', ts) : 0);
  const tileH = labelH + H * scale + 2;
  const headerH = textHeight(ts) + 4 * ts + pad;
  const cols = Math.max(1, Math.min(columns, indices.length));
  const rows = Math.max(1, Math.ceil(indices.length / cols));
  const c = new Canvas(pad + cols * (tileW + pad), headerH + rows * (tileH + pad) + pad);

  const header = indices.length === 0 ? 'no misclassified images'
    : twoLines ? `true / predicted: ${indices.length} of ${total} misclassified` : `true>pred: ${indices.length} of ${total} misclassified`;
  c.text(pad, pad + ts, header, BLACK, ts);

  const plane = H * W;
  const image = C * plane;
  const positions: { x: number; y: number }[] = [];
  indices.forEach((idx, k) => {
    const x0 = pad + (k % cols) * (tileW + pad);
    const y0 = headerH + Math.floor(k / cols) * (tileH + pad);
    if (twoLines) {
      const a2 = fit(name(t[idx]));
      const b2 = fit(name(p[idx]));
      c.text(x0 + Math.floor((tileW - textWidth(a2, ts)) / 2), y0 + 1, a2, BLACK, ts);
      c.text(x0 + Math.floor((tileW - textWidth(b2, ts)) / 2), y0 + 1 + lineH, b2, RED, ts);
    }
    // Label "true>pred", centered; shrink the text if it does not fit.
    const a = name(t[idx]);
    const b = name(p[idx]);
    let s = ts;
    while (s > 1 && textWidth(`${a}>${b}`, s) > tileW) s--;
    const lw = textWidth(`${a}>${b}`, s);
    let lx = x0 + Math.max(0, Math.floor((tileW - lw) / 2));
    const ly = y0 + 1;
    if (!twoLines) {
      c.text(lx, ly, a, BLACK, s);
      lx += textWidth(a, s) + s;
      c.text(lx, ly, '>', GRAY, s);
      lx += textWidth('>', s) + s;
      c.text(lx, ly, b, RED, s);
    }

    // The image, dark on light. Values in [0, 1] or [0, 255] are used as they are; others are min–max scaled.
    const off = idx * image;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = off; i < off + image; i++) {
      lo = Math.min(lo, images.data[i]);
      hi = Math.max(hi, images.data[i]);
    }
    let a0 = 0;
    let a1 = 1;
    if (lo >= 0 && hi <= 1) a1 = 1;
    else if (lo >= 0 && hi <= 255) a1 = 255;
    else if (hi > lo) {
      a0 = lo;
      a1 = hi;
    }
    const level = (v: number): number => {
      const u = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - a0) / (a1 - a0))) : 0;
      return Math.round(255 * (1 - u));
    };
    const ix = x0 + Math.floor((tileW - W * scale) / 2);
    const iy = y0 + labelH;
    positions.push({ x: ix, y: iy });
    c.strokeRect(ix - 1, iy - 1, W * scale + 2, H * scale + 2, FRAME);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let rgb: RGB;
        if (C === 3) {
          // Color images keep their colors (no inversion).
          const r = 255 - level(images.data[off + y * W + x]);
          const g = 255 - level(images.data[off + plane + y * W + x]);
          const bl = 255 - level(images.data[off + 2 * plane + y * W + x]);
          rgb = [r, g, bl];
        } else {
          const v = level(images.data[off + y * W + x]);
          rgb = [v, v, v];
        }
        c.fillRect(ix + x * scale, iy + y * scale, scale, scale, rgb);
      }
    }
  });
  return { canvas: c, indices, total, positions };
}

/**
 * Writes a PNG grid of the misclassified images to `path` (atomically) and returns the indices drawn, like
 * the book's `mis_pairs` (index i into images, with trueLabels[i] != predLabels[i]).
 * @throws {TypeError} images is not a Tensor, labels are not arrays, an option has the wrong type
 * @throws {RangeError} an image layout it cannot draw, label counts or values that do not fit, bad options
 */
export function drawMisclassified(
  path: string, images: Tensor, trueLabels: ArrayLike<number>, predLabels: ArrayLike<number>, opts: MisclassifiedOptions = {},
): number[] {
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a non-empty path string', path);
  const { canvas, indices } = renderMisclassified(images, trueLabels, predLabels, opts);
  canvas.save(path);
  return indices;
}
