/**
 * The first convolution layer's filters as a grid of tiles, like the book's ch07/visualize_filter.py
 * (filter_show: nx = 8 columns, each filter min–max normalized on its own, channel 0, nearest-neighbour
 * enlargement). With C = 3 the tiles can be drawn in color instead.
 *
 * @example
 * drawFilters('out/filters.png', net.params.W1, { scale: 8 });
 */
import { checkInt, invalidRange, invalidType } from '../validate';
import { Tensor } from '../tensor';
import { BLACK, Canvas, type Color, type RGB, textHeight, textWidth, toRGB, WHITE } from './png';
import { readOptions } from '../validate';

export interface FilterOptions {
  /** Pixels per filter weight (default: enough to make a tile about 48 pixels wide). */
  scale?: number;
  /** Tiles per row (default 8, as the book). */
  columns?: number;
  /** Pixels between tiles and around the grid (default 3). */
  gap?: number;
  /**
   * 'gray': channel `channel` in grayscale; 'rgb': channels 0..2 as red, green, blue (needs C = 3).
   * Default 'rgb' when C = 3, else 'gray'.
   */
  mode?: 'gray' | 'rgb';
  /** The channel drawn in gray mode (default 0, as the book). */
  channel?: number;
  /** Dark = large weights, as the book's cmap=gray_r (default false: bright = large). */
  invert?: boolean;
  /** Background between tiles (default a muted blue, distinct from any gray). */
  background?: Color;
  /** A title above the grid (e.g. 'W1 before training'); the canvas widens to fit it. Default none. */
  title?: string;
  /** Text size of the title (default 2). */
  textScale?: number;
}

const BG: RGB = [90, 120, 170];

/** Renders the filter grid (see `drawFilters`). */
export function renderFilters(W: Tensor, opts: FilterOptions = {}): Canvas {
  if (!(W instanceof Tensor)) throw invalidType('W', 'a Tensor of shape [F, C, KH, KW]', W);
  if (W.rank !== 4) throw invalidRange('W', 'a tensor of shape [F, C, KH, KW]', `shape [${W.shape.join(', ')}]`);
  if (opts === null || typeof opts !== 'object') throw invalidType('options', 'an object', opts);
  opts = readOptions<FilterOptions>('drawFilters', opts, ['scale', 'columns', 'gap', 'mode', 'channel', 'invert', 'background', 'title', 'textScale']);
  const [F, C, KH, KW] = W.shape;
  const scale = opts.scale === undefined ? Math.max(1, Math.round(48 / Math.max(KH, KW))) : checkInt('scale', opts.scale, 1, 256);
  const columns = opts.columns === undefined ? 8 : checkInt('columns', opts.columns, 1, 4096);
  const gap = opts.gap === undefined ? 3 : checkInt('gap', opts.gap, 0, 256);
  const mode = opts.mode ?? (C === 3 ? 'rgb' : 'gray');
  if (mode !== 'gray' && mode !== 'rgb') throw invalidRange('mode', "'gray' or 'rgb'", `'${String(mode)}'`);
  if (mode === 'rgb' && C !== 3) throw invalidRange('mode', "'gray' for filters with C != 3", `'rgb' with C = ${C}`);
  const channel = opts.channel === undefined ? 0 : checkInt('channel', opts.channel, 0, C - 1);
  if (opts.invert !== undefined && typeof opts.invert !== 'boolean') throw invalidType('invert', 'a boolean', opts.invert);
  const invert = opts.invert ?? false;
  const bg = opts.background === undefined ? BG : toRGB('background', opts.background);
  for (let i = 0; i < W.size; i++) {
    if (!Number.isFinite(W.data[i])) throw invalidRange('W', 'finite weights', `${W.data[i]} at index ${i}`);
  }

  if (opts.title !== undefined && typeof opts.title !== 'string') throw invalidType('title', 'a string', opts.title);
  const title = opts.title ?? '';
  const ts = opts.textScale === undefined ? 2 : checkInt('textScale', opts.textScale, 1, 8);
  const titleH = title ? textHeight(ts) + 4 * ts : 0;
  const cols = Math.min(columns, F);
  const rows = Math.ceil(F / cols);
  const tw = KW * scale;
  const th = KH * scale;
  const gridW = gap + cols * (tw + gap);
  const width = Math.max(gridW, title ? textWidth(title, ts) + 4 * ts : 0);
  const c = new Canvas(width, titleH + gap + rows * (th + gap), title ? WHITE : bg);
  const ox = Math.floor((width - gridW) / 2);
  if (title) {
    c.fillRect(ox, titleH, gridW, gap + rows * (th + gap), bg);
    c.text(Math.floor((width - textWidth(title, ts)) / 2), 2 * ts, title, BLACK, ts);
  }
  const plane = KH * KW;
  for (let f = 0; f < F; f++) {
    const x0 = ox + gap + (f % cols) * (tw + gap);
    const y0 = titleH + gap + Math.floor(f / cols) * (th + gap);
    // Min–max over what is drawn: one channel (gray) or all three (rgb, so colors keep their balance).
    const first = (f * C + (mode === 'rgb' ? 0 : channel)) * plane;
    const count = (mode === 'rgb' ? 3 : 1) * plane;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = first; i < first + count; i++) {
      lo = Math.min(lo, W.data[i]);
      hi = Math.max(hi, W.data[i]);
    }
    const span = hi - lo;
    const level = (v: number): number => {
      const t = span > 0 ? (v - lo) / span : 0.5;
      return Math.round(255 * (invert ? 1 - t : t));
    };
    for (let y = 0; y < KH; y++) {
      for (let x = 0; x < KW; x++) {
        let rgb: RGB;
        if (mode === 'rgb') {
          rgb = [level(W.data[first + y * KW + x]), level(W.data[first + plane + y * KW + x]), level(W.data[first + 2 * plane + y * KW + x])];
        } else {
          const g = level(W.data[first + y * KW + x]);
          rgb = [g, g, g];
        }
        c.fillRect(x0 + x * scale, y0 + y * scale, scale, scale, rgb);
      }
    }
  }
  return c;
}

/**
 * Writes the filters W[F, C, KH, KW] as a PNG grid to `path` (atomically): tile f is at column f mod
 * `columns`, row floor(f / columns); weight (y, x) of a filter fills a `scale`×`scale` square.
 * @throws {TypeError} W is not a Tensor, or an option has the wrong type
 * @throws {RangeError} W is not 4-D, holds non-finite weights, or an option is out of range
 */
export function drawFilters(path: string, W: Tensor, opts: FilterOptions = {}): void {
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a non-empty path string', path);
  renderFilters(W, opts).save(path);
}
