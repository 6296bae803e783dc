/**
 * Each layer's forward against the book's formula written out in float64 here (gradient checks prove backward
 * matches forward; these prove forward means what the book means). Tolerance 1e-5 relative / 1e-6 absolute unless
 * stated. Also: buffer reuse, config round trips.
 */
import {
  Affine, BatchNormalization, Convolution, Dropout, GlobalAvgPool, GlobalMaxPool, LeakyReLU, MeanSquaredError, Pooling,
  Relu, Sigmoid, SigmoidWithLoss, SoftmaxWithLoss, Tanh, layerFromConfig,
} from '../../lib/layers';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, expectClose } from '../helpers';
import { LAYER_CASES, rand } from './cases';

const TOL = { rtol: 1e-5, atol: 1e-6 };

function convRef(x: Tensor, W: Tensor, b: Tensor, stride: number, pad: number): Float64Array {
  const [N, C, H, Wd] = x.shape;
  const [F, , KH, KW] = W.shape;
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((Wd + 2 * pad - KW) / stride) + 1;
  const y = new Float64Array(N * F * OH * OW);
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let s = b.data[f];
    for (let c = 0; c < C; c++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
      const h = oh * stride - pad + i;
      const w = ow * stride - pad + j;
      if (h >= 0 && h < H && w >= 0 && w < Wd) s += x.data[((n * C + c) * H + h) * Wd + w] * W.data[((f * C + c) * KH + i) * KW + j];
    }
    y[((n * F + f) * OH + oh) * OW + ow] = s;
  }
  return y;
}

function poolRef(x: Tensor, KH: number, KW: number, stride: number, pad: number, mode: 'max' | 'avg'): Float64Array {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let m = -Infinity;
    let s = 0;
    for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
      const h = oh * stride - pad + i;
      const w = ow * stride - pad + j;
      if (h >= 0 && h < H && w >= 0 && w < W) {
        const v = x.data[(p * H + h) * W + w];
        m = Math.max(m, v);
        s += v;
      }
    }
    y[(p * OH + oh) * OW + ow] = mode === 'max' ? m : s / (KH * KW);
  }
  return y;
}

describe.each(backendsUnderTest())('book semantics on $name', ({ backend }) => {
  test('Convolution = direct convolution (stride, pad, non-square kernel)', () => {
    for (const [stride, pad, k] of [[1, 0, [3, 3]], [2, 1, [3, 2]], [1, 2, [1, 4]]] as const) {
      const conv = new Convolution(3, 4, [k[0], k[1]], { stride, pad, seed: 2, backend });
      conv.b.value.data.set([0.1, -0.2, 0.3, 0.4]);
      const x = rand([2, 3, 6, 5], 4);
      const y = conv.forward(x, false);
      expect(y.shape).toEqual(conv.outputShape(x.shape));
      expectClose(y.data, convRef(x, conv.W.value, conv.b.value, stride, pad), { rtol: 1e-5, atol: 1e-5 }, `conv s${stride} p${pad}`);
    }
  });

  test('Pooling max/avg and the global pools', () => {
    const x = rand([2, 3, 5, 6], 6);
    for (const [k, stride, pad, mode] of [[2, 2, 0, 'max'], [3, 1, 1, 'max'], [2, 2, 1, 'avg'], [3, 2, 0, 'avg']] as const) {
      const y = new Pooling(k, k, { stride, pad, mode, backend }).forward(x, false);
      expectClose(y.data, poolRef(x, k, k, stride, pad, mode), TOL, `${mode} ${k} s${stride} p${pad}`);
    }
    const gap = new GlobalAvgPool({ backend }).forward(x, false);
    expect(gap.shape).toEqual([2, 3, 1, 1]);
    expectClose(gap.data, poolRef(x, 5, 6, 1, 0, 'avg'), TOL, 'GlobalAvgPool');
    const gmp = new GlobalMaxPool({ backend }).forward(x, false);
    expectClose(gmp.data, poolRef(x, 5, 6, 1, 0, 'max'), TOL, 'GlobalMaxPool');
  });

  test('Affine flattens 4-D input in C·H·W order and reshapes dx back', () => {
    const fc = new Affine(12, 5, { seed: 3, backend });
    fc.b.value.data.set([1, 2, 3, 4, 5]);
    const x = rand([2, 3, 2, 2], 7);
    const y = fc.forward(x, true);
    const ref = new Float64Array(10);
    for (let n = 0; n < 2; n++) for (let m = 0; m < 5; m++) {
      let s = fc.b.value.data[m];
      for (let d = 0; d < 12; d++) s += x.data[n * 12 + d] * fc.W.value.data[d * 5 + m];
      ref[n * 5 + m] = s;
    }
    expectClose(y.data, ref, TOL, 'affine');
    expect(fc.backward(Tensor.zeros([2, 5])).shape).toEqual([2, 3, 2, 2]);
  });

  test('activations', () => {
    const x = rand([4, 5], 9, -3, 3);
    const f = {
      Relu: [new Relu({ backend }), (v: number) => Math.max(v, 0)],
      Sigmoid: [new Sigmoid({ backend }), (v: number) => 1 / (1 + Math.exp(-v))],
      Tanh: [new Tanh({ backend }), Math.tanh],
      LeakyReLU: [new LeakyReLU(0.2, { backend }), (v: number) => (v > 0 ? v : 0.2 * v)],
    } as const;
    for (const [name, [layer, fn]] of Object.entries(f)) {
      expectClose(layer.forward(x, false).data, Array.from(x.data, fn), TOL, name);
    }
  });

  test('Dropout book vs inverted, training and inference; masks replay from the Rng state', () => {
    const x = rand([50, 40], 10);
    const book = new Dropout(0.3, { seed: 4, backend });
    const state = book.rng.getState();
    const y = book.forward(x, true).data.slice();
    const mask = book.lastMask()!.slice();
    let kept = 0;
    for (let i = 0; i < x.size; i++) {
      expect(y[i]).toBe(mask[i] ? x.data[i] : 0);
      kept += mask[i];
    }
    expect(kept / x.size).toBeGreaterThan(0.65);
    expect(kept / x.size).toBeLessThan(0.75);
    const y2 = book.forward(x, true).data.slice();
    expect(y2).not.toEqual(y); // a fresh stream per training forward
    book.rng.setState(state);
    expect(book.forward(x, true).data).toEqual(y); // replayed
    expectClose(book.forward(x, false).data, Array.from(x.data, (v) => v * 0.7), TOL, 'book inference');

    const inv = new Dropout(0.3, { mode: 'inverted', seed: 4, backend });
    const yi = inv.forward(x, true).data;
    expect(inv.lastMask()).toEqual(mask); // same seed, same stream
    expectClose(yi, Array.from(x.data, (v, i) => (mask[i] ? v / 0.7 : 0)), TOL, 'inverted training');
    expect(inv.forward(x, false).data).toEqual(x.data);
  });

  test('BatchNormalization: batch statistics, running averages (momentum 0.9), eps 1e-6 at inference', () => {
    const N = 6;
    const D = 3;
    const x = rand([N, D], 12, -2, 3);
    const bn = new BatchNormalization(D, { backend });
    bn.gamma.value.data.set([1, 2, 0.5]);
    bn.beta.value.data.set([0, -1, 0.25]);
    const y = bn.forward(x, true).data.slice();
    const mean = [0, 0, 0];
    const vr = [0, 0, 0];
    for (let d = 0; d < D; d++) {
      for (let n = 0; n < N; n++) mean[d] += x.data[n * D + d] / N;
      for (let n = 0; n < N; n++) vr[d] += (x.data[n * D + d] - mean[d]) ** 2 / N;
    }
    const g = bn.gamma.value.data;
    const b = bn.beta.value.data;
    expectClose(y, Array.from(x.data, (v, i) => g[i % D] * (v - mean[i % D]) / Math.sqrt(vr[i % D] + 1e-6) + b[i % D]), { rtol: 1e-5, atol: 1e-5 }, 'bn train');
    expectClose(bn.runningMean.data, mean.map((m) => 0.1 * m), TOL, 'running mean');
    expectClose(bn.runningVar.data, vr.map((v) => 0.1 * v), TOL, 'running var');
    const yi = bn.forward(x, false).data;
    const rm = bn.runningMean.data;
    const rv = bn.runningVar.data;
    expectClose(yi, Array.from(x.data, (v, i) => g[i % D] * (v - rm[i % D]) / Math.sqrt(rv[i % D] + 1e-6) + b[i % D]), { rtol: 1e-5, atol: 1e-5 }, 'bn inference');
    expect(bn.eps).toBe(1e-6);

    // per channel over N·H·W vs per feature (C·H·W) on the same 4-D input
    const x4 = rand([3, 2, 2, 2], 13);
    const ch = new BatchNormalization(2, { axis: 'channel', backend }).forward(x4, true).data;
    for (let c = 0; c < 2; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 3; n++) for (let s = 0; s < 4; s++) vals.push(ch[(n * 2 + c) * 4 + s]);
      const m = vals.reduce((a, v) => a + v, 0) / vals.length;
      expect(Math.abs(m)).toBeLessThan(1e-5);
    }
    const feat = new BatchNormalization(8, { backend }).forward(x4, true).data;
    for (let f = 0; f < 8; f++) expect(Math.abs(feat[f] + feat[8 + f] + feat[16 + f])).toBeLessThan(1e-5);
  });

  test('SoftmaxWithLoss: mean cross-entropy, probabilities, weights, dx = (p − t)/N', () => {
    const x = rand([3, 4], 14, -3, 3);
    const t = Int32Array.from([2, 0, 3]);
    const sl = new SoftmaxWithLoss({ backend });
    const p = sl.forward(x).data.slice();
    let ref = 0;
    const pr: number[] = [];
    for (let n = 0; n < 3; n++) {
      const row = Array.from(x.data.subarray(n * 4, n * 4 + 4));
      const mx = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - mx), 0);
      row.forEach((v) => pr.push(Math.exp(v - mx) / z));
      ref -= (row[t[n]] - mx - Math.log(z)) / 3;
    }
    expectClose(p, pr, TOL, 'probs');
    expect(sl.forwardLoss(x, t)).toBeCloseTo(ref, 5);
    expectClose(sl.backwardLoss().data, pr.map((v, i) => (v - (t[Math.floor(i / 4)] === i % 4 ? 1 : 0)) / 3), TOL, 'dx');
    const onehot = Tensor.from([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1], [3, 4]);
    expect(sl.forwardLoss(x, onehot)).toBeCloseTo(ref, 5);
    // weights: class weight 2 for class 0, sample weights [1, 0.5, 1]
    const w = new SoftmaxWithLoss({ classWeights: [2, 1, 1, 1], backend });
    const lw = w.forwardLoss(x, t, true, Float32Array.from([1, 0.5, 1]));
    const per = [0, 1, 2].map((n) => -Math.log(pr[n * 4 + t[n]]));
    expect(lw).toBeCloseTo((per[0] * 1 + per[1] * 2 * 0.5 + per[2]) / 3, 5);
  });

  test('SigmoidWithLoss and MeanSquaredError formulas', () => {
    const x = rand([4, 1], 15, -3, 3);
    const t = Int32Array.from([1, 0, 0, 1]);
    const sg = new SigmoidWithLoss({ backend });
    const ref = Array.from(x.data).reduce((a, v, i) => {
      const s = 1 / (1 + Math.exp(-v));
      return a - (t[i] * Math.log(s) + (1 - t[i]) * Math.log(1 - s));
    }, 0) / 4;
    expect(sg.forwardLoss(x, t)).toBeCloseTo(ref, 6);
    expectClose(sg.backwardLoss().data, Array.from(x.data, (v, i) => (1 / (1 + Math.exp(-v)) - t[i]) / 4), TOL, 'sigmoid dx');

    const y = rand([3, 2], 16);
    const tt = rand([3, 2], 17);
    const mse = new MeanSquaredError({ backend });
    const r = Array.from(y.data).reduce((a, v, i) => a + (v - tt.data[i]) ** 2, 0) * 0.5 / 3;
    expect(mse.forwardLoss(y, tt)).toBeCloseTo(r, 6);
    expectClose(mse.backwardLoss().data, Array.from(y.data, (v, i) => (v - tt.data[i]) / 3), TOL, 'mse dx');
    expect(mse.forward(y)).toBe(y);
  });

  test('outputs are reused while the shape repeats, reallocated when it changes', () => {
    const fc = new Affine(4, 3, { backend });
    const y1 = fc.forward(rand([2, 4]), false);
    const y2 = fc.forward(rand([2, 4], 3), false);
    expect(y2).toBe(y1);
    const y3 = fc.forward(rand([5, 4]), false);
    expect(y3).not.toBe(y1);
    expect(y3.shape).toEqual([5, 3]);
  });
});

test.each(LAYER_CASES)('config round trip: $name', (c) => {
  const layer = c.make(undefined as never);
  const cfg = JSON.parse(JSON.stringify(layer.config()));
  const copy = layerFromConfig(cfg);
  expect(copy.config()).toEqual(layer.config());
  expect(copy.constructor).toBe(layer.constructor);
  expect(copy.outputShape(c.x().shape)).toEqual(layer.outputShape(c.x().shape));
  for (const [k, p] of Object.entries(layer.params())) expect(copy.params()[k].value.shape).toEqual(p.value.shape);
});
