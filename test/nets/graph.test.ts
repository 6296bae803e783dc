/**
 * Graph networks: finite-difference gradients through branches and a tensor read three times (both backends);
 * native vs TypeScript per node; a graph equal to the same network written as Sequential; the functional API's
 * errors; summary(); shapes inferred by Sequential without inputShape.
 */
import { checkNetworkGradient } from '../../lib/tools/gradcheck';
import {
  Add, Affine, BatchNormalization, ChannelPad, Concatenate, Convolution, Flatten, GlobalAvgPool, Input, Pooling, Relu,
  SoftmaxWithLoss, Tanh, type SymbolicTensor,
} from '../../lib/layers';
import { Graph, Sequential, type Network } from '../../lib/nets';
import { summaryRows } from '../../lib/nets/summary';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';

type Backend = ReturnType<typeof backendsUnderTest>[number]['backend'];

function rand(shape: number[], seed = 1): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/**
 * conv1 → relu1 = a; a is read three times: by conv2 (→ bn → tanh = b), by conv3 (stride 2, no bias) and by the
 * Add (a + b + a again: one node read twice by one Add). Then Concatenate(add, a) → subsampled (1×1 pool,
 * stride 2) and padded with zero channels, concatenated with conv3's output, GAP, fc.
 */
function branchy(backend: Backend, seed = 1): Graph {
  const x = Input([2, 6, 6]);
  const a = new Relu().apply(new Convolution(2, 3, 3, { pad: 1 }).apply(x, 'conv1'), 'relu1');
  const b = new Tanh().apply(new BatchNormalization(3, { axis: 'channel' }).apply(new Convolution(3, 3, 3, { pad: 1 }).apply(a, 'conv2'), 'bn'), 'tanh');
  const s = new Add().apply([a, b, a], 'add');
  const cat = new Concatenate().apply([s, a], 'cat');                               // [6, 6, 6]
  const sub = new Pooling(1, 1, { stride: 2 }).apply(cat, 'sub');                   // [6, 3, 3]
  const pad = new ChannelPad(1, 1).apply(sub, 'pad');                               // [8, 3, 3]
  const c3 = new Convolution(3, 4, 3, { stride: 2, pad: 1, bias: false }).apply(a, 'conv3'); // [4, 3, 3]
  const joined = new Concatenate().apply([pad, c3], 'cat2');                        // [12, 3, 3]
  const y = new Affine(4).apply(new GlobalAvgPool().apply(joined, 'gap'), 'fc');
  return new Graph({ input: x, output: y, loss: new SoftmaxWithLoss(), seed, weightDecayLambda: 0.01, backend });
}

/**
 * Residual sums with their ReLU fused (Add.fusedRelu): s = relu(a + conv2(a)) is read three times (conv3, the next
 * Add, the Concatenate), so its gradients reach the fused Add unsummed (Add.backwardManySum: two in the masking
 * pass, the third added after); u = relu(s + conv3(s)) is read once.
 */
function residual(backend: Backend, fuse: boolean, seed = 1): Graph {
  const x = Input([2, 5, 5]);
  const a = new Relu().apply(new Convolution(2, 3, 3, { pad: 1 }).apply(x, 'conv1'), 'relu1');
  const s = new Relu().apply(new Add().apply([a, new Convolution(3, 3, 3, { pad: 1 }).apply(a, 'conv2')], 'add1'), 'relu2');
  const u = new Relu().apply(new Add().apply([s, new Convolution(3, 3, 3, { pad: 1 }).apply(s, 'conv3')], 'add2'), 'relu3');
  const cat = new Concatenate().apply([u, s], 'cat');
  const y = new Affine(3).apply(new GlobalAvgPool().apply(cat, 'gap'), 'fc');
  return new Graph({ input: x, output: y, loss: new SoftmaxWithLoss(), seed, backend, fuse });
}

function randomizeBiases(net: Network): void {
  let seed = 100;
  for (const [k, p] of Object.entries(net.namedParams())) if (k.endsWith('.b')) p.value.data.set(randomArray(p.value.size, seed++, -0.2, 0.2));
}

describe.each(backendsUnderTest())('graph gradients on $name', ({ backend }) => {
  test('branches, a tensor read three times, Add of a node with itself, Concatenate, ChannelPad: backprop = finite differences', () => {
    const net = branchy(backend);
    randomizeBiases(net);
    const res = checkNetworkGradient(net, rand([3, 2, 6, 6], 5), Int32Array.from([0, 3, 1]), { h: 1e-3, rtol: 1e-2, atol: 5e-4 });
    expect(Object.keys(res)).toEqual(['conv1.W', 'conv1.b', 'conv2.W', 'conv2.b', 'bn.gamma', 'bn.beta', 'conv3.W', 'fc.W', 'fc.b']);
    for (const e of Object.values(res)) {
      if (!e.ok) throw new Error(`${e.name}: max abs ${e.maxAbsError}, max rel ${e.maxRelError}; worst at ${e.worst.index}: analytic ${e.worst.analytic}, numerical ${e.worst.numerical}`);
    }
  });
});

describe.each(backendsUnderTest())('residual sums with the ReLU fused on $name', ({ backend }) => {
  test('an Add + ReLU read three times and one read once: backprop = finite differences; fused and unfused the same bits', () => {
    const net = residual(backend, true);
    expect(net.nodes.filter((n) => n.layer instanceof Add && n.layer.fusedRelu).map((n) => n.name)).toEqual(['add1', 'add2']);
    expect(net.nodes.filter((n) => n.layer instanceof Relu && n.layer.passThrough).map((n) => n.name)).toEqual(['relu1', 'relu2', 'relu3']);
    randomizeBiases(net);
    const x = rand([3, 2, 5, 5], 14); // a seed whose inputs sit away from the ReLUs' kinks at h = 1e-3 (11-13 do not: the same errors fused or not)
    const t = Int32Array.from([0, 2, 1]);
    const res = checkNetworkGradient(net, x, t, { h: 1e-3, rtol: 1e-2, atol: 5e-4 });
    for (const e of Object.values(res)) {
      if (!e.ok) throw new Error(`${e.name}: max abs ${e.maxAbsError}, max rel ${e.maxRelError}; worst at ${e.worst.index}: analytic ${e.worst.analytic}, numerical ${e.worst.numerical}`);
    }
    const off = residual(backend, false);
    expect(off.nodes.some((n) => n.layer instanceof Add && n.layer.fusedRelu)).toBe(false);
    randomizeBiases(off);
    for (let step = 0; step < 2; step++) {
      const gf = net.gradient(x, t);
      const gu = off.gradient(x, t);
      expect(net.lastLoss).toBe(off.lastLoss);
      for (const k of Object.keys(gu)) expect(Array.from(new Uint32Array(gf[k].data.buffer, gf[k].data.byteOffset, gf[k].size))).toEqual(Array.from(new Uint32Array(gu[k].data.buffer, gu[k].data.byteOffset, gu[k].size)));
    }
  });
});

(tsOnly ? test.skip : test)('native vs TypeScript, node by node: forward outputs and every gradient', () => {
  const nb = requireNative();
  const a = branchy(ts, 3);
  const b = branchy(nb, 3);
  const x = rand([4, 2, 6, 6], 7);
  const t = Int32Array.from([1, 2, 3, 0]);
  const ga = a.gradient(x, t);
  const gb = b.gradient(x, t);
  const oa = a.nodeOutputs();
  const ob = b.nodeOutputs();
  expect(Object.keys(ob)).toEqual(a.nodes.map((n) => n.name));
  for (const k of Object.keys(oa)) expectClose(ob[k].data, oa[k].data, { rtol: 1e-4, atol: 1e-5 }, `node ${k}`);
  for (const k of Object.keys(ga)) expectClose(gb[k].data, ga[k].data, { rtol: 1e-3, atol: 1e-5 }, `gradient ${k}`);
  expect(b.lastLoss).toBeCloseTo(a.lastLoss, 5);
});

describe('a graph written as a chain equals the same Sequential', () => {
  const chain = (backend: Backend) => {
    const layers = () => [
      new Convolution(1, 4, 3, { pad: 1 }), new Relu(), new Pooling(2, 2, { stride: 2 }), new BatchNormalization(4, { axis: 'channel' }),
      new Flatten(), new Affine(6), new Relu(), new Affine(3),
    ];
    const seq = new Sequential([...layers(), new SoftmaxWithLoss()], { inputShape: [1, 6, 6], seed: 9, backend, weightDecayLambda: 0.02 });
    const x = Input([1, 6, 6]);
    let h: SymbolicTensor = x;
    for (const l of layers()) h = l.apply(h);
    const graph = new Graph({ input: x, output: h, loss: new SoftmaxWithLoss(), seed: 9, backend, weightDecayLambda: 0.02 });
    return { seq, graph };
  };
  test.each(backendsUnderTest())('$name: same weights from the seed, same loss, logits and gradients bit for bit', ({ backend }) => {
    const { seq, graph } = chain(backend);
    expect(Object.keys(seq.namedParams())).toEqual(['W1', 'b1', 'gamma1', 'beta1', 'W2', 'b2', 'W3', 'b3']);
    expect(Object.keys(graph.namedParams())).toEqual([
      'convolution1.W', 'convolution1.b', 'batchnormalization1.gamma', 'batchnormalization1.beta', 'affine1.W', 'affine1.b', 'affine2.W', 'affine2.b',
    ]);
    const x = rand([5, 1, 6, 6], 11);
    const t = Int32Array.from([0, 1, 2, 1, 0]);
    const gs = Object.values(seq.gradient(x, t));
    const gg = Object.values(graph.gradient(x, t));
    expect(graph.lastLoss).toBe(seq.lastLoss);
    gs.forEach((g, i) => expect(gg[i].data).toEqual(g.data));
    expect(graph.predict(x).data).toEqual(seq.predict(x).data);
    expect(Object.values(graph.namedBuffers()).map((b) => Array.from(b.data))).toEqual(Object.values(seq.namedBuffers()).map((b) => Array.from(b.data)));
  });
});

describe('the functional API refuses bad graphs, naming the node', () => {
  test('Add of different shapes (no broadcasting), Concatenate of different sizes', () => {
    const x = Input([2, 4, 4]);
    const a = new Convolution(2, 3, 3, { pad: 1 }).apply(x, 'a');
    const b = new Convolution(2, 3, 3).apply(x, 'b');
    expect(() => new Add().apply([a, b], 'sum')).toThrow(/^node 'sum' \(Add\): Add input 1: expected the shape of input 0, \[1, 3, 4, 4\] \(Add does not broadcast\), got \[1, 3, 2, 2\]/);
    expect(() => new Add().apply([a, x])).toThrow(RangeError);
    expect(() => new Concatenate().apply([a, b], 'cat')).toThrow(/node 'cat' \(Concatenate\).*except along channels.*got \[1, 3, 2, 2\]/);
    expect(() => new Add().apply([a], 'one')).toThrow(/node 'one' \(Add\).*at least 2 inputs/);
    expect(() => new Add().apply(a as never)).toThrow(TypeError);
    expect(() => new Relu().apply([a, a] as never)).toThrow(/one SymbolicTensor/);
    expect(() => new Convolution(5, 3, 3).apply(a, 'c5')).toThrow(/node 'c5' \(Convolution\): Convolution input: expected a 4-D tensor \[N, 5, H, W\]/);
    expect(() => new SoftmaxWithLoss().apply(a)).toThrow(/loss layer/);
    expect(() => new Relu().apply(a, 'input')).toThrow(/not 'input'/);
  });

  test('a layer applied twice, duplicate names, an output that is the input, forward of a merge layer, unknown options', () => {
    const x = Input([3]);
    const fc = new Affine(3);
    const h = fc.apply(x, 'fc');
    expect(() => fc.apply(h)).toThrow(/already applied/);
    const h2 = new Relu().apply(h, 'fc');
    expect(() => new Graph({ input: x, output: h2, loss: new SoftmaxWithLoss() })).toThrow(/two nodes named 'fc'/);
    expect(() => new Graph({ input: x, output: x, loss: new SoftmaxWithLoss() })).toThrow(/the input itself/);
    const other = Input([3]);
    const mixed = new Add().apply([h, new Affine(3).apply(other)]);
    expect(() => new Graph({ input: x, output: mixed, loss: new SoftmaxWithLoss() })).toThrow(/another Input/);
    expect(() => new Graph({ input: x, output: h, loss: new SoftmaxWithLoss(), sede: 1 } as never)).toThrow(/unknown option 'sede'/);
    expect(() => new Graph({ input: x, output: h, loss: new Relu() as never })).toThrow(TypeError);
    expect(() => new Add().forward(rand([1, 3]), false)).toThrow(/joins several inputs/);
    expect(() => Input([3, 0])).toThrow(/Input shape\[1\]/);
    expect(() => new Add({ backnd: 1 } as never)).toThrow(/Add options: .*unknown option 'backnd' \(did you mean 'backend'\?\)/);
    expect(() => new Concatenate({ axis: 2 } as never)).toThrow(/Concatenate options: .*unknown option 'axis'/);
    expect(() => new Flatten({ start: 1 } as never)).toThrow(/unknown option 'start'/);
    expect(() => new ChannelPad(1, 1, { value: 1 } as never)).toThrow(/unknown option 'value'/);
  });
});

test('summary(): every node with its output shape, parameter count and inputs, then the totals', () => {
  const net = branchy(ts);
  const rows = summaryRows(net);
  expect(rows.map((r) => r.name)).toEqual([...net.nodes.map((n) => n.name), 'loss']);
  const add = rows.find((r) => r.name === 'add')!;
  expect(add).toEqual({ name: 'add', type: 'Add', outputShape: ['N', 3, 6, 6], params: 0, buffers: 0, inputs: ['relu1', 'tanh', 'relu1'] });
  expect(rows.find((r) => r.name === 'cat2')!.outputShape).toEqual(['N', 12, 3, 3]);
  expect(rows.find((r) => r.name === 'conv3')!.params).toBe(4 * 3 * 9); // no bias
  expect(rows.find((r) => r.name === 'bn')!.buffers).toBe(6);
  const text = net.summary();
  expect(text).toMatch(/^Graph: input \[N, 2, 6, 6\], 13 nodes/);
  expect(text).toMatch(/add \(Add\)\s+\[N, 3, 6, 6\]\s+0\s+relu1, tanh, relu1/);
  expect(text).toMatch(/fc \(Affine\)\s+\[N, 4\]\s+52\s+gap/);
  expect(text).toContain(`Total params: ${net.paramCount().toLocaleString('en-US')}`);
  expect(net.paramCount()).toBe(rows.reduce((s, r) => s + r.params, 0));
});

describe('Sequential infers sizes (Flatten, Affine(outputSize)) on build or the first forward', () => {
  const layers = () => [new Convolution(1, 2, 3), new Relu(), new Flatten(), new Affine(5), new Relu(), new Affine(3), new SoftmaxWithLoss()];
  test('build(inputShape) fixes the sizes; the same network as one given its sizes', () => {
    const lazy = new Sequential(layers(), { seed: 4 });
    expect(lazy.built).toBe(false);
    expect(() => lazy.namedParams()).toThrow(/not built yet/);
    expect(() => lazy.summary()).toThrow(/not built yet/);
    lazy.build([1, 5, 5]);
    const eager = new Sequential([new Convolution(1, 2, 3), new Relu(), new Flatten(), new Affine(18, 5), new Relu(), new Affine(5, 3), new SoftmaxWithLoss()], { inputShape: [1, 5, 5], seed: 4 });
    expect(lazy.config()).toEqual(eager.config());
    for (const [k, p] of Object.entries(eager.namedParams())) expect(lazy.namedParams()[k].value.data).toEqual(p.value.data);
    expect(lazy.summary()).toMatch(/affine1 \(Affine\)\s+\[N, 5\]\s+95\s+flatten1/);
    expect(() => lazy.build([1, 6, 6])).toThrow(/the shape it was built with, \[1, 5, 5\]/);
    lazy.build([1, 5, 5]); // same shape: nothing
  });
  test('the first forward builds; a later input of another shape is refused', () => {
    const lazy = new Sequential(layers(), { seed: 4 });
    const y = lazy.predict(rand([2, 1, 5, 5]));
    expect(y.shape).toEqual([2, 3]);
    expect(lazy.inputShape).toEqual([1, 5, 5]);
    expect(() => lazy.predict(rand([2, 1, 6, 6]))).toThrow(/Sequential input: expected a tensor of shape \[N, 1, 5, 5\]/);
  });
});
