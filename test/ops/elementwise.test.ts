/**
 * addBias, sumRows, activations (forward/backward), axpy, scale, addForward / reluBackwardSum (the fused Add + ReLU):
 *  - every backend against float64 formulas written here;
 *  - native against TS on awkward sizes, under both kernel tables and 1 vs 3 threads (elementwise results must
 *    not depend on the thread count);
 *  - finite-difference gradient checks of the activations (TS);
 *  - bad inputs rejected with TypeError/RangeError.
 */
import type { Activation } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';
import { expectSameBits, nativeConfigs, SIZES, withNative, expectInputError } from './ops-helpers';

const KINDS: Activation[] = ['relu', 'sigmoid', 'tanh', 'leakyRelu'];
const ALPHA = 0.01;

function actRef(kind: Activation, x: number): number {
  switch (kind) {
    case 'relu': return x <= 0 ? 0 : x;
    case 'leakyRelu': return x > 0 ? x : Math.fround(ALPHA) * x;
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'tanh': return Math.tanh(x);
  }
}
function actGradRef(kind: Activation, dy: number, x: number, y: number): number {
  switch (kind) {
    case 'relu': return x > 0 ? dy : 0;
    case 'leakyRelu': return x > 0 ? dy : Math.fround(ALPHA) * dy;
    case 'sigmoid': return dy * (1 - y) * y;
    case 'tanh': return dy * (1 - y * y);
  }
}

/** Inputs spanning the interesting ranges: small, moderate, saturating, and exact zeros / −0. */
function activationInput(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, -6, 6);
  for (let i = 0; i < n; i += 13) x[i] *= 1e-4;
  for (let i = 5; i < n; i += 97) x[i] = i % 2 ? 0 : -0;
  for (let i = 11; i < n; i += 101) x[i] = (i % 2 ? 1 : -1) * (30 + (i % 90));
  return x;
}

describe.each(backendsUnderTest())('$name backend vs float64 formulas', ({ backend }) => {
  test('addBias on awkward shapes', () => {
    for (const [rows, cols] of [[1, 1], [3, 7], [5, 9], [2, 31], [40, 1000], [7, 100003]]) {
      const y = randomArray(rows * cols, rows + cols);
      const b = randomArray(cols, 7);
      const want = Float64Array.from(y, (v, i) => v + b[i % cols]);
      backend.addBias(y, b, rows, cols);
      expectClose(y, want, { rtol: 1e-7, atol: 1e-7 }, `addBias ${rows}x${cols}`);
    }
  });

  test('sumRows on awkward shapes (overwrites out)', () => {
    for (const [rows, cols] of [[1, 1], [7, 3], [9, 8], [1000, 31], [3, 100003], [100003, 2]]) {
      const x = randomArray(rows * cols, rows * 3 + cols);
      const out = new Float32Array(cols).fill(123);
      const want = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c] += x[r * cols + c];
      backend.sumRows(x, rows, cols, out);
      expectClose(out, want, { rtol: 1e-6, atol: 1e-5 }, `sumRows ${rows}x${cols}`);
    }
  });

  test.each(KINDS)('%s forward and backward', (kind) => {
    for (const n of SIZES) {
      const x = activationInput(n, n);
      const dy = randomArray(n, n + 1);
      const y = new Float32Array(n);
      backend.activationForward(kind, x, y, ALPHA);
      expectClose(y, Array.from(x, (v) => actRef(kind, v)), { rtol: 1e-6, atol: 1e-7 }, `${kind} forward n=${n}`);
      const dx = new Float32Array(n);
      backend.activationBackward(kind, dy, x, y, dx, ALPHA);
      expectClose(dx, Array.from(dy, (d, i) => actGradRef(kind, d, x[i], y[i])), { rtol: 1e-6, atol: 1e-7 }, `${kind} backward n=${n}`);
      // in place: y may be x, dx may be dy
      const xin = x.slice();
      backend.activationForward(kind, xin, xin, ALPHA);
      expectSameBits(xin, y, `${kind} forward in place n=${n}`);
      const din = dy.slice();
      backend.activationBackward(kind, din, x, y, din, ALPHA);
      expectSameBits(din, dx, `${kind} backward in place n=${n}`);
    }
  });

  test('relu follows the book mask exactly: x <= 0 (also −0) gives +0, NaN passes forward, backward is dy where x > 0', () => {
    const x = new Float32Array([-0, 0, 1e-45, -1e-45, 3, -3, NaN, Infinity, -Infinity]);
    const y = new Float32Array(x.length);
    backend.activationForward('relu', x, y, 0);
    expectSameBits(y, new Float32Array([0, 0, 1e-45, 0, 3, 0, NaN, Infinity, 0]), 'relu');
    const dx = new Float32Array(x.length);
    backend.activationBackward('relu', new Float32Array(x.length).fill(2), x, y, dx, 0);
    expectSameBits(dx, new Float32Array([0, 0, 2, 0, 2, 0, 0, 2, 0]), 'relu backward');
  });

  test('sigmoid and tanh saturate without NaN and stay accurate at the extremes', () => {
    const x = new Float32Array([-200, -88.8, -87, -30, -1e-6, 0, 1e-6, 30, 87, 88.8, 200, 1e-30]);
    const y = new Float32Array(x.length);
    backend.activationForward('sigmoid', x, y, 0);
    expectClose(y, Array.from(x, (v) => 1 / (1 + Math.exp(-v))), { rtol: 1e-6, atol: 1e-38 }, 'sigmoid extremes');
    backend.activationForward('tanh', x, y, 0);
    expectClose(y, Array.from(x, Math.tanh), { rtol: 1e-6, atol: 1e-38 }, 'tanh extremes');
  });

  test('axpy and scale (aliasing allowed)', () => {
    for (const n of SIZES) {
      const x = randomArray(n, n + 2);
      const y = randomArray(n, n + 3);
      const want = Float64Array.from(y, (v, i) => v + Math.fround(-0.37) * x[i]);
      backend.axpy(-0.37, x, y);
      expectClose(y, want, { rtol: 1e-6, atol: 1e-7 }, `axpy n=${n}`);
      const s = new Float32Array(n);
      backend.scale(x, 2.5, s);
      expectClose(s, Float64Array.from(x, (v) => v * 2.5), { rtol: 1e-7, atol: 0 }, `scale n=${n}`);
      backend.scale(x, 2.5, x);
      expectSameBits(x, s, `scale in place n=${n}`);
    }
  });
});

describe.each(backendsUnderTest())('$name backend: addForward and reluBackwardSum (the fused Add + ReLU)', ({ backend }) => {
  test('vs float64 formulas, with and without the ReLU, one or two gradients, in place', () => {
    for (const n of SIZES) {
      const a = activationInput(n, n + 7);
      const b = activationInput(n, n + 8);
      for (const relu of [false, true]) {
        const y = new Float32Array(n);
        backend.addForward(a, b, relu, y);
        expectClose(y, Array.from(a, (v, i) => (relu && v + b[i] <= 0 ? 0 : v + b[i])), { rtol: 1e-7, atol: 0 }, `addForward relu=${relu} n=${n}`);
        const inA = a.slice();
        backend.addForward(inA, b, relu, inA);
        expectSameBits(inA, y, `addForward in place (y = a) n=${n}`);
      }
      const y = new Float32Array(n);
      backend.addForward(a, b, true, y);
      const d0 = randomArray(n, n + 9);
      const d1 = randomArray(n, n + 10);
      const dx = new Float32Array(n);
      backend.reluBackwardSum(d0, d1, y, dx);
      expectClose(dx, Array.from(d0, (v, i) => (y[i] > 0 ? v + d1[i] : 0)), { rtol: 1e-7, atol: 0 }, `reluBackwardSum n=${n}`);
      const in1 = d1.slice();
      backend.reluBackwardSum(d0, in1, y, in1);
      expectSameBits(in1, dx, `reluBackwardSum in place (dx = dy1) n=${n}`);
      backend.reluBackwardSum(d0, null, y, dx);
      expectClose(dx, Array.from(d0, (v, i) => (y[i] > 0 ? v : 0)), { rtol: 0, atol: 0 }, `reluBackwardSum one gradient n=${n}`);
    }
  });

  test('the same bits as the unfused ops: copy + axpy(1) then relu; summed gradients (copy + axpy) then relu backward', () => {
    const n = 1000;
    const a = activationInput(n, 1);
    const b = activationInput(n, 2);
    const y = new Float32Array(n);
    backend.addForward(a, b, true, y);
    const u = a.slice();
    backend.axpy(1, b, u);
    const x = u.slice();
    backend.activationForward('relu', u, u, 0);
    expectSameBits(y, u, 'addForward vs copy + axpy + relu');
    const d0 = randomArray(n, 3);
    const d1 = randomArray(n, 4);
    const dx = new Float32Array(n);
    backend.reluBackwardSum(d0, d1, y, dx);
    const s = d0.slice();
    backend.axpy(1, d1, s);
    const want = new Float32Array(n);
    backend.activationBackward('relu', s, x, u, want, 0);
    expectSameBits(dx, want, 'reluBackwardSum vs copy + axpy + relu backward');
  });

  test('special values: a sum <= 0 (and −0) gives +0, NaN passes forward; backward masks where y is not > 0, NaN y included', () => {
    const a = new Float32Array([-0, 0, 1, -1, NaN, 2, Infinity, -Infinity, 1e-45]);
    const b = new Float32Array([0, -0, -1, 0.5, 1, NaN, 1, 1, -1e-45]);
    const y = new Float32Array(a.length);
    backend.addForward(a, b, true, y);
    expectSameBits(y, new Float32Array([0, 0, 0, 0, NaN, NaN, Infinity, 0, 0]), 'addForward relu');
    const dx = new Float32Array(a.length);
    backend.reluBackwardSum(new Float32Array(a.length).fill(2), new Float32Array(a.length).fill(NaN), new Float32Array([1, 0, -1, NaN, 3, -0, 1e-45, 5, 7]), dx);
    expectSameBits(dx, new Float32Array([NaN, 0, 0, 0, NaN, 0, NaN, NaN, NaN]), 'reluBackwardSum mask');
  });
});

describe.each(backendsUnderTest())('$name backend rejects bad inputs', ({ backend }) => {
  const f = (n: number) => new Float32Array(n);
  const bad: [string, () => void, ErrorConstructor][] = [
    ['addBias short y', () => backend.addBias(f(5), f(3), 2, 3), RangeError],
    ['addBias short b', () => backend.addBias(f(6), f(2), 2, 3), RangeError],
    ['addBias y not Float32Array', () => backend.addBias([1, 2] as unknown as Float32Array, f(1), 1, 1), TypeError],
    ['addBias negative rows', () => backend.addBias(f(6), f(3), -2, 3), RangeError],
    ['addBias fractional cols', () => backend.addBias(f(6), f(3), 2, 1.5), RangeError],
    ['sumRows short out', () => backend.sumRows(f(6), 2, 3, f(2)), RangeError],
    ['sumRows short x', () => backend.sumRows(f(5), 2, 3, f(3)), RangeError],
    ['activation unknown kind', () => backend.activationForward('gelu' as Activation, f(3), f(3), 0), RangeError],
    ['activation short y', () => backend.activationForward('relu', f(3), f(2), 0), RangeError],
    ['activation x Float64Array', () => backend.activationForward('tanh', new Float64Array(3) as unknown as Float32Array, f(3), 0), TypeError],
    ['activation alpha NaN', () => backend.activationForward('leakyRelu', f(3), f(3), NaN), RangeError],
    ['activationBackward short x (relu)', () => backend.activationBackward('relu', f(3), f(2), f(3), f(3), 0), RangeError],
    ['activationBackward short y (sigmoid)', () => backend.activationBackward('sigmoid', f(3), f(3), f(2), f(3), 0), RangeError],
    ['activationBackward short dx', () => backend.activationBackward('tanh', f(3), f(3), f(3), f(2), 0), RangeError],
    ['activationBackward dy null', () => backend.activationBackward('tanh', null as unknown as Float32Array, f(3), f(3), f(3), 0), TypeError],
    ['axpy short y', () => backend.axpy(1, f(4), f(3)), RangeError],
    ['axpy alpha string', () => backend.axpy('1' as unknown as number, f(3), f(3)), TypeError],
    ['scale short y', () => backend.scale(f(4), 2, f(3)), RangeError],
    ['addForward short b', () => backend.addForward(f(4), f(3), true, f(4)), RangeError],
    ['addForward short y', () => backend.addForward(f(4), f(4), false, f(3)), RangeError],
    ['addForward relu not a boolean', () => backend.addForward(f(4), f(4), 1 as unknown as boolean, f(4)), TypeError],
    ['addForward a not Float32Array', () => backend.addForward([1, 2] as unknown as Float32Array, f(2), false, f(2)), TypeError],
    ['reluBackwardSum short dy1', () => backend.reluBackwardSum(f(4), f(3), f(4), f(4)), RangeError],
    ['reluBackwardSum short y', () => backend.reluBackwardSum(f(4), null, f(3), f(4)), RangeError],
    ['reluBackwardSum short dx', () => backend.reluBackwardSum(f(4), f(4), f(4), f(3)), RangeError],
    ['reluBackwardSum dy0 null', () => backend.reluBackwardSum(null as unknown as Float32Array, f(4), f(4), f(4)), TypeError],
    ['scale s Infinity', () => backend.scale(f(4), Infinity, f(4)), RangeError],
  ];
  test.each(bad)('%s', (_label, call, ErrorType) => {
    expectInputError(call, ErrorType);
  });
});

describe('finite-difference gradient checks of the activations (TS)', () => {
  test.each(KINDS)('%s', (kind) => {
    const n = 64;
    const x = randomArray(n, 42, -3, 3);
    for (let i = 0; i < n; i++) if (Math.abs(x[i]) < 0.05) x[i] = 0.5; // away from the kinks of relu/leakyRelu
    const w = randomArray(n, 43); // loss = Σ w·act(x)
    const y = new Float32Array(n);
    ts.activationForward(kind, x, y, 0.1);
    const dx = new Float32Array(n);
    ts.activationBackward(kind, w, x, y, dx, 0.1);
    const h = 1e-2;
    const numeric = new Float64Array(n);
    const xp = new Float32Array(1);
    const yp = new Float32Array(1);
    for (let i = 0; i < n; i++) {
      xp[0] = x[i] + h;
      ts.activationForward(kind, xp, yp, 0.1);
      const fp = yp[0];
      xp[0] = x[i] - h;
      ts.activationForward(kind, xp, yp, 0.1);
      numeric[i] = (w[i] * (fp - yp[0])) / (2 * h);
    }
    expectClose(dx, numeric, { rtol: 2e-3, atol: 2e-4 }, `${kind} gradient`);
  });
});

if (!tsOnly) {
  describe('native vs TS on awkward sizes, every kernel table and thread count', () => {
    const configs = nativeConfigs();

    test.each(KINDS)('%s forward/backward', (kind) => {
      for (const n of SIZES) {
        const x = activationInput(n, 100 + n);
        const dy = randomArray(n, 200 + n);
        const yT = new Float32Array(n);
        const dxT = new Float32Array(n);
        ts.activationForward(kind, x, yT, ALPHA);
        ts.activationBackward(kind, dy, x, yT, dxT, ALPHA);
        let first: Float32Array[] | null = null;
        for (const cfg of configs) {
          const [y, dx] = withNative(cfg.isa, cfg.threads, () => {
            const y = new Float32Array(n);
            const dx = new Float32Array(n);
            requireNative().activationForward(kind, x, y, ALPHA);
            requireNative().activationBackward(kind, dy, x, yT, dx, ALPHA);
            return [y, dx];
          });
          const exact = kind === 'relu' || kind === 'leakyRelu';
          if (exact) {
            expectSameBits(y, yT, `${kind} forward ${cfg.label} n=${n}`);
            expectSameBits(dx, dxT, `${kind} backward ${cfg.label} n=${n}`);
          } else {
            expectClose(y, yT, { rtol: 1e-6, atol: 1e-7 }, `${kind} forward ${cfg.label} n=${n}`);
            expectClose(dx, dxT, { rtol: 1e-6, atol: 1e-7 }, `${kind} backward ${cfg.label} n=${n}`);
          }
          // same kernel table, different thread count: identical bits
          if (first && cfg.threads !== 1 && configs[configs.indexOf(cfg) - 1].isa === cfg.isa) {
            expectSameBits(y, first[0], `${kind} forward thread-independence ${cfg.label}`);
            expectSameBits(dx, first[1], `${kind} backward thread-independence ${cfg.label}`);
          }
          first = [y, dx];
        }
      }
    });

    test('addForward and reluBackwardSum: bit-identical to TS under every kernel table and thread count', () => {
      for (const n of SIZES) {
        const a = activationInput(n, 300 + n);
        const b = activationInput(n, 400 + n);
        const d0 = randomArray(n, 500 + n);
        const d1 = randomArray(n, 600 + n);
        for (const relu of [false, true]) {
          const yT = new Float32Array(n);
          ts.addForward(a, b, relu, yT);
          const dxT = new Float32Array(n);
          ts.reluBackwardSum(d0, d1, yT, dxT);
          const dx1T = new Float32Array(n);
          ts.reluBackwardSum(d0, null, yT, dx1T);
          for (const cfg of configs) {
            const [y, dx, dx1] = withNative(cfg.isa, cfg.threads, () => {
              const y = new Float32Array(n);
              const dx = new Float32Array(n);
              const dx1 = new Float32Array(n);
              requireNative().addForward(a, b, relu, y);
              requireNative().reluBackwardSum(d0, d1, yT, dx);
              requireNative().reluBackwardSum(d0, null, yT, dx1);
              return [y, dx, dx1];
            });
            expectSameBits(y, yT, `addForward relu=${relu} n=${n} ${cfg.label}`);
            expectSameBits(dx, dxT, `reluBackwardSum n=${n} ${cfg.label}`);
            expectSameBits(dx1, dx1T, `reluBackwardSum (one gradient) n=${n} ${cfg.label}`);
          }
        }
      }
    });

    test('addBias, axpy, scale, sumRows', () => {
      for (const n of SIZES) {
        for (const cols of [1, 7, 9, 31]) {
          const rows = Math.max(1, Math.floor(n / cols));
          const y0 = randomArray(rows * cols, n + cols);
          const b = randomArray(cols, cols);
          const yT = y0.slice();
          ts.addBias(yT, b, rows, cols);
          const sT = new Float32Array(cols);
          ts.sumRows(y0, rows, cols, sT);
          for (const cfg of configs) {
            const [y, s] = withNative(cfg.isa, cfg.threads, () => {
              const y = y0.slice();
              requireNative().addBias(y, b, rows, cols);
              const s = new Float32Array(cols);
              requireNative().sumRows(y0, rows, cols, s);
              return [y, s];
            });
            expectSameBits(y, yT, `addBias ${rows}x${cols} ${cfg.label}`);
            expectClose(s, sT, { rtol: 1e-6, atol: 1e-6 }, `sumRows ${rows}x${cols} ${cfg.label}`);
          }
        }
        const x = randomArray(n, n + 5);
        const y0 = randomArray(n, n + 6);
        const aT = y0.slice();
        ts.axpy(0.3, x, aT);
        const sT = new Float32Array(n);
        ts.scale(x, -1.7, sT);
        let prev: Float32Array | null = null;
        for (const cfg of configs) {
          const [a, s] = withNative(cfg.isa, cfg.threads, () => {
            const a = y0.slice();
            requireNative().axpy(0.3, x, a);
            const s = new Float32Array(n);
            requireNative().scale(x, -1.7, s);
            return [a, s];
          });
          // FMA rounds once like the float64 TS formula; the scalar reference may round twice
          expectClose(a, aT, { rtol: 1e-6, atol: 1e-7 }, `axpy n=${n} ${cfg.label}`);
          expectSameBits(s, sT, `scale n=${n} ${cfg.label}`);
          if (prev && cfg.threads === 3) expectSameBits(a, prev, `axpy thread-independence n=${n} ${cfg.label}`); // configs go 1t, 3t per ISA
          prev = a;
        }
      }
    });

    test('sigmoid and tanh (polynomial exp on AVX2, libm on the reference) are within a few ulp on a dense sweep', () => {
      const n = 40001;
      const x = Float32Array.from({ length: n }, (_, i) => -20 + (40 * i) / (n - 1));
      const ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
      for (const cfg of nativeConfigs().filter((c) => c.threads === 1)) {
        for (const [kind, f, maxUlp] of [['sigmoid', (v: number) => 1 / (1 + Math.exp(-v)), 4], ['tanh', Math.tanh, 3]] as const) {
          const y = new Float32Array(n);
          withNative(cfg.isa, cfg.threads, () => requireNative().activationForward(kind, x, y, 0));
          let worst = 0;
          let at = 0;
          for (let i = 0; i < n; i++) {
            const want = f(x[i]);
            if (want === 0) continue;
            const e = Math.abs(y[i] - want) / ulp(want);
            if (e > worst) [worst, at] = [e, x[i]];
          }
          if (worst > maxUlp) throw new Error(`${kind} ${cfg.label}: ${worst.toFixed(2)} ulp at x = ${at} (allowed ${maxUlp})`);
        }
      }
    });

    test('sumRows is deterministic for a given thread count', () => {
      const rows = 70001;
      const cols = 3;
      const x = randomArray(rows * cols, 9, -1000, 1000);
      for (const cfg of configs) {
        const a = new Float32Array(cols);
        const b = new Float32Array(cols);
        withNative(cfg.isa, cfg.threads, () => {
          requireNative().sumRows(x, rows, cols, a);
          requireNative().sumRows(x, rows, cols, b);
        });
        expectSameBits(a, b, `sumRows repeat ${cfg.label}`);
      }
    });
  });
}
