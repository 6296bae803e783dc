/**
 * Network gradient checks on every backend: `gradient` (backprop, with weight decay) against central differences of
 * `loss` (training mode; dropout masks replayed by restoring the network's Rng; BN running stats restored).
 * h = 1e-3 on the float32 forward (small enough not to cross ReLU/max-pool kinks of these inputs) with the loss differences taken in float64; tolerance per element
 * |a − n| <= 5e-4 + 1e-2·max(|a|, |n|) (observed: <= 1.2e-4 abs). Inputs are small so every parameter element is checked (DeepConvNet: at
 * most 40 evenly spaced elements per tensor). Also the book's numericalGradient (all elements) on a tiny net.
 */
import { checkNetworkGradient } from '../../lib/tools/gradcheck';
import { Affine, BatchNormalization, Convolution, Dropout, GlobalAvgPool, LeakyReLU, Pooling, Relu, SoftmaxWithLoss, Tanh } from '../../lib/layers';
import { DeepConvNet, MultiLayerNet, MultiLayerNetExtend, Sequential, SimpleConvNet, type Network, type Target } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, expectClose, randomArray } from '../helpers';

type Backend = ReturnType<typeof backendsUnderTest>[number]['backend'];

function x(shape: number[], seed = 1): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape);
}

const CASES: [string, (backend: Backend) => Network, () => Tensor, Target, number][] = [
  [
    'Sequential conv-bn(channel)-leaky-pool-affine-tanh-dropout-affine',
    (backend) => new Sequential([
      new Convolution(2, 3, 3, { pad: 1 }), new BatchNormalization(3, { axis: 'channel' }), new LeakyReLU(0.1), new Pooling(2, 2, { stride: 2 }),
      new Affine(3 * 2 * 2, 5), new Tanh(), new Dropout(0.3, { mode: 'inverted' }), new Affine(5, 3), new SoftmaxWithLoss(),
    ], { inputShape: [2, 4, 4], seed: 1, weightDecayLambda: 0.05, backend }),
    () => x([3, 2, 4, 4]), Int32Array.from([0, 2, 1]), Infinity,
  ],
  [
    'Sequential with GlobalAvgPool',
    (backend) => new Sequential([new Convolution(1, 4, 3), new Relu(), new GlobalAvgPool(), new Affine(4, 2), new SoftmaxWithLoss()], { inputShape: [1, 5, 5], seed: 2, backend }),
    () => x([2, 1, 5, 5], 2), Tensor.from([1, 0, 0, 1], [2, 2]), Infinity,
  ],
  [
    'SimpleConvNet [1,8,8] 3 filters',
    (backend) => new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 3, filterSize: 3, pad: 0, stride: 1 }, hiddenSize: 6, outputSize: 4, weightInitStd: 'he', seed: 3, backend }),
    () => x([3, 1, 8, 8], 3), Int32Array.from([3, 0, 1]), Infinity,
  ],
  [
    'DeepConvNet [1,8,8] reduced filters (dropout on)',
    (backend) => new DeepConvNet({
      inputDim: [1, 8, 8], convParam1: { filterNum: 2 }, convParam2: { filterNum: 2 }, convParam3: { filterNum: 3 }, convParam4: { filterNum: 3 },
      convParam5: { filterNum: 4 }, convParam6: { filterNum: 4 }, hiddenSize: 6, outputSize: 3, seed: 4, backend,
    }),
    () => x([3, 1, 8, 8], 4), Int32Array.from([2, 1, 0]), 40,
  ],
  [
    'MultiLayerNet relu, weight decay 0.1',
    (backend) => new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, weightDecayLambda: 0.1, seed: 5, backend }),
    () => x([4, 6], 5), Int32Array.from([0, 1, 2, 1]), Infinity,
  ],
  [
    'MultiLayerNet sigmoid',
    (backend) => new MultiLayerNet({ inputSize: 6, hiddenSizeList: [5], outputSize: 3, activation: 'sigmoid', weightInitStd: 'sigmoid', seed: 6, backend }),
    () => x([4, 6], 6), Int32Array.from([2, 1, 2, 0]), Infinity,
  ],
  [
    'MultiLayerNetExtend batchnorm + dropout + weight decay',
    (backend) => new MultiLayerNetExtend({ inputSize: 6, hiddenSizeList: [5, 4], outputSize: 3, useBatchnorm: true, useDropout: true, dropoutRatio: 0.25, weightDecayLambda: 0.05, seed: 7, backend }),
    () => x([5, 6], 7), Int32Array.from([0, 1, 2, 1, 0]), Infinity,
  ],
];

/** Biases start at 0 (the book's init), which can put a ReLU input exactly on its kink (a dead sample gives
 * pre-activation = b = 0): move them off it. */
function randomizeBiases(net: Network): void {
  let seed = 100;
  for (const [k, p] of Object.entries(net.namedParams())) if (k.startsWith('b') && !k.startsWith('beta')) p.value.data.set(randomArray(p.value.size, seed++, -0.2, 0.2));
}

describe.each(backendsUnderTest())('network gradients on $name', ({ backend }) => {
  test.each(CASES)('%s', (_name, make, input, t, max) => {
    const net = make(backend);
    randomizeBiases(net);
    const res = checkNetworkGradient(net, input(), t, { h: 1e-3, rtol: 1e-2, atol: 5e-4, maxPerTensor: Number.isFinite(max) ? max : undefined });
    expect(Object.keys(res)).toEqual(Object.keys(net.namedParams()));
    if (process.env.GC_DEBUG) console.log(_name, Object.values(res).map((e) => `${e.name} ${e.maxAbsError.toExponential(1)} ${e.maxRelError.toExponential(1)}`).join('; '));
    for (const e of Object.values(res)) {
      if (!e.ok) throw new Error(`${e.name}: max abs ${e.maxAbsError}, max rel ${e.maxRelError}; worst at ${e.worst.index}: analytic ${e.worst.analytic}, numerical ${e.worst.numerical}`);
    }
  });

  test("the book's numericalGradient (every element) matches gradient", () => {
    const net = new MultiLayerNetExtend({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, useBatchnorm: true, weightDecayLambda: 0.1, seed: 8, backend });
    const xs = x([3, 4], 8);
    const t = Int32Array.from([0, 1, 1]);
    const before = Object.fromEntries(Object.entries(net.namedBuffers()).map(([k, b]) => [k, b.data.slice()]));
    const num = net.numericalGradient(xs, t, 1e-2);
    Object.entries(net.namedBuffers()).forEach(([k, b]) => expect(b.data).toEqual(before[k])); // running stats restored
    const grad = net.gradient(xs, t);
    expect(Object.keys(num)).toEqual(['W1', 'b1', 'gamma1', 'beta1', 'W2', 'b2']);
    for (const k of Object.keys(grad)) {
      expect(num[k].shape).toEqual(grad[k].shape);
      expectClose(num[k].data, grad[k].data, { rtol: 2e-2, atol: 2e-3 }, k);
    }
    expect(net.lastLoss).toBeCloseTo(net.loss(xs, t), 5);
  });
});
