/**
 * The layer cases shared by the layer tests: each builds a fresh layer (seeded weights) and a suitable input on
 * a given backend. Inputs of piecewise-linear layers (ReLU, max pooling) keep every value at least 0.05 from a
 * kink/tie so that finite differences with h = 1e-2 never cross one.
 */
import type { Backend } from '../../lib/backend/types';
import {
  Affine, BatchNormalization, ChannelPad, Convolution, Dropout, Flatten, GlobalAvgPool, GlobalMaxPool, LeakyReLU, MeanSquaredError, Pooling,
  Relu, Sigmoid, SigmoidWithLoss, SoftmaxWithLoss, Tanh, type Layer, type Target,
} from '../../lib/layers';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { randomArray } from '../helpers';

export interface LayerCase {
  name: string;
  make: (backend: Backend) => Layer;
  x: () => Tensor;
  target?: () => Target;
  sampleWeights?: Float32Array;
  training?: boolean;
  /** The objective is not smooth enough for the default tolerance (stated where used). */
  rtol?: number;
}

export function rand(shape: number[], seed = 1, lo = -1, hi = 1): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed, lo, hi), shape);
}

/** Values at least 0.05 away from 0 (ReLU kinks). */
export function awayFromZero(shape: number[], seed = 2): Tensor {
  const t = rand(shape, seed);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.sign(t.data[i] || 1) * (0.05 + Math.abs(t.data[i]));
  return t;
}

/** Distinct values spaced 0.05 apart in random order (no near-ties inside a pooling window). */
export function distinct(shape: number[], seed = 3): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const p = new Rng(seed).permutation(n);
  return new Tensor(Float32Array.from(p, (v) => (v - n / 2) * 0.05), shape);
}

export const LAYER_CASES: LayerCase[] = [
  { name: 'Affine 2-D', make: (backend) => new Affine(5, 4, { seed: 3, backend }), x: () => rand([3, 5]) },
  { name: 'Affine 4-D input (flattened C·H·W)', make: (backend) => new Affine(12, 3, { seed: 4, backend }), x: () => rand([2, 3, 2, 2]) },
  { name: 'Convolution 3×3 pad 1', make: (backend) => new Convolution(2, 3, 3, { pad: 1, seed: 5, backend }), x: () => rand([2, 2, 5, 5]) },
  { name: 'Convolution 2×3 stride 2', make: (backend) => new Convolution(3, 2, [2, 3], { stride: 2, seed: 6, backend }), x: () => rand([2, 3, 6, 7]) },
  { name: 'Affine(outputSize), input size inferred by build', make: (backend) => built(new Affine(3, { seed: 4, backend }), [2, 3, 2, 2]), x: () => rand([2, 3, 2, 2]) },
  { name: 'Convolution 3×3 stride 2 pad 1, no bias', make: (backend) => new Convolution(2, 3, 3, { stride: 2, pad: 1, bias: false, seed: 7, backend }), x: () => rand([2, 2, 5, 6]) },
  { name: 'Convolution 1×1 stride 2 (projection shortcut)', make: (backend) => new Convolution(3, 4, 1, { stride: 2, bias: false, seed: 8, backend }), x: () => rand([2, 3, 5, 4]) },
  { name: 'Pooling 1×1 stride 2 (subsampling)', make: (backend) => new Pooling(1, 1, { stride: 2, backend }), x: () => rand([2, 2, 5, 4]) },
  { name: 'Flatten', make: (backend) => new Flatten({ backend }), x: () => rand([2, 3, 2, 2]) },
  { name: 'ChannelPad 1 + 2', make: (backend) => new ChannelPad(1, 2, { backend }), x: () => rand([2, 3, 2, 3]) },
  { name: 'Pooling max 2×2 stride 2', make: (backend) => new Pooling(2, 2, { stride: 2, backend }), x: () => distinct([2, 2, 4, 5]) },
  { name: 'Pooling max 3×3 stride 1 pad 1', make: (backend) => new Pooling(3, 3, { pad: 1, backend }), x: () => distinct([1, 2, 4, 4]) },
  { name: 'Pooling avg 2×2 stride 1 pad 1', make: (backend) => new Pooling(2, 2, { pad: 1, mode: 'avg', backend }), x: () => rand([2, 2, 3, 3]) },
  { name: 'GlobalAvgPool', make: (backend) => new GlobalAvgPool({ backend }), x: () => rand([2, 3, 3, 4]) },
  { name: 'GlobalMaxPool', make: (backend) => new GlobalMaxPool({ backend }), x: () => distinct([2, 3, 3, 4]) },
  { name: 'Relu', make: (backend) => new Relu({ backend }), x: () => awayFromZero([3, 7]) },
  { name: 'Sigmoid', make: (backend) => new Sigmoid({ backend }), x: () => rand([3, 7], 1, -3, 3) },
  { name: 'Tanh', make: (backend) => new Tanh({ backend }), x: () => rand([3, 7], 1, -2, 2) },
  { name: 'LeakyReLU(0.1)', make: (backend) => new LeakyReLU(0.1, { backend }), x: () => awayFromZero([2, 2, 3, 3]) },
  { name: 'Dropout book, training', make: (backend) => new Dropout(0.4, { seed: 9, backend }), x: () => rand([4, 6]) },
  { name: 'Dropout inverted, training', make: (backend) => new Dropout(0.3, { mode: 'inverted', seed: 9, backend }), x: () => rand([4, 6]) },
  { name: 'Dropout book, inference', make: (backend) => new Dropout(0.4, { backend }), x: () => rand([4, 6]), training: false },
  { name: 'BatchNormalization 2-D', make: (backend) => withGammaBeta(new BatchNormalization(4, { backend })), x: () => rand([5, 4]) },
  { name: 'BatchNormalization 4-D per feature', make: (backend) => withGammaBeta(new BatchNormalization(12, { backend })), x: () => rand([4, 3, 2, 2]) },
  { name: 'BatchNormalization 4-D per channel', make: (backend) => withGammaBeta(new BatchNormalization(3, { axis: 'channel', backend })), x: () => rand([2, 3, 2, 3]) },
  {
    name: 'BatchNormalization inference',
    make: (backend) => {
      const bn = withGammaBeta(new BatchNormalization(4, { backend }));
      bn.runningMean.data.set([0.1, -0.2, 0.3, 0]);
      bn.runningVar.data.set([0.5, 1.5, 0.8, 2]);
      return bn;
    },
    x: () => rand([3, 4]),
    training: false,
  },
  { name: 'SoftmaxWithLoss labels', make: (backend) => new SoftmaxWithLoss({ backend }), x: () => rand([4, 5], 1, -2, 2), target: () => Int32Array.from([0, 4, 2, 2]) },
  { name: 'SoftmaxWithLoss one-hot', make: (backend) => new SoftmaxWithLoss({ backend }), x: () => rand([3, 4], 1, -2, 2), target: () => Tensor.from([0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], [3, 4]) },
  {
    name: 'SoftmaxWithLoss class weights',
    make: (backend) => new SoftmaxWithLoss({ classWeights: [1, 2, 0.5, 1], backend }),
    x: () => rand([3, 4], 1, -2, 2),
    target: () => Int32Array.from([1, 2, 3]),
  },
  { name: 'SigmoidWithLoss [N, 1]', make: (backend) => new SigmoidWithLoss({ backend }), x: () => rand([5, 1], 1, -3, 3), target: () => Int32Array.from([0, 1, 1, 0, 1]) },
  { name: 'SigmoidWithLoss soft targets [N, 2]', make: (backend) => new SigmoidWithLoss({ backend }), x: () => rand([3, 2], 1, -3, 3), target: () => Tensor.from([0.2, 1, 0, 0.5, 0.9, 0.1], [3, 2]) },
  { name: 'MeanSquaredError', make: (backend) => new MeanSquaredError({ backend }), x: () => rand([3, 4]), target: () => rand([3, 4], 8) },
  {
    name: 'SoftmaxWithLoss sample weights', make: (backend) => new SoftmaxWithLoss({ backend }), x: () => rand([3, 4], 1, -2, 2),
    target: () => Int32Array.from([1, 2, 3]), sampleWeights: Float32Array.from([0.5, 2, 1]),
  },
  {
    name: 'SigmoidWithLoss sample weights', make: (backend) => new SigmoidWithLoss({ backend }), x: () => rand([3, 2], 1, -3, 3),
    target: () => Int32Array.from([1, 0, 0, 1, 1, 1]), sampleWeights: Float32Array.from([0.5, 2, 1]),
  },
  {
    name: 'MeanSquaredError sample weights', make: (backend) => new MeanSquaredError({ backend }), x: () => rand([3, 4]),
    target: () => rand([3, 4], 8), sampleWeights: Float32Array.from([0.5, 2, 1]),
  },
  { name: 'MeanSquaredError labels', make: (backend) => new MeanSquaredError({ backend }), x: () => rand([3, 4]), target: () => Int32Array.from([3, 0, 1]) },
];

function built<L extends Layer>(l: L, shape: number[]): L {
  l.build(shape);
  return l;
}

/** Non-trivial gamma/beta so their gradients and the scaling are exercised. */
function withGammaBeta(bn: BatchNormalization): BatchNormalization {
  const D = bn.numFeatures;
  bn.gamma.value.data.set(randomArray(D, 11, 0.5, 1.5));
  bn.beta.value.data.set(randomArray(D, 12, -0.5, 0.5));
  return bn;
}
