/**
 * The book's parameter names and shapes for every network, the initialization the book uses (W = std·randn in layer
 * order from the network's Rng, biases 0, gamma 1), seeding (same seed -> bit-identical weights across
 * constructions and backends; different seed -> different), and config round trips.
 */
import { Rng } from '../../lib/rng';
import {
  DeepConvNet, MultiLayerNet, MultiLayerNetExtend, Sequential, SimpleConvNet, networkFromConfig, type Network,
} from '../../lib/nets';
import { Affine, BatchNormalization, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { backendsUnderTest, ts } from '../helpers';

/** Bit-for-bit equality of two Float32Arrays (fast on large weights, unlike toEqual). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function shapes(net: Network): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, p] of Object.entries(net.namedParams())) out[k] = [...p.value.shape];
  return out;
}

/** Every W as consecutive std_i·normal() draws of Rng(seed), in layer order. */
function expectBookInit(net: Network, stds: number[]): void {
  const rng = new Rng(net.seed);
  const p = net.namedParams();
  stds.forEach((std, i) => {
    const W = p[`W${i + 1}`].value.data;
    const ref = new Float32Array(W.length);
    for (let j = 0; j < W.length; j++) ref[j] = std * rng.normal();
    expect(sameBits(W, ref)).toBe(true);
    expect(p[`b${i + 1}`].value.data.every((v) => v === 0)).toBe(true);
  });
}

test('SimpleConvNet: W1[30,1,5,5] b1 W2[4320,100] b2 W3[100,10] b3, std 0.01', () => {
  const net = new SimpleConvNet({ backend: ts });
  expect(shapes(net)).toEqual({ W1: [30, 1, 5, 5], b1: [30], W2: [4320, 100], b2: [100], W3: [100, 10], b3: [10] });
  expect(Object.keys(net.namedParams())).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3']);
  expect(net.layers.map((l) => l.type)).toEqual(['Convolution', 'Relu', 'Pooling', 'Affine', 'Relu', 'Affine', 'SoftmaxWithLoss']);
  expect(net.namedBuffers()).toEqual({});
  expect(net.outputShape([7, 1, 28, 28])).toEqual([7, 10]);
  expectBookInit(net, [0.01, 0.01, 0.01]);
  const other = new SimpleConvNet({ inputDim: [3, 12, 10], convParam: { filterNum: 4, filterSize: 3, pad: 1, stride: 1 }, hiddenSize: 7, outputSize: 5, backend: ts });
  expect(shapes(other)).toEqual({ W1: [4, 3, 3, 3], b1: [4], W2: [4 * 6 * 5, 7], b2: [7], W3: [7, 5], b3: [5] });
  // the book's snake_case conv_param keys are accepted too
  const snake = new SimpleConvNet({ convParam: { filter_num: 8, filter_size: 3 } as never, backend: ts });
  expect(snake.namedParams().W1.value.shape).toEqual([8, 1, 3, 3]);
});

test('DeepConvNet: W1..W8 as the book, He init with pre_node_nums', () => {
  const net = new DeepConvNet({ backend: ts, seed: 3 });
  expect(shapes(net)).toEqual({
    W1: [16, 1, 3, 3], b1: [16], W2: [16, 16, 3, 3], b2: [16], W3: [32, 16, 3, 3], b3: [32], W4: [32, 32, 3, 3], b4: [32],
    W5: [64, 32, 3, 3], b5: [64], W6: [64, 64, 3, 3], b6: [64], W7: [64 * 4 * 4, 50], b7: [50], W8: [50, 10], b8: [10],
  });
  expect(net.layers.map((l) => l.type).join(' ')).toBe(
    'Convolution Relu Convolution Relu Pooling Convolution Relu Convolution Relu Pooling Convolution Relu Convolution Relu Pooling ' +
      'Affine Relu Dropout Affine Dropout SoftmaxWithLoss',
  );
  const pre = [1 * 3 * 3, 16 * 3 * 3, 16 * 3 * 3, 32 * 3 * 3, 32 * 3 * 3, 64 * 3 * 3, 64 * 4 * 4, 50];
  expectBookInit(net, pre.map((n) => Math.sqrt(2 / n)));
  expect(net.outputShape([2, 1, 28, 28])).toEqual([2, 10]);
});

test('MultiLayerNet / MultiLayerNetExtend names, init std by activation, BN gamma/beta and running stats', () => {
  const relu = new MultiLayerNet({ inputSize: 784, hiddenSizeList: [100, 100, 100], outputSize: 10, backend: ts });
  expect(shapes(relu)).toEqual({ W1: [784, 100], b1: [100], W2: [100, 100], b2: [100], W3: [100, 100], b3: [100], W4: [100, 10], b4: [10] });
  expectBookInit(relu, [784, 100, 100, 100].map((n) => Math.sqrt(2 / n)));
  const sig = new MultiLayerNet({ inputSize: 20, hiddenSizeList: [8], outputSize: 3, activation: 'sigmoid', weightInitStd: 'sigmoid', backend: ts });
  expectBookInit(sig, [20, 8].map((n) => Math.sqrt(1 / n)));
  expect(sig.layers.map((l) => l.type)).toEqual(['Affine', 'Sigmoid', 'Affine', 'SoftmaxWithLoss']);
  const num = new MultiLayerNet({ inputSize: 20, hiddenSizeList: [8], outputSize: 3, weightInitStd: 0.05, backend: ts });
  expectBookInit(num, [0.05, 0.05]);

  const ext = new MultiLayerNetExtend({ inputSize: 30, hiddenSizeList: [10, 8], outputSize: 4, useBatchnorm: true, useDropout: true, dropoutRation: 0.2, backend: ts });
  expect(shapes(ext)).toEqual({
    W1: [30, 10], b1: [10], gamma1: [10], beta1: [10], W2: [10, 8], b2: [8], gamma2: [8], beta2: [8], W3: [8, 4], b3: [4],
  });
  expect(Object.keys(ext.namedBuffers())).toEqual(['running_mean1', 'running_var1', 'running_mean2', 'running_var2']);
  expect(ext.namedBuffers().running_mean2.shape).toEqual([8]);
  expect(ext.namedParams().gamma1.value.data.every((v) => v === 1)).toBe(true);
  expect(ext.layers.map((l) => l.type)).toEqual([
    'Affine', 'BatchNormalization', 'Relu', 'Dropout', 'Affine', 'BatchNormalization', 'Relu', 'Dropout', 'Affine', 'SoftmaxWithLoss',
  ]);
  expect(ext.config().dropoutRatio).toBe(0.2);
  expectBookInit(ext, [30, 10, 8].map((n) => Math.sqrt(2 / n)));
});

test('Sequential: names by walking, re-initialized from the seed unless initialize: false', () => {
  const mk = (seed: number, initialize?: boolean) =>
    new Sequential([new Affine(6, 4, { seed: 99 }), new BatchNormalization(4), new Relu(), new Affine(4, 2, { seed: 99 }), new SoftmaxWithLoss()], {
      inputShape: [6], seed, initialize, backend: ts,
    });
  const a = mk(5);
  expect(Object.keys(a.namedParams())).toEqual(['W1', 'b1', 'gamma1', 'beta1', 'W2', 'b2']);
  expectBookInit(a, [Math.sqrt(2 / 6), Math.sqrt(2 / 4)]);
  const kept = mk(5, false);
  expect(kept.namedParams().W1.value.data).toEqual(new Affine(6, 4, { seed: 99 }).W.value.data);
});

describe('seeding', () => {
  const makers: [string, (seed: number, backend: (typeof ts)) => Network][] = [
    ['SimpleConvNet', (seed, backend) => new SimpleConvNet({ inputDim: [1, 10, 10], seed, backend })],
    ['DeepConvNet', (seed, backend) => new DeepConvNet({ inputDim: [1, 8, 8], seed, backend })],
    ['MultiLayerNetExtend', (seed, backend) => new MultiLayerNetExtend({ inputSize: 12, hiddenSizeList: [6, 5], outputSize: 3, useBatchnorm: true, seed, backend })],
  ];
  test.each(makers)('%s: same seed -> identical on every backend; other seed -> different', (_n, make) => {
    const ref = make(7, ts).namedParams();
    for (const { backend } of backendsUnderTest()) {
      const p = make(7, backend as typeof ts).namedParams();
      for (const k of Object.keys(ref)) expect(sameBits(p[k].value.data, ref[k].value.data)).toBe(true);
    }
    const other = make(8, ts).namedParams();
    expect(sameBits(other.W1.value.data, ref.W1.value.data)).toBe(false);
    expect(sameBits(other.W2.value.data, ref.W2.value.data)).toBe(false);
  });
});

describe('config round trip: networkFromConfig rebuilds names, shapes and (same seed) weights', () => {
  const nets: [string, () => Network][] = [
    ['SimpleConvNet', () => new SimpleConvNet({ inputDim: [2, 9, 9], convParam: { filterNum: 3, filterSize: 3, pad: 1, stride: 2 }, hiddenSize: 5, outputSize: 4, weightInitStd: 'he', seed: 2, backend: ts })],
    ['DeepConvNet', () => new DeepConvNet({ inputDim: [1, 8, 8], convParam3: { filterNum: 5 }, hiddenSize: 6, outputSize: 3, dropoutRatio: 0.25, seed: 3, backend: ts })],
    ['MultiLayerNet', () => new MultiLayerNet({ inputSize: 7, hiddenSizeList: [5, 4], outputSize: 3, activation: 'sigmoid', weightInitStd: 'xavier', weightDecayLambda: 0.1, seed: 4, backend: ts })],
    ['MultiLayerNetExtend', () => new MultiLayerNetExtend({ inputSize: 7, hiddenSizeList: [5], outputSize: 3, useBatchnorm: true, useDropout: true, dropoutRatio: 0.3, seed: 5, backend: ts })],
    ['Sequential', () => new Sequential([new Affine(4, 3), new Relu(), new Affine(3, 2), new SoftmaxWithLoss({ classWeights: [1, 2] })], { inputShape: [4], weightDecayLambda: 0.01, seed: 6, backend: ts })],
  ];
  test.each(nets)('%s', (_n, make) => {
    const net = make();
    const cfg = JSON.parse(JSON.stringify(net.config()));
    const copy = networkFromConfig(cfg, { backend: ts });
    expect(copy.type).toBe(net.type);
    expect(copy.config()).toEqual(net.config());
    expect(shapes(copy)).toEqual(shapes(net));
    expect(Object.keys(copy.namedBuffers())).toEqual(Object.keys(net.namedBuffers()));
    expect(copy.weightDecayLambda).toBe(net.weightDecayLambda);
    for (const [k, p] of Object.entries(net.namedParams())) expect(sameBits(copy.namedParams()[k].value.data, p.value.data)).toBe(true);
  });

  test('unknown type / not an object', () => {
    expect(() => networkFromConfig({ type: 'VGG16' })).toThrow(/network config type: expected one of .*Sequential.*got 'VGG16'/);
    expect(() => networkFromConfig(42 as never)).toThrow(TypeError);
  });
});
