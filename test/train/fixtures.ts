/**
 * Small, fast training set-ups for the trainer tests: MNIST subsets (loaded once per test file) and tiny
 * networks, so every test trains in well under a second on either backend.
 */
import { loadMnist } from '../../lib/data/mnist';
import { MultiLayerNet, MultiLayerNetExtend, SimpleConvNet } from '../../lib/nets';
import type { Network } from '../../lib/nets/network';
import type { Tensor } from '../../lib/tensor';
import { sliceRows } from '../../lib/train/data';

let flat: ReturnType<typeof loadMnist> | null = null;
let images: ReturnType<typeof loadMnist> | null = null;

export interface Subset {
  x: Tensor;
  t: Int32Array;
  xTest: Tensor;
  tTest: Int32Array;
}

/** The first nTrain / nTest MNIST samples, flat [N, 784] or images [N, 1, 28, 28] (copies, not views). */
export function mnistSubset(nTrain: number, nTest: number, shape: 'flat' | 'images' = 'flat'): Subset {
  const d = shape === 'flat' ? (flat ??= loadMnist()) : (images ??= loadMnist({ flatten: false }));
  return {
    x: sliceRows(d.train.images, 0, nTrain).clone(),
    t: d.train.labels.slice(0, nTrain),
    xTest: sliceRows(d.test.images, 0, nTest).clone(),
    tTest: d.test.labels.slice(0, nTest),
  };
}

/** A small MLP for flat MNIST. */
export function smallMlp(seed = 1): Network {
  return new MultiLayerNet({ inputSize: 784, hiddenSizeList: [32], outputSize: 10, seed });
}

/** A small MLP with dropout and batch norm (uses the network's Rng and buffers while training). */
export function smallMlpExtend(seed = 1): Network {
  return new MultiLayerNetExtend({
    inputSize: 784, hiddenSizeList: [32, 32], outputSize: 10, seed, useDropout: true, dropoutRatio: 0.2, useBatchnorm: true,
  });
}

/** A small conv net for MNIST images [N, 1, 28, 28]. */
export function smallConv(seed = 1): Network {
  return new SimpleConvNet({ convParam: { filterNum: 4, filterSize: 5, pad: 0, stride: 1 }, hiddenSize: 16, seed });
}

/** Copies of every parameter and buffer of a network, by name. */
export function weightsOf(net: Network): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, p] of Object.entries(net.namedParams())) out[k] = p.value.data.slice();
  for (const [k, b] of Object.entries(net.namedBuffers())) out[k] = b.data.slice();
  return out;
}

/** Asserts two weight sets are bit-identical; the message names the first differing tensor and index. */
export function expectSameWeights(a: Record<string, Float32Array>, b: Record<string, Float32Array>): void {
  expect(Object.keys(a)).toEqual(Object.keys(b));
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    expect(x.length).toBe(y.length);
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) throw new Error(`weights differ at ${k}[${i}]: ${x[i]} vs ${y[i]}`);
    }
  }
}

/** True when some tensor differs. */
export function weightsDiffer(a: Record<string, Float32Array>, b: Record<string, Float32Array>): boolean {
  return Object.keys(a).some((k) => a[k].some((v, i) => !Object.is(v, b[k][i])));
}
