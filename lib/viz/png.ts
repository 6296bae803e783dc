/**
 * A tiny RGB canvas for the book's pictures: pixels, rectangles, lines and text in a built-in bitmap font
 * (lib/viz/font.ts), encoded as PNG with pngjs and written atomically.
 *
 * @example
 * const c = new Canvas(200, 100);
 * c.line(10, 90, 190, 10, [31, 119, 180], 2);
 * c.text(10, 10, 'loss 0.25', [0, 0, 0], 2);
 * c.save('out/plot.png');
 */
import { PNG } from 'pngjs';

import { checkInt, invalidRange, invalidType } from '../validate';
import { writeFileAtomic } from '../io/atomic';
import { GLYPH_ADVANCE, GLYPH_ASCENT, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font';

/** A color: [r, g, b] with components in 0..255, or '#rrggbb'. */
export type Color = readonly [number, number, number] | string;
export type RGB = readonly [number, number, number];

export const BLACK: RGB = [0, 0, 0];
export const WHITE: RGB = [255, 255, 255];

/** Parses and checks a color. */
export function toRGB(name: string, c: Color): RGB {
  if (typeof c === 'string') {
    const m = /^#([0-9a-fA-F]{6})$/.exec(c);
    if (!m) throw invalidRange(name, "a color '#rrggbb' or [r, g, b]", `'${c}'`);
    const v = parseInt(m[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  if (!Array.isArray(c) || c.length !== 3) throw invalidType(name, "a color '#rrggbb' or [r, g, b]", c);
  c.forEach((v, i) => checkInt(`${name}[${i}]`, v, 0, 255));
  return c as RGB;
}

/** Mixes `c` toward white by `t` in [0, 1]. */
export function tint(c: RGB, t: number): RGB {
  return [Math.round(c[0] + (255 - c[0]) * t), Math.round(c[1] + (255 - c[1]) * t), Math.round(c[2] + (255 - c[2]) * t)];
}

/** The largest canvas side accepted (keeps a typo from allocating gigabytes). */
export const MAX_SIDE = 16384;

/**
 * An RGB raster with the few drawing operations the charts need, saved as PNG (atomically).
 *
 * @example
 * const c = new Canvas(200, 100);
 * c.line(10, 90, 190, 10, [31, 119, 180], 2);
 * c.text(10, 10, 'loss 0.25', [0, 0, 0], 2);
 * c.save('out/sketch.png');
 * @throws {RangeError} a side that is not an integer in [1, MAX_SIDE]
 */
export class Canvas {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major, alpha always 255. */
  readonly data: Buffer;
  /** Drawing is limited to [x0, x1) × [y0, y1) while set (chart lines stay inside the axes). */
  clip: { x0: number; y0: number; x1: number; y1: number } | null = null;

  /**
   * @throws {RangeError} width/height not integers in [1, MAX_SIDE]
   */
  constructor(width: number, height: number, background: Color = WHITE) {
    this.width = checkInt('width', width, 1, MAX_SIDE);
    this.height = checkInt('height', height, 1, MAX_SIDE);
    this.data = Buffer.alloc(width * height * 4, 255);
    const bg = toRGB('background', background);
    if (bg[0] !== 255 || bg[1] !== 255 || bg[2] !== 255) this.fillRect(0, 0, width, height, bg);
  }

  /** Sets one pixel (ignored outside the canvas; coordinates are rounded down). */
  setPixel(x: number, y: number, c: RGB): void {
    x = Math.floor(x);
    y = Math.floor(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const k = this.clip;
    if (k && (x < k.x0 || y < k.y0 || x >= k.x1 || y >= k.y1)) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }

  /** The [r, g, b] at (x, y). */
  getPixel(x: number, y: number): RGB {
    const i = (y * this.width + x) * 4;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  /** Fills [x, x+w) × [y, y+h), clipped. */
  fillRect(x: number, y: number, w: number, h: number, c: RGB): void {
    const k = this.clip;
    const x0 = Math.max(0, k ? k.x0 : 0, Math.floor(x));
    const y0 = Math.max(0, k ? k.y0 : 0, Math.floor(y));
    const x1 = Math.min(this.width, k ? k.x1 : Infinity, Math.floor(x + w));
    const y1 = Math.min(this.height, k ? k.y1 : Infinity, Math.floor(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 4;
        this.data[i] = c[0];
        this.data[i + 1] = c[1];
        this.data[i + 2] = c[2];
      }
    }
  }

  /** A 1-pixel outline of [x, x+w) × [y, y+h). */
  strokeRect(x: number, y: number, w: number, h: number, c: RGB): void {
    this.fillRect(x, y, w, 1, c);
    this.fillRect(x, y + h - 1, w, 1, c);
    this.fillRect(x, y, 1, h, c);
    this.fillRect(x + w - 1, y, 1, h, c);
  }

  /**
   * A straight line from (x0, y0) to (x1, y1) (pixel coordinates, rounded), `thickness` pixels wide:
   * Bresenham's walk with a thickness×thickness square at each step.
   */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, thickness = 1): void {
    let ax = Math.round(x0);
    let ay = Math.round(y0);
    const bx = Math.round(x1);
    const by = Math.round(y1);
    const dx = Math.abs(bx - ax);
    const dy = -Math.abs(by - ay);
    const sx = ax < bx ? 1 : -1;
    const sy = ay < by ? 1 : -1;
    const off = Math.floor((thickness - 1) / 2);
    let err = dx + dy;
    for (let guard = 0; guard < 4 * MAX_SIDE; guard++) {
      if (thickness <= 1) this.setPixel(ax, ay, c);
      else this.fillRect(ax - off, ay - off, thickness, thickness, c);
      if (ax === bx && ay === by) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        ax += sx;
      }
      if (e2 <= dx) {
        err += dx;
        ay += sy;
      }
    }
  }

  /**
   * Draws `str` with its top-left at (x, y), each font pixel a `scale`×`scale` square. `vertical` draws it
   * rotated a quarter turn counter-clockwise (reading upward), with (x, y) its bottom-left.
   */
  text(x: number, y: number, str: string, c: RGB, scale = 1, vertical = false): void {
    let pen = 0;
    for (const ch of str) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        const bits = g[r];
        if (!bits) continue;
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (!(bits & (1 << (GLYPH_WIDTH - 1 - col)))) continue;
          const gx = pen + col * scale;
          const gy = r * scale;
          if (vertical) this.fillRect(x + gy, y - gx - scale, scale, scale, c);
          else this.fillRect(x + gx, y + gy, scale, scale, c);
        }
      }
      pen += GLYPH_ADVANCE * scale;
    }
  }

  /** Encodes as PNG (8-bit RGB). */
  toPNG(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 6 });
  }

  /** Writes the PNG to `path` atomically (temporary file + rename). */
  save(path: string): void {
    if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a non-empty path string', path);
    writeFileAtomic(path, this.toPNG());
  }
}

/** Width in pixels of `str` drawn at `scale`. */
export function textWidth(str: string, scale = 1): number {
  const n = [...str].length;
  return n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale;
}

/** Height of a line of text above the baseline (descenders go GLYPH_HEIGHT − GLYPH_ASCENT rows further). */
export function textHeight(scale = 1): number {
  return GLYPH_ASCENT * scale;
}

/**
 * Decodes a PNG file's bytes (for tests and tools): width, height and RGBA data.
 *
 * @example
 * const { width, height, data } = decodePng(fs.readFileSync('plot.png'));
 * @throws {TypeError} bytes is not a Uint8Array
 */
export function decodePng(bytes: Uint8Array): { width: number; height: number; data: Buffer } {
  if (!(bytes instanceof Uint8Array)) throw invalidType('bytes', 'a Uint8Array (the bytes of a PNG file)', bytes);
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: png.data };
}
