/** The networks the ONNX tests export and import: every family simdnet has, and a Sequential with every layer. */
import { fillNormal, fillUniform } from '../../lib/init';
import {
  Add, Affine, BatchNormalization, ChannelPad, Concatenate, Convolution, Dropout, Flatten, GlobalAvgPool, GlobalMaxPool, Input,
  LeakyReLU, MeanSquaredError, Pooling, Relu, Sigmoid, SigmoidWithLoss, SoftmaxWithLoss, Tanh,
} from '../../lib/layers';
import { DeepConvNet, Graph, MultiLayerNet, MultiLayerNetExtend, ResNet, Sequential, SimpleConvNet } from '../../lib/nets';
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

/** A Graph with every merge: Concatenate of two branches, a three-way Add, ChannelPad, Flatten, a Conv without bias. */
export function mergeGraph(seed: number): Graph {
  const x = Input([2, 9, 8]);
  const a = new Relu().apply(new Convolution(2, 3, 3, { pad: 1 }).apply(x, 'a/conv'), 'a/relu');
  const b = new Tanh().apply(new Convolution(2, 2, 1, { bias: false }).apply(x, 'b/conv'), 'b/tanh');
  const cat = new Concatenate().apply([a, b], 'cat');                                     // [5, 9, 8]
  const wide = new ChannelPad(1, 2).apply(new Pooling(1, 1, { stride: 2 }).apply(cat, 'sub'), 'pad'); // [8, 5, 4]
  const c = new Convolution(5, 8, 3, { stride: 2, pad: 1 }).apply(cat, 'c/conv');          // [8, 5, 4]
  const d = new BatchNormalization(8, { axis: 'channel' }).apply(c, 'c/bn');
  const sum = new Relu().apply(new Add().apply([c, d, wide], 'sum'), 'sum/relu');
  const y = new Affine(160, 3).apply(new Flatten().apply(sum, 'flat'), 'fc');
  return new Graph({ input: x, output: y, loss: new SoftmaxWithLoss(), seed });
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
  ['Graph (Concatenate, Add of three, ChannelPad, Flatten)', mergeGraph],
  ['ResNet-20 (padding shortcuts, 3×32×32)', (seed) => new ResNet({ depth: 20, inputDim: [3, 32, 32], seed })],
  ['ResNet-20 (projection shortcuts, 1×28×28)', (seed) => new ResNet({ depth: 20, shortcut: 'projection', seed })],
];

/** Random weights everywhere, including BatchNorm's running statistics (a fresh BatchNorm has variance 0). */
export function randomize(net: Network, seed: number): void {
  const rng = new Rng(seed);
  for (const p of Object.values(net.namedParams())) fillNormal(rng, p.value.data, 0.3);
  for (const [k, b] of Object.entries(net.namedBuffers())) fillUniform(rng, b.data, k.includes('running_var') ? 0.5 : -0.5, k.includes('running_var') ? 2 : 0.5);
}
