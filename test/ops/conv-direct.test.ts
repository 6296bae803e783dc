/**
 * The direct convolution paths (native/core/conv_direct.h): the implicit-GEMM forward (also used for
 * dx = conv(dy, flipped W); AVX-512, AVX2 and scalar reference kernels) and the direct weight gradient (AVX-512 and
 * the scalar reference). They run only where convPlan says "direct"; every tier has them, so the drivers run under
 * the reference tier too (SIMDNET_KERNELS=reference); this
 * file checks which layers take them, then compares every tier the CPU runs against the float64 definition
 * over geometries chosen to hit their edges: rows cut into 16-lane segments (widths 14..40), positions in runs
 * of 16 over the W-expanded copy (widths 5, 8, 12, 24), filter counts that leave partial tiles (1, 5, 13, 31,
 * 33), kernels 1..8 wide, pads 0..3, the fused ReLU, a NaN in the input, one image (the per-image GEMM path),
 * thread-count determinism.
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { ConvPlan } from '../../lib/backend/addon';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';
import { type Case, label, naiveConv, naiveConvGrad, outDims } from './conv-reference';

const natives = backendsUnderTest().filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);

/** Stride-1 cases around the direct paths' edges (N = 3: images run in parallel, the direct paths' condition). */
function cases(): Case[] {
  const out: Case[] = [];
  const c = (W: number, KW: number, pad: number, F: number, C = 2, H = 5, KH = KW, N = 3) => out.push({ N, C, H, W, KH, KW, stride: 1, pad, F });
  // row segments: widths around 16 and 32, square kernels (dx as a convolution), partial filter tiles
  for (const W of [12, 14, 15, 16, 17, 28, 31, 33, 40]) c(W, 3, 1, [1, 5, 13, 16, 31, 33][W % 6]);
  // kernel widths 2..8 (8 is past the direct dW's limit), pads 0..3
  for (const KW of [2, 4, 5, 6, 7, 8]) c(30, KW, KW > 3 ? 3 : KW - 1, KW % 2 ? 16 : 12, 2, KW + 2);
  // non-square kernels: dx through col2im, forward and dW direct
  c(20, 3, 1, 9, 3, 6, 1);
  c(26, 5, 2, 17, 2, 7, 2);
  // the W-expanded copy (rows would fill 0.75 of the lanes or less): SimpleConvNet's 24x24 output of a 5x5
  // kernel without padding, OW 12, 8x8 with 64 filters (F >= 32: dW through the GEMM), 15 positions in all
  c(28, 5, 0, 30, 1, 28);
  c(12, 3, 1, 8, 4, 7);
  c(8, 3, 1, 64, 3, 8);
  c(5, 3, 1, 7, 2, 3);
  c(14, 3, 1, 32, 4, 6);
  // one image: per-image GEMMs
  c(28, 3, 1, 16, 2, 6, 3, 1);
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

function run(nb: NativeBackend, g: Case, d: ReturnType<typeof data>, relu: boolean, needDx = true) {
  const y = new Float32Array(d.dy.length).fill(NaN);
  nb.convForward(d.x, d.w, d.b, g, g.F, y, relu);
  const dx = needDx ? new Float32Array(d.x.length).fill(NaN) : null;
  const dw = new Float32Array(d.w.length).fill(NaN);
  const db = new Float32Array(g.F).fill(NaN);
  nb.convBackward(d.dy, d.x, d.w, g, g.F, dx, dw, db, relu ? y : null);
  return { y, dx, dw, db };
}

for (const nb of natives) {
  const hasAvx512 = nb.info().bestIsa === 'avx512';

  describe('native conv: direct paths', () => {
    test('convPlan names the path of each DeepConvNet layer (direct on every tier; the direct dW where the tier has one)', () => {
      const layer = (C: number, H: number, pad: number, F: number, needDx: boolean): ConvPlan =>
        nb.convPlan({ N: 100, C, H, W: H, KH: 3, KW: 3, stride: 1, pad }, F, needDx);
      const plans = () => [
        layer(1, 28, 1, 16, false), layer(16, 28, 1, 16, true), layer(16, 14, 1, 32, true),
        layer(32, 14, 2, 32, true), layer(32, 8, 1, 64, true), layer(64, 8, 1, 64, true),
      ];
      const ref = withKernels(nb, 'reference', () => withThreads(nb, 2, plans));
      expect(ref.map((r) => r.forward)).toEqual(['direct', 'direct', 'direct', 'direct', 'direct', 'direct']);
      // 32 filters and more: the group weight gradient (conv_dw.h) on every tier
      expect(ref.map((r) => r.weightGrad)).toEqual(['direct', 'direct', 'direct', 'direct', 'direct', 'direct']);
      expect(ref.map((r) => r.inputGrad)).toEqual(['none', 'direct', 'direct', 'direct', 'direct', 'direct']);
      expect(nb.convPlan({ N: 4, C: 3, H: 5, W: 5, KH: 1, KW: 1, stride: 1, pad: 0 }, 2, true)).toEqual({ forward: 'gemm', weightGrad: 'gemm', inputGrad: 'gemm', inference: 'gemm' });
      expect(nb.convPlan({ N: 4, C: 3, H: 9, W: 9, KH: 3, KW: 3, stride: 2, pad: 1 }, 2, true).inputGrad).toBe('col2im');
      if (kernelTiers(nb).includes('avx2')) {
        const q = withKernels(nb, 'avx2', () => withThreads(nb, 2, plans));
        expect(q.map((r) => r.forward)).toEqual(['direct', 'direct', 'direct', 'direct', 'direct', 'direct']);
        expect(q.map((r) => r.weightGrad)).toEqual(['im2col', 'im2col', 'direct', 'direct', 'direct', 'direct']);
        expect(q.map((r) => r.inputGrad)).toEqual(['none', 'direct', 'direct', 'direct', 'direct', 'direct']);
      }
      if (!hasAvx512) return;
      const p = withKernels(nb, 'avx512', () => withThreads(nb, 2, plans));
      expect(p.map((q) => q.forward)).toEqual(['direct', 'direct', 'direct', 'direct', 'direct', 'direct']);
      expect(p.map((q) => q.weightGrad)).toEqual(['direct', 'direct', 'direct', 'direct', 'direct', 'direct']);
      expect(p.map((q) => q.inputGrad)).toEqual(['none', 'direct', 'direct', 'direct', 'direct', 'direct']);
      // rows 12 wide fill 0.75 of the lanes as row segments: direct through the expanded copy
      const narrow = withKernels(nb, 'avx512', () => withThreads(nb, 2, () => nb.convPlan({ N: 3, C: 4, H: 7, W: 12, KH: 3, KW: 3, stride: 1, pad: 1 }, 8, true)));
      expect(narrow.forward).toBe('direct');
      // 17 positions fill 17 of 32 lanes either way: the im2col GEMM
      const tiny = withKernels(nb, 'avx512', () => withThreads(nb, 2, () => nb.convPlan({ N: 3, C: 4, H: 1, W: 19, KH: 1, KW: 3, stride: 1, pad: 0 }, 8, true)));
      expect(tiny.forward).toBe('im2col');
      const simple = withKernels(nb, 'avx512', () => withThreads(nb, 2, () => nb.convPlan({ N: 3, C: 1, H: 28, W: 28, KH: 5, KW: 5, stride: 1, pad: 0 }, 30, false)));
      expect(simple).toEqual({ forward: 'direct', weightGrad: 'direct', inputGrad: 'none', inference: 'direct' });
      // fewer images than threads: per-image GEMMs use the whole pool instead
      const one = withKernels(nb, 'avx512', () => withThreads(nb, 2, () => nb.convPlan({ N: 1, C: 16, H: 28, W: 28, KH: 3, KW: 3, stride: 1, pad: 1 }, 16, true)));
      expect(one).toEqual({ forward: 'im2col', weightGrad: 'im2col', inputGrad: 'im2col', inference: 'im2col' });
    });

    test('every tier matches the float64 definition on the direct paths\' edge cases (with and without the fused ReLU)', () => {
      const all = cases();
      const seen = { forward: 0, weightGrad: 0, inputGrad: 0, avx2: 0, reference: 0, referenceDw: 0 };
      for (const [i, g] of all.entries()) {
        const d = data(g, 100 + 10 * i);
        const yRef = naiveConv(d.x, d.w, d.b, g);
        const grad = naiveConvGrad(d.dy, d.x, d.w, g);
        // the fused ReLU's gradient: dy where y > 0
        const dyMasked = d.dy.map((v, j) => (yRef[j] > 0 ? v : 0));
        const gradRelu = naiveConvGrad(dyMasked, d.x, d.w, g);
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () =>
            withThreads(nb, 2, () => {
              const plan = nb.convPlan(g, g.F, true);
              if (isa === 'avx512') for (const k of ['forward', 'weightGrad', 'inputGrad'] as const) if (plan[k] === 'direct') seen[k]++;
              if (isa === 'avx2' && plan.forward === 'direct') seen.avx2++;
              if (isa === 'reference' && plan.forward === 'direct') seen.reference++;
              if (isa === 'reference' && plan.weightGrad === 'direct') seen.referenceDw++;
              const at = `${isa} ${label(g)} ${JSON.stringify(plan)}`;
              const r = run(nb, g, d, false);
              expectClose(r.y, yRef, { rtol: 1e-4, atol: 1e-5 }, `y ${at}`);
              expectClose(r.dx!, grad.dx, { rtol: 1e-4, atol: 1e-4 }, `dx ${at}`);
              expectClose(r.dw, grad.dw, { rtol: 1e-4, atol: 1e-4 }, `dw ${at}`);
              expectClose(r.db, grad.db, { rtol: 1e-4, atol: 1e-4 }, `db ${at}`);
              const q = run(nb, g, d, true);
              expectClose(q.y, yRef.map((v) => (v > 0 ? v : 0)), { rtol: 1e-4, atol: 1e-5 }, `relu y ${at}`);
              expectClose(q.dw, gradRelu.dw, { rtol: 1e-4, atol: 1e-4 }, `relu dw ${at}`);
              expectClose(q.dx!, gradRelu.dx, { rtol: 1e-4, atol: 1e-4 }, `relu dx ${at}`);
              expectClose(q.db, gradRelu.db, { rtol: 1e-4, atol: 1e-4 }, `relu db ${at}`);
              // first layer: no dx asked for
              const n = run(nb, g, d, false, false);
              expectClose(n.dw, r.dw, { rtol: 0, atol: 0 }, `dw without dx ${at}`);
            }),
          );
        }
      }
      if (kernelTiers(nb).includes('avx2')) expect(seen.avx2).toBeGreaterThanOrEqual(15);
      // the scalar references run the same drivers
      expect(seen.reference).toBeGreaterThanOrEqual(15);
      expect(seen.referenceDw).toBeGreaterThanOrEqual(12);
      if (hasAvx512) {
        // the sweep really exercises the direct paths
        expect(seen.forward).toBeGreaterThanOrEqual(15);
        expect(seen.weightGrad).toBeGreaterThanOrEqual(12);
        expect(seen.inputGrad).toBeGreaterThanOrEqual(10);
      }
    });

    test('a NaN in the input reaches exactly the outputs and gradients the definition says', () => {
      for (const g of [
        { N: 3, C: 2, H: 6, W: 28, KH: 3, KW: 3, stride: 1, pad: 1, F: 16 },
        { N: 3, C: 1, H: 9, W: 28, KH: 5, KW: 5, stride: 1, pad: 0, F: 30 },
      ] as Case[]) {
        const d = data(g, 7);
        d.x[g.C * g.H * g.W + 2 * g.W + 27] = NaN; // image 1, channel 0, row 2, last column
        const yRef = naiveConv(d.x, d.w, d.b, g);
        const grad = naiveConvGrad(d.dy, d.x, d.w, g);
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () => {
            const r = run(nb, g, d, false);
            const at = `${isa} ${label(g)}`;
            const nanAt = (a: ArrayLike<number>) => Array.from(a, (v) => Number.isNaN(v));
            expect(nanAt(r.y)).toEqual(nanAt(yRef));
            expect(nanAt(r.dw)).toEqual(nanAt(grad.dw));
            expectClose(r.y, yRef, { rtol: 1e-4, atol: 1e-5 }, `y ${at}`);
            expectClose(r.dw, grad.dw, { rtol: 1e-4, atol: 1e-4 }, `dw ${at}`);
            expectClose(r.dx!, grad.dx, { rtol: 1e-4, atol: 1e-4 }, `dx ${at}`);
          });
        }
      }
    });

    test('deterministic for a thread count; 1 and 2 threads agree', () => {
      const g: Case = { N: 7, C: 16, H: 12, W: 28, KH: 3, KW: 3, stride: 1, pad: 1, F: 16 };
      const d = data(g, 42);
      const a = withThreads(nb, 2, () => run(nb, g, d, true));
      const b = withThreads(nb, 2, () => run(nb, g, d, true));
      const one = withThreads(nb, 1, () => run(nb, g, d, true));
      for (const k of ['y', 'dx', 'dw', 'db'] as const) {
        expectClose(b[k]!, a[k]!, { rtol: 0, atol: 0 }, `${k}: 2 threads twice`);
        expectClose(one[k]!, a[k]!, { rtol: 1e-5, atol: 1e-5 }, `${k}: 1 vs 2 threads`);
      }
      // the forward is per image and per output: bit-identical whatever the thread count
      expectClose(one.y, a.y, { rtol: 0, atol: 0 }, 'y: 1 vs 2 threads');
    });
  });
}

test('the direct paths are tested only where a native backend loads', () => {
  expect(natives.length).toBe(process.env.SIMDNET_BACKEND === 'ts' ? 0 : 1);
});
