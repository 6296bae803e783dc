/**
 * Image folders larger than memory: `streamImageFolder` lists a folder as loadImageFolder does (same classes,
 * same files, same stratified seeded split, same row order) but decodes nothing up front; the Trainer reads a
 * `StreamingDataset` batch by batch through decode worker threads (lib/data/stream/pool.ts), `prefetch` batches
 * ahead of the step. Memory holds the file names, the labels and at most `prefetch` batches — not the images.
 *
 * Exactness: the rows are the rows loadImageFolder would give with the same options, prepared by the same code
 * (lib/data/stream/prepare.ts), and the Trainer draws the same shuffles and augmentation streams for them, so a
 * run on a StreamingDataset gives the same weights, bit for bit, as the same run on the in-memory tensors —
 * whatever the number of workers (test/data/stream.test.ts).
 */
import * as os from 'os';
import { checkInt, checkNumber, checkOneOf, invalidRange, invalidType, readOptions } from '../../validate';
import { Tensor } from '../../tensor';
import { listImageFolder, type ImageFolderOptions } from '../images';
import { decodeImage } from '../decode';
import { stratifiedSplit } from '../split';
import * as fs from 'fs';
import { defaultRowShape, prepareFiles, rowSize, type ImageSpec, type RowSpec } from './prepare';

/** How a StreamingDataset is read: worker threads and prefetch depth (PyTorch's num_workers, prefetch). */
export interface StreamOptions {
  /** Decode worker threads (default: cores − 1, at least 1, at most 4). */
  workers?: number;
  /** Batches requested ahead of the one being trained on, in all (default 2 per worker, at least 2). */
  prefetch?: number;
}

export interface StreamImageFolderOptions extends ImageFolderOptions, StreamOptions {}

/** The default worker count: cores − 1 (the training step keeps one), between 1 and 4. */
export function defaultWorkers(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores - 1));
}

/**
 * Rows of an image folder read from disk on demand: files[i] is row i, labels[i] its class. Shape
 * [N, C, H, W] like the tensor loadImageFolder would return. Pass it to the Trainer in place of x.
 *
 * @example
 * const { train, validation } = await streamImageFolder('data/big', { targetSize: [32, 32], validationSplit: 0.1, seed: 1 });
 * const trainer = new Trainer(net, train, train.labels, null, null, {
 *   validationData: [validation!, validation!.labels], miniBatchSize: 64, augment: { flipHorizontal: true },
 * });
 * await trainer.fit();              // decode workers are started for the run and closed when it ends
 * @throws {TypeError|RangeError} (constructor) files and labels of different lengths, bad options
 */
export class StreamingDataset {
  readonly shape: number[];
  readonly workers: number;
  readonly prefetch: number;

  constructor(
    readonly files: readonly string[],
    readonly labels: Int32Array,
    readonly spec: RowSpec,
    opts: StreamOptions = {},
    rowShape?: number[],
  ) {
    if (!Array.isArray(files) || files.some((f) => typeof f !== 'string')) throw invalidType('files', 'an array of file paths', files);
    if (!(labels instanceof Int32Array)) throw invalidType('labels', 'an Int32Array', labels);
    if (labels.length !== files.length) throw invalidRange('labels', `${files.length} labels (one per file)`, `${labels.length}`);
    const o = readOptions<StreamOptions>('StreamingDataset', opts, ['workers', 'prefetch']);
    this.workers = checkInt('workers', o.workers ?? defaultWorkers(), 1, 64);
    this.prefetch = checkInt('prefetch', o.prefetch ?? Math.max(2, 2 * this.workers), 1, 1024);
    const row = rowShape ?? defaultRowShape(spec);
    if (row.reduce((a, b) => a * b, 1) !== rowSize(spec)) throw invalidRange('rowShape', `${rowSize(spec)} values per row`, `[${row.join(', ')}]`);
    this.shape = [files.length, ...row];
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Number of rows. */
  get length(): number {
    return this.files.length;
  }

  /** The rows `indices`, in that order (same spec and stream options). */
  subset(indices: ArrayLike<number>): StreamingDataset {
    const n = this.files.length;
    const files: string[] = [];
    const labels = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = checkInt(`indices[${k}]`, indices[k], 0, n - 1);
      files.push(this.files[i]);
      labels[k] = this.labels[i];
    }
    return new StreamingDataset(files, labels, this.spec, { workers: this.workers, prefetch: this.prefetch }, this.shape.slice(1));
  }

  /** The same rows seen with another per-row shape of the same size (e.g. flat [C·H·W] for an MLP). */
  withRowShape(rowShape: number[]): StreamingDataset {
    return new StreamingDataset(this.files, this.labels, this.spec, { workers: this.workers, prefetch: this.prefetch }, rowShape);
  }

  /**
   * Decodes rows [start, end) on this thread into a tensor (for a picture or a small evaluation; the Trainer
   * streams instead).
   * @throws {Error} a file that cannot be read, decoded or has another size (naming it)
   */
  load(start = 0, end = this.files.length): Tensor {
    checkInt('start', start, 0, this.files.length);
    checkInt('end', end, start, this.files.length);
    return new Tensor(prepareFiles(this.files.slice(start, end), this.spec), [end - start, ...this.shape.slice(1)]);
  }
}

/** Anything the Trainer takes as inputs: a tensor in memory or a streaming dataset. */
export function isStreaming(x: unknown): x is StreamingDataset {
  return x instanceof StreamingDataset;
}

export interface StreamingImageFolder {
  train: StreamingDataset;
  validation?: StreamingDataset;
  classNames: string[];
}

/**
 * Lists an image folder for streaming: the same classes, files, split and order as loadImageFolder with the same
 * options, nothing decoded but the first image (for the size, when targetSize is absent).
 *
 * @example
 * const d = await streamImageFolder('data/big', { targetSize: [32, 32], colorMode: 'rgb', workers: 3, prefetch: 6 });
 * @throws {TypeError|RangeError} bad options (an unknown key names the nearest valid one)
 * @throws {Error} no class folders, an empty class folder, an unreadable or corrupt first image (naming it)
 */
export async function streamImageFolder(dir: string, opts: StreamImageFolderOptions = {}): Promise<StreamingImageFolder> {
  if (typeof dir !== 'string') throw invalidType('dir', 'a folder path', dir);
  opts = readOptions<StreamImageFolderOptions>('streamImageFolder', opts, [
    'targetSize', 'colorMode', 'validationSplit', 'seed', 'shuffle', 'interpolation', 'alpha', 'maxResolutionInMP', 'maxMemoryUsageInMB',
    'workers', 'prefetch',
  ]);
  const colorMode = checkOneOf('colorMode', opts.colorMode ?? 'rgb', ['grayscale', 'rgb'] as const);
  const interpolation = checkOneOf('interpolation', opts.interpolation ?? 'bilinear', ['bilinear', 'nearest'] as const);
  const alpha = checkOneOf('alpha', opts.alpha ?? 'drop', ['drop', 'white', 'black'] as const);
  const validationSplit = checkNumber('validationSplit', opts.validationSplit ?? 0, { min: 0, max: 1 });
  if (validationSplit >= 1) throw invalidRange('validationSplit', 'a fraction in [0, 1)', validationSplit);
  const seed = checkInt('seed', opts.seed ?? 0, 0, 0xffffffff);
  const shuffle = opts.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw invalidType('shuffle', 'a boolean', shuffle);
  let size: [number, number] | undefined;
  if (opts.targetSize !== undefined) {
    if (!Array.isArray(opts.targetSize) || opts.targetSize.length !== 2) throw invalidType('targetSize', 'an array [height, width]', opts.targetSize);
    size = [checkInt('targetSize[0]', opts.targetSize[0], 1, 65535), checkInt('targetSize[1]', opts.targetSize[1], 1, 65535)];
  }
  const stream: StreamOptions = { workers: opts.workers, prefetch: opts.prefetch };
  new StreamingDataset([], new Int32Array(0), { size: [1, 1], colorMode, interpolation, alpha, resize: true, sizeFrom: '', decode: {} }, stream); // checks them now

  const { classNames, files, classes } = await listImageFolder(dir);
  const labels = Int32Array.from(classes);
  const { train, validation } = stratifiedSplit(labels, validationSplit, seed);
  if (!shuffle) {
    train.sort();
    validation.sort();
  }
  if (train.length === 0) throw new Error(`images: validationSplit ${validationSplit} leaves no training images out of ${files.length}`);
  const decode = { maxResolutionInMP: opts.maxResolutionInMP, maxMemoryUsageInMB: opts.maxMemoryUsageInMB };
  const first = files[train[0]];
  if (!size) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(first);
    } catch (err) {
      throw new Error(`images: ${first}: cannot read (${(err as Error).message})`);
    }
    const img = decodeImage(bytes, first, decode);
    size = [img.height, img.width];
  }
  const spec: ImageSpec = { size, colorMode, interpolation, alpha, resize: opts.targetSize !== undefined, sizeFrom: first, decode };
  const all = new StreamingDataset(files, labels, spec, stream);
  const out: StreamingImageFolder = { train: all.subset(train), classNames };
  if (validation.length > 0) out.validation = all.subset(validation);
  return out;
}
