/**
 * Strided convolutions on the direct kernels (native/core/conv_strided.h): the forward over the phases of the input
 * and the input gradient phase by phase (convPlan "strided"). Every tier the CPU runs (the reference's scalar kernel
 * too) against the float64 definition and the TS backend, over geometries that hit their edges: stride 2 and 3,
 * 3x3 pad 1 (ResNet's), 1x1 pad 0 (projection shortcuts: phases no tap reaches), 2x2, 5x5 and 4x3 kernels, pads
 * past the kernel, odd sizes, rows of phases against the W-expanded copies (7 and 14 outputs wide), filter and
 * channel counts off the tiles (1, 5, 13, 33), the fused ReLU, a NaN in the input and in dy; one image (per-image
 * GEMMs); bit-identical results at 1, 2 and 3 threads.
 */
import type { NativeBackend } from '../../lib/backend/native';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, ts, withKernels, withThreads } from '../helpers';
import { type Case, label, naiveConv, naiveConvGrad, outDims } from './conv-reference';

const natives = backendsUnderTest().filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);

function cases(): Case[] {
  const out: Case[] = [];
  const c = (N: number, C: number, H: number, W: number, K: number | [number, number], stride: number, pad: number, F: number) => {
    const [KH, KW] = typeof K === 'number' ? [K, K] : K;
    out.push({ N, C, H, W, KH, KW, stride, pad, F });
  };
  // ResNet's stride-2 convolutions and projections, 28x28 and 32x32 inputs (rows of 14 / 16; expanded at 7 and 8)
  c(3, 16, 28, 28, 3, 2, 1, 32);
  c(3, 32, 14, 14, 3, 2, 1, 64);
  c(3, 16, 28, 28, 1, 2, 0, 32);
  c(3, 32, 14, 14, 1, 2, 0, 64);
  c(3, 16, 32, 32, 3, 2, 1, 32);
  c(3, 32, 16, 16, 1, 2, 0, 64);
  // odd sizes, channels and filters off the tiles
  c(3, 3, 15, 17, 3, 2, 1, 5);
  c(3, 5, 13, 29, 3, 2, 1, 13);
  c(3, 1, 9, 33, 3, 2, 0, 33);
  c(4, 2, 31, 31, 1, 2, 0, 1);
  c(3, 3, 11, 12, 1, 3, 0, 7);
  // stride 3, kernels 2x2, 5x5, 4x3, pads past the kernel (phases where no dx element or no tap falls)
  c(3, 2, 20, 23, 3, 3, 1, 6);
  c(3, 2, 16, 16, 2, 2, 0, 9);
  c(3, 2, 19, 21, 5, 2, 2, 11);
  c(3, 3, 12, 17, [4, 3], 2, 1, 5);
  c(3, 2, 7, 9, 3, 2, 3, 4);
  c(3, 2, 5, 6, 1, 2, 2, 3);
  c(3, 2, 30, 30, 3, 4, 2, 16);
  // the same edges with phases 14..32 wide (rows fill AVX-512's 16 lanes: dx phase by phase there too)
  c(3, 3, 9, 30, 3, 2, 1, 5);
  c(3, 2, 7, 45, 3, 3, 1, 6);
  c(3, 2, 6, 32, 5, 2, 2, 11);
  c(3, 3, 5, 34, [4, 3], 2, 1, 5);
  c(3, 2, 5, 30, 3, 2, 3, 4);
  c(3, 2, 4, 36, 1, 2, 2, 3);
  c(3, 2, 4, 64, 3, 2, 1, 16);
  c(3, 2, 6, 31, 2, 2, 0, 9);
  // one image: per-image GEMMs (not strided)
  c(1, 16, 28, 28, 3, 2, 1, 32);
  return out;
}

function data(g: Case, seed: number) {
  const { OH, OW } = outDims(g);
  return {
    x: randomArray(g.N * g.C * g.H * g.W, seed),
    w: randomArray(g.F * g.C * g.KH * g.KW, seed + 1),
    b: randomArray(g.F, seed + 2),
    dy: randomArray(g.N * g.F * OH * OW, seed + 3),
  };
}

function run(nb: NativeBackend | typeof ts, g: Case, d: ReturnType<typeof data>, relu: boolean) {
  const y = new Float32Array(d.dy.length).fill(NaN);
  nb.convForward(d.x, d.w, d.b, g, g.F, y, relu);
  const dx = new Float32Array(d.x.length).fill(NaN);
  const dw = new Float32Array(d.w.length).fill(NaN);
  const db = new Float32Array(g.F).fill(NaN);
  nb.convBackward(d.dy, d.x, d.w, g, g.F, dx, dw, db, relu ? y : null);
  return { y, dx, dw, db };
}

for (const nb of natives) {
  const tiers = kernelTiers(nb);

  describe('native conv: strided direct paths', () => {
    test('convPlan: ResNet\'s stride-2 convolutions and 1x1 projections take the strided paths on every tier', () => {
      for (const isa of tiers) {
        withKernels(nb, isa, () =>
          withThreads(nb, 2, () => {
            const plan = (C: number, H: number, K: number, pad: number, F: number) =>
              nb.convPlan({ N: 100, C, H, W: H, KH: K, KW: K, stride: 2, pad }, F, true);
            const plans = [plan(16, 28, 3, 1, 32), plan(32, 14, 3, 1, 64), plan(16, 28, 1, 0, 32), plan(32, 14, 1, 0, 64), plan(3, 32, 3, 1, 16), plan(16, 32, 3, 1, 32), plan(32, 16, 3, 1, 64)];
            expect([isa, plans.map((p) => p.forward)]).toEqual([isa, plans.map(() => 'strided')]);
            // dW over the phase planes (conv_dw.h) for 3x3; 1x1 stride 2 keeps im2col (measured faster)
            expect([isa, plans.map((p) => p.weightGrad)]).toEqual([isa, ['strided', 'strided', 'im2col', 'im2col', 'strided', 'strided', 'strided']]);
            // dx: rows of the phases (14 and 16 wide; 7 and 8 wide fill half of AVX-512's 16 lanes: col2im there)
            const narrow = isa === 'avx512' ? 'col2im' : 'strided';
            expect([isa, plans.map((p) => p.inputGrad)]).toEqual([isa, ['strided', narrow, 'strided', narrow, 'strided', 'strided', narrow]]);
            // one image: the per-image GEMMs use the whole pool
            expect(nb.convPlan({ N: 1, C: 16, H: 28, W: 28, KH: 3, KW: 3, stride: 2, pad: 1 }, 32, true)).toMatchObject({ forward: 'im2col', weightGrad: 'im2col', inputGrad: 'col2im' });
            // 3 outputs in a row of 16 lanes, 9 positions in all: fills too few lanes either way
            if (isa === 'avx512') expect(nb.convPlan({ N: 3, C: 2, H: 6, W: 6, KH: 3, KW: 3, stride: 2, pad: 1 }, 4, true).forward).toBe('im2col');
          }),
        );
      }
    });

    test('every tier matches the float64 definition and the TS backend (with and without the fused ReLU)', () => {
      const seen: Record<string, number> = {};
      for (const [i, g] of cases().entries()) {
        const d = data(g, 300 + 10 * i);
        const yRef = naiveConv(d.x, d.w, d.b, g);
        const grad = naiveConvGrad(d.dy, d.x, d.w, g);
        const dyMasked = d.dy.map((v, j) => (yRef[j] > 0 ? v : 0));
        const gradRelu = naiveConvGrad(dyMasked, d.x, d.w, g);
        const t = run(ts, g, d, true);
        for (const isa of tiers) {
          withKernels(nb, isa, () =>
            withThreads(nb, 2, () => {
              const plan = nb.convPlan(g, g.F, true);
              if (plan.forward === 'strided') seen[`${isa} forward`] = (seen[`${isa} forward`] ?? 0) + 1;
              if (plan.inputGrad === 'strided') seen[`${isa} dx`] = (seen[`${isa} dx`] ?? 0) + 1;
              const at = `${isa} ${label(g)} ${JSON.stringify(plan)}`;
              const r = run(nb, g, d, false);
              expectClose(r.y, yRef, { rtol: 1e-4, atol: 1e-5 }, `y ${at}`);
              expectClose(r.dx, grad.dx, { rtol: 1e-4, atol: 1e-4 }, `dx ${at}`);
              expectClose(r.dw, grad.dw, { rtol: 1e-4, atol: 1e-4 }, `dw ${at}`);
              expectClose(r.db, grad.db, { rtol: 1e-4, atol: 1e-4 }, `db ${at}`);
              const q = run(nb, g, d, true);
              expectClose(q.y, yRef.map((v) => (v > 0 ? v : 0)), { rtol: 1e-4, atol: 1e-5 }, `relu y ${at}`);
              expectClose(q.dx, gradRelu.dx, { rtol: 1e-4, atol: 1e-4 }, `relu dx ${at}`);
              expectClose(q.dw, gradRelu.dw, { rtol: 1e-4, atol: 1e-4 }, `relu dw ${at}`);
              // the TS backend (lib/backend/ts), fused ReLU
              expectClose(q.y, t.y, { rtol: 1e-4, atol: 1e-5 }, `ts y ${at}`);
              expectClose(q.dx, t.dx, { rtol: 1e-4, atol: 1e-4 }, `ts dx ${at}`);
              expectClose(q.dw, t.dw, { rtol: 1e-4, atol: 1e-4 }, `ts dw ${at}`);
            }),
          );
        }
      }
      // the sweep really runs the strided paths, rows and expanded copies, on every tier
      for (const isa of tiers) {
        expect([isa, seen[`${isa} forward`] ?? 0]).toEqual([isa, 26]);
        // 8 lanes: rows of 4+ fill them; 16 lanes: rows of 14+ (the others keep col2im)
        expect([isa, seen[`${isa} dx`] ?? 0]).toEqual([isa, isa === 'avx512' ? 11 : 17]);
      }
    });

    test('a NaN in x or dy reaches exactly the outputs and gradients the definition says', () => {
      for (const g of [
        { N: 3, C: 2, H: 14, W: 14, KH: 3, KW: 3, stride: 2, pad: 1, F: 5 },
        { N: 3, C: 2, H: 28, W: 28, KH: 3, KW: 3, stride: 2, pad: 1, F: 5 },
        { N: 3, C: 2, H: 28, W: 28, KH: 1, KW: 1, stride: 2, pad: 0, F: 5 },
      ] as Case[]) {
        const d = data(g, 9);
        const { OH, OW } = outDims(g);
        d.x[g.C * g.H * g.W + 2 * g.W + 4] = NaN; // image 1, channel 0, row 2, column 4
        d.dy[(g.F + 1) * OH * OW + OW + 3] = NaN; // image 1, filter 1, row 1, column 3
        const yRef = naiveConv(d.x, d.w, d.b, g);
        const grad = naiveConvGrad(d.dy, d.x, d.w, g);
        const nanAt = (a: ArrayLike<number>) => Array.from(a, (v) => Number.isNaN(v));
        for (const isa of tiers) {
          withKernels(nb, isa, () =>
            withThreads(nb, 2, () => {
              const r = run(nb, g, d, false);
              expect(nanAt(r.y)).toEqual(nanAt(yRef));
              expect(nanAt(r.dx)).toEqual(nanAt(grad.dx));
              expectClose(r.y, yRef, { rtol: 1e-4, atol: 1e-5 }, `y ${isa} ${label(g)}`);
              expectClose(r.dx, grad.dx, { rtol: 1e-4, atol: 1e-4 }, `dx ${isa} ${label(g)}`);
            }),
          );
        }
      }
    });

    test('bit-identical at 1, 2 and 3 threads (images one per task, dW partials per fixed chunk)', () => {
      for (const g of [
        { N: 7, C: 16, H: 28, W: 28, KH: 3, KW: 3, stride: 2, pad: 1, F: 32 },
        { N: 7, C: 16, H: 28, W: 28, KH: 1, KW: 1, stride: 2, pad: 0, F: 32 },
      ] as Case[]) {
        const d = data(g, 42);
        const a = withThreads(nb, 2, () => run(nb, g, d, true));
        expect(withThreads(nb, 2, () => nb.convPlan(g, g.F, true))).toMatchObject({ forward: 'strided', inputGrad: 'strided' });
        for (const n of [2, 1, 3]) {
          const b = withThreads(nb, n, () => run(nb, g, d, true));
          for (const k of ['y', 'dx', 'dw', 'db'] as const) expectClose(b[k], a[k], { rtol: 0, atol: 0 }, `${k}: ${n} vs 2 threads ${label(g)}`);
        }
      }
    });
  });
}

test('the strided paths are tested only where a native backend loads', () => {
  expect(natives.length).toBe(process.env.SIMDNET_BACKEND === 'ts' ? 0 : 1);
});
