/**
 * Inference runs folded and fused by itself (lib/nets/inference.ts, NetworkOptions.fuse): each Convolution →
 * BatchNormalization(channel) pair folded into the convolution from the weights and running statistics of the
 * moment, the ReLU after the BN in the convolution's epilogue, and a residual block's Add (+ Relu) computed in its
 * last convolution. Checked on every backend: predict of a trained-a-few-steps ResNet equals the layer-by-layer
 * network (fuse: false, same weights) within 1e-4 relative and equals foldBatchNorm's network bit for bit; after an
 * optimizer step, a load, a training forward (running statistics) or a direct write to a weight, the next predict
 * reflects it; graph nets without BN give the same bits as layer by layer; training, evaluate and the Trainer's
 * evaluation are unaffected; backward after a fused inference forward is refused.
 */
import { Add, BatchNormalization, Convolution, Relu, SoftmaxWithLoss, GlobalAvgPool, Affine } from '../../lib/layers';
import { Input } from '../../lib/layers/symbolic';
import { foldBatchNorm, Graph, ResNet, Sequential, type Network } from '../../lib/nets';
import { loadNpzWeights } from '../../lib/io/model';
import { createOptimizer } from '../../lib/optimizers';
import { Tensor } from '../../lib/tensor';
import { Trainer } from '../../lib/train/trainer';
import type { NativeBackend } from '../../lib/backend/native';
import { backendsUnderTest, expectClose, randomArray } from '../helpers';

type Backend = ReturnType<typeof backendsUnderTest>[number]['backend'];

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const TOL = { rtol: 1e-4, atol: 1e-5 };

const resnet = (backend: Backend, fuse: boolean, shortcut: 'padding' | 'projection' = 'padding') =>
  new ResNet({ depth: 20, inputDim: [2, 8, 8], outputSize: 4, shortcut, seed: 3, backend, fuse });

/** Copies every parameter and buffer of `src` into `dst` (same architecture). */
function copyWeights(src: Network, dst: Network): void {
  const [sp, dp] = [src.namedParams(), dst.namedParams()];
  for (const k of Object.keys(sp)) dp[k].value.data.set(sp[k].value.data);
  const [sb, db] = [src.namedBuffers(), dst.namedBuffers()];
  for (const k of Object.keys(sb)) db[k].data.set(sb[k].data);
}

/** The same network run layer by layer (fuse: false), with `net`'s current weights: the reference. */
function layerByLayer(net: ResNet, backend: Backend): Float32Array {
  const u = resnet(backend, false, net.options.shortcut);
  copyWeights(net, u);
  return u.predict(X).data;
}

/** Runs fn with the native backend's Winograd off (the TypeScript backend has none). */
function withoutWinograd(backend: Backend, fn: () => void): void {
  const nb = backend as Partial<NativeBackend>;
  if (typeof nb.setWinograd !== 'function') return fn();
  const before = nb.setWinograd(false);
  try {
    fn();
  } finally {
    nb.setWinograd(before);
  }
}

const X = new Tensor(randomArray(6 * 2 * 8 * 8, 3), [6, 2, 8, 8]);
const T = Int32Array.from([0, 1, 2, 3, 1, 0]);

function trainABit(net: Network, steps = 3): void {
  const opt = createOptimizer('momentum', { lr: 0.05, backend: net.backend });
  for (let i = 0; i < steps; i++) {
    net.gradient(X, T);
    opt.step(net.namedParams());
  }
}

describe.each(backendsUnderTest())('$name backend: folded and fused inference', ({ backend }) => {
  test.each(['padding', 'projection'] as const)('ResNet-20 (%s shortcuts), trained a few steps: predict = layer by layer within 1e-4, = foldBatchNorm bit for bit', (shortcut) => {
    const net = resnet(backend, true, shortcut);
    trainABit(net); // moves weights, gamma/beta and running statistics away from their initial values
    const p = net.predict(X).data;
    expectClose(p, layerByLayer(net, backend), TOL, 'fused vs layer by layer');
    // the same folded weights (one fold function), then conv, Add, Relu as separate layers: the same bits (with the
    // native backend's Winograd off: it takes the inference convolutions of 8+ channels, within its rounding)
    const u = resnet(backend, false, shortcut);
    copyWeights(net, u);
    withoutWinograd(backend, () => expect(bits(net.predict(X).data)).toEqual(bits(foldBatchNorm(u).predict(X).data)));
    // predictProba / predictClasses / accuracy go through the same forward
    expectClose(net.predictProba(X).data, u.predictProba(X).data, TOL, 'predictProba');
    expect(Array.from(net.predictClasses(X))).toEqual(Array.from(u.predictClasses(X)));
  });

  test('what runs fused: every conv folded; each block\'s Add and Relu in its second convolution; nodes fused away keep no output', () => {
    const net = resnet(backend, true);
    net.predict(X);
    const kept = new Set(Object.keys(net.nodeOutputs()));
    const convs = net.nodes.filter((n) => n.layer instanceof Convolution).map((n) => n.name);
    expect(convs).toHaveLength(19);
    for (const c of convs) expect(kept.has(c)).toBe(false);
    for (const s of [1, 2, 3]) {
      for (const b of [1, 2, 3]) {
        const p = `stage${s}/block${b}`;
        expect(kept.has(`${p}/bn1`)).toBe(true); // the folded conv1's output (ReLU'd), read by conv2
        for (const gone of ['bn2', 'add']) expect(kept.has(`${p}/${gone}`)).toBe(false);
        expect(kept.has(`${p}/relu2`)).toBe(true);
      }
    }
    // a training forward runs every node
    net.forward(X, true);
    expect(Object.keys(net.nodeOutputs())).toEqual(net.nodes.map((n) => n.name));
  });

  test('the next predict reflects an optimizer step, a training forward, a load and a direct write', () => {
    const net = resnet(backend, true);
    trainABit(net, 1);
    let before = net.predict(X).data.slice();
    const expectChanged = (what: string) => {
      const p = net.predict(X).data;
      expect(bits(p)).not.toEqual(bits(before));
      expectClose(p, layerByLayer(net, backend), TOL, `after ${what}`);
      before = p.slice();
    };
    // an optimizer step (weights, gamma, beta)
    net.gradient(X, T);
    createOptimizer('sgd', { lr: 0.1, backend }).step(net.namedParams());
    expectChanged('an optimizer step');
    // a training forward: only the running statistics move
    net.forward(new Tensor(randomArray(X.size, 9, 0, 2), X.shape), true);
    expectChanged('a training forward');
    // a load into the network (loadNpzWeights: params and buffers written in place)
    const other = resnet(backend, true);
    trainABit(other, 2);
    const arrays: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, p] of Object.entries(other.namedParams())) arrays[k] = { shape: [...p.value.shape], data: p.value.data };
    for (const [k, b] of Object.entries(other.namedBuffers())) arrays[k] = { shape: [...b.shape], data: b.data };
    loadNpzWeights(net, arrays);
    expectChanged('loadNpzWeights');
    expect(bits(net.predict(X).data)).toEqual(bits(other.predict(X).data));
    // direct writes: a running variance, a gamma, a convolution weight
    net.namedBuffers()['stage2/block2/bn1.running_var'].data[3] *= 4;
    expectChanged('a write to running_var');
    net.namedParams()['stage3/block1/bn2.gamma'].value.data[0] = -1.5;
    expectChanged('a write to gamma');
    net.namedParams()['stem/conv.W'].value.data[7] += 0.5;
    expectChanged('a write to a convolution weight');
  });

  test('backward after a fused inference forward is refused; after a training forward it runs; fuse: false allows it', () => {
    const net = resnet(backend, true);
    net.loss(X, T, false);
    expect(() => net.backward()).toThrow(/inference forward that ran fused or folded nodes.*fuse: false/);
    net.loss(X, T, true);
    expect(() => net.backward()).not.toThrow();
    const u = resnet(backend, false);
    u.loss(X, T, false);
    expect(() => u.backward()).not.toThrow(); // BN's inference-mode backward, layer by layer
  });

  test('a graph without BN (conv → Add → Relu): fused inference gives the layer-by-layer bits; training unchanged', () => {
    const make = (fuse: boolean) => {
      const x = Input([3, 6, 6]);
      const a = new Relu().apply(new Convolution(3, 4, 3, { pad: 1 }).apply(x, 'c1'), 'r1');
      const b = new Convolution(4, 4, 3, { pad: 1 }).apply(a, 'c2');
      const s = new Relu().apply(new Add().apply([a, b], 'add'), 'r2'); // the conv is Add's input 1
      const y = new Affine(3).apply(new GlobalAvgPool().apply(s, 'gap'), 'fc');
      return new Graph({ input: x, output: y, loss: new SoftmaxWithLoss(), seed: 4, backend, fuse });
    };
    const [f, u] = [make(true), make(false)];
    const x = new Tensor(randomArray(5 * 3 * 36, 8), [5, 3, 6, 6]);
    const t = Int32Array.from([0, 1, 2, 0, 1]);
    for (let step = 0; step < 2; step++) {
      const gf = f.gradient(x, t), gu = u.gradient(x, t);
      expect(f.lastLoss).toBe(u.lastLoss);
      for (const k of Object.keys(gu)) expect(bits(gf[k].data)).toEqual(bits(gu[k].data));
      for (const net of [f, u]) createOptimizer('sgd', { lr: 0.1, backend }).step(net.namedParams());
      expect(bits(f.predict(x).data)).toEqual(bits(u.predict(x).data));
    }
    f.predict(x);
    expect(Object.keys(f.nodeOutputs())).toEqual(['c1', 'r1', 'r2', 'gap', 'fc']); // c2 and add ran as one op
  });

  test('a Sequential conv-BN-relu chain folds; a per-feature BN after an Affine runs as written', () => {
    const make = (fuse: boolean) => new Sequential([
      new Convolution(1, 3, 3, { pad: 1 }), new BatchNormalization(3, { axis: 'channel' }), new Relu(),
      new Affine(4), new BatchNormalization(4), new Relu(), new Affine(2), new SoftmaxWithLoss(),
    ], { inputShape: [1, 4, 4], seed: 5, backend, fuse });
    const [f, u] = [make(true), make(false)];
    const x = new Tensor(randomArray(5 * 16, 6), [5, 1, 4, 4]);
    const opt = createOptimizer('momentum', { lr: 0.05, backend });
    for (let i = 0; i < 3; i++) {
      f.gradient(x, Int32Array.from([0, 1, 1, 0, 1]));
      opt.step(f.namedParams());
    }
    copyWeights(f, u);
    expectClose(f.predict(x).data, u.predict(x).data, TOL, 'logits');
    const kept = Object.keys(f.nodeOutputs());
    expect(kept).not.toContain('convolution1'); // folded into batchnormalization1's output
    expect(kept).toEqual(u.nodes.map((n) => n.name).filter((n) => n !== 'convolution1'));
  });

  test('evaluate and the Trainer (training, per-epoch evaluation) agree with layer by layer', () => {
    const [f, u] = [resnet(backend, true), resnet(backend, false)];
    const xs = new Tensor(randomArray(12 * 2 * 64, 11, 0, 1), [12, 2, 8, 8]);
    const ts = Int32Array.from({ length: 12 }, (_, i) => i % 4);
    const run = (net: Network) => new Trainer(net, xs, ts, xs, ts, { epochs: 2, miniBatchSize: 4, optimizer: 'sgd', optimizerParam: { lr: 0.05 }, evaluateSampleNumPerEpoch: 12 }).train();
    const [hf, hu] = [run(f).history, run(u).history];
    expect(hf.loss).toEqual(hu.loss); // training steps: the same bits
    expect(hf.acc.length).toBe(2);
    for (const k of ['acc', 'testAcc'] as const) {
      hf[k].forEach((v, i) => expect(Math.abs(v - hu[k][i])).toBeLessThanOrEqual(1 / 12 + 1e-9)); // at most one sample on a rounding tie
    }
    const [ef, eu] = [f.evaluate(xs, ts), u.evaluate(xs, ts)];
    expect(ef.loss).toBeCloseTo(eu.loss, 4);
    expect(ef.samples).toBe(12);
  });
});
