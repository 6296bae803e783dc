/**
 * Native-only properties of the conv ops: the AVX2 im2col/col2im kernels against the scalar reference
 * kernels over a systematic sweep of geometries, thread-count determinism of the fused conv, and the
 * bad-input table (every backend under test must throw TypeError/RangeError, never crash).
 */
import type { Backend, WindowGeometry } from '../../lib/backend/types';
import type { NativeBackend } from '../../lib/backend/native';
import { backendsUnderTest, expectClose, type Isa, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';
import { type Case, expectThrowKind, label, naiveConv, outDims } from './conv-reference';

const backends = backendsUnderTest();
const natives = backends.filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);

/** H, W ∈ {1, 4, 9, 17}, KH ∈ {1, 3}, KW ∈ {1, 2, 5}, stride 1..3, pad 0..2 (skipping empty outputs). */
function sweep(): WindowGeometry[] {
  const out: WindowGeometry[] = [];
  for (const H of [1, 4, 9]) {
    for (const W of [1, 5, 17]) {
      for (const KH of [1, 3]) {
        for (const KW of [1, 2, 5]) {
          for (const stride of [1, 2, 3]) {
            for (const pad of [0, 1, 2]) {
              if (H + 2 * pad < KH || W + 2 * pad < KW) continue;
              out.push({ N: 2, C: 2, H, W, KH, KW, stride, pad });
            }
          }
        }
      }
    }
  }
  // rows wider than the AVX2 kernel's precomputed chunk masks (128 floats)
  out.push({ N: 1, C: 2, H: 3, W: 140, KH: 3, KW: 3, stride: 1, pad: 1 }, { N: 2, C: 1, H: 4, W: 131, KH: 2, KW: 5, stride: 1, pad: 2 });
  return out;
}

for (const nb of natives) {
  describe('native kernels: avx2 vs reference', () => {
    // im2col/col2im have AVX2 tables (used under avx2 and avx512); on a CPU without AVX2 the comparisons
    // below degenerate to reference vs reference.
    const simd: Isa = kernelTiers(nb).includes('avx2') ? 'avx2' : 'reference';

    test('im2col and col2im are bit-identical across tiers over a geometry sweep', () => {
      const geoms = sweep();
      expect(geoms.length).toBeGreaterThan(300);
      for (const g of geoms) {
        const { OH, OW } = outDims(g);
        const X = g.N * g.C * g.H * g.W;
        const ncol = g.N * OH * OW * g.C * g.KH * g.KW;
        const x = randomArray(X, 3);
        const col = randomArray(ncol, 4);
        const run = (isa: Isa) =>
          withKernels(nb, isa, () => {
            const c = new Float32Array(ncol).fill(NaN);
            nb.im2col(x, g, c);
            const xb = new Float32Array(X).fill(NaN);
            nb.col2im(col, g, xb);
            return { c, xb };
          });
        const a = run(simd);
        const r = run('reference');
        expectClose(a.c, r.c, { rtol: 0, atol: 0 }, `im2col ${label(g)}`);
        expectClose(a.xb, r.xb, { rtol: 0, atol: 0 }, `col2im ${label(g)}`);
      }
    });

    test('fused conv agrees across every tier the CPU runs (colT kernels and GEMM)', () => {
      const cases: Case[] = [
        { N: 3, C: 3, H: 13, W: 31, KH: 3, KW: 7, stride: 1, pad: 3, F: 5 },
        { N: 2, C: 8, H: 32, W: 30, KH: 5, KW: 5, stride: 1, pad: 2, F: 5 },
        { N: 3, C: 2, H: 9, W: 11, KH: 3, KW: 3, stride: 2, pad: 1, F: 17 },
      ];
      for (const g of cases) {
        const { OH, OW } = outDims(g);
        const x = randomArray(g.N * g.C * g.H * g.W, 5);
        const w = randomArray(g.F * g.C * g.KH * g.KW, 6);
        const b = randomArray(g.F, 7);
        const dy = randomArray(g.N * g.F * OH * OW, 8);
        const run = (isa: Isa) =>
          withKernels(nb, isa, () => {
            const y = new Float32Array(dy.length);
            nb.convForward(x, w, b, g, g.F, y);
            const dx = new Float32Array(x.length);
            const dw = new Float32Array(w.length);
            const db = new Float32Array(g.F);
            nb.convBackward(dy, x, w, g, g.F, dx, dw, db);
            return { y, dx, dw, db };
          });
        const r = run('reference');
        expectClose(r.y, naiveConv(x, w, b, g), { rtol: 1e-4, atol: 1e-5 }, `y ${label(g)}`);
        for (const isa of kernelTiers(nb).slice(1)) {
          const a = run(isa);
          for (const k of ['y', 'dx', 'dw', 'db'] as const) expectClose(a[k], r[k], { rtol: 1e-4, atol: 1e-4 }, `${isa} ${k} ${label(g)}`);
        }
      }
    });
  });

  describe('native conv: threads', () => {
    const cases: Case[] = [
      { N: 7, C: 16, H: 14, W: 14, KH: 3, KW: 3, stride: 1, pad: 1, F: 32 },
      { N: 1, C: 4, H: 12, W: 10, KH: 3, KW: 3, stride: 1, pad: 1, F: 8 }, // fewer images than threads
      { N: 5, C: 6, H: 8, W: 8, KH: 1, KW: 1, stride: 1, pad: 0, F: 5 }, // pointwise
    ];
    const run = (g: Case, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array) => {
      const y = new Float32Array(dy.length);
      nb.convForward(x, w, b, g, g.F, y);
      const dx = new Float32Array(x.length);
      const dw = new Float32Array(w.length);
      const db = new Float32Array(g.F);
      nb.convBackward(dy, x, w, g, g.F, dx, dw, db);
      return { y, dx, dw, db };
    };
    test.each(cases.map((c) => [label(c), c] as const))('deterministic per thread count; 1 vs 2 threads agree: %s', (_l, g) => {
      const { OH, OW } = outDims(g);
      const x = randomArray(g.N * g.C * g.H * g.W, 9);
      const w = randomArray(g.F * g.C * g.KH * g.KW, 10);
      const b = randomArray(g.F, 11);
      const dy = randomArray(g.N * g.F * OH * OW, 12);
      const two1 = withThreads(nb, 2, () => run(g, x, w, b, dy));
      const two2 = withThreads(nb, 2, () => run(g, x, w, b, dy));
      const one = withThreads(nb, 1, () => run(g, x, w, b, dy));
      for (const k of ['y', 'dx', 'dw', 'db'] as const) {
        expectClose(two2[k], two1[k], { rtol: 0, atol: 0 }, `${k}: 2 threads, run twice`);
        expectClose(one[k], two1[k], { rtol: 1e-5, atol: 1e-5 }, `${k}: 1 vs 2 threads`);
      }
    });
    // With at least as many images as threads, images run in parallel and the weight gradient is summed from
    // fixed chunks of images (conv.cpp backward_chunks: 8 up to 4 threads) in chunk order: the same bits at 1
    // to 4 threads, whichever thread claimed which chunk. Lane-loop dW (F < 32) and im2col + SGEMM dW (F >= 32).
    const wide: Case[] = [
      { N: 23, C: 3, H: 9, W: 11, KH: 3, KW: 3, stride: 1, pad: 1, F: 16 },
      { N: 17, C: 8, H: 7, W: 7, KH: 3, KW: 3, stride: 1, pad: 1, F: 40 },
      { N: 9, C: 4, H: 8, W: 8, KH: 2, KW: 2, stride: 2, pad: 0, F: 6 },
    ];
    test.each(wide.map((c) => [label(c), c] as const))('the same bits at 1, 2, 3 and 4 threads: %s', (_l, g) => {
      const { OH, OW } = outDims(g);
      const x = randomArray(g.N * g.C * g.H * g.W, 19);
      const w = randomArray(g.F * g.C * g.KH * g.KW, 20);
      const b = randomArray(g.F, 21);
      const dy = randomArray(g.N * g.F * OH * OW, 22);
      const one = withThreads(nb, 1, () => run(g, x, w, b, dy));
      for (const t of [2, 3, 4]) {
        const got = withThreads(nb, t, () => run(g, x, w, b, dy));
        for (const k of ['y', 'dx', 'dw', 'db'] as const) expectClose(got[k], one[k], { rtol: 0, atol: 0 }, `${k}: ${t} vs 1 thread`);
      }
    });
  });
}

// ---- bad inputs: every backend under test throws TypeError/RangeError ------------------------------------

const G: WindowGeometry = { N: 2, C: 3, H: 5, W: 6, KH: 3, KW: 2, stride: 1, pad: 1 };
const F = 4;
const { OH, OW } = outDims(G);
const X = G.N * G.C * G.H * G.W;
const K = G.C * G.KH * G.KW;
const COL = G.N * OH * OW * K;
const Y = G.N * F * OH * OW;
const f32 = (n: number) => new Float32Array(n);
const geo = (patch: Record<string, unknown>) => ({ ...G, ...patch }) as WindowGeometry;

type Case2 = [string, (be: Backend) => void, typeof TypeError | typeof RangeError];
const BAD: Case2[] = [
  ['im2col: x is a Float64Array', (be) => be.im2col(new Float64Array(X) as never, G, f32(COL)), TypeError],
  ['im2col: x is null', (be) => be.im2col(null as never, G, f32(COL)), TypeError],
  ['im2col: col too short', (be) => be.im2col(f32(X), G, f32(COL - 1)), RangeError],
  ['im2col: x too short', (be) => be.im2col(f32(X - 1), G, f32(COL)), RangeError],
  ['im2col: N = 0', (be) => be.im2col(f32(X), geo({ N: 0 }), f32(COL)), RangeError],
  ['im2col: C = -1', (be) => be.im2col(f32(X), geo({ C: -1 }), f32(COL)), RangeError],
  ['im2col: H = 2.5', (be) => be.im2col(f32(X), geo({ H: 2.5 }), f32(COL)), RangeError],
  ['im2col: W = NaN', (be) => be.im2col(f32(X), geo({ W: NaN }), f32(COL)), RangeError],
  ['im2col: KH = 0', (be) => be.im2col(f32(X), geo({ KH: 0 }), f32(COL)), RangeError],
  ['im2col: KW is a string', (be) => be.im2col(f32(X), geo({ KW: '2' }), f32(COL)), TypeError],
  ['im2col: stride = 0', (be) => be.im2col(f32(X), geo({ stride: 0 }), f32(COL)), RangeError],
  ['im2col: pad = -1', (be) => be.im2col(f32(X), geo({ pad: -1 }), f32(COL)), RangeError],
  ['im2col: output height < 1 (KH > H + 2·pad)', (be) => be.im2col(f32(X), geo({ KH: 8 }), f32(1 << 16)), RangeError],
  ['im2col: output width < 1 (KW > W + 2·pad)', (be) => be.im2col(f32(X), geo({ KW: 9 }), f32(1 << 16)), RangeError],
  ['col2im: x too short', (be) => be.col2im(f32(COL), G, f32(X - 1)), RangeError],
  ['col2im: col is an Int32Array', (be) => be.col2im(new Int32Array(COL) as never, G, f32(X)), TypeError],
  ['convForward: w too short', (be) => be.convForward(f32(X), f32(F * K - 1), f32(F), G, F, f32(Y)), RangeError],
  ['convForward: b too short', (be) => be.convForward(f32(X), f32(F * K), f32(F - 1), G, F, f32(Y)), RangeError],
  ['convForward: y too short', (be) => be.convForward(f32(X), f32(F * K), f32(F), G, F, f32(Y - 1)), RangeError],
  ['convForward: F = 0', (be) => be.convForward(f32(X), f32(F * K), f32(F), G, 0, f32(Y)), RangeError],
  ['convForward: F = 1.5', (be) => be.convForward(f32(X), f32(F * K), f32(F), G, 1.5, f32(Y)), RangeError],
  ['convForward: b is a plain array', (be) => be.convForward(f32(X), f32(F * K), [0, 0, 0, 0] as never, G, F, f32(Y)), TypeError],
  ['convForward: stride = -2', (be) => be.convForward(f32(X), f32(F * K), f32(F), geo({ stride: -2 }), F, f32(Y)), RangeError],
  ['convBackward: dy too short', (be) => be.convBackward(f32(Y - 1), f32(X), f32(F * K), G, F, f32(X), f32(F * K), f32(F)), RangeError],
  ['convBackward: dx is an Int32Array', (be) => be.convBackward(f32(Y), f32(X), f32(F * K), G, F, new Int32Array(X) as never, f32(F * K), f32(F)), TypeError],
  ['convBackward: dx too short', (be) => be.convBackward(f32(Y), f32(X), f32(F * K), G, F, f32(X - 1), f32(F * K), f32(F)), RangeError],
  ['convBackward: dw too short', (be) => be.convBackward(f32(Y), f32(X), f32(F * K), G, F, null, f32(F * K - 1), f32(F)), RangeError],
  ['convBackward: db missing', (be) => be.convBackward(f32(Y), f32(X), f32(F * K), G, F, null, f32(F * K), undefined as never), TypeError],
  ['convBackward: KH > H + 2·pad', (be) => be.convBackward(f32(Y), f32(X), f32(F * K), geo({ KH: 8 }), F, null, f32(1 << 12), f32(F)), RangeError],
];

describe.each(backends)('$name backend: bad inputs', ({ backend }) => {
  test.each(BAD)('%s', (_l, fn, type) => {
    expectThrowKind(() => fn(backend), type);
  });

  test('errors name the argument and the values', () => {
    expectThrowKind(() => backend.im2col(f32(X), geo({ KH: 8 }), f32(1 << 16)), RangeError, /KH.*8/);
    expectThrowKind(() => backend.im2col(f32(X), geo({ stride: 0 }), f32(COL)), RangeError, /stride.*0/);
    expectThrowKind(() => backend.convForward(f32(X), f32(F * K - 1), f32(F), G, F, f32(Y)), RangeError, /\bw\b.*72.*71/);
  });
});
