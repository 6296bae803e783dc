/**
 * convMaxPoolForward at inference (no argmax) where the pool runs in registers (native/core/conv_pool_fwd.h: stride 1,
 * a 2x2 stride-2 pool, up to 4 input channels, the direct forward's geometry): on every kernel tier (each with its own
 * kernel: the scalar reference, AVX2 3x4, AVX-512 6x4) and at 1, 2 and 3 threads it equals convForward then
 * maxPoolForward bit for bit, and the TypeScript backend within float32 rounding. Awkward shapes: 1 to 4 channels,
 * square and non-square windows 2..7 (1xK, Kx1), pads 0..3, odd output sizes the pool floors, pooled planes that
 * are not a multiple of 8 or 16 positions (and fewer than 8), filter counts that leave partial tiles (1, 5, 7, 13,
 * 31), no ReLU, one image, and NaN / Inf inputs (which windows they reach, and that a NaN is not lost to the ReLU).
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { WindowGeometry } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';

const backends = backendsUnderTest();
const natives = backends.filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);
const ts = backends.find((b) => b.name === 'ts')!.backend;
const out = (n: number, k: number, p: number) => n + 2 * p - k + 1;
const POOL = { KH: 2, KW: 2, stride: 2, pad: 0 };

interface Case { g: WindowGeometry; F: number; relu: boolean }
const c = (N: number, C: number, H: number, W: number, KH: number, KW: number, pad: number, F: number, relu = true): Case =>
  ({ g: { N, C, H, W, KH, KW, stride: 1, pad }, F, relu });
const CASES: Case[] = [
  c(5, 1, 28, 28, 5, 5, 0, 30), // SimpleConvNet: 144 pooled positions (9 x 16, 18 x 8), 30 filters = 5 x 6 = 10 x 3
  c(3, 1, 28, 28, 3, 3, 1, 16), // DeepConvNet's first layer shape
  c(3, 3, 32, 32, 5, 5, 2, 32), // RGB 5x5 pad 2
  c(2, 3, 23, 19, 7, 7, 3, 13), // 7x7 pad 3, odd output 23x19: 11x9 = 99 pooled positions, 13 filters (6+4+3 / 3+3+3+2+2)
  c(3, 2, 11, 13, 4, 6, 1, 7), // non-square 4x6 window, 10x10 output, 25 pooled positions
  c(2, 4, 9, 17, 1, 3, 0, 5), // 1x3: 9x15 output, the last row and column dropped
  c(2, 4, 17, 9, 3, 1, 2, 31), // 3x1 pad 2
  c(2, 1, 6, 6, 2, 2, 0, 1), // one filter, 5x5 output -> 2x2: 4 pooled positions (under one vector)
  c(1, 2, 30, 30, 3, 3, 0, 37), // one image (1 thread: the per-image path; 2 threads: the two ops), 37 filters
  c(3, 3, 20, 20, 5, 5, 1, 20, false), // no ReLU
  c(2, 5, 12, 12, 3, 3, 1, 8), // 5 channels: not this path (the per-image buffer), still the same bits
];

function geometry(k: Case) {
  const OH = out(k.g.H, k.g.KH, k.g.pad), OW = out(k.g.W, k.g.KW, k.g.pad);
  const p: WindowGeometry = { N: k.g.N, C: k.F, H: OH, W: OW, ...POOL };
  return { p, Y: k.g.N * k.F * OH * OW, Z: k.g.N * k.F * Math.floor(OH / 2) * Math.floor(OW / 2) };
}
const label = (k: Case) => `N${k.g.N} C${k.g.C} ${k.g.H}x${k.g.W} K${k.g.KH}x${k.g.KW} p${k.g.pad} F${k.F}${k.relu ? ' relu' : ''}`;

for (const nb of natives) {
  describe('native convMaxPoolForward, pooled in registers', () => {
    test('equals convForward then maxPoolForward bit for bit on every tier at 1, 2 and 3 threads, and the TypeScript backend', () => {
      for (const [i, k] of CASES.entries()) {
        const x = randomArray(k.g.N * k.g.C * k.g.H * k.g.W, 100 + i);
        const w = randomArray(k.F * k.g.C * k.g.KH * k.g.KW, 200 + i);
        const b = randomArray(k.F, 300 + i, -0.5, 0.5);
        const { p, Y, Z } = geometry(k);
        const zt = new Float32Array(Z).fill(NaN);
        ts.convMaxPoolForward(x, w, b, k.g, k.F, k.relu, p, zt);
        for (const isa of kernelTiers(nb)) {
          for (const threads of [1, 2, 3]) {
            withKernels(nb, isa, () => withThreads(nb, threads, () => {
              const at = `${isa} ${threads}t ${label(k)}`;
              const y = new Float32Array(Y);
              const z2 = new Float32Array(Z);
              nb.convForward(x, w, b, k.g, k.F, y, k.relu);
              nb.maxPoolForward(y, p, z2, new Int32Array(Z));
              const z = new Float32Array(Z + 16).fill(NaN);
              nb.convMaxPoolForward(x, w, b, k.g, k.F, k.relu, p, z.subarray(0, Z));
              expectClose(z.subarray(0, Z), z2, { rtol: 0, atol: 0 }, `pooled in registers vs two ops ${at}`);
              expect(z.subarray(Z).every(Number.isNaN)).toBe(true); // nothing written past z
              expectClose(z.subarray(0, Z), zt, { rtol: 1e-4, atol: 1e-5 }, `native vs ts ${at}`);
            }));
          }
        }
      }
    });

    test('NaN and Inf inputs reach the windows the two ops give, with and without the ReLU', () => {
      for (const relu of [true, false]) {
        const k = c(3, 1, 28, 28, 5, 5, 0, 30, relu);
        const x = randomArray(3 * 784, 7);
        x[784 + 3 * 28 + 5] = NaN; // image 1
        x[2 * 784 + 20 * 28 + 27] = Infinity; // image 2, last column
        x[2 * 784 + 2 * 28 + 2] = -Infinity;
        const w = randomArray(30 * 25, 8);
        const b = randomArray(30, 9);
        const { p, Y, Z } = geometry(k);
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () => withThreads(nb, 2, () => {
            const y = new Float32Array(Y);
            const z2 = new Float32Array(Z);
            nb.convForward(x, w, b, k.g, k.F, y, relu);
            nb.maxPoolForward(y, p, z2, new Int32Array(Z));
            const z = new Float32Array(Z);
            nb.convMaxPoolForward(x, w, b, k.g, k.F, relu, p, z);
            expect(z.some(Number.isNaN)).toBe(true);
            expect(z.some((v) => v === Infinity)).toBe(true);
            // the same values, NaN and infinities included (Object.is: NaN equals NaN, +0 is not -0)
            const first = z.findIndex((v, j) => !Object.is(v, z2[j]));
            expect(`${isa} relu ${relu}: first difference at ${first}${first >= 0 ? `: ${z[first]} vs ${z2[first]}` : ''}`).toBe(`${isa} relu ${relu}: first difference at -1`);
          }));
        }
      }
    });
  });
}
