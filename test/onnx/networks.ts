/** The networks the ONNX tests export and import: every family simdnet has, and a Sequential with every layer. */
import { fillNormal, fillUniform } from '../../lib/init';
import {
  Affine, BatchNormalization, Convolution, Dropout, GlobalAvgPool, GlobalMaxPool, LeakyReLU, MeanSquaredError, Pooling, Relu,
  Sigmoid, SigmoidWithLoss, SoftmaxWithLoss, Tanh,
} from '../../lib/layers';
import { DeepConvNet, MultiLayerNet, MultiLayerNetExtend, Sequential, SimpleConvNet } from '../../lib/nets';
import type { Network } from '../../lib/nets/network';
import { Rng } from '../../lib/rng';

/** Every layer simdnet exports, in one Sequential: [3, 12, 11] -> 4 classes. */
export function everyLayer(seed: number): Sequential {
  return new Sequential(
    [
      new Convolution(3, 4, 3, { stride: 2, pad: 1 }),
      new BatchNormalization(4, { axis: 'channel', eps: 1e-4, momentum: 0.8 }),
      new LeakyReLU(0.1),
      new Pooling(3, 3, { stride: 1, pad: 1, mode: 'avg' }),
      new Convolution(4, 5, [3, 2], { pad: 1 }),
      new Tanh(),
      new Pooling(2, 2, { stride: 2, pad: 1 }),
      new BatchNormalization(5 * 4 * 4), // axis 'feature' on a 4-D input: Flatten, BatchNormalization, Reshape
      new Sigmoid(),
      new Dropout(0.3),
      new Affine(80, 16),
      new Relu(),
      new Dropout(0.25, { mode: 'inverted' }),
      new Affine(16, 4),
      new SoftmaxWithLoss(),
    ],
    { inputShape: [3, 12, 11], seed },
  );
}

export function globalPools(seed: number): Sequential {
  return new Sequential(
    [new Convolution(2, 6, 3, { pad: 1 }), new Relu(), new GlobalMaxPool(), new Affine(6, 3), new SigmoidWithLoss()],
    { inputShape: [2, 7, 9], seed },
  );
}

export function globalAvg(seed: number): Sequential {
  return new Sequential(
    [new Convolution(2, 6, 3), new Relu(), new GlobalAvgPool(), new Affine(6, 2), new MeanSquaredError()],
    { inputShape: [2, 8, 8], seed },
  );
}

export const FAMILIES: [string, (seed: number) => Network][] = [
  ['SimpleConvNet', (seed) => new SimpleConvNet({ seed })],
  ['DeepConvNet', (seed) => new DeepConvNet({ seed })],
  ['MultiLayerNet (sigmoid)', (seed) => new MultiLayerNet({ inputSize: 30, hiddenSizeList: [20, 12], outputSize: 5, activation: 'sigmoid', seed })],
  ['MultiLayerNet (tanh)', (seed) => new MultiLayerNet({ inputSize: 30, hiddenSizeList: [20], outputSize: 5, activation: 'tanh', seed })],
  ['MultiLayerNetExtend (BatchNorm, Dropout)', (seed) =>
    new MultiLayerNetExtend({ inputSize: 784, hiddenSizeList: [50, 40], outputSize: 10, useBatchnorm: true, useDropout: true, dropoutRatio: 0.3, seed })],
  ['Sequential (every layer)', everyLayer],
  ['Sequential (GlobalMaxPool, sigmoid loss)', globalPools],
  ['Sequential (GlobalAvgPool, MSE loss)', globalAvg],
];

/** Random weights everywhere, including BatchNorm's running statistics (a fresh BatchNorm has variance 0). */
export function randomize(net: Network, seed: number): void {
  const rng = new Rng(seed);
  for (const p of Object.values(net.namedParams())) fillNormal(rng, p.value.data, 0.3);
  for (const [k, b] of Object.entries(net.namedBuffers())) fillUniform(rng, b.data, k.startsWith('running_var') ? 0.5 : -0.5, k.startsWith('running_var') ? 2 : 0.5);
}
