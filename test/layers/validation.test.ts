/**
 * Bad inputs into layers: wrong shapes, labels out of range, NaN inputs, bad constructor options. Each must throw the
 * specific TypeError/RangeError whose message names the layer/argument and says what came.
 */
import {
  Affine, BatchNormalization, Convolution, Dropout, GlobalAvgPool, LeakyReLU, MeanSquaredError, Pooling, Relu,
  SigmoidWithLoss, SoftmaxWithLoss, layerFromConfig, type LayerConfig,
} from '../../lib/layers';
import { Tensor } from '../../lib/tensor';
import { ts } from '../helpers';
import { rand } from './cases';

const backend = ts;

describe('wrong input shapes', () => {
  test.each([
    ['Affine', () => new Affine(6, 2, { backend }), [3, 5], /Affine input: expected \[N, 6\].*got \[3, 5\]/],
    ['Affine 1-D', () => new Affine(6, 2, { backend }), [6], /Affine input.*got \[6\]/],
    ['Convolution channels', () => new Convolution(3, 2, 3, { backend }), [1, 2, 5, 5], /Convolution input: expected a 4-D tensor \[N, 3, H, W\], got \[1, 2, 5, 5\]/],
    ['Convolution rank', () => new Convolution(1, 2, 3, { backend }), [1, 25], /Convolution input.*got \[1, 25\]/],
    ['Convolution too small', () => new Convolution(1, 2, 5, { backend }), [1, 1, 3, 3], /Convolution input: expected H \+ 2·pad >= 5/],
    ['Pooling rank', () => new Pooling(2, 2, { backend }), [2, 8], /Pooling input: expected a 4-D tensor/],
    ['Pooling too small', () => new Pooling(3, 3, { backend }), [1, 1, 2, 2], /Pooling input: expected H \+ 2·pad >= 3/],
    ['GlobalAvgPool rank', () => new GlobalAvgPool({ backend }), [2, 3, 4], /GlobalAvgPool input: expected a 4-D tensor/],
    ['BatchNormalization features', () => new BatchNormalization(4, { backend }), [2, 5], /BatchNormalization input: expected \[N, 4\].*got \[2, 5\]/],
    ['BatchNormalization channel', () => new BatchNormalization(4, { axis: 'channel', backend }), [2, 4], /BatchNormalization input: expected a 4-D tensor \[N, 4, H, W\]/],
    ['SoftmaxWithLoss rank', () => new SoftmaxWithLoss({ backend }), [5], /SoftmaxWithLoss input: expected logits \[N, C\], got \[5\]/],
  ] as const)('%s', (_name, make, shape, msg) => {
    const layer = make();
    expect(() => layer.forward(Tensor.zeros([...shape]), true)).toThrow(RangeError);
    expect(() => layer.forward(Tensor.zeros([...shape]), true)).toThrow(msg);
  });

  test('non-tensor input -> TypeError', () => {
    expect(() => new Relu({ backend }).forward(new Float32Array(4) as never, true)).toThrow(TypeError);
    expect(() => new Affine(2, 2, { backend }).forward([1, 2] as never, true)).toThrow(/Affine input: expected a Tensor, got Array\(2\)/);
  });

  test('dout of the wrong size, backward before forward', () => {
    const fc = new Affine(4, 3, { backend });
    expect(() => fc.backward(Tensor.zeros([2, 3]))).toThrow(/call forward first/);
    fc.forward(rand([2, 4]), true);
    expect(() => fc.backward(Tensor.zeros([2, 4]))).toThrow(RangeError);
    const conv = new Convolution(1, 2, 3, { backend });
    conv.forward(rand([1, 1, 4, 4]), true);
    expect(() => conv.backward(Tensor.zeros([1, 2, 3, 3]))).toThrow(/Convolution dout: expected \[1, 2, 2, 2\]/);
  });
});

describe('labels and targets', () => {
  const x = rand([3, 4], 2);
  test('SoftmaxWithLoss labels out of range / wrong count / wrong type', () => {
    const sl = new SoftmaxWithLoss({ backend });
    expect(() => sl.forwardLoss(x, Int32Array.from([0, 4, 1]))).toThrow(/SoftmaxWithLoss labels: expected class indices in \[0, 4\), got 4 at index 1/);
    expect(() => sl.forwardLoss(x, Int32Array.from([0, -1, 1]))).toThrow(RangeError);
    expect(() => sl.forwardLoss(x, Int32Array.from([0, 1]))).toThrow(/expected 3 labels/);
    expect(() => sl.forwardLoss(x, Tensor.zeros([3, 5]))).toThrow(/one-hot tensor \[3, 4\]/);
    expect(() => sl.forwardLoss(x, [0, 1, 2] as never)).toThrow(TypeError);
    expect(() => sl.forwardLoss(x, Int32Array.from([0, 1, 2]), true, Float32Array.from([1]))).toThrow(/sampleWeights: expected 3 weights/);
    expect(() => sl.backwardLoss()).toThrow(/call forwardLoss first/);
  });

  test('non-finite inputs make the loss layers throw a RangeError explaining it', () => {
    const bad = rand([3, 4], 2);
    bad.data[5] = NaN;
    expect(() => new SoftmaxWithLoss({ backend }).forwardLoss(bad, Int32Array.from([0, 1, 2]))).toThrow(/SoftmaxWithLoss: expected a finite loss, got NaN.*NaN or Infinity/);
    const inf = rand([3, 4], 2);
    inf.data[0] = Infinity;
    expect(() => new SoftmaxWithLoss({ backend }).forwardLoss(inf, Int32Array.from([0, 1, 2]))).toThrow(RangeError);
    expect(() => new MeanSquaredError({ backend }).forwardLoss(bad, rand([3, 4]))).toThrow(/MeanSquaredError: expected a finite loss/);
    const b1 = rand([2, 1]);
    b1.data[1] = NaN;
    expect(() => new SigmoidWithLoss({ backend }).forwardLoss(b1, Int32Array.from([0, 1]))).toThrow(/SigmoidWithLoss: expected a finite loss/);
  });

  test('SigmoidWithLoss and MeanSquaredError targets', () => {
    const sg = new SigmoidWithLoss({ backend });
    expect(() => sg.forwardLoss(rand([3, 1]), Int32Array.from([0, 2, 1]))).toThrow(/binary labels 0 or 1, got 2 at index 1/);
    expect(() => sg.forwardLoss(rand([3, 1]), Int32Array.from([0, 1]))).toThrow(RangeError);
    expect(() => sg.forwardLoss(rand([3, 1]), Tensor.from([0, 1.5, 1], [3, 1]))).toThrow(/values in \[0, 1\]/);
    const mse = new MeanSquaredError({ backend });
    expect(() => mse.forwardLoss(x, rand([4, 3]))).toThrow(/MeanSquaredError target: expected a tensor of the input's shape \[3, 4\], got \[4, 3\]/);
    expect(() => mse.forwardLoss(x, Int32Array.from([0, 9, 1]))).toThrow(/labels: expected class indices in \[0, 4\)/);
  });
});

describe('bad constructor options', () => {
  test.each([
    ['Convolution filterSize 0', () => new Convolution(1, 2, 0), RangeError, /Convolution filterSize: expected an integer >= 1/],
    ['Convolution filterNum 1.5', () => new Convolution(1, 1.5, 3), RangeError, /filterNum/],
    ['Convolution stride 0', () => new Convolution(1, 2, 3, { stride: 0 }), RangeError, /stride/],
    ['Convolution pad -1', () => new Convolution(1, 2, 3, { pad: -1 }), RangeError, /pad/],
    ['Convolution filterSize string', () => new Convolution(1, 2, '3' as never), TypeError, /filterSize/],
    ['Affine inputSize 0', () => new Affine(0, 2), RangeError, /Affine inputSize/],
    ['Affine outputSize string', () => new Affine(2, 'x' as never), TypeError, /Affine outputSize: expected an integer, got string/],
    ['Affine weightInit unknown', () => new Affine(2, 2, { weightInit: 'foo' as never }), RangeError, /weightInit: expected a number or one of 'relu'/],
    ['Affine weightInit negative', () => new Affine(2, 2, { weightInit: -1 }), RangeError, /weightInit/],
    ['Pooling mode min', () => new Pooling(2, 2, { mode: 'min' as never }), RangeError, /Pooling mode: expected one of 'max', 'avg', got 'min'/],
    ['Pooling poolH 0', () => new Pooling(0, 2), RangeError, /poolH/],
    ['Dropout ratio 1', () => new Dropout(1), RangeError, /Dropout ratio/],
    ['Dropout ratio -0.1', () => new Dropout(-0.1), RangeError, /Dropout ratio/],
    ['Dropout mode', () => new Dropout(0.5, { mode: 'x' as never }), RangeError, /Dropout mode/],
    ['Dropout seed', () => new Dropout(0.5, { seed: -1 }), RangeError, /seed/],
    ['BatchNormalization momentum 2', () => new BatchNormalization(3, { momentum: 2 }), RangeError, /momentum/],
    ['BatchNormalization eps 0', () => new BatchNormalization(3, { eps: 0 }), RangeError, /eps/],
    ['BatchNormalization axis', () => new BatchNormalization(3, { axis: 'row' as never }), RangeError, /axis/],
    ['BatchNormalization numFeatures', () => new BatchNormalization(-3), RangeError, /numFeatures/],
    ['LeakyReLU alpha NaN', () => new LeakyReLU(NaN), RangeError, /LeakyReLU alpha/],
    ['SoftmaxWithLoss classWeights negative', () => new SoftmaxWithLoss({ classWeights: [1, -1] }), RangeError, /classWeights\[1\]/],
    ['layerFromConfig unknown type', () => layerFromConfig({ type: 'Linear' }), RangeError, /layer config type: expected one of Affine/],
    ['layerFromConfig not an object', () => layerFromConfig(null as unknown as LayerConfig), TypeError, /layer config/],
    ['layerFromConfig bad option', () => layerFromConfig({ type: 'Convolution', inChannels: 1, filterNum: 2, filterSize: 0 }), RangeError, /filterSize/],
  ] as const)('%s', (_name, make, type, msg) => {
    expect(make).toThrow(type);
    expect(make).toThrow(msg);
  });

  test('SoftmaxWithLoss classWeights must match the class count', () => {
    expect(() => new SoftmaxWithLoss({ classWeights: [1, 1, 1], backend }).forwardLoss(rand([2, 4]), Int32Array.from([0, 1]))).toThrow(/classWeights has 3 classes/);
  });
});
