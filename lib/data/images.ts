/**
 * Image folders as tensors, like Keras' flow_from_directory: one sub-folder per class, class index = the
 * position of the folder name in sorted order; PNG and JPEG files (detected by their bytes) inside a class
 * folder and its sub-folders, sorted by path.
 *
 * Each image is decoded to RGBA 8-bit (lib/data/decode.ts: palette, grey, 16-bit are expanded/scaled; JPEG grey,
 * YCbCr, CMYK), alpha is dropped or composited over white/black, converted to grayscale with the ITU-R
 * 601 luma weights 0.299 R + 0.587 G + 0.114 B or kept RGB, resized to targetSize (separable triangle
 * filter: bilinear with half-pixel centres, widened when shrinking so it averages instead of aliasing —
 * PIL's BILINEAR), and scaled to [0, 1]. Output layout NCHW.
 */
import * as fs from 'fs';
import * as path from 'path';
import { checkInt, checkNumber, checkOneOf, invalidType } from '../validate';
import { Tensor } from '../tensor';
import { decodeImage, type DecodeOptions, type RgbaImage } from './decode';
import type { LabeledSplit } from './dataset';
import { stratifiedSplit } from './split';
import { readOptions } from '../validate';

export { decodeImage, type DecodeOptions, type RgbaImage } from './decode';

export interface ImageFolderOptions extends DecodeOptions {
  /** Output [h, w]; default: the size of the first image, which every image must then share. */
  targetSize?: [number, number];
  /** 'grayscale' (1 channel) or 'rgb' (3 channels, default). */
  colorMode?: 'grayscale' | 'rgb';
  /** Fraction of the images held out for validation, in [0, 1) (default 0). */
  validationSplit?: number;
  /** Seed of the split/shuffle permutation (lib/rng.ts), default 0. */
  seed?: number;
  /** Shuffle the training order (default true); false keeps class, then path order. */
  shuffle?: boolean;
  /** Resampling: 'bilinear' (default) or 'nearest'. */
  interpolation?: 'bilinear' | 'nearest';
  /** Transparent pixels: 'drop' alpha (default, like PIL's convert), or composite over 'white' / 'black'. */
  alpha?: 'drop' | 'white' | 'black';
}

export interface ImageSplit extends LabeledSplit {
  /** The file of each sample. */
  files: string[];
}

export interface ImageFolderData {
  train: ImageSplit;
  validation?: ImageSplit;
  classNames: string[];
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/**
 * Per-output-pixel taps of a separable resampling filter along one axis: output i reads inputs
 * start[i] .. start[i]+count[i]-1 with weights w[i*maxTaps + k] (summing to 1).
 */
interface AxisFilter {
  start: Int32Array;
  count: Int32Array;
  w: Float32Array;
  maxTaps: number;
}

function axisFilter(inSize: number, outSize: number, mode: 'bilinear' | 'nearest'): AxisFilter {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  if (mode === 'nearest') {
    const w = new Float32Array(outSize).fill(1);
    for (let i = 0; i < outSize; i++) {
      start[i] = Math.min(inSize - 1, Math.floor((i + 0.5) * scale));
      count[i] = 1;
    }
    return { start, count, w, maxTaps: 1 };
  }
  const support = Math.max(scale, 1); // triangle of half-width 1 input pixel, widened by the shrink factor
  const maxTaps = Math.ceil(support) * 2 + 1;
  const w = new Float32Array(outSize * maxTaps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let total = 0;
    const taps: number[] = [];
    for (let j = lo; j < hi; j++) {
      const t = Math.max(0, 1 - Math.abs((j + 0.5 - center) / support));
      taps.push(t);
      total += t;
    }
    start[i] = lo;
    count[i] = taps.length;
    for (let k = 0; k < taps.length; k++) w[i * maxTaps + k] = total > 0 ? taps[k] / total : k === 0 ? 1 : 0;
  }
  return { start, count, w, maxTaps };
}

/**
 * Resizes one channel plane [sh, sw] -> [dh, dw] (bilinear/triangle or nearest), writing into `dst` at `dstOffset`.
 */
export function resizePlane(
  src: Float32Array,
  sh: number,
  sw: number,
  dst: Float32Array,
  dstOffset: number,
  dh: number,
  dw: number,
  mode: 'bilinear' | 'nearest' = 'bilinear',
): void {
  if (sh === dh && sw === dw) {
    dst.set(src.subarray(0, sh * sw), dstOffset);
    return;
  }
  const fx = axisFilter(sw, dw, mode);
  const fy = axisFilter(sh, dh, mode);
  const tmp = new Float32Array(sh * dw); // horizontal pass: [sh, dw]
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      const s = row + fx.start[x];
      const wo = x * fx.maxTaps;
      for (let k = 0; k < fx.count[x]; k++) acc += src[s + k] * fx.w[wo + k];
      tmp[y * dw + x] = acc;
    }
  }
  for (let y = 0; y < dh; y++) {
    const wo = y * fy.maxTaps;
    const o = dstOffset + y * dw;
    for (let x = 0; x < dw; x++) dst[o + x] = 0;
    for (let k = 0; k < fy.count[y]; k++) {
      const wk = fy.w[wo + k];
      const r = (fy.start[y] + k) * dw;
      for (let x = 0; x < dw; x++) dst[o + x] += tmp[r + x] * wk;
    }
  }
}

/**
 * An RGBA image as float planes [C, h, w] in [0, 1] at the target size, written into `dst` at `offset`.
 */
export function imageToPlanes(
  img: RgbaImage,
  dst: Float32Array,
  offset: number,
  size: [number, number],
  colorMode: 'grayscale' | 'rgb',
  interpolation: 'bilinear' | 'nearest' = 'bilinear',
  alpha: 'drop' | 'white' | 'black' = 'drop',
): void {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const channels = colorMode === 'grayscale' ? 1 : 3;
  const bg = alpha === 'white' ? 255 : 0;
  const planes = new Float32Array(channels * n);
  for (let p = 0; p < n; p++) {
    let r = data[4 * p];
    let g = data[4 * p + 1];
    let b = data[4 * p + 2];
    if (alpha !== 'drop') {
      const a = data[4 * p + 3] / 255;
      r = r * a + bg * (1 - a);
      g = g * a + bg * (1 - a);
      b = b * a + bg * (1 - a);
    }
    if (channels === 1) {
      planes[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    } else {
      planes[p] = r / 255;
      planes[n + p] = g / 255;
      planes[2 * n + p] = b / 255;
    }
  }
  const [th, tw] = size;
  for (let c = 0; c < channels; c++) {
    resizePlane(planes.subarray(c * n, (c + 1) * n), h, w, dst, offset + c * th * tw, th, tw, interpolation);
  }
}

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await fs.promises.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listImages(p)));
    else if (IMAGE_EXT.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * The files of an image folder without decoding them: class names (sorted sub-folder names), every image file
 * (class, then path order) and its class index. Shared by loadImageFolder and streamImageFolder.
 * @throws {Error} no class folders, an empty class folder, no images
 */
export async function listImageFolder(dir: string): Promise<{ classNames: string[]; files: string[]; classes: number[] }> {
  const classNames = (await fs.promises.readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classNames.length === 0) throw new Error(`images: ${dir} has no class sub-folders`);
  const files: string[] = [];
  const classes: number[] = [];
  for (let c = 0; c < classNames.length; c++) {
    const found = await listImages(path.join(dir, classNames[c]));
    if (found.length === 0) {
      throw new Error(`images: class folder ${path.join(dir, classNames[c])} has no .png/.jpg/.jpeg files (every sub-folder of ${dir} is a class)`);
    }
    for (const f of found) {
      files.push(f);
      classes.push(c);
    }
  }
  if (files.length === 0) throw new Error(`images: no .png/.jpg/.jpeg files under ${dir}`);
  return { classNames, files, classes };
}

/**
 * Loads a folder of class sub-folders of PNG/JPEG images as [N, C, h, w] tensors in [0, 1].
 *
 * @example
 * const { train, validation, classNames } = await loadImageFolder('data/shapes', {
 *   targetSize: [28, 28], colorMode: 'grayscale', validationSplit: 0.2, seed: 1,
 * });
 * @throws {TypeError|RangeError} bad options
 * @throws {Error} no class folders or no images, an unreadable or corrupt image (the message names the file),
 *   images of different sizes without targetSize
 */
export async function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<ImageFolderData> {
  if (typeof dir !== 'string') throw invalidType('dir', 'a folder path', dir);
  opts = readOptions<ImageFolderOptions>('loadImageFolder', opts, [
    'targetSize', 'colorMode', 'validationSplit', 'seed', 'shuffle', 'interpolation', 'alpha', 'maxResolutionInMP', 'maxMemoryUsageInMB',
  ]);
  const colorMode = checkOneOf('colorMode', opts.colorMode ?? 'rgb', ['grayscale', 'rgb'] as const);
  const interpolation = checkOneOf('interpolation', opts.interpolation ?? 'bilinear', ['bilinear', 'nearest'] as const);
  const alpha = checkOneOf('alpha', opts.alpha ?? 'drop', ['drop', 'white', 'black'] as const);
  const validationSplit = checkNumber('validationSplit', opts.validationSplit ?? 0, { min: 0, max: 1 });
  const seed = checkInt('seed', opts.seed ?? 0, 0, 0xffffffff);
  const shuffle = opts.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw invalidType('shuffle', 'a boolean', shuffle);
  let size: [number, number] | undefined;
  if (opts.targetSize !== undefined) {
    if (!Array.isArray(opts.targetSize) || opts.targetSize.length !== 2) throw invalidType('targetSize', 'an array [height, width]', opts.targetSize);
    size = [checkInt('targetSize[0]', opts.targetSize[0], 1, 65535), checkInt('targetSize[1]', opts.targetSize[1], 1, 65535)];
  }
  const decodeOpts: DecodeOptions = { maxResolutionInMP: opts.maxResolutionInMP, maxMemoryUsageInMB: opts.maxMemoryUsageInMB };

  const { classNames, files, classes } = await listImageFolder(dir);

  // stratified by class and shuffled (lib/data/split.ts): class-ordered folders never give a one-class validation set
  if (validationSplit >= 1) throw new RangeError(`images: validationSplit: expected a fraction in [0, 1), got ${validationSplit}`);
  const { train, validation } = stratifiedSplit(Int32Array.from(classes), validationSplit, seed);
  if (!shuffle) {
    train.sort();
    validation.sort();
  }
  const channels = colorMode === 'grayscale' ? 1 : 3;

  let sizeFrom = '';
  const readOne = async (i: number): Promise<RgbaImage> => {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(files[i]);
    } catch (err) {
      throw new Error(`images: ${files[i]}: cannot read (${(err as Error).message})`);
    }
    const img = decodeImage(bytes, files[i], decodeOpts);
    if (!size) {
      size = [img.height, img.width];
      sizeFrom = files[i];
    } else if (opts.targetSize === undefined && (img.height !== size[0] || img.width !== size[1])) {
      throw new Error(`images: ${files[i]} is ${img.height}x${img.width} (HxW), but ${sizeFrom} is ${size[0]}x${size[1]}; pass targetSize to resize every image`);
    }
    return img;
  };
  // The first image fixes the size when targetSize is absent.
  const first = train.length > 0 ? train[0] : validation[0];
  const firstImg = await readOne(first);
  const [th, tw] = size!;
  const per = channels * th * tw;

  const build = async (indices: Int32Array): Promise<ImageSplit> => {
    const data = new Float32Array(indices.length * per);
    const labels = new Int32Array(indices.length);
    const names: string[] = [];
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      const img = i === first ? firstImg : await readOne(i);
      imageToPlanes(img, data, k * per, [th, tw], colorMode, interpolation, alpha);
      labels[k] = classes[i];
      names.push(files[i]);
    }
    return { images: new Tensor(data, [indices.length, channels, th, tw]), labels, files: names };
  };
  if (train.length === 0) throw new Error(`images: validationSplit ${validationSplit} leaves no training images out of ${files.length}`);
  const result: ImageFolderData = { train: await build(train), classNames };
  if (validation.length > 0) result.validation = await build(validation);
  return result;
}
