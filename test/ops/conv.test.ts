/**
 * im2col/col2im and the fused convolution, on every backend under test, against direct float64 definitions
 * (test/ops/conv-reference.ts), finite differences, and each other (the TS backend is the native one's oracle).
 */
import type { Backend } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, randomArray, ts } from '../helpers';
import { CONV_CASES, type Case, dot, label, naiveCol2im, naiveConv, naiveConvGrad, naiveIm2col, outDims } from './conv-reference';

const backends = backendsUnderTest();

function sizes(g: Case): { X: number; Wn: number; Y: number; col: number } {
  const { OH, OW } = outDims(g);
  return {
    X: g.N * g.C * g.H * g.W,
    Wn: g.F * g.C * g.KH * g.KW,
    Y: g.N * g.F * OH * OW,
    col: g.N * OH * OW * g.C * g.KH * g.KW,
  };
}

function runConv(be: Backend, g: Case, x: Float32Array, w: Float32Array, b: Float32Array): Float32Array {
  const y = new Float32Array(sizes(g).Y).fill(NaN); // every element must be written
  be.convForward(x, w, b, g, g.F, y);
  return y;
}

function runGrad(be: Backend, g: Case, dy: Float32Array, x: Float32Array, w: Float32Array, withDx = true) {
  const s = sizes(g);
  const dx = withDx ? new Float32Array(s.X).fill(NaN) : null;
  const dw = new Float32Array(s.Wn).fill(NaN); // overwritten, not accumulated
  const db = new Float32Array(g.F).fill(NaN);
  be.convBackward(dy, x, w, g, g.F, dx, dw, db);
  return { dx, dw, db };
}

describe.each(backends)('$name backend: im2col / col2im', ({ backend }) => {
  test.each(CONV_CASES.map((c) => [label(c), c] as const))('im2col matches the definition: %s', (_l, g) => {
    const s = sizes(g);
    const x = randomArray(s.X, 11);
    const col = new Float32Array(s.col).fill(NaN);
    backend.im2col(x, g, col);
    expectClose(col, naiveIm2col(x, g), { rtol: 0, atol: 0 }, 'col');
  });

  test.each(CONV_CASES.map((c) => [label(c), c] as const))('col2im is the adjoint (sum of contributions): %s', (_l, g) => {
    const s = sizes(g);
    const col = randomArray(s.col, 12);
    const x = new Float32Array(s.X).fill(NaN); // overwritten
    backend.col2im(col, g, x);
    expectClose(x, naiveCol2im(col, g), { rtol: 1e-5, atol: 1e-6 }, 'x');
    // <im2col(u), col> == <u, col2im(col)>
    const u = randomArray(s.X, 13);
    const cu = new Float32Array(s.col);
    backend.im2col(u, g, cu);
    expect(dot(u, x)).toBeCloseTo(dot(cu, col), 3);
  });

  test('col2im on a band-split image (colT above 2^20 floats) and the book example shape', () => {
    for (const g of [
      { N: 1, C: 16, H: 56, W: 55, KH: 5, KW: 5, stride: 1, pad: 2, F: 1 },
      { N: 10, C: 1, H: 28, W: 28, KH: 5, KW: 5, stride: 1, pad: 0, F: 1 },
    ]) {
      const s = sizes(g);
      const x = randomArray(s.X, 21);
      const col = new Float32Array(s.col);
      backend.im2col(x, g, col);
      expectClose(col, naiveIm2col(x, g), { rtol: 0, atol: 0 }, `col ${label(g)}`);
      const back = new Float32Array(s.X);
      backend.col2im(col, g, back);
      expectClose(back, naiveCol2im(col, g), { rtol: 1e-5, atol: 1e-5 }, `x ${label(g)}`);
    }
  });
});

describe.each(backends)('$name backend: convolution', ({ backend }) => {
  test.each(CONV_CASES.map((c) => [label(c), c] as const))('forward matches the direct convolution: %s', (_l, g) => {
    const s = sizes(g);
    const x = randomArray(s.X, 1);
    const w = randomArray(s.Wn, 2);
    const b = randomArray(g.F, 3);
    expectClose(runConv(backend, g, x, w, b), naiveConv(x, w, b, g), { rtol: 1e-4, atol: 1e-5 }, 'y');
  });

  test.each(CONV_CASES.map((c) => [label(c), c] as const))('backward matches the direct gradient: %s', (_l, g) => {
    const s = sizes(g);
    const x = randomArray(s.X, 4);
    const w = randomArray(s.Wn, 5);
    const dy = randomArray(s.Y, 6);
    const ref = naiveConvGrad(dy, x, w, g);
    const got = runGrad(backend, g, dy, x, w);
    expectClose(got.dx!, ref.dx, { rtol: 1e-4, atol: 1e-4 }, 'dx');
    expectClose(got.dw, ref.dw, { rtol: 1e-4, atol: 1e-4 }, 'dw');
    expectClose(got.db, ref.db, { rtol: 1e-4, atol: 1e-4 }, 'db');
    // dx = null (a network's first layer): same dw/db, nothing else touched
    const noDx = runGrad(backend, g, dy, x, w, false);
    expectClose(noDx.dw, got.dw, { rtol: 1e-6, atol: 1e-6 }, 'dw without dx');
    expectClose(noDx.db, got.db, { rtol: 1e-6, atol: 1e-6 }, 'db without dx');
  });

  test('backward matches central finite differences of L = Σ r·conv(x, w, b)', () => {
    const cases: Case[] = [
      { N: 2, C: 2, H: 5, W: 4, KH: 3, KW: 2, stride: 1, pad: 1, F: 3 },
      { N: 1, C: 3, H: 6, W: 7, KH: 3, KW: 3, stride: 2, pad: 2, F: 2 },
      { N: 2, C: 2, H: 3, W: 3, KH: 1, KW: 1, stride: 1, pad: 0, F: 2 },
    ];
    for (const g of cases) {
      const s = sizes(g);
      const x = randomArray(s.X, 7);
      const w = randomArray(s.Wn, 8);
      const b = randomArray(g.F, 9);
      const r = randomArray(s.Y, 10);
      const loss = (): number => dot(runConv(backend, g, x, w, b), r);
      const grad = runGrad(backend, g, r, x, w);
      const eps = 1e-2;
      const check = (arr: Float32Array, an: Float32Array, name: string): void => {
        const fd = new Float64Array(arr.length);
        for (let i = 0; i < arr.length; i++) {
          const v = arr[i];
          arr[i] = v + eps;
          const lp = loss();
          arr[i] = v - eps;
          const lm = loss();
          arr[i] = v;
          fd[i] = (lp - lm) / (2 * eps);
        }
        expectClose(an, fd, { rtol: 1e-2, atol: 2e-3 }, `${name} ${label(g)}`);
      };
      check(x, grad.dx!, 'dx');
      check(w, grad.dw, 'dw');
      check(b, grad.db, 'db');
    }
  });
});

// The native backend against the TypeScript oracle, op by op (skipped in the TS-only run: nothing to compare).
for (const { name, backend } of backends.filter((b) => b.name !== 'ts')) describe(`${name} vs ts`, () => {
  test.each(CONV_CASES.map((c) => [label(c), c] as const))('all conv ops agree: %s', (_l, g) => {
    const s = sizes(g);
    const x = randomArray(s.X, 31);
    const w = randomArray(s.Wn, 32);
    const b = randomArray(g.F, 33);
    const dy = randomArray(s.Y, 34);
    const colN = new Float32Array(s.col);
    const colT = new Float32Array(s.col);
    backend.im2col(x, g, colN);
    ts.im2col(x, g, colT);
    expectClose(colN, colT, { rtol: 0, atol: 0 }, 'im2col');
    const xn = new Float32Array(s.X);
    const xt = new Float32Array(s.X);
    const col = randomArray(s.col, 35);
    backend.col2im(col, g, xn);
    ts.col2im(col, g, xt);
    // same additions in the same order: bit-identical
    expectClose(xn, xt, { rtol: 0, atol: 0 }, 'col2im');
    expectClose(runConv(backend, g, x, w, b), runConv(ts, g, x, w, b), { rtol: 1e-4, atol: 1e-5 }, 'convForward');
    const gn = runGrad(backend, g, dy, x, w);
    const gt = runGrad(ts, g, dy, x, w);
    expectClose(gn.dx!, gt.dx!, { rtol: 1e-4, atol: 1e-4 }, 'dx');
    expectClose(gn.dw, gt.dw, { rtol: 1e-4, atol: 1e-4 }, 'dw');
    expectClose(gn.db, gt.db, { rtol: 1e-4, atol: 1e-4 }, 'db');
  });
});
