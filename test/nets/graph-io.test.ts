/**
 * Graph networks through everything the other networks go through: save/load (config JSON + safetensors,
 * bit-exact), a saved config edited into a cycle / a missing input / a shape mismatch at Add or Concatenate /
 * a dead node (clear errors at load, naming the node), float16, fit() in a worker (which rebuilds the graph from
 * its config) and checkpoint resume.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { toFloat16 } from '../../lib/tools/half';
import { decodeCheckpoint, encodeModel, loadModel, saveModel } from '../../lib/io/model';
import { decodeSafetensors, encodeSafetensors, type SafeTensorInput } from '../../lib/io/safetensors';
import {
  Add, Affine, BatchNormalization, Concatenate, Convolution, Dropout, Flatten, GlobalAvgPool, Input, Pooling, Relu, SoftmaxWithLoss,
} from '../../lib/layers';
import { Graph, networkFromConfig, ResNet, Sequential, type Network } from '../../lib/nets';
import { LambdaCallback } from '../../lib/train/callbacks';
import { Trainer, type TrainerOptions } from '../../lib/train/trainer';
import { Tensor } from '../../lib/tensor';
import { randomArray } from '../helpers';
import { expectSameWeights, mnistSubset, weightsOf } from '../train/fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A small residual net for MNIST images: conv-bn-relu, a residual block, a concatenated branch, dropout. */
function residual(seed = 1): Graph {
  const x = Input([1, 28, 28]);
  const stem = new Relu().apply(new BatchNormalization(4, { axis: 'channel' }).apply(new Convolution(1, 4, 3, { stride: 2, pad: 1, bias: false }).apply(x, 'stem'), 'stem_bn'), 'stem_relu');
  const r = new Relu().apply(new Convolution(4, 4, 3, { pad: 1 }).apply(stem, 'conv1'), 'relu1');
  const s = new Relu().apply(new Add().apply([new Convolution(4, 4, 3, { pad: 1 }).apply(r, 'conv2'), stem], 'add'), 'relu2');
  const side = new Convolution(4, 2, 1).apply(stem, 'side');
  const cat = new Concatenate().apply([s, side], 'cat');
  const pooled = new Pooling(2, 2, { stride: 2 }).apply(cat, 'pool');
  const y = new Affine(10).apply(new Dropout(0.2).apply(new GlobalAvgPool().apply(pooled, 'gap'), 'drop'), 'fc');
  return new Graph({ input: x, output: y, loss: new SoftmaxWithLoss(), seed });
}

function rand(shape: number[], seed = 1): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape);
}

describe('save / load', () => {
  test.each([
    ['a Graph', () => residual(3)],
    ['a ResNet-20 on 32×32 RGB (projection shortcuts)', () => new ResNet({ depth: 20, inputDim: [3, 32, 32], shortcut: 'projection', seed: 2 })],
  ] as [string, () => Network][])('%s: the round trip is bit-exact, names and predictions included', (_name, make) => {
    const net = make();
    const x = rand([2, ...net.inputShape], 4);
    net.gradient(x, Int32Array.from([1, 2])); // moves BN running statistics off their initial values
    const file = path.join(tmp, 'model.safetensors');
    saveModel(net, file);
    const back = loadModel(file);
    expect(back.type).toBe(net.type);
    expect(back.config()).toEqual(net.config());
    expectSameWeights(weightsOf(back), weightsOf(net));
    expect(back.predict(x).data).toEqual(net.predict(x).data);
    expect(back.summary()).toBe(net.summary());
  });

  test('ResNet.graphConfig() is a plain Graph config that rebuilds the same network and names', () => {
    const net = new ResNet({ depth: 20, inputDim: [1, 28, 28], seed: 5 });
    const g = networkFromConfig(JSON.parse(JSON.stringify(net.graphConfig())));
    expect(g.type).toBe('Graph');
    expect(Object.keys(g.namedParams())).toEqual(Object.keys(net.namedParams()));
    expectSameWeights(weightsOf(g), weightsOf(net));
    const x = rand([2, 1, 28, 28], 6);
    expect(g.predict(x).data).toEqual(net.predict(x).data);
  });

  test('float16: toFloat16 rounds every graph parameter and keeps the names', () => {
    const net = residual(4);
    const half = toFloat16(net);
    expect(Object.keys(half.namedParams())).toEqual(Object.keys(net.namedParams()));
    const hp = half.halfParams();
    expect(hp.bytes * 2).toBe(hp.float32Bytes);
    const w = net.namedParams()['conv1.W'].value.data;
    const wh = half.namedParams()['conv1.W'].value.data;
    expect(Array.from(wh)).not.toEqual(Array.from(w));
    for (let i = 0; i < w.length; i++) expect(Math.abs(wh[i] - w[i])).toBeLessThanOrEqual(Math.abs(w[i]) * 2 ** -11);
  });
});

describe('a saved config edited into a bad graph is refused at load, naming the node', () => {
  const bytes = encodeModel(residual(1));
  /** The file with its config edited by `edit`. */
  const edited = (edit: (cfg: { nodes: { name: string; layer: Record<string, unknown>; inputs: string[] }[]; output: string }) => void): Uint8Array => {
    const { tensors, metadata } = decodeSafetensors(bytes);
    const cfg = JSON.parse(metadata.config);
    edit(cfg);
    const ins: Record<string, SafeTensorInput> = {};
    for (const [k, t] of Object.entries(tensors)) ins[k] = { dtype: t.dtype, shape: t.shape, data: t.data };
    return encodeSafetensors(ins, { ...metadata, config: JSON.stringify(cfg) });
  };
  const node = (cfg: Parameters<Parameters<typeof edited>[0]>[0], name: string) => cfg.nodes.find((n) => n.name === name)!;

  test.each([
    ['a cycle', (c) => { node(c, 'conv1').inputs = ['relu2']; }, /metadata 'config' does not describe a network: Graph config: expected an acyclic graph, got a cycle: 'conv1' -> 'relu1' -> 'conv2' -> 'add' -> 'relu2' -> 'conv1'/],
    ['a missing input', (c) => { node(c, 'add').inputs = ['conv2', 'stem_rleu']; }, /Graph config node 'add' input: expected the name of a node of the graph or 'input', got 'stem_rleu', which no node is named/],
    ['a shape mismatch at Add', (c) => { node(c, 'add').inputs = ['conv2', 'side']; }, /node 'add' \(Add\): Add input 1: expected the shape of input 0, \[1, 4, 14, 14\] \(Add does not broadcast\), got \[1, 2, 14, 14\]/],
    ['a shape mismatch at Concatenate', (c) => { node(c, 'cat').inputs = ['relu2', 'side', 'input']; }, /node 'cat' \(Concatenate\): Concatenate input 2: expected the shape of input 0, \[1, 4, 14, 14\], except along channels \(axis 1\), got \[1, 1, 28, 28\]/],
    ['a shape mismatch at a convolution', (c) => { node(c, 'conv1').inputs = ['input']; }, /node 'conv1' \(Convolution\): Convolution input: expected a 4-D tensor \[N, 4, H, W\]/],
    ['a node the output does not read', (c) => { node(c, 'cat').inputs = ['relu2', 'relu2']; }, /Graph config node 'side': expected a node the output depends on/],
    ['two nodes of one name', (c) => { node(c, 'side').name = 'conv1'; }, /Graph config node 'conv1': expected a unique name/],
    ['an unknown output', (c) => { c.output = 'logits'; }, /Graph config output: expected the name of a node of the graph, got "logits"/],
    ['an unknown layer type', (c) => { node(c, 'relu1').layer = { type: 'Swish' }; }, /Graph config node 'relu1': layer config type: expected one of/],
    ['Add with one input', (c) => { node(c, 'add').inputs = ['conv2']; }, /node 'add' \(Add\).*at least 2 inputs/],
  ] as [string, Parameters<typeof edited>[0], RegExp][])('%s', (_name, edit, msg) => {
    expect(() => decodeCheckpoint(edited(edit))).toThrow(msg);
    expect(() => decodeCheckpoint(edited(edit))).toThrow(RangeError);
  });

  test('unedited, it loads', () => {
    expect(decodeCheckpoint(edited(() => undefined)).net.type).toBe('Graph');
  });
});

describe('training a graph: fit() in a worker, checkpoints and resume', () => {
  const d = mnistSubset(120, 30, 'images');
  const opts: TrainerOptions = { epochs: 2, miniBatchSize: 30, optimizer: 'adam', optimizerParam: { lr: 0.01 }, seed: 5, augment: { shift: 0.1 } };
  const trainer = (net: Network, extra: TrainerOptions = {}) => new Trainer(net, d.x, d.t, d.xTest, d.tTest, { ...opts, ...extra });

  test('fit() in a worker gives the bits train() gives; a run stopped mid-epoch, saved and resumed ends the same', async () => {
    const a = trainer(residual(1));
    const ra = a.train();
    expect(ra.history.loss[1]).toBeLessThan(ra.history.loss[0]);

    const w = trainer(residual(1));
    const rw = await w.fit();
    expectSameWeights(weightsOf(w.network), weightsOf(a.network));
    expect(rw.history.loss).toEqual(ra.history.loss);

    const file = path.join(tmp, 'ck.safetensors');
    const first = trainer(residual(1), { callbacks: [new LambdaCallback({ onBatchEnd: (b, tr) => { if (b.iteration === 5) tr.stop(); } })] });
    first.train();
    first.saveCheckpoint(file);
    const b = trainer(residual(9));
    const rb = await b.fit({ resumeFrom: file });
    expectSameWeights(weightsOf(b.network), weightsOf(a.network));
    expect(rb.history.loss).toEqual(ra.history.loss);
    expect(b.network.rng.getState()).toEqual(a.network.rng.getState());
  });

  test('a Sequential without inputShape (Flatten, Affine(outputSize)) is built by the Trainer from its data and trains in a worker', async () => {
    const make = () => new Sequential([new Convolution(1, 3, 5, { stride: 2 }), new Relu(), new Flatten(), new Affine(16), new Relu(), new Affine(10), new SoftmaxWithLoss()], { seed: 2 });
    const lazy = make();
    const tr = trainer(lazy, { epochs: 1 });
    expect(lazy.inputShape).toEqual([1, 28, 28]);
    expect(lazy.namedParams().W2.value.shape).toEqual([3 * 12 * 12, 16]);
    const r = await tr.fit();
    const ref = trainer(make(), { epochs: 1 });
    const rr = ref.train();
    expect(r.history.loss).toEqual(rr.history.loss);
    expectSameWeights(weightsOf(lazy), weightsOf(ref.network));
  });
});
