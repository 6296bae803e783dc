/**
 * Convolution→Relu and BatchNormalization→Relu fusion at the network level (NetworkOptions.fuse, default on; SIMDNET_FUSE=0 turns it off):
 * which layers get fused, that fused and unfused networks give bit-identical losses, logits and gradients on
 * every backend, that names/config do not change, and that fusion off leaves every layer as it was.
 */
import { Add, BatchNormalization, Convolution, Relu } from '../../lib/layers';
import { PoolBase } from '../../lib/layers/pool';
import { DeepConvNet, ResNet, SimpleConvNet, type Network } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';
import type { NativeBackend } from '../../lib/backend/native';
import { backendsUnderTest, expectClose, randomArray } from '../helpers';

type Backend = ReturnType<typeof backendsUnderTest>[number]['backend'];

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const NETS: [string, (backend: Backend, fuse: boolean) => Network, number[]][] = [
  ['SimpleConvNet [1,10,10]', (backend, fuse) => new SimpleConvNet({ inputDim: [1, 10, 10], convParam: { filterNum: 4, filterSize: 3, pad: 0, stride: 1 }, hiddenSize: 8, outputSize: 3, weightInitStd: 'he', seed: 7, backend, fuse }), [4, 1, 10, 10]],
  ['DeepConvNet [1,8,8]', (backend, fuse) => new DeepConvNet({
    inputDim: [1, 8, 8], convParam1: { filterNum: 2 }, convParam2: { filterNum: 3 }, convParam3: { filterNum: 3 }, convParam4: { filterNum: 4 },
    convParam5: { filterNum: 4 }, convParam6: { filterNum: 5 }, hiddenSize: 6, outputSize: 3, seed: 8, backend, fuse,
  }), [3, 1, 8, 8]],
  // BN→Relu pairs (issue 12): BN applies the ReLU in its pass and masks its backward by its output
  ['ResNet-20 [2,8,8] (BN+ReLU)', (backend, fuse) => new ResNet({ depth: 20, inputDim: [2, 8, 8], outputSize: 3, seed: 9, backend, fuse }), [4, 2, 8, 8]],
];

describe.each(backendsUnderTest())('$name backend: conv+relu fusion', ({ backend }) => {
  test.each(NETS)('%s: fused and unfused give bit-identical loss and gradients, and the same logits', (_n, make, shape) => {
    const x = new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), 3), shape);
    const t = Int32Array.from({ length: shape[0] }, (_, i) => i % 3);
    const [f, u] = [make(backend, true), make(backend, false)];
    expect(f.fused).toBe(true);
    expect(u.fused).toBe(false);
    expect(f.config()).toEqual(u.config());
    expect(Object.keys(f.namedParams())).toEqual(Object.keys(u.namedParams()));
    for (let step = 0; step < 2; step++) { // twice: buffers reused on the second call
      const gf = f.gradient(x, t), gu = u.gradient(x, t);
      expect(f.lastLoss).toBe(u.lastLoss);
      for (const k of Object.keys(gu)) expect(bits(gf[k].data)).toEqual(bits(gu[k].data));
      // inference: the same bits, except where a BN is folded into its convolution (float32 rounding of W·γ/σ;
      // lib/nets/inference.ts, test/nets/inference.test.ts)
      if (f.nodes.some((n) => n.layer instanceof BatchNormalization)) expectClose(f.predict(x).data, u.predict(x).data, { rtol: 1e-4, atol: 1e-5 }, 'logits');
      else expect(bits(f.predict(x).data)).toEqual(bits(u.predict(x).data));
    }
  });

  test('which layers fuse: every Convolution directly followed by a Relu, nothing else', () => {
    const net = NETS[1][1](backend, true);
    const convs = net.layers.filter((l): l is Convolution => l instanceof Convolution);
    const relus = net.layers.filter((l): l is Relu => l instanceof Relu);
    expect(convs.map((c) => c.fusedRelu)).toEqual([true, true, true, true, true, true]);
    expect(relus.map((r) => r.passThrough)).toEqual([true, true, true, true, true, true, false]); // the last Relu follows an Affine
    const off = NETS[1][1](backend, false);
    expect(off.layers.some((l) => (l instanceof Convolution && l.fusedRelu) || (l instanceof Relu && l.passThrough))).toBe(false);
  });

  test('ResNet: every BN read only by a Relu fuses (stem, each block\'s bn1); bn2 feeds the Add and does not; each Add fuses its relu2', () => {
    const net = NETS[2][1](backend, true);
    const fused = net.nodes.filter((n) => n.layer instanceof BatchNormalization && n.layer.fusedRelu).map((n) => n.name);
    expect(fused).toEqual(['stem/bn', ...[1, 2, 3].flatMap((s) => [1, 2, 3].map((b) => `stage${s}/block${b}/bn1`))]);
    const passing = net.nodes.filter((n) => n.layer instanceof Relu && n.layer.passThrough).map((n) => n.name);
    // and every residual Add (read only by its block's relu2): the sum and the ReLU in one pass
    expect(passing).toEqual(['stem/relu', ...[1, 2, 3].flatMap((s) => [1, 2, 3].flatMap((b) => [`stage${s}/block${b}/relu1`, `stage${s}/block${b}/relu2`]))]);
    const adds = net.nodes.filter((n) => n.layer instanceof Add && n.layer.fusedRelu).map((n) => n.name);
    expect(adds).toEqual([1, 2, 3].flatMap((s) => [1, 2, 3].map((b) => `stage${s}/block${b}/add`)));
    expect(NETS[2][1](backend, false).layers.some((l) => (l instanceof BatchNormalization || l instanceof Add) && l.fusedRelu)).toBe(false);
  });

  test('fuse must be a boolean', () => {
    expect(() => NETS[0][1](backend, 'yes' as never)).toThrow(TypeError);
  });
});

describe.each(backendsUnderTest())('$name backend: inference conv(+relu)+max-pool chains', ({ backend }) => {
  test('DeepConvNet and SimpleConvNet at 28x28: one op per chain at inference, logits bit-identical to fuse: false', () => {
    const x = new Tensor(randomArray(3 * 784, 5, 0, 1), [3, 1, 28, 28]);
    for (const make of [(fuse: boolean) => new DeepConvNet({ seed: 2, backend, fuse }), (fuse: boolean) => new SimpleConvNet({ seed: 2, backend, fuse })]) {
      const [f, u] = [make(true), make(false)];
      // bit for bit, except where a fused op takes Winograd F(4x4, 3x3) (DeepConvNet's conv2..conv6 on tiers with
      // it, test/ops/conv-winograd.test.ts): there within its rounding
      const wino = f.type === 'DeepConvNet' && 'convPlan' in backend &&
        (backend as NativeBackend).convPlan({ N: 3, C: 16, H: 28, W: 28, KH: 3, KW: 3, stride: 1, pad: 1 }, 16, false).inference === 'winograd';
      const [pf, pu] = [f.predict(x).data, u.predict(x).data];
      if (wino) {
        const top = pu.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(pf.some((v, i) => v !== pu[i])).toBe(true);
        for (let i = 0; i < pu.length; i++) expect(Math.abs(pf[i] - pu[i])).toBeLessThanOrEqual(1e-4 * top);
      } else {
        expect(bits(pf)).toEqual(bits(pu));
      }
      // the convolutions (and their Relus) that feed a max pool keep no output of their own after inference
      const kept = Object.keys(f.nodeOutputs());
      const chained = f.nodes.filter((n, i) => n.layer instanceof Convolution && f.nodes[i + 1]?.layer instanceof Relu && f.nodes[i + 2]?.layer.type === 'Pooling').map((n) => n.name);
      expect(chained.length).toBe(f.type === 'DeepConvNet' ? 3 : 1);
      for (const name of chained) expect(kept).not.toContain(name);
      // DeepConvNet's blocks conv-relu-conv-relu-pool run as one op each: no convolution output is kept
      if (f.type === 'DeepConvNet') expect(kept.filter((k) => f.nodes.find((n) => n.name === k)!.layer instanceof Convolution)).toEqual([]);
      expect(Object.keys(u.nodeOutputs())).toEqual(u.nodes.map((n) => n.name));
      // a layer that ran fused cannot run backward until the next forward; a training forward fuses the
      // convolution + pool chains too (not DeepConvNet's two-convolution blocks): only those outputs are missing
      const conv = f.nodes.find((n) => n.name === chained[0])!.layer as Convolution;
      expect(() => conv.backward(new Tensor(new Float32Array(conv.outputShape([3, conv.inChannels, 28, 28]).reduce((a, b) => a * b, 1)), conv.outputShape([3, conv.inChannels, 28, 28])))).toThrow(/call forward first/);
      const t = Int32Array.from([0, 1, 2]);
      const gf = f.gradient(x, t), gu = u.gradient(x, t);
      for (const k of Object.keys(gu)) expect(bits(gf[k].data)).toEqual(bits(gu[k].data));
      const relusOf = chained.map((name) => f.nodes[f.nodes.findIndex((n) => n.name === name) + 1].name);
      expect(Object.keys(f.nodeOutputs())).toEqual(f.nodes.map((n) => n.name).filter((k) => !chained.includes(k) && !relusOf.includes(k)));
      expect(() => conv.backward(new Tensor(new Float32Array(conv.outputShape([3, conv.inChannels, 28, 28]).reduce((a, b) => a * b, 1)), conv.outputShape([3, conv.inChannels, 28, 28])))).toThrow(/call forward first/);
    }
  });

  test('training: each max pool after a Convolution (+ Relu) runs inside its forward and backward (forwardMaxPool, backwardMaxPool), bit-identical', () => {
    const x = new Tensor(randomArray(2 * 784, 6, 0, 1), [2, 1, 28, 28]);
    const t = Int32Array.from([0, 1]);
    for (const make of [(fuse: boolean) => new DeepConvNet({ seed: 3, backend, fuse }), (fuse: boolean) => new SimpleConvNet({ seed: 3, backend, fuse })]) {
      const [f, u] = [make(true), make(false)];
      const pools = f.layers.filter((l): l is PoolBase => l instanceof PoolBase);
      const convs = f.nodes.filter((n, i) => n.layer instanceof Convolution && f.nodes[i + 2]?.layer instanceof PoolBase).map((n) => n.layer as Convolution);
      expect(pools.length).toBe(f.type === 'DeepConvNet' ? 3 : 1);
      expect(convs.length).toBe(pools.length);
      const poolCalls = pools.flatMap((p) => [jest.spyOn(p, 'forward'), jest.spyOn(p, 'backward')]);
      const folded = convs.flatMap((c) => [jest.spyOn(c, 'forwardMaxPool'), jest.spyOn(c, 'backwardMaxPool')]);
      const unfusedPools = u.layers.filter((l): l is PoolBase => l instanceof PoolBase).flatMap((p) => [jest.spyOn(p, 'forward'), jest.spyOn(p, 'backward')]);
      for (let step = 0; step < 2; step++) {
        const gf = f.gradient(x, t), gu = u.gradient(x, t);
        expect(f.lastLoss).toBe(u.lastLoss);
        for (const k of Object.keys(gu)) expect(bits(gf[k].data)).toEqual(bits(gu[k].data));
      }
      for (const s of poolCalls) expect(s).not.toHaveBeenCalled();
      for (const s of folded) expect(s).toHaveBeenCalledTimes(2);
      for (const s of unfusedPools) expect(s).toHaveBeenCalledTimes(2);
      // an inference forward in between: the training backward needs a training forward again
      f.predict(x);
      expect(() => f.backward()).toThrow(/call forward first/);
    }
  });
});
