/**
 * batchNormForward/Backward on x viewed as [N, C, S]: float64 formulas (training statistics, running-stat
 * update, inference), the book's backward checked by finite differences (TS), BN + ReLU fused equal to BN then
 * ReLU, native vs TS on awkward shapes (row lengths around the vector width: the AVX2 row kernels against the
 * scalar reference tier through the TS oracle) under every kernel table and thread count, and bad inputs.
 */
import { backendsUnderTest, expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';
import { expectSameBits, nativeConfigs, withNative, expectInputError } from './ops-helpers';

const MOMENTUM = 0.9;
const EPS = 1e-6;

interface Case { N: number; C: number; S: number }
const SHAPES: Case[] = [
  { N: 1, C: 1, S: 1 }, { N: 7, C: 3, S: 1 }, { N: 8, C: 9, S: 1 }, { N: 4, C: 3, S: 31 },
  { N: 2, C: 31, S: 9 }, { N: 5, C: 4, S: 1000 }, { N: 100, C: 10, S: 1 },
  { N: 3, C: 2, S: 7 }, { N: 3, C: 2, S: 8 }, { N: 2, C: 3, S: 15 }, { N: 2, C: 3, S: 16 }, { N: 2, C: 2, S: 17 },
  { N: 4, C: 3, S: 49 },
];

function setup({ N, C, S }: Case, seed: number) {
  const x = randomArray(N * C * S, seed, -2, 3);
  return {
    x,
    gamma: randomArray(C, seed + 1, 0.5, 1.5),
    beta: randomArray(C, seed + 2),
    runMean: randomArray(C, seed + 3),
    runVar: randomArray(C, seed + 4, 0.5, 2),
    dy: randomArray(N * C * S, seed + 5),
  };
}

/** Float64 reference of the forward pass. */
function forwardRef(x: Float32Array, { N, C, S }: Case, gamma: Float32Array, beta: Float32Array, mean: Float64Array, variance: Float64Array) {
  const y = new Float64Array(N * C * S);
  const xn = new Float64Array(N * C * S);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        xn[i] = (x[i] - mean[c]) / Math.sqrt(variance[c] + EPS);
        y[i] = gamma[c] * xn[i] + beta[c];
      }
    }
  }
  return { y, xn };
}

function batchStats(x: Float32Array, { N, C, S }: Case) {
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const M = N * S;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) mean[c] += x[(n * C + c) * S + s] / M;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) variance[c] += (x[(n * C + c) * S + s] - mean[c]) ** 2 / M;
  return { mean, variance };
}

describe.each(backendsUnderTest())('$name backend vs float64 formulas', ({ backend }) => {
  test.each(SHAPES)('training and inference, N=$N C=$C S=$S', (shape) => {
    const { N, C, S } = shape;
    const P = setup(shape, N + C + S);
    const total = N * C * S;
    const y = new Float32Array(total);
    const bmean = new Float32Array(C);
    const std = new Float32Array(C);
    const rm = P.runMean.slice();
    const rv = P.runVar.slice();
    backend.batchNormForward(P.x, N, C, S, P.gamma, P.beta, rm, rv, MOMENTUM, EPS, true, false, y, bmean, std);
    const { mean, variance } = batchStats(P.x, shape);
    const ref = forwardRef(P.x, shape, P.gamma, P.beta, mean, variance);
    expectClose(y, ref.y, { rtol: 1e-5, atol: 1e-5 }, 'train y');
    expectClose(bmean, mean, { rtol: 1e-5, atol: 1e-6 }, 'train mean');
    expectClose(std, Array.from(variance, (v) => Math.sqrt(v + EPS)), { rtol: 1e-6 }, 'train std');
    expectClose(rm, Array.from(mean, (m, c) => MOMENTUM * P.runMean[c] + (1 - MOMENTUM) * m), { rtol: 1e-6, atol: 1e-7 }, 'runMean');
    expectClose(rv, Array.from(variance, (v, c) => MOMENTUM * P.runVar[c] + (1 - MOMENTUM) * v), { rtol: 1e-6, atol: 1e-7 }, 'runVar');

    const rm2 = rm.slice();
    const rv2 = rv.slice();
    backend.batchNormForward(P.x, N, C, S, P.gamma, P.beta, rm2, rv2, MOMENTUM, EPS, false, false, y, bmean, std);
    expectSameBits(rm2, rm, 'inference leaves runMean');
    expectSameBits(rv2, rv, 'inference leaves runVar');
    const inf = forwardRef(P.x, shape, P.gamma, P.beta, Float64Array.from(rm), Float64Array.from(rv));
    expectClose(y, inf.y, { rtol: 1e-5, atol: 1e-5 }, 'inference y');
    expectClose(std, Array.from(rv, (v) => Math.sqrt(v + EPS)), { rtol: 1e-6 }, 'inference std');
    expectSameBits(bmean, rm, 'inference mean = runMean');
  });

  test.each(SHAPES)('backward = the book\'s formulas literally, N=$N C=$C S=$S', (shape) => {
    const { N, C, S } = shape;
    const P = setup(shape, 3 * N + C);
    const total = N * C * S;
    const y = new Float32Array(total);
    const mean = new Float32Array(C);
    const std = new Float32Array(C);
    backend.batchNormForward(P.x, N, C, S, P.gamma, P.beta, P.runMean, P.runVar, MOMENTUM, EPS, true, false, y, mean, std);
    const dx = new Float32Array(total);
    const dgamma = new Float32Array(C);
    const dbeta = new Float32Array(C);
    backend.batchNormBackward(P.dy, P.x, false, mean, std, P.gamma, P.beta, N, C, S, dx, dgamma, dbeta);
    const xn = Float64Array.from(P.x, (v, i) => (v - mean[Math.floor(i / S) % C]) / std[Math.floor(i / S) % C]);
    // common/layers.py BatchNormalization.__backward, step by step, per channel over its M = N·S values
    const M = N * S;
    const want = new Float64Array(total);
    for (let c = 0; c < C; c++) {
      const idx: number[] = [];
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
      const xc = idx.map((i) => xn[i] * std[c]);
      const dbeta_ = idx.reduce((a, i) => a + P.dy[i], 0);
      const dgamma_ = idx.reduce((a, i) => a + xn[i] * P.dy[i], 0);
      const dxn = idx.map((i) => P.gamma[c] * P.dy[i]);
      const dxc = dxn.map((d) => d / std[c]);
      const dstd = -dxn.reduce((a, d, k) => a + (d * xc[k]) / (std[c] * std[c]), 0);
      const dvar = (0.5 * dstd) / std[c];
      for (let k = 0; k < M; k++) dxc[k] += (2 / M) * xc[k] * dvar;
      const dmu = dxc.reduce((a, d) => a + d, 0);
      idx.forEach((i, k) => (want[i] = dxc[k] - dmu / M));
      expectClose([dbeta[c]], [dbeta_], { rtol: 1e-6, atol: 1e-6 }, `dbeta[${c}]`);
      expectClose([dgamma[c]], [dgamma_], { rtol: 1e-6, atol: 1e-6 }, `dgamma[${c}]`);
    }
    expectClose(dx, want, { rtol: 1e-4, atol: 1e-5 }, 'dx');
  });
});

describe('finite-difference gradient check of batch normalization, alone and with the fused ReLU (TS, training mode)', () => {
  test.each([{ N: 4, C: 3, S: 2, relu: false }, { N: 6, C: 2, S: 1, relu: false }, { N: 4, C: 3, S: 2, relu: true }, { N: 6, C: 2, S: 1, relu: true }])('N=$N C=$C S=$S relu=$relu: dx, dgamma, dbeta', (shape) => {
    const { N, C, S, relu } = shape;
    const total = N * C * S;
    const P = setup(shape, 11);
    const y = new Float32Array(total);
    const mean = new Float32Array(C);
    const std = new Float32Array(C);
    // loss = Σ dy·y, so dL/dy = dy
    const loss = (x: Float32Array, gamma: Float32Array, beta: Float32Array) => {
      ts.batchNormForward(x, N, C, S, gamma, beta, P.runMean.slice(), P.runVar.slice(), MOMENTUM, EPS, true, relu, y, mean, std);
      let l = 0;
      for (let i = 0; i < total; i++) l += P.dy[i] * y[i];
      return l;
    };
    loss(P.x, P.gamma, P.beta);
    const dx = new Float32Array(total);
    const dgamma = new Float32Array(C);
    const dbeta = new Float32Array(C);
    ts.batchNormBackward(P.dy, P.x, relu, mean.slice(), std.slice(), P.gamma, P.beta, N, C, S, dx, dgamma, dbeta);
    const h = 1e-2;
    const numeric = (arr: Float32Array) => {
      const g = new Float64Array(arr.length);
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i];
        arr[i] = v + h;
        const lp = loss(P.x, P.gamma, P.beta);
        arr[i] = v - h;
        const lm = loss(P.x, P.gamma, P.beta);
        arr[i] = v;
        g[i] = (lp - lm) / (2 * h);
      }
      return g;
    };
    expectClose(dx, numeric(P.x), { rtol: 5e-3, atol: 5e-4 }, 'dx');
    expectClose(dgamma, numeric(P.gamma), { rtol: 5e-3, atol: 5e-4 }, 'dgamma');
    expectClose(dbeta, numeric(P.beta), { rtol: 5e-3, atol: 5e-4 }, 'dbeta');
  });
});

describe.each(backendsUnderTest())('$name backend rejects bad inputs', ({ backend }) => {
  const f = (n: number) => new Float32Array(n);
  // N=2, C=3, S=2: 12 values
  const fwd = (o: Partial<Record<string, unknown>>) => () =>
    backend.batchNormForward(
      (o.x ?? f(12)) as Float32Array, (o.N ?? 2) as number, 3, 2, (o.gamma ?? f(3)) as Float32Array, f(3),
      (o.runMean ?? f(3)) as Float32Array, f(3), 0.9, (o.eps ?? 1e-6) as number, (o.training ?? true) as boolean,
      (o.relu ?? false) as boolean, (o.y ?? f(12)) as Float32Array, (o.mean ?? f(3)) as Float32Array, (o.std ?? f(3)) as Float32Array,
    );
  const bwd = (o: Partial<Record<string, unknown>>) => () =>
    backend.batchNormBackward((o.dy ?? f(12)) as Float32Array, (o.x ?? f(12)) as Float32Array, ('relu' in o ? o.relu : false) as boolean, f(3), f(3), f(3),
      (o.beta ?? f(3)) as Float32Array, 2, 3, 2, (o.dx ?? f(12)) as Float32Array, (o.dgamma ?? f(3)) as Float32Array, f(3));
  const bad: [string, () => void, ErrorConstructor][] = [
    ['short x', fwd({ x: f(11) }), RangeError],
    ['short gamma', fwd({ gamma: f(2) }), RangeError],
    ['short runMean', fwd({ runMean: f(2) }), RangeError],
    ['short y', fwd({ y: f(11) }), RangeError],
    ['short std', fwd({ std: f(2) }), RangeError],
    ['N = 0', fwd({ N: 0 }), RangeError],
    ['eps NaN', fwd({ eps: NaN }), RangeError],
    ['training not boolean', fwd({ training: 1 }), TypeError],
    ['relu not boolean', fwd({ relu: 1 }), TypeError],
    ['short mean', fwd({ mean: f(2) }), RangeError],
    ['backward short x', bwd({ x: f(11) }), RangeError],
    ['backward short beta', bwd({ beta: f(2) }), RangeError],
    ['backward relu not boolean', bwd({ relu: 1 }), TypeError],
    ['backward relu null (was the ReLU output y)', bwd({ relu: null }), TypeError],
    ['x as Array', fwd({ x: new Array(12).fill(0) }), TypeError],
    ['backward short dy', bwd({ dy: f(11) }), RangeError],
    ['backward short dx', bwd({ dx: f(11) }), RangeError],
    ['backward short dgamma', bwd({ dgamma: f(2) }), RangeError],
    ['backward dx null', () => backend.batchNormBackward(f(12), f(12), false, f(3), f(3), f(3), f(3), 2, 3, 2, null as unknown as Float32Array, f(3), f(3)), TypeError],
  ];
  test.each(bad)('%s', (_label, call, ErrorType) => {
    expectInputError(call, ErrorType);
  });
  test('the bad-input helpers work when nothing is bad', () => {
    expect(fwd({})).not.toThrow();
    expect(bwd({})).not.toThrow();
    expect(bwd({ relu: true })).not.toThrow();
  });
});

if (!tsOnly) {
  describe('native vs TS on awkward shapes, every kernel table and thread count', () => {
    test.each([...SHAPES, { N: 3, C: 2, S: 11003 }, { N: 70001, C: 1, S: 1 }, { N: 9, C: 7, S: 1031 }, { N: 100, C: 16, S: 784 }])('N=$N C=$C S=$S', (shape) => {
      const { N, C, S } = shape;
      const total = N * C * S;
      const P = setup(shape, 5 * N + S);
      const run = (b: typeof ts | ReturnType<typeof requireNative>, training: boolean, relu: boolean) => {
        const out = { y: new Float32Array(total), mean: new Float32Array(C), std: new Float32Array(C), rm: P.runMean.slice(), rv: P.runVar.slice() };
        b.batchNormForward(P.x, N, C, S, P.gamma, P.beta, out.rm, out.rv, MOMENTUM, EPS, training, relu, out.y, out.mean, out.std);
        const g = { dx: new Float32Array(total), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
        b.batchNormBackward(P.dy, P.x, relu, out.mean, out.std, P.gamma, P.beta, N, C, S, g.dx, g.dgamma, g.dbeta);
        return { ...out, ...g };
      };
      for (const [training, relu] of [[true, false], [false, false], [true, true], [false, true]]) {
        const want = run(ts, training, relu);
        for (const cfg of nativeConfigs()) {
          const got = withNative(cfg.isa, cfg.threads, () => run(requireNative(), training, relu));
          const again = withNative(cfg.isa, cfg.threads, () => run(requireNative(), training, relu));
          const what = `${training ? 'train' : 'infer'}${relu ? '+relu' : ''} ${cfg.label}`;
          for (const k of ['y', 'mean', 'std', 'rm', 'rv', 'dx', 'dgamma', 'dbeta'] as const) {
            const tol = k === 'dx' || k === 'dgamma' || k === 'dbeta' ? { rtol: 1e-4, atol: 1e-4 } : { rtol: 1e-5, atol: 1e-5 };
            expectClose(got[k], want[k], tol, `${k} ${what}`);
            expectSameBits(again[k], got[k], `${k} deterministic ${what}`);
          }
        }
      }
    });
  });
}

if (!tsOnly) {
  // The fused ReLU's mask is recomputed from x in backward (no y): with the forward's arithmetic, per tier, it must be
  // exactly the forward's y > 0 — dx, dgamma, dbeta the same bits as the unfused backward of dy masked by that y.
  describe('native: the recomputed ReLU mask is the forward\'s y > 0 on every kernel table and thread count', () => {
    const shapes: Case[] = [];
    for (const C of [1, 3, 17, 64]) for (const S of [1, 49, 64]) shapes.push({ N: C === 64 ? 3 : 5, C, S });
    shapes.push({ N: 1, C: 3, S: 64 }, { N: 1, C: 17, S: 49 }, { N: 2, C: 3, S: 11 }, { N: 100, C: 16, S: 784 });
    test.each(shapes)('N=$N C=$C S=$S', (shape) => {
      const { N, C, S } = shape;
      const total = N * C * S;
      const P = setup(shape, 3 * C + S);
      // beta spread so a good share of every channel is cut by the ReLU; a few exact zeros of the affine map are
      // likely where x repeats; a NaN in x (its channel's statistics and outputs go NaN, the mask drops them)
      P.beta.set(randomArray(C, 9 + C, -1, 1));
      for (let i = 0; i < total; i += 97) P.x[i] = P.x[(i * 7) % total];
      if (total > 200) P.x[total - 3] = NaN;
      for (const cfg of nativeConfigs()) {
        withNative(cfg.isa, cfg.threads, () => {
          const be = requireNative();
          for (const training of [true, false]) {
            const y = new Float32Array(total);
            const mean = new Float32Array(C);
            const std = new Float32Array(C);
            be.batchNormForward(P.x, N, C, S, P.gamma, P.beta, P.runMean.slice(), P.runVar.slice(), MOMENTUM, EPS, training, true, y, mean, std);
            const g1 = { dx: new Float32Array(total), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
            const g2 = { dx: new Float32Array(total), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
            be.batchNormBackward(P.dy.map((d, i) => (y[i] > 0 ? d : 0)), P.x, false, mean, std, P.gamma, P.beta, N, C, S, g1.dx, g1.dgamma, g1.dbeta);
            be.batchNormBackward(P.dy, P.x, true, mean, std, P.gamma, P.beta, N, C, S, g2.dx, g2.dgamma, g2.dbeta);
            for (const k of ['dx', 'dgamma', 'dbeta'] as const) expectSameBits(g2[k], g1[k], `${k} ${training ? 'training' : 'inference'} ${cfg.label}`);
          }
        });
      }
    });
  });
}

describe.each(backendsUnderTest())('$name backend: BN + ReLU fused = BN then ReLU, bit for bit', ({ backend }) => {
  test.each([{ N: 3, C: 4, S: 1 }, { N: 4, C: 3, S: 13 }, { N: 5, C: 2, S: 64 }])('N=$N C=$C S=$S', (shape) => {
    const { N, C, S } = shape;
    const total = N * C * S;
    const P = setup(shape, 17 + S);
    for (const training of [true, false]) {
      const plain = new Float32Array(total);
      const fused = new Float32Array(total);
      const mean = new Float32Array(C);
      const std = new Float32Array(C);
      backend.batchNormForward(P.x, N, C, S, P.gamma, P.beta, P.runMean.slice(), P.runVar.slice(), MOMENTUM, EPS, training, false, plain, mean, std);
      backend.batchNormForward(P.x, N, C, S, P.gamma, P.beta, P.runMean.slice(), P.runVar.slice(), MOMENTUM, EPS, training, true, fused, mean, std);
      expectSameBits(fused, plain.map((v) => (v > 0 ? v : 0)), `y (training ${training})`);
      expect(fused.some((v) => v === 0) && fused.some((v) => v > 0)).toBe(true);
      const g1 = { dx: new Float32Array(total), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
      const g2 = { dx: new Float32Array(total), dgamma: new Float32Array(C), dbeta: new Float32Array(C) };
      backend.batchNormBackward(P.dy.map((d, i) => (plain[i] > 0 ? d : 0)), P.x, false, mean, std, P.gamma, P.beta, N, C, S, g1.dx, g1.dgamma, g1.dbeta);
      backend.batchNormBackward(P.dy, P.x, true, mean, std, P.gamma, P.beta, N, C, S, g2.dx, g2.dgamma, g2.dbeta);
      for (const k of ['dx', 'dgamma', 'dbeta'] as const) expectSameBits(g2[k], g1[k], `${k} (training ${training})`);
    }
  });
});
