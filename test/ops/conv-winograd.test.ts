/**
 * Winograd F(4x4, 3x3) in the inference ops (native/core/winograd.h): convMaxPoolForward and convConvMaxPoolForward
 * take it for 3x3 stride-1 convolutions with at least 8 channels and filters (and C*F >= 128) where the tier has Winograd kernels
 * (reference and avx512; avx2 keeps the direct forward), and convPlan's `inference` says so. Checked: against a
 * float64 convolution + bias + ReLU + max pool computed here (error within WINO_TOL of the largest output), against
 * the TypeScript backend, the tiers against each other, 1 thread against 2 bit for bit, and setWinograd(false)
 * (SIMDNET_WINOGRAD=0) giving the direct path's bits back. Shapes: DeepConvNet's conv2..conv6, odd sizes whose tiles straddle the edges,
 * channel and filter counts off the 16-lane padding, pad 0, 1, 2, one image.
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { WindowGeometry } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';

const backends = backendsUnderTest();
const natives = backends.filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);
const ts = backends.find((b) => b.name === 'ts')!.backend;

// max |z - z64| / max |z64| that F(4x4, 3x3) is allowed (measured: see the CHANGELOG; the direct forward is ~1e-7)
const WINO_TOL = 2e-5;

interface Conv { N: number; C: number; H: number; W: number; pad: number; F: number }
const POOL = { KH: 2, KW: 2, stride: 2, pad: 0 };
const geom = (k: Conv): WindowGeometry => ({ N: k.N, C: k.C, H: k.H, W: k.W, KH: 3, KW: 3, stride: 1, pad: k.pad });
const outSize = (k: Conv) => ({ OH: k.H + 2 * k.pad - 2, OW: k.W + 2 * k.pad - 2 });

const CASES: Conv[] = [
  { N: 2, C: 16, H: 28, W: 28, pad: 1, F: 16 }, // DeepConvNet conv2
  { N: 2, C: 16, H: 14, W: 14, pad: 1, F: 32 }, // conv3
  { N: 2, C: 32, H: 14, W: 14, pad: 2, F: 32 }, // conv4 (pad 2: 16x16)
  { N: 2, C: 32, H: 8, W: 8, pad: 1, F: 64 }, // conv5
  { N: 3, C: 9, H: 7, W: 11, pad: 1, F: 15 }, // odd sizes, partial tiles, C and F off 16
  { N: 2, C: 17, H: 10, W: 9, pad: 0, F: 33 }, // pad 0, three filter panels
  { N: 2, C: 8, H: 3, W: 3, pad: 2, F: 24 }, // smaller than one tile
  { N: 1, C: 20, H: 13, W: 6, pad: 1, F: 48 }, // one image (at 2 threads: the direct path, through the ops)
];

/** conv + bias + ReLU in float64, then the 2x2 max pool: z[N, F, PH, PW]. */
function reference64(k: Conv, x: Float32Array, w: Float32Array, b: Float32Array): Float64Array {
  const { OH, OW } = outSize(k);
  const PH = Math.floor(OH / 2), PW = Math.floor(OW / 2);
  const y = new Float64Array(k.N * k.F * OH * OW);
  for (let n = 0; n < k.N; n++) {
    for (let f = 0; f < k.F; f++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = b[f];
          for (let c = 0; c < k.C; c++) {
            for (let kh = 0; kh < 3; kh++) {
              const ih = oh + kh - k.pad;
              if (ih < 0 || ih >= k.H) continue;
              for (let kw = 0; kw < 3; kw++) {
                const iw = ow + kw - k.pad;
                if (iw >= 0 && iw < k.W) s += w[((f * k.C + c) * 3 + kh) * 3 + kw] * x[((n * k.C + c) * k.H + ih) * k.W + iw];
              }
            }
          }
          y[((n * k.F + f) * OH + oh) * OW + ow] = s <= 0 ? 0 : s;
        }
      }
    }
  }
  const z = new Float64Array(k.N * k.F * PH * PW);
  for (let p = 0; p < k.N * k.F; p++) {
    for (let i = 0; i < PH; i++) {
      for (let j = 0; j < PW; j++) {
        const at = (r: number, c: number) => y[(p * OH + 2 * i + r) * OW + 2 * j + c];
        z[(p * PH + i) * PW + j] = Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1));
      }
    }
  }
  return z;
}

function inputs(k: Conv, seed: number) {
  return { x: randomArray(k.N * k.C * k.H * k.W, seed), w: randomArray(k.F * k.C * 9, seed + 1, -0.3, 0.3), b: randomArray(k.F, seed + 2, -0.1, 0.1) };
}

function pooled(k: Conv): WindowGeometry {
  const { OH, OW } = outSize(k);
  return { N: k.N, C: k.F, H: OH, W: OW, ...POOL };
}
const zSize = (k: Conv) => { const { OH, OW } = outSize(k); return k.N * k.F * Math.floor(OH / 2) * Math.floor(OW / 2); };

/** max |a - e| / max |e| */
function relError(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let err = 0, top = 0;
  for (let i = 0; i < e.length; i++) {
    err = Math.max(err, Math.abs(a[i] - e[i]));
    top = Math.max(top, Math.abs(e[i]));
  }
  return top === 0 ? err : err / top;
}

const label = (k: Conv) => `N${k.N} C${k.C} ${k.H}x${k.W} p${k.pad} F${k.F}`;

/** fn() with Winograd off (NativeBackend.setWinograd; SIMDNET_WINOGRAD=0 does the same for a whole process) */
function withoutWinograd<T>(nb: NativeBackend, fn: () => T): T {
  const before = nb.setWinograd(false);
  try {
    return fn();
  } finally {
    nb.setWinograd(before);
  }
}

for (const nb of natives) {
  describe('native Winograd F(4x4, 3x3) inference', () => {
    test('convPlan: DeepConvNet conv2..conv6 take Winograd at inference where the tier has it; conv1, avx2, one image and SIMDNET_WINOGRAD=0 do not', () => {
      const layers: [number, number, number, number][] = [[1, 28, 1, 16], [16, 28, 1, 16], [16, 14, 1, 32], [32, 14, 2, 32], [32, 8, 1, 64], [64, 8, 1, 64]];
      const plan = (N = 100) => layers.map(([C, H, pad, F]) => nb.convPlan({ N, C, H, W: H, KH: 3, KW: 3, stride: 1, pad }, F, true));
      for (const isa of kernelTiers(nb)) {
        withKernels(nb, isa, () => withThreads(nb, 2, () => {
          const p = plan();
          const wino = isa !== 'avx2';
          expect(p.map((q) => q.inference)).toEqual(['direct', ...Array(5).fill(wino ? 'winograd' : 'direct')]);
          expect(p.map((q) => q.forward)).toEqual(Array(6).fill('direct')); // training keeps the direct forward
          expect(plan(1).map((q) => q.inference)).toEqual(plan(1).map((q) => q.forward)); // fewer images than threads
          expect(withoutWinograd(nb, () => plan().map((q) => q.inference))).toEqual(Array(6).fill('direct'));
          // measured slower there (winograd.cpp): C8 F8 stays direct; C8 F16 does not
          const small = (C: number, F: number) => nb.convPlan({ N: 100, C, H: 28, W: 28, KH: 3, KW: 3, stride: 1, pad: 1 }, F, false).inference;
          expect([small(8, 8), small(8, 16), small(7, 64)]).toEqual(['direct', wino ? 'winograd' : 'direct', 'direct']);
        }));
      }
    });

    test('convMaxPoolForward with Winograd: within its tolerance of float64 and of the TS backend on every tier; 1 and 2 threads bit for bit', () => {
      for (const [i, k] of CASES.entries()) {
        const d = inputs(k, 100 + 3 * i);
        const z64 = reference64(k, d.x, d.w, d.b);
        const zt = new Float32Array(zSize(k));
        ts.convMaxPoolForward(d.x, d.w, d.b, geom(k), k.F, true, pooled(k), zt);
        expect(relError(zt, z64)).toBeLessThan(1e-6);
        let winograd = 0;
        for (const isa of kernelTiers(nb)) {
          const runs = [1, 2].map((threads) => withKernels(nb, isa, () => withThreads(nb, threads, () => {
            const z = new Float32Array(zSize(k)).fill(NaN);
            nb.convMaxPoolForward(d.x, d.w, d.b, geom(k), k.F, true, pooled(k), z);
            if (nb.convPlan(geom(k), k.F, false).inference === 'winograd') winograd++;
            return z;
          })));
          const at = `${isa} ${label(k)}`;
          expect(relError(runs[0], z64)).toBeLessThan(WINO_TOL);
          expect(relError(runs[1], z64)).toBeLessThan(WINO_TOL);
          expect(relError(runs[0], zt)).toBeLessThan(WINO_TOL);
          if (k.N >= 2) expectClose(runs[1], runs[0], { rtol: 0, atol: 0 }, `1 vs 2 threads ${at}`);
        }
        if (kernelTiers(nb).some((isa) => isa !== 'avx2')) expect(winograd).toBeGreaterThan(0);
      }
    });

    test('the tiers agree within the tolerance; setWinograd(false) gives the direct path bit for bit', () => {
      const k = CASES[4];
      const d = inputs(k, 7);
      const run = () => {
        const z = new Float32Array(zSize(k));
        nb.convMaxPoolForward(d.x, d.w, d.b, geom(k), k.F, true, pooled(k), z);
        return z;
      };
      const ref = withKernels(nb, 'reference', () => withThreads(nb, 2, run));
      for (const isa of kernelTiers(nb)) {
        withKernels(nb, isa, () => withThreads(nb, 2, () => {
          expect(relError(run(), ref)).toBeLessThan(WINO_TOL);
          const direct = withoutWinograd(nb, run);
          const y = new Float32Array(k.N * k.F * outSize(k).OH * outSize(k).OW);
          nb.convForward(d.x, d.w, d.b, geom(k), k.F, y, true);
          const z2 = new Float32Array(zSize(k));
          nb.maxPoolForward(y, pooled(k), z2, new Int32Array(zSize(k)));
          expectClose(direct, z2, { rtol: 0, atol: 0 }, `setWinograd(false) ${isa}`);
          if (isa !== 'avx2') expect(Array.from(run()).some((v, j) => v !== z2[j])).toBe(true); // Winograd did run
        }));
      }
    });

    test('weights changed in place between calls are transformed again (the per-thread cache of transformed weights compares the filters bit for bit)', () => {
      const k = CASES[3];
      const d = inputs(k, 21);
      const run = () => {
        const z = new Float32Array(zSize(k));
        nb.convMaxPoolForward(d.x, d.w, d.b, geom(k), k.F, true, pooled(k), z);
        return z;
      };
      for (const isa of kernelTiers(nb)) {
        withKernels(nb, isa, () => withThreads(nb, 2, () => {
          for (let step = 0; step < 3; step++) {
            run();
            d.w[step * 97] += 0.25; // as an optimizer step would, in place
            d.b[step] -= 0.5;
            expect([isa, step, relError(run(), reference64(k, d.x, d.w, d.b)) < WINO_TOL]).toEqual([isa, step, true]);
          }
        }));
      }
    });

    test('convConvMaxPoolForward: DeepConvNet\'s blocks (conv1 direct + conv2 Winograd, conv3 + conv4, conv5 + conv6) within the tolerance of float64', () => {
      const blocks: [Conv, Conv][] = [
        [{ N: 2, C: 1, H: 28, W: 28, pad: 1, F: 16 }, { N: 2, C: 16, H: 28, W: 28, pad: 1, F: 16 }],
        [{ N: 2, C: 16, H: 14, W: 14, pad: 1, F: 32 }, { N: 2, C: 32, H: 14, W: 14, pad: 2, F: 32 }],
        [{ N: 3, C: 32, H: 7, W: 7, pad: 1, F: 20 }, { N: 3, C: 20, H: 7, W: 7, pad: 1, F: 9 }],
      ];
      for (const [i, [k1, k2]] of blocks.entries()) {
        const d1 = inputs(k1, 300 + 5 * i), d2 = inputs(k2, 400 + 5 * i);
        // first convolution in float64 (ReLU'd), then the second with the pool
        const { OH, OW } = outSize(k1);
        const y1 = new Float32Array(k1.N * k1.F * OH * OW);
        const y64: number[] = [];
        for (let n = 0; n < k1.N; n++) for (let f = 0; f < k1.F; f++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
          let s = d1.b[f];
          for (let c = 0; c < k1.C; c++) for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
            const ih = oh + kh - k1.pad, iw = ow + kw - k1.pad;
            if (ih >= 0 && ih < k1.H && iw >= 0 && iw < k1.W) s += d1.w[((f * k1.C + c) * 3 + kh) * 3 + kw] * d1.x[((n * k1.C + c) * k1.H + ih) * k1.W + iw];
          }
          y64.push(s <= 0 ? 0 : s);
        }
        y1.set(y64);
        const z64 = reference64(k2, y1, d2.w, d2.b);
        for (const isa of kernelTiers(nb)) {
          for (const threads of [1, 2]) {
            withKernels(nb, isa, () => withThreads(nb, threads, () => {
              const z = new Float32Array(zSize(k2)).fill(NaN);
              nb.convConvMaxPoolForward(d1.x, d1.w, d1.b, geom(k1), k1.F, true, d2.w, d2.b, geom(k2), k2.F, true, pooled(k2), z);
              expect([`${isa} ${threads}t block ${i}`, relError(z, z64) < WINO_TOL]).toEqual([`${isa} ${threads}t block ${i}`, true]);
            }));
          }
        }
      }
    });
  });
}
