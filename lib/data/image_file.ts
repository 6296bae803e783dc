/**
 * One image file in, one tensor out, and back: `loadImage` prepares a PNG/JPEG exactly as `loadImageFolder` does
 * (decodeImage, then imageToPlanes: alpha, grayscale luma or RGB, resize, [0, 1], layout [C, H, W]), so a model
 * trained on a folder sees a new file the same way; `saveImage` writes a [C, H, W] tensor of [0, 1] values as PNG.
 */
import * as fs from 'fs';
import { PNG } from 'pngjs';
import { checkInt, checkOneOf, invalidRange, invalidType } from '../validate';
import { writeFileAtomic } from '../io/atomic';
import { Tensor } from '../tensor';
import { decodeImage, imageToPlanes } from './images';
import { readOptions } from '../validate';

export interface LoadImageOptions {
  /** Output [height, width] (or one number for a square); default: the file's own size. */
  size?: [number, number] | number;
  /** 1 (grayscale, ITU-R 601 luma) or 3 (RGB, default), as loadImageFolder's colorMode. */
  channels?: 1 | 3;
  /** Resampling: 'bilinear' (default) or 'nearest'. */
  interpolation?: 'bilinear' | 'nearest';
  /** Transparent pixels: 'drop' alpha (default), or composite over 'white' / 'black'. */
  alpha?: 'drop' | 'white' | 'black';
}

const LOAD_IMAGE_KEYS = ['size', 'channels', 'interpolation', 'alpha'];

/** Checks a size option: [h, w] or n (square). */
export function checkSize(name: string, v: unknown): [number, number] {
  if (typeof v === 'number') return [checkInt(name, v, 1, 65535), v];
  if (!Array.isArray(v) || v.length !== 2) throw invalidType(name, 'a size [height, width] or a number', v);
  return [checkInt(`${name}[0]`, v[0], 1, 65535), checkInt(`${name}[1]`, v[1], 1, 65535)];
}

/**
 * Decodes and prepares one PNG/JPEG as the folder loader does: a tensor [C, H, W] of values in [0, 1] (add the
 * batch dimension with `x.reshape([1, ...x.shape])` or use loadImages).
 *
 * @example
 * const x = loadImage('cat.png', { size: [32, 32], channels: 3 });   // Tensor [3, 32, 32]
 * const p = net.predictProba(new Tensor(x.data, [1, ...x.shape]));
 * @throws {TypeError|RangeError} bad options (an unknown key names the nearest valid one)
 * @throws {Error} the file cannot be read, is not a PNG/JPEG or is corrupt (the message names the file)
 */
export function loadImage(file: string, opts: LoadImageOptions = {}): Tensor {
  if (typeof file !== 'string' || file === '') throw invalidType('file', 'an image file path', file);
  const o = checkLoadImageOptions(opts);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`images: ${file}: cannot read (${(err as Error).message})`);
  }
  const img = decodeImage(bytes, file);
  const size = o.size ?? [img.height, img.width];
  const out = new Float32Array(o.channels * size[0] * size[1]);
  imageToPlanes(img, out, 0, size, o.channels === 1 ? 'grayscale' : 'rgb', o.interpolation, o.alpha);
  return new Tensor(out, [o.channels, size[0], size[1]]);
}

/**
 * Several files as one batch [N, C, H, W] (every file prepared by loadImage; `size` is needed unless every image
 * has the same size).
 * @throws as loadImage; {Error} images of different sizes without `size` (naming both files)
 */
export function loadImages(files: readonly string[], opts: LoadImageOptions = {}): Tensor {
  if (!Array.isArray(files)) throw invalidType('files', 'an array of image file paths', files);
  const xs = files.map((f) => loadImage(f, opts));
  if (xs.length === 0) throw invalidRange('files', 'at least one image file', 'an empty array');
  const shape = xs[0].shape;
  const per = xs[0].size;
  const out = new Float32Array(xs.length * per);
  xs.forEach((x, i) => {
    if (x.shape[1] !== shape[1] || x.shape[2] !== shape[2]) {
      throw new Error(`images: ${files[i]} is ${x.shape[1]}x${x.shape[2]} (HxW), but ${files[0]} is ${shape[1]}x${shape[2]}; pass size`);
    }
    out.set(x.data, i * per);
  });
  return new Tensor(out, [xs.length, ...shape]);
}

function checkLoadImageOptions(opts: LoadImageOptions): { size: [number, number] | null; channels: 1 | 3; interpolation: 'bilinear' | 'nearest'; alpha: 'drop' | 'white' | 'black' } {
  if (opts === null || typeof opts !== 'object') throw invalidType('loadImage options', 'an object', opts);
  opts = readOptions<LoadImageOptions>('loadImage', opts, LOAD_IMAGE_KEYS);
  const channels = opts.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw invalidRange('channels', '1 (grayscale) or 3 (RGB)', channels);
  return {
    size: opts.size === undefined ? null : checkSize('size', opts.size),
    channels,
    interpolation: checkOneOf('interpolation', opts.interpolation ?? 'bilinear', ['bilinear', 'nearest'] as const),
    alpha: checkOneOf('alpha', opts.alpha ?? 'drop', ['drop', 'white', 'black'] as const),
  };
}


export interface SaveImageOptions {
  /** Value range of the tensor: [0, 1] (default) or [0, 255]. */
  range?: 1 | 255;
}

/**
 * Writes a [C, H, W] tensor (C = 1 gray, 3 RGB, 4 RGBA; values in [0, 1], clamped) as a PNG file, atomically.
 *
 * @example
 * saveImage('out/sample.png', loadImage('in.jpg', { size: 64 }));
 * @throws {TypeError|RangeError} not a [C, H, W] tensor with C in {1, 3, 4}; {Error} file-system errors
 */
export function saveImage(file: string, x: Tensor, opts: SaveImageOptions = {}): void {
  if (typeof file !== 'string' || file === '') throw invalidType('file', 'a PNG file path', file);
  if (!(x instanceof Tensor)) throw invalidType('x', 'a Tensor [C, H, W]', x);
  if (opts === null || typeof opts !== 'object') throw invalidType('saveImage options', 'an object', opts);
  opts = readOptions<SaveImageOptions>('saveImage', opts, ['range']);
  const range = opts.range ?? 1;
  if (range !== 1 && range !== 255) throw invalidRange('range', '1 (values in [0, 1]) or 255', range);
  if (x.rank !== 3 || ![1, 3, 4].includes(x.shape[0])) throw invalidRange('x', 'a tensor [C, H, W] with C = 1, 3 or 4', `[${x.shape.join(', ')}]`);
  const [C, H, W] = x.shape;
  const png = new PNG({ width: W, height: H });
  const n = H * W;
  const px = (c: number, p: number) => {
    const v = x.data[c * n + p];
    return Number.isNaN(v) ? 0 : Math.max(0, Math.min(255, Math.round((v * 255) / range)));
  };
  for (let p = 0; p < n; p++) {
    const r = px(0, p);
    png.data[4 * p] = r;
    png.data[4 * p + 1] = C === 1 ? r : px(1, p);
    png.data[4 * p + 2] = C === 1 ? r : px(2, p);
    png.data[4 * p + 3] = C === 4 ? px(3, p) : 255;
  }
  writeFileAtomic(file, PNG.sync.write(png));
}
