/**
 * The group weight gradient (native/core/conv_dw.h; kernels ConvDwTapsFn in conv_direct.h: scalar reference, AVX2,
 * AVX-512), taken for 32 filters and more and for strided convolutions: every tier against the float64 definition
 * and the TypeScript backend over awkward shapes (filters 32, 33, 48, 64, 65; channels 1, 3, 17; strides 1, 2, 3;
 * kernels 2x2..5x5, non-square; pads; odd sizes; one image), the fused ReLU, a NaN in the input, and bit-identical
 * results at 1, 2 and 3 threads.
 */
import type { NativeBackend } from '../../lib/backend/native';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';
import { type Case, label, naiveConvGrad, outDims } from './conv-reference';

const natives = backendsUnderTest().filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);
const ts = backendsUnderTest().find((b) => b.name === 'ts')?.backend;

function cases(): Case[] {
  const c = (N: number, C: number, H: number, W: number, KH: number, KW: number, stride: number, pad: number, F: number): Case =>
    ({ N, C, H, W, KH, KW, stride, pad, F });
  return [
    c(3, 3, 9, 11, 3, 3, 1, 1, 32), c(4, 1, 7, 7, 3, 3, 1, 1, 33), c(3, 17, 6, 5, 3, 3, 1, 1, 48),
    c(5, 3, 8, 8, 3, 3, 1, 1, 64), c(3, 2, 5, 9, 3, 3, 1, 0, 65), c(3, 3, 7, 6, 2, 2, 1, 1, 40),
    c(3, 2, 9, 8, 5, 5, 1, 2, 32), c(3, 3, 8, 10, 4, 4, 1, 3, 36), c(3, 2, 7, 9, 3, 5, 1, 1, 34),
    c(3, 3, 9, 9, 3, 3, 2, 1, 32), c(4, 17, 10, 7, 3, 3, 2, 1, 16), c(3, 2, 11, 11, 5, 5, 3, 2, 33),
    c(3, 1, 13, 12, 3, 3, 3, 0, 48), c(3, 3, 8, 8, 2, 2, 2, 0, 65), c(3, 2, 9, 10, 4, 3, 2, 1, 64),
    c(1, 3, 8, 8, 3, 3, 1, 1, 32), c(1, 3, 9, 9, 3, 3, 2, 1, 33),
  ];
}

function run(nb: NativeBackend, g: Case, x: Float32Array, w: Float32Array, dy: Float32Array, y: Float32Array | null) {
  const dx = new Float32Array(x.length).fill(NaN);
  const dw = new Float32Array(w.length).fill(NaN);
  const db = new Float32Array(g.F).fill(NaN);
  nb.convBackward(dy, x, w, g, g.F, dx, dw, db, y);
  return { dx, dw, db };
}

for (const nb of natives) {
  describe('native conv: the group weight gradient', () => {
    test('convPlan: 32 filters and more, and strided convolutions, take it on every tier', () => {
      for (const isa of kernelTiers(nb)) {
        withKernels(nb, isa, () => withThreads(nb, 2, () => {
          expect([isa, nb.convPlan({ N: 100, C: 32, H: 7, W: 7, KH: 3, KW: 3, stride: 1, pad: 1 }, 64, true).weightGrad]).toEqual([isa, 'direct']);
          expect([isa, nb.convPlan({ N: 100, C: 16, H: 28, W: 28, KH: 3, KW: 3, stride: 2, pad: 1 }, 32, true).weightGrad]).toEqual([isa, 'strided']);
          expect([isa, nb.convPlan({ N: 100, C: 16, H: 28, W: 28, KH: 1, KW: 1, stride: 2, pad: 0 }, 32, true).weightGrad]).toEqual([isa, 'im2col']);
        }));
      }
    });

    test('every tier matches float64 and the TypeScript backend over awkward shapes (fused ReLU too)', () => {
      let seen = 0;
      for (const [i, g] of cases().entries()) {
        const { OH, OW } = outDims(g);
        const x = randomArray(g.N * g.C * g.H * g.W, 300 + i);
        const w = randomArray(g.F * g.C * g.KH * g.KW, 400 + i);
        const dy = randomArray(g.N * g.F * OH * OW, 500 + i);
        // a ReLU output: positive where a random mask says so
        const y = randomArray(dy.length, 600 + i);
        const grad = naiveConvGrad(dy, x, w, g);
        const gradRelu = naiveConvGrad(dy.map((v, j) => (y[j] > 0 ? v : 0)), x, w, g);
        let tsDw: Float32Array | null = null;
        if (ts) {
          const dx = new Float32Array(x.length), dw = new Float32Array(w.length), db = new Float32Array(g.F);
          ts.convBackward(dy, x, w, g, g.F, dx, dw, db, null);
          tsDw = dw;
        }
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () => withThreads(nb, 2, () => {
            const plan = nb.convPlan(g, g.F, true);
            if (g.N > 1 && (plan.weightGrad === 'direct' || plan.weightGrad === 'strided')) seen++;
            const at = `${isa} ${label(g)} ${JSON.stringify(plan)}`;
            const r = run(nb, g, x, w, dy, null);
            expectClose(r.dw, grad.dw, { rtol: 1e-4, atol: 1e-4 }, `dw ${at}`);
            expectClose(r.db, grad.db, { rtol: 1e-4, atol: 1e-4 }, `db ${at}`);
            expectClose(r.dx, grad.dx, { rtol: 1e-4, atol: 1e-4 }, `dx ${at}`);
            if (tsDw) expectClose(r.dw, tsDw, { rtol: 1e-4, atol: 1e-4 }, `dw vs ts ${at}`);
            const q = run(nb, g, x, w, dy, y);
            expectClose(q.dw, gradRelu.dw, { rtol: 1e-4, atol: 1e-4 }, `relu dw ${at}`);
          }));
        }
      }
      expect(seen).toBeGreaterThanOrEqual(15 * kernelTiers(nb).length);
    });

    test('a NaN in the input reaches exactly the weight gradients the definition says', () => {
      for (const g of [
        { N: 3, C: 2, H: 7, W: 7, KH: 3, KW: 3, stride: 1, pad: 1, F: 33 },
        { N: 3, C: 2, H: 9, W: 9, KH: 3, KW: 3, stride: 2, pad: 1, F: 32 },
      ] as Case[]) {
        const { OH, OW } = outDims(g);
        const x = randomArray(g.N * g.C * g.H * g.W, 11);
        const w = randomArray(g.F * g.C * g.KH * g.KW, 12);
        const dy = randomArray(g.N * g.F * OH * OW, 13);
        x[g.C * g.H * g.W + g.H * g.W + 2 * g.W + 4] = NaN; // image 1, channel 1, row 2, column 4
        const grad = naiveConvGrad(dy, x, w, g);
        const nanAt = (a: ArrayLike<number>) => Array.from(a, (v) => Number.isNaN(v));
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () => withThreads(nb, 2, () => {
            const r = run(nb, g, x, w, dy, null);
            expect([isa, nanAt(r.dw)]).toEqual([isa, nanAt(grad.dw)]);
            expectClose(r.dw, grad.dw, { rtol: 1e-4, atol: 1e-4 }, `dw ${isa} ${label(g)}`);
          }));
        }
      }
    });

    test('bit-identical at 1, 2 and 3 threads', () => {
      for (const g of [
        { N: 13, C: 16, H: 7, W: 7, KH: 3, KW: 3, stride: 1, pad: 1, F: 64 },
        { N: 11, C: 8, H: 14, W: 14, KH: 3, KW: 3, stride: 2, pad: 1, F: 32 },
      ] as Case[]) {
        const { OH, OW } = outDims(g);
        const x = randomArray(g.N * g.C * g.H * g.W, 21);
        const w = randomArray(g.F * g.C * g.KH * g.KW, 22);
        const dy = randomArray(g.N * g.F * OH * OW, 23);
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () => {
            const one = withThreads(nb, 1, () => run(nb, g, x, w, dy, null));
            for (const t of [2, 3]) {
              const r = withThreads(nb, t, () => run(nb, g, x, w, dy, null));
              expectClose(r.dw, one.dw, { rtol: 0, atol: 0 }, `dw ${isa} ${t} threads`);
              expectClose(r.db, one.db, { rtol: 0, atol: 0 }, `db ${isa} ${t} threads`);
            }
          });
        }
      }
    });
  });
}

test('the group weight gradient is tested only where a native backend loads', () => {
  expect(natives.length).toBe(process.env.SIMDNET_BACKEND === 'ts' ? 0 : 1);
});
