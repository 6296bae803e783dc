/**
 * Networks in use: a few plain SGD steps (update written inline) reduce the loss on small problems on every backend;
 * accuracy/predict/training-flag behaviour; bad inputs and bad constructor options.
 */
import { Affine, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { DeepConvNet, MultiLayerNet, MultiLayerNetExtend, Sequential, SimpleConvNet, type Network } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, randomArray, ts } from '../helpers';

/** 3 Gaussian blobs in D dims: class c centred at +2 on coordinate c. */
function blobs(N: number, D: number, seed: number): { x: Tensor; t: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(N * D);
  const t = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    t[n] = n % 3;
    for (let d = 0; d < D; d++) x[n * D + d] = 0.5 * rng.normal() + (d === t[n] ? 2 : 0);
  }
  return { x: new Tensor(x, [N, D]), t };
}

/** 8×8 images: class 0 has a bright bar in the top half, class 1 in the bottom half. */
function bars(N: number, seed: number): { x: Tensor; t: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(N * 64);
  const t = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    t[n] = n % 2;
    const row = t[n] === 0 ? rng.int(4) : 4 + rng.int(4);
    for (let i = 0; i < 64; i++) x[n * 64 + i] = 0.1 * rng.uniform();
    for (let j = 0; j < 8; j++) x[n * 64 + row * 8 + j] += 1;
  }
  return { x: new Tensor(x, [N, 1, 8, 8]), t };
}

function sgd(net: Network, x: Tensor, t: Int32Array, lr: number, steps: number): number[] {
  const losses: number[] = [];
  const params = net.namedParams();
  for (let s = 0; s < steps; s++) {
    const grads = net.gradient(x, t);
    losses.push(net.lastLoss);
    for (const [k, g] of Object.entries(grads)) {
      const w = params[k].value.data;
      for (let i = 0; i < w.length; i++) w[i] -= lr * g.data[i];
    }
  }
  losses.push(net.loss(x, t, false));
  return losses;
}

describe.each(backendsUnderTest())('training sanity on $name', ({ backend }) => {
  test('MultiLayerNet (weight decay) on blobs: loss falls, accuracy rises', () => {
    const { x, t } = blobs(60, 5, 1);
    const net = new MultiLayerNet({ inputSize: 5, hiddenSizeList: [10], outputSize: 3, weightDecayLambda: 0.01, seed: 1, backend });
    const acc0 = net.accuracy(x, t);
    const losses = sgd(net, x, t, 0.1, 30);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    expect(net.accuracy(x, t, 7)).toBeGreaterThan(Math.max(acc0, 0.9));
  });

  test('MultiLayerNetExtend (batchnorm + dropout) and SimpleConvNet learn', () => {
    const b = blobs(60, 5, 2);
    const ext = new MultiLayerNetExtend({ inputSize: 5, hiddenSizeList: [12], outputSize: 3, useBatchnorm: true, useDropout: true, dropoutRatio: 0.1, seed: 2, backend });
    const l1 = sgd(ext, b.x, b.t, 0.1, 25);
    expect(l1[l1.length - 1]).toBeLessThan(0.6 * l1[0]);
    expect(ext.namedBuffers().running_mean1.data.some((v) => v !== 0)).toBe(true);

    const img = bars(20, 3);
    const cnn = new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 4, filterSize: 3, pad: 1, stride: 1 }, hiddenSize: 8, outputSize: 2, weightInitStd: 'he', seed: 3, backend });
    const l2 = sgd(cnn, img.x, img.t, 0.1, 15);
    expect(l2[l2.length - 1]).toBeLessThan(0.7 * l2[0]);
  });

  test('predict: logits copy, training flag drives dropout; accuracy takes one-hot too', () => {
    const net = new DeepConvNet({ inputDim: [1, 8, 8], hiddenSize: 8, outputSize: 3, seed: 4, backend,
      convParam1: { filterNum: 2 }, convParam2: { filterNum: 2 }, convParam3: { filterNum: 2 }, convParam4: { filterNum: 2 }, convParam5: { filterNum: 2 }, convParam6: { filterNum: 2 } });
    const x = new Tensor(randomArray(4 * 64, 5), [4, 1, 8, 8]);
    const a = net.predict(x);
    const b = net.predict(x);
    expect(a).not.toBe(b);
    expect(a.shape).toEqual([4, 3]);
    expect(b.data).toEqual(a.data); // inference: deterministic
    const c = net.predict(x, true);
    const d = net.predict(x, true);
    expect(d.data).not.toEqual(c.data); // training: fresh dropout masks
    const labels = Int32Array.from(Array.from({ length: 4 }, (_, n) => {
      const row = Array.from(a.data.subarray(n * 3, n * 3 + 3));
      return row.indexOf(Math.max(...row));
    }));
    expect(net.accuracy(x, labels, 3)).toBe(1);
    const onehot = Tensor.zeros([4, 3]);
    labels.forEach((l, n) => (onehot.data[n * 3 + ((l + 1) % 3)] = 1));
    expect(net.accuracy(x, onehot)).toBe(0);
  });
});

describe('bad inputs into networks', () => {
  const net = new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, backend: ts });
  test('wrong input shape names the network', () => {
    expect(() => net.predict(Tensor.zeros([2, 5]))).toThrow(/MultiLayerNet input: expected a tensor of shape \[N, 4\], got \[2, 5\]/);
    expect(() => net.loss(Tensor.zeros([2, 1, 4]), Int32Array.from([0, 1]))).toThrow(RangeError);
    expect(() => net.accuracy(new Float32Array(8) as never, Int32Array.from([0, 1]))).toThrow(TypeError);
    const cnn = new SimpleConvNet({ inputDim: [1, 8, 8], convParam: { filterNum: 2, filterSize: 3, pad: 0, stride: 1 }, backend: ts });
    expect(() => cnn.predict(Tensor.zeros([1, 1, 28, 28]))).toThrow(/SimpleConvNet input: expected a tensor of shape \[N, 1, 8, 8\], got \[1, 1, 28, 28\]/);
  });

  test('labels out of range, wrong count; NaN inputs', () => {
    const x = new Tensor(randomArray(8, 1), [2, 4]);
    expect(() => net.loss(x, Int32Array.from([0, 2]))).toThrow(/labels: expected class indices in \[0, 2\), got 2 at index 1/);
    expect(() => net.gradient(x, Int32Array.from([0]))).toThrow(/expected 2 labels/);
    expect(() => net.accuracy(x, Int32Array.from([0]))).toThrow(RangeError);
    expect(() => net.accuracy(x, Int32Array.from([0, 1]), 0)).toThrow(/batchSize/);
    const bad = x.clone();
    bad.data[3] = NaN;
    expect(() => net.gradient(bad, Int32Array.from([0, 1]))).toThrow(/expected a finite loss, got NaN/);
  });

  test.each([
    ['SimpleConvNet filterSize 0', () => new SimpleConvNet({ convParam: { filterSize: 0 } }), RangeError, /SimpleConvNet convParam.filterSize: expected an integer >= 1, got number 0/],
    ['SimpleConvNet hiddenSize -5', () => new SimpleConvNet({ hiddenSize: -5 }), RangeError, /SimpleConvNet hiddenSize/],
    ['SimpleConvNet inputDim rank', () => new SimpleConvNet({ inputDim: [28, 28] }), RangeError, /SimpleConvNet inputDim: expected a shape of rank 3/],
    ['SimpleConvNet input too small', () => new SimpleConvNet({ inputDim: [1, 4, 4] }), RangeError, /SimpleConvNet inputDim: expected an input giving a convolution output of at least 2×2/],
    ['SimpleConvNet weightInitStd', () => new SimpleConvNet({ weightInitStd: 'glorot' as never }), RangeError, /weightInitStd/],
    ['SimpleConvNet options not an object', () => new SimpleConvNet(5 as never), TypeError, /SimpleConvNet options/],
    ['DeepConvNet input too small', () => new DeepConvNet({ inputDim: [1, 3, 3] }), RangeError, /DeepConvNet inputDim: expected \[C, H, W\] with H >= 4 and W >= 4/],
    ['DeepConvNet convParam5 stride 0', () => new DeepConvNet({ convParam5: { stride: 0 } }), RangeError, /DeepConvNet convParam5.stride/],
    ['DeepConvNet dropoutRatio 1', () => new DeepConvNet({ dropoutRatio: 1 }), RangeError, /DeepConvNet dropoutRatio: expected a finite number in \[0, 1\), got number 1/],
    ['MultiLayerNet negative hidden size', () => new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3, -2], outputSize: 2 }), RangeError, /MultiLayerNet hiddenSizeList\[1\]: expected an integer >= 1, got number -2/],
    ['MultiLayerNet unknown activation', () => new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, activation: 'gelu' as never }), RangeError, /MultiLayerNet activation: expected one of 'relu', 'sigmoid', 'tanh', got 'gelu'/],
    ['MultiLayerNet missing inputSize', () => new MultiLayerNet({ hiddenSizeList: [3], outputSize: 2 } as never), TypeError, /MultiLayerNet inputSize/],
    ['MultiLayerNet hiddenSizeList not array', () => new MultiLayerNet({ inputSize: 4, hiddenSizeList: 3 as never, outputSize: 2 }), TypeError, /hiddenSizeList/],
    ['MultiLayerNet weightDecayLambda -1', () => new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, weightDecayLambda: -1 }), RangeError, /weightDecayLambda/],
    ['MultiLayerNet seed', () => new MultiLayerNet({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, seed: 1.5 }), RangeError, /seed/],
    ['MultiLayerNetExtend dropoutRation 2', () => new MultiLayerNetExtend({ inputSize: 4, hiddenSizeList: [3], outputSize: 2, useDropout: true, dropoutRation: 2 }), RangeError, /MultiLayerNetExtend dropoutRatio: expected a finite number in \[0, 1\)/],
    ['Sequential inputShape not an array', () => new Sequential([new Affine(2, 2), new SoftmaxWithLoss()], { inputShape: 5 } as never), TypeError, /inputShape/],
    ['Sequential no loss layer last', () => new Sequential([new Affine(2, 2), new Relu()], { inputShape: [2] }), TypeError, /loss layer/],
    ['Sequential loss layer in the middle', () => new Sequential([new SoftmaxWithLoss(), new Affine(2, 2), new SoftmaxWithLoss()], { inputShape: [2] }), TypeError, /only the last layer/],
    ['Sequential shapes do not chain', () => new Sequential([new Affine(4, 6), new Affine(5, 3), new SoftmaxWithLoss()], { inputShape: [4] }), RangeError, /Affine input: expected \[N, 5\].*got \[1, 6\]/],
    ['Sequential non-layer', () => new Sequential([{} as never, new SoftmaxWithLoss()], { inputShape: [2] }), TypeError, /layers\[0\]: expected a Layer/],
  ] as const)('%s', (_name, make, type, msg) => {
    expect(make).toThrow(type);
    expect(make).toThrow(msg);
  });
});
