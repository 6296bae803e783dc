/**
 * Per-batch data augmentation for image tensors x[N, C, H, W]: random shifts, rotations, flips, pad-and-crop
 * and brightness, drawn from a seeded `Rng` so a run is reproducible and the native and TypeScript backends
 * produce the same batch. Labels are untouched: image n of the output is a transform of image n of the input.
 *
 * The transform of each image (see lib/backend/ts/augment.ts for the exact arithmetic): undo a whole-pixel
 * shift, a rotation about the image center, optional flips and the crop offset to find each output pixel's
 * source; copy whole-pixel sources exactly, sample others bilinearly (outside the image reads `fill`); then
 * add the brightness delta.
 */
import { getBackend } from '../backend';
import type { AugmentConfig, Backend } from '../backend/types';
import { checkInt, checkNumber, invalidRange, invalidType } from '../validate';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { readOptions } from '../validate';

/** Augmentation options; every one is off by default. */
export interface AugmentOptions {
  /**
   * Max shift as a fraction of the image size, in [0, 1]: each image moves by whole pixels drawn uniformly
   * from [−round(shift·W), round(shift·W)] horizontally and [−round(shift·H), round(shift·H)] vertically
   * (0.1 on 28×28 MNIST: up to ±3 pixels).
   */
  shift?: number;
  /** Max rotation in degrees, in [0, 180]: angle uniform in [−rotation, rotation] about the center. */
  rotation?: number;
  /** Mirror left-right with probability 1/2. */
  flipHorizontal?: boolean;
  /** Mirror top-bottom with probability 1/2. */
  flipVertical?: boolean;
  /** Pad every side by this many pixels (an integer in [0, 1024]), then crop H×W back at a random offset. */
  cropPadding?: number;
  /** Max additive brightness change, ≥ 0: every pixel of an image gets the same delta, uniform in [−b, b]. */
  brightness?: number;
  /** Value of pixels that come from outside the source image (default 0). */
  fill?: number;
}

const KEYS: readonly (keyof AugmentOptions)[] = ['shift', 'rotation', 'flipHorizontal', 'flipVertical', 'cropPadding', 'brightness', 'fill'];

function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(name, 'a boolean', value);
  return value;
}

/**
 * Validates options and fills the defaults.
 * @throws {TypeError} opts is not an object or an option has the wrong type
 * @throws {RangeError} an option is out of range or unknown
 */
export function resolveAugmentOptions(opts: AugmentOptions): AugmentConfig {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw invalidType('augment options', 'an object', opts);
  const o = readOptions<Record<string, unknown>>('augment', opts, KEYS);
  const val = (k: string, d: unknown): unknown => (o[k] === undefined ? d : o[k]);
  return {
    shift: checkNumber('augment.shift', val('shift', 0), { min: 0, max: 1 }),
    rotation: checkNumber('augment.rotation', val('rotation', 0), { min: 0, max: 180 }),
    flipHorizontal: checkBool('augment.flipHorizontal', val('flipHorizontal', false)),
    flipVertical: checkBool('augment.flipVertical', val('flipVertical', false)),
    cropPadding: checkInt('augment.cropPadding', val('cropPadding', 0), 0, 1024),
    brightness: checkNumber('augment.brightness', val('brightness', 0), { min: 0 }),
    fill: checkNumber('augment.fill', val('fill', 0)),
  };
}

/** True when the options change nothing (every image is returned as it is). */
export function isIdentityAugment(cfg: AugmentConfig): boolean {
  return cfg.shift === 0 && cfg.rotation === 0 && !cfg.flipHorizontal && !cfg.flipVertical && cfg.cropPadding === 0 && cfg.brightness === 0;
}

/**
 * A randomly transformed copy of the batch x[N, C, H, W] (same shape; x is not modified). Consumes exactly one
 * stream of `rng` (`rng.nextStream()`) per call, whatever the options, so a seeded run stays reproducible and
 * both backends give the same batch (bit for bit without rotation; within float rounding with it).
 *
 * @example
 * const rng = new Rng(1);
 * const xb = augmentBatch(batch, { shift: 0.1, rotation: 10 }, rng);
 * @throws {TypeError} x is not a Tensor, rng not an Rng, or an option has the wrong type
 * @throws {RangeError} x is not 4-D, or an option is out of range
 */
export function augmentBatch(x: Tensor, opts: AugmentOptions, rng: Rng, backend: Backend = getBackend()): Tensor {
  if (!(x instanceof Tensor)) throw invalidType('x', 'a Tensor', x);
  if (x.rank !== 4) throw invalidRange('x', 'a tensor of shape [N, C, H, W]', `shape [${x.shape.join(', ')}]`);
  if (!(rng instanceof Rng)) throw invalidType('rng', 'an Rng', rng);
  const cfg = resolveAugmentOptions(opts);
  const { seed, counter } = rng.nextStream();
  if (isIdentityAugment(cfg)) return x.clone();
  const [N, C, H, W] = x.shape;
  const y = new Float32Array(x.size);
  backend.augment(x.data, N, C, H, W, cfg, seed, counter, y);
  return new Tensor(y, x.shape);
}

const NUMERIC: Record<string, keyof AugmentOptions> = {
  shift: 'shift', rotation: 'rotation', rotate: 'rotation', crop: 'cropPadding', cropPadding: 'cropPadding',
  brightness: 'brightness', fill: 'fill',
};
const BOOLEAN: Record<string, keyof AugmentOptions> = {
  flip: 'flipHorizontal', hflip: 'flipHorizontal', flipHorizontal: 'flipHorizontal',
  vflip: 'flipVertical', flipVertical: 'flipVertical',
};

/**
 * Parses the CLI form: comma-separated `key=value` items and bare flags, e.g.
 * `'shift=0.1,rotation=10,flip'`. Keys: shift, rotation (rotate), crop (cropPadding), brightness, fill;
 * flags: flip/hflip (flipHorizontal), vflip (flipVertical), which also take `=true|false|1|0`.
 * `''` and `'none'` mean no augmentation. The result is validated like `resolveAugmentOptions`.
 * @throws {TypeError} spec is not a string
 * @throws {RangeError} an unknown key, a malformed value, or a value out of range
 */
export function parseAugmentSpec(spec: string): AugmentOptions {
  if (typeof spec !== 'string') throw invalidType('augment spec', 'a string', spec);
  const out: Record<string, number | boolean> = {};
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'none') return {};
  for (const raw of trimmed.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : item.slice(eq + 1).trim();
    if (Object.prototype.hasOwnProperty.call(BOOLEAN, key)) {
      let b = true;
      if (value !== undefined) {
        if (value === 'true' || value === '1') b = true;
        else if (value === 'false' || value === '0') b = false;
        else throw invalidRange(`augment spec '${key}'`, 'true, false, 1 or 0', `'${value}'`);
      }
      out[BOOLEAN[key]] = b;
    } else if (Object.prototype.hasOwnProperty.call(NUMERIC, key)) {
      const num = value === undefined || value === '' ? NaN : Number(value);
      if (!Number.isFinite(num)) throw invalidRange(`augment spec '${key}'`, 'a number (key=value)', `'${value ?? ''}'`);
      out[NUMERIC[key]] = num;
    } else {
      const known = [...Object.keys(NUMERIC).map((k) => `${k}=…`), ...Object.keys(BOOLEAN)].join(', ');
      throw invalidRange('augment spec', `items among ${known}`, `'${key}'`);
    }
  }
  resolveAugmentOptions(out as AugmentOptions);
  return out as AugmentOptions;
}

/** The inverse of parseAugmentSpec for logs and saved configs: only the options that are on. */
export function formatAugmentSpec(opts: AugmentOptions): string {
  const c = resolveAugmentOptions(opts);
  const parts: string[] = [];
  if (c.shift) parts.push(`shift=${c.shift}`);
  if (c.rotation) parts.push(`rotation=${c.rotation}`);
  if (c.flipHorizontal) parts.push('hflip');
  if (c.flipVertical) parts.push('vflip');
  if (c.cropPadding) parts.push(`crop=${c.cropPadding}`);
  if (c.brightness) parts.push(`brightness=${c.brightness}`);
  if (c.fill) parts.push(`fill=${c.fill}`);
  return parts.length ? parts.join(',') : 'none';
}
