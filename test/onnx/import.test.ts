/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * importOnnx: PyTorch's exports (test/fixtures/onnx, made by scripts/make_onnx_fixtures.py) match PyTorch's
 * outputs; simdnet's own exports come back as the same network, bit for bit; imported networks train and save;
 * ops and attributes outside the supported set are refused, naming the node, the op and what is supported.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { toFloat16 } from '../../lib/tools/half';
import { loadModel, saveModel } from '../../lib/io/model';
import { parseNpy, toFloat32 } from '../../lib/io/npy';
import { Affine } from '../../lib/layers';
import type { Network } from '../../lib/nets/network';
import { Graph, Sequential } from '../../lib/nets';
import { encodeOnnx, importOnnx } from '../../lib/onnx';
import { decodeModelProto, modelProtoType, type ModelProto } from '../../lib/onnx/proto';
import { Adam } from '../../lib/optimizers';
import { Tensor } from '../../lib/tensor';
import { expectWithin, inputFor, runOrt, train } from './helpers';
import { everyLayer, FAMILIES, randomize } from './networks';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'onnx');

function npy(name: string): Tensor {
  const a = parseNpy(fs.readFileSync(path.join(FIXTURES, name)));
  return new Tensor(toFloat32(a), a.shape);
}

/** Decodes model bytes, lets `fn` change the model, encodes it again. */
export function mutate(bytes: Uint8Array, fn: (m: ModelProto) => void): Uint8Array {
  const m = decodeModelProto(bytes, 'test');
  fn(m);
  return modelProtoType().encode(m as never).finish();
}

function fixture(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES, `${name}.onnx`)));
}

describe("PyTorch's exports (torch.onnx.export, opset 17) match PyTorch's outputs", () => {
  test.each([
    ['deep_convnet', 'Convolution,Relu,Convolution,Relu,Pooling,Convolution,Relu,Convolution,Relu,Pooling,Convolution,Relu,Convolution,Relu,Pooling,Flatten,Affine,Relu,Affine'],
    ['zoo', 'Convolution,LeakyReLU,BatchNormalization,Pooling,Convolution,Tanh,Pooling,Flatten,Affine,BatchNormalization,Sigmoid,Affine'],
    ['matmul', 'Affine,Relu,Affine'],
    // x.view(x.size(0), -1) and n, c, h, w = x.size(); x.view(n, c * h * w): Shape → Gather (→ Mul) → Unsqueeze → Concat → Reshape
    ['view_batch', 'Convolution,Relu,Pooling,Flatten,Affine'],
    ['view_dims', 'Convolution,Tanh,Flatten,Affine'],
  ])('%s', (name, layers) => {
    const net = importOnnx(path.join(FIXTURES, `${name}.onnx`));
    expect(net).toBeInstanceOf(Sequential);
    expect(net.layers.slice(0, -1).map((l) => l.type).join(',')).toBe(layers);
    expect(net.lossLayer.type).toBe('SoftmaxWithLoss');
    const x = npy(`${name}_x.npy`);
    const y = npy(`${name}_y.npy`);
    const out = net.predict(x);
    expect(out.shape).toEqual(y.shape);
    expectWithin(out.data, y.data, name);
  });

  test('resnet20 (option-A shortcuts: strided Slice + channel Pad computed by constant ops) becomes a Graph', async () => {
    const net = importOnnx(path.join(FIXTURES, 'resnet20.onnx'));
    expect(net).toBeInstanceOf(Graph);
    const count: Record<string, number> = {};
    for (const l of net.layers) count[l.type] = (count[l.type] ?? 0) + 1;
    // PyTorch folded every BatchNorm into its convolution
    expect(count).toEqual({ Convolution: 19, Relu: 19, Add: 9, Pooling: 2, ChannelPad: 2, GlobalAvgPool: 1, Flatten: 1, Affine: 1, SoftmaxWithLoss: 1 });
    expect(net.nodes.find((n) => n.layer.type === 'ChannelPad')!.layer.config()).toEqual({ type: 'ChannelPad', before: 4, after: 4 });
    const x = npy('resnet20_x.npy');
    const y = npy('resnet20_y.npy');
    expectWithin(net.predict(x).data, y.data, 'resnet20');
    // and out again: onnxruntime runs simdnet's export of the imported network like PyTorch's model
    expectWithin((await runOrt(encodeOnnx(net), x)).data, y.data, 'resnet20 exported again');
  });

  test('a final Softmax becomes the SoftmaxWithLoss layer: predict gives the logits, the loss layer the probabilities', () => {
    const net = importOnnx(fixture('gap_softmax'));
    expect(net.layers.map((l) => l.type).join(',')).toBe('Convolution,Relu,GlobalAvgPool,Flatten,Affine,SoftmaxWithLoss');
    const x = npy('gap_softmax_x.npy');
    const p = net.lossLayer.forward(net.predict(x), false);
    expectWithin(p.data, npy('gap_softmax_y.npy').data, 'gap_softmax');
    expect(() => importOnnx(fixture('gap_softmax'), { loss: 'mse' })).toThrow(/Softmax is supported only as the last node.*with loss 'softmax'/);
  });
});

describe('simdnet -> ONNX -> simdnet gives the same network', () => {
  test.each(FAMILIES)('%s', (_name, make) => {
    const net = make(31);
    randomize(net, 32);
    train(net, 2, 33);
    const x = inputFor(net, 7, 34);
    const back = importOnnx(encodeOnnx(net));
    // the same nodes: names, layers (options), inputs; and the same parameter names. Initialization-only options
    // (weightInit, BN's initialRunningVar) are not in ONNX: the imported values replace what they initialized.
    const cfg = (n: Network) => n.nodes.map((d) => ({ name: d.name, layer: { ...d.layer.config(), weightInit: undefined, initialRunningVar: undefined }, inputs: d.inputs }));
    expect(cfg(back)).toEqual(cfg(net));
    expect(back.type).toBe(net.nodes.every((d, i) => d.inputs.length === 1 && d.inputs[0] === i - 1) ? 'Sequential' : 'Graph');
    expect(Object.keys(back.namedParams())).toEqual(Object.keys(net.namedParams()));
    expect(back.predict(x).data).toEqual(net.predict(x).data);
    const back16 = importOnnx(encodeOnnx(net, { dtype: 'float16' }));
    expect(back16.predict(x).data).toEqual(toFloat16(net).predict(x).data);
  });

  test("the loss option picks the loss layer; Dropout keeps its mode and ratio (training draws masks again)", () => {
    const net = everyLayer(5);
    const back = importOnnx(encodeOnnx(net), { loss: 'mse', seed: 9 });
    expect(back.lossLayer.type).toBe('MeanSquaredError');
    expect(back.seed).toBe(9);
    const drops = back.layers.filter((l) => l.type === 'Dropout').map((l) => l.config());
    expect(drops).toEqual([{ type: 'Dropout', ratio: 0.3, mode: 'book' }, { type: 'Dropout', ratio: 0.25, mode: 'inverted' }]);
    expect(() => importOnnx(encodeOnnx(net), { loss: 'hinge' as 'mse' })).toThrow(/loss: expected 'softmax', 'sigmoid' or 'mse'/);
    expect(() => importOnnx(encodeOnnx(net), { lossy: 1 } as object)).toThrow(/unknown option 'lossy'/);
    expect(() => importOnnx(42 as unknown as string)).toThrow(TypeError);
  });
});

test('an imported PyTorch ResNet-20 (a Graph) trains a step and saves as a simdnet model', () => {
  const net = importOnnx(fixture('resnet20'));
  const x = npy('resnet20_x.npy');
  const t = Int32Array.of(3, 7);
  const before = net.loss(x, t, false);
  const opt = new Adam({ lr: 0.01 });
  for (let s = 0; s < 5; s++) {
    net.gradient(x, t);
    opt.step(net.namedParams());
  }
  expect(net.loss(x, t, false)).toBeLessThan(before);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-onnx-'));
  try {
    const file = path.join(dir, 'resnet.safetensors');
    saveModel(net, file);
    const again = loadModel(file);
    expect(again.type).toBe('Graph');
    expect(again.predict(x).data).toEqual(net.predict(x).data);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an imported PyTorch DeepConvNet fine-tunes (the loss falls) and saves as a simdnet model", () => {
  const net = importOnnx(fixture('deep_convnet'));
  // a learnable task: faint noise plus a bright 6×6 patch whose place gives the class
  const x = inputFor(net, 32, 41);
  const t = Int32Array.from({ length: 32 }, (_, i) => i % 10);
  for (let i = 0; i < 32; i++) {
    for (let p = 0; p < 784; p++) x.data[i * 784 + p] *= 0.1;
    const r0 = 2 + 8 * Math.floor(t[i] / 4);
    const c0 = 2 + 6 * (t[i] % 4);
    for (let r = r0; r < r0 + 6; r++) for (let c = c0; c < c0 + 6; c++) x.data[i * 784 + r * 28 + c] = 1;
  }
  const before = net.loss(x, t, false);
  const opt = new Adam({ lr: 0.002 });
  for (let s = 0; s < 15; s++) {
    net.gradient(x, t);
    opt.step(net.namedParams());
  }
  expect(net.loss(x, t, false)).toBeLessThan(0.7 * before);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-onnx-'));
  try {
    const file = path.join(dir, 'deep.safetensors');
    saveModel(net, file);
    expect(loadModel(file).predict(x).data).toEqual(net.predict(x).data);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("dynamic-shape views (PyTorch's x.view(x.size(0), -1)): the Shape chain folds over the known dims", () => {
  const node = (m: ModelProto, name: string) => m.graph!.node!.find((n) => n.name === name)!;
  /** Sets the value of the Constant node `name` to the INT64 scalar v. */
  const setScalar = (m: ModelProto, name: string, v: number) => {
    const t = node(m, name).attribute![0].t!;
    t.rawData = new Uint8Array(new BigInt64Array([BigInt(v)]).buffer);
  };

  test.each(['view_batch', 'view_dims'])('%s: the batch is any size, and the network exports again for onnxruntime', async (name) => {
    const net = importOnnx(fixture(name));
    const x = npy(`${name}_x.npy`);
    const y = npy(`${name}_y.npy`);
    const per = y.shape[1];
    // each sample alone gives its row of PyTorch's output: the view took the batch from the input, not from the export
    for (let i = 0; i < x.shape[0]; i++) {
      const xi = new Tensor(x.data.slice(i * (x.size / x.shape[0]), (i + 1) * (x.size / x.shape[0])), [1, ...x.shape.slice(1)]);
      expectWithin(net.predict(xi).data, y.data.subarray(i * per, (i + 1) * per), `${name} sample ${i}`);
    }
    expectWithin((await runOrt(encodeOnnx(net), x)).data, y.data, `${name} exported again`);
  });

  test('a Shape of a constant folds to its dims', () => {
    const bytes = mutate(fixture('view_batch'), (m) => (node(m, '/Shape').input = ['fc.bias']));
    // fc.bias has 5 values: the target becomes [5, -1] (no batch entry), which does not fit a sample of 64 values
    expect(() => importOnnx(bytes)).toThrow(/node '\/Reshape' \(Reshape\): shape \[5, -1\] does not fit an input of shape \[1, 4, 4, 4\]/);
  });

  test.each<[string, string, (m: ModelProto) => void, RegExp]>([
    ['the batch size multiplied (Mul)', 'view_dims', (m) => setScalar(m, '/Constant_1', 0),
      /node '\/Mul' \(Mul\): its input '\/Gather_1_output_0' holds the batch size \(from a Shape node\); simdnet folds the batch size only where it is moved/],
    ['the batch size not first in the Reshape target', 'view_batch', (m) => (node(m, '/Concat').input = ['/Constant_1_output_0', '/Unsqueeze_output_0']),
      /node '\/Reshape' \(Reshape\): its target has the batch size \(from a Shape node\) at entry 1; only the first entry may be the batch/],
    ['the batch size read by another op than Reshape', 'view_batch', (m) => (node(m, '/fc/Gemm').input![2] = '/Unsqueeze_output_0'),
      /node '\/fc\/Gemm' \(Gemm\): its input '\/Unsqueeze_output_0' holds the batch size \(from a Shape node\); only a Reshape target may/],
    ['a Gather index out of range', 'view_batch', (m) => setScalar(m, '/Constant', 4),
      /node '\/Gather' \(Gather\): index 4 is out of range for 4 values/],
    ['a shape op simdnet does not fold', 'view_batch', (m) => (node(m, '/Gather').opType = 'GatherElements'),
      /node '\/Gather' \(GatherElements\): an op computing on constants only; supported there: Constant, .*Shape, Gather, Unsqueeze/],
  ])('refused, naming the node: %s', (_what, name, change, message) => {
    expect(() => importOnnx(mutate(fixture(name), change))).toThrow(message);
  });
});

describe('ops and attributes outside the supported set are refused, naming the node, the op and what is supported', () => {
  const zoo = fixture('zoo');
  const node = (m: ModelProto, op: string) => m.graph!.node!.find((n) => n.opType === op)!;
  test.each<[string, (m: ModelProto) => void, RegExp]>([
    ['an unknown op', (m) => (node(m, 'Tanh').opType = 'Elu'), /node '\/act2\/Tanh' \(Elu\): op Elu is not supported; supported ops: Conv, MaxPool, .*Relu/],
    ['grouped convolution', (m) => node(m, 'Conv').attribute!.push({ name: 'group', type: 2, i: 2 }), /\(Conv\): group 2 is not supported \(group 1 only\)/],
    ['dilated convolution', (m) => node(m, 'Conv').attribute!.push({ name: 'dilations', type: 7, ints: [2, 2] }), /\(Conv\): dilations \[2, 2\] are not supported/],
    ['unequal strides', (m) => (node(m, 'Conv').attribute!.find((a) => a.name === 'strides')!.ints = [2, 1]), /\(Conv\): 'strides' \[2, 1\]: simdnet supports equal strides only/],
    ['an unknown attribute', (m) => node(m, 'Tanh').attribute!.push({ name: 'beta', type: 1, f: 2 }), /\(Tanh\): attribute 'beta' is not supported \(supported: none\)/],
    ['ceil_mode', (m) => node(m, 'MaxPool').attribute!.push({ name: 'ceil_mode', type: 2, i: 1 }), /\(MaxPool\): ceil_mode 1 is not supported/],
    ['an attribute of the wrong type', (m) => (node(m, 'LeakyRelu').attribute![0].type = 2), /\(LeakyRelu\): attribute 'alpha' has type INT, expected FLOAT/],
    ['BatchNormalization in training mode', (m) => node(m, 'BatchNormalization').attribute!.push({ name: 'training_mode', type: 2, i: 1 }), /training_mode 1 is not supported/],
    ['Gemm with alpha', (m) => node(m, 'Gemm').attribute!.push({ name: 'alpha', type: 1, f: 2 }), /\(Gemm\): alpha 2 is not supported \(1 only\)/],
    ['a foreign domain', (m) => (node(m, 'Tanh').domain = 'com.microsoft'), /\(Tanh\): domain 'com.microsoft' is not supported/],
    ['an old opset', (m) => (m.opsetImport![0].version = 7), /opset 7 is not supported \(ONNX opsets 11 to 23\)/],
  ])('%s', (_what, change, message) => {
    expect(() => importOnnx(mutate(zoo, change))).toThrow(message);
  });

  test('an Add of values of different shapes is refused (no broadcasting)', () => {
    const bytes = mutate(fixture('matmul'), (m) => {
      const add = m.graph!.node!.find((n) => n.opType === 'Add')!;
      add.input = ['h', 'input']; // h + x: two computed values
    });
    expect(() => importOnnx(bytes)).toThrow(/node 'dense1_bias' \(Add\): its inputs have shapes \[N, 5\], \[N, 6\]; simdnet adds equal shapes only \(no broadcasting\)/);
  });

  test('a Mul that is not a simdnet Dropout is refused (it would train as something else)', () => {
    const net = everyLayer(1);
    const bytes = mutate(encodeOnnx(net), (m) => {
      for (const n of m.graph!.node!) if (n.opType === 'Mul') n.docString = '';
    });
    expect(() => importOnnx(bytes)).toThrow(/\(Mul\): Mul is supported only as simdnet's exported Dropout/);
  });

  test('Add other than a bias right after MatMul is refused', () => {
    const bytes = mutate(fixture('matmul'), (m) => {
      const nodes = m.graph!.node!;
      [nodes[1], nodes[2]] = [nodes[2], nodes[1]]; // Relu before the bias: MatMul, Relu(h), Add(relu, b1)
      nodes[1].input = ['h'];
      nodes[1].output = ['hr'];
      nodes[2].input = ['hr', 'b1'];
      nodes[2].output = ['r'];
    });
    expect(() => importOnnx(bytes)).toThrow(/\(Add\): Add is supported only as the bias of a MatMul/);
  });

  test('a node off the path from input to output is refused', () => {
    const bytes = mutate(fixture('matmul'), (m) => {
      m.graph!.node!.push({ name: 'stray', opType: 'Relu', input: ['h'], output: ['unused'] });
    });
    expect(() => importOnnx(bytes)).toThrow(/node 'stray' \(Relu\) is not on the path from the input to the output/);
  });

  test('an Affine folded from MatMul + Add has the bias', () => {
    const net = importOnnx(fixture('matmul'));
    expect(Array.from((net.layers[0] as Affine).b.value.data).some((v) => v !== 0)).toBe(true);
  });
});
