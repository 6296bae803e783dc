/**
 * Data augmentation in TypeScript: x[N,C,H,W] -> y[N,C,H,W], the same transform as native/core/augment.cpp.
 *
 * Image n draws its parameters from slots n·AUGMENT_SLOTS + j of the stream streamBase(seed, counter), whether
 * or not the option behind a slot is on (switching one option never changes another's draws):
 *   j=0 shift x, 1 shift y, 2 rotation, 3 flip horizontal, 4 flip vertical, 5 crop x, 6 crop y, 7 brightness.
 * For each output pixel (u, v) the source coordinate is found by undoing, in order: the shift (whole pixels),
 * the rotation about the center (positive = counter-clockwise as displayed), the flips, the crop offset.
 * Whole-pixel source coordinates copy exactly; others are sampled bilinearly, with `fill` for every pixel
 * outside the source (a pixel with no neighbour inside is `fill` exactly). Then the brightness delta is added.
 * Arithmetic is in double, rounded to float32 once, in the same order as the C++ (only cos/sin of a nonzero
 * angle may differ in the last bit between the two).
 */
import { streamBase, streamUniform } from '../../rng';
import type { AugmentConfig } from '../types';

export const AUGMENT_SLOTS = 8;

/** The transform one image drew. */
export interface AugmentDraw {
  /** shift: output = source moved right by tx and down by ty pixels */
  tx: number;
  ty: number;
  /** rotation angle in radians (counter-clockwise as displayed) */
  theta: number;
  cos: number;
  sin: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** crop offset minus padding, in [−cropPadding, cropPadding]: the source moves left by ox, up by oy */
  ox: number;
  oy: number;
  /** brightness delta */
  delta: number;
}

function drawShift(u: number, frac: number, size: number): number {
  const m = Math.floor(frac * size + 0.5);
  return Math.floor(u * (2 * m + 1)) - m;
}

/** The parameters image n draws from the stream with base `base` (as native augment_draw). */
export function augmentDraw(cfg: AugmentConfig, H: number, W: number, base: number, n: number): AugmentDraw {
  const slot = (j: number): number => streamUniform(base, n * AUGMENT_SLOTS + j);
  const theta = (2 * slot(2) - 1) * cfg.rotation * (Math.PI / 180);
  const p = cfg.cropPadding;
  return {
    tx: drawShift(slot(0), cfg.shift, W),
    ty: drawShift(slot(1), cfg.shift, H),
    theta,
    cos: cfg.rotation !== 0 ? Math.cos(theta) : 1,
    sin: cfg.rotation !== 0 ? Math.sin(theta) : 0,
    flipHorizontal: cfg.flipHorizontal && slot(3) < 0.5,
    flipVertical: cfg.flipVertical && slot(4) < 0.5,
    ox: Math.floor(slot(5) * (2 * p + 1)) - p,
    oy: Math.floor(slot(6) * (2 * p + 1)) - p,
    delta: (2 * slot(7) - 1) * cfg.brightness,
  };
}

/**
 * One image x[C,H,W] (at offset xOff) -> y[C,H,W] (at yOff) with a given draw. Exposed so tests can apply a
 * chosen transform (e.g. a 90° rotation); `applyBrightness` is whether the brightness option is on.
 */
export function augmentImage(
  x: Float32Array, xOff: number, C: number, H: number, W: number, d: AugmentDraw, fill: number, applyBrightness: boolean,
  y: Float32Array, yOff: number,
): void {
  const plane = H * W;
  const cx = (W - 1) * 0.5;
  const cy = (H - 1) * 0.5;
  const { cos, sin } = d;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const du = u - d.tx - cx;
      const dv = v - d.ty - cy;
      let sx = cx + du * cos - dv * sin;
      let sy = cy + du * sin + dv * cos;
      if (d.flipHorizontal) sx = W - 1 - sx;
      if (d.flipVertical) sy = H - 1 - sy;
      sx += d.ox;
      sy += d.oy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const inX0 = x0 >= 0 && x0 < W;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < W;
      const inY0 = y0 >= 0 && y0 < H;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < H;
      const in00 = inX0 && inY0;
      const in10 = inX1 && inY0;
      const in01 = inX0 && inY1;
      const in11 = inX1 && inY1;
      const i00 = y0 * W + x0;
      const exact = !(in00 || in10 || in01 || in11) || (fx === 0 && fy === 0);
      const o = v * W + u;
      for (let c = 0; c < C; c++) {
        const s = xOff + c * plane;
        let val: number;
        if (exact) {
          val = in00 ? x[s + i00] : fill;
        } else {
          const p00 = in00 ? x[s + i00] : fill;
          const p10 = in10 ? x[s + i00 + 1] : fill;
          const p01 = in01 ? x[s + i00 + W] : fill;
          const p11 = in11 ? x[s + i00 + W + 1] : fill;
          val = (1 - fy) * ((1 - fx) * p00 + fx * p10) + fy * ((1 - fx) * p01 + fx * p11);
        }
        if (applyBrightness) val = val + d.delta;
        y[yOff + c * plane + o] = val;
      }
    }
  }
}

/** The whole batch (the Backend.augment contract). */
export function augment(
  x: Float32Array, N: number, C: number, H: number, W: number, cfg: AugmentConfig, seed: number, counter: number, y: Float32Array,
): void {
  const base = streamBase(seed, counter);
  const image = C * H * W;
  const bright = cfg.brightness !== 0;
  for (let n = 0; n < N; n++) {
    augmentImage(x, n * image, C, H, W, augmentDraw(cfg, H, W, base, n), cfg.fill, bright, y, n * image);
  }
}
