/**
 * convInferenceForward (a network's folded or residual convolution at inference: y = conv(x, w) + b (+ r), then the
 * ReLU; native/core/conv.h conv_forward_inference): on every kernel tier (the reference tier included) and at 1 and 2
 * threads it equals convForward, then the Add layer's sum (y = a; y += r by axpy), then activationForward('relu'),
 * bit for bit where it is not Winograd's (setWinograd(false), and the shapes Winograd does not take) — over the direct
 * path (row segments and the W-expanded copy), the strided and im2col paths (stride 2, 5×5), the pointwise GEMM,
 * fewer images than threads (the per-image GEMMs on the whole pool), odd sizes and partial filter tiles, no ReLU, no
 * residual, a NaN in the residual; with Winograd (convPlan(...).inference 'winograd') within 2e-5 of the largest
 * output; the TypeScript backend within float32 rounding; bad inputs.
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { Backend, WindowGeometry } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';
import { expectThrowKind, label, outDims } from './conv-reference';

const backends = backendsUnderTest();
const natives = backends.filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);
const ts = backends.find((b) => b.name === 'ts')!.backend;

type Case = WindowGeometry & { F: number; relu: boolean; residual: boolean };
const c = (N: number, C: number, H: number, W: number, K: number, stride: number, pad: number, F: number, relu = true, residual = true): Case =>
  ({ N, C, H, W, KH: K, KW: K, stride, pad, F, relu, residual });
const CASES: Case[] = [
  c(3, 16, 28, 28, 3, 1, 1, 16), // ResNet stage 1's second convolution (direct, row segments)
  c(3, 32, 7, 7, 3, 1, 1, 32), // stage 3 at 28×28 input: rows of 7 (the W-expanded copy)
  c(2, 5, 9, 7, 3, 1, 1, 13), // odd sizes, partial filter tiles
  c(3, 4, 11, 9, 3, 2, 1, 6), // stride 2: im2col
  c(2, 3, 10, 10, 5, 1, 2, 4), // 5×5
  c(2, 6, 5, 4, 1, 1, 0, 7), // pointwise: the image itself as the GEMM operand
  c(1, 16, 8, 8, 3, 1, 1, 16), // one image: per-image GEMMs on the whole pool
  c(3, 8, 6, 6, 3, 1, 1, 8, false), // no ReLU: conv + b + r
  c(3, 16, 14, 14, 3, 1, 1, 32, true, false), // no residual: a folded convolution + its ReLU
  c(2, 3, 9, 9, 3, 1, 1, 5, false, false), // neither
];

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function dims(k: Case) {
  const { OH, OW } = outDims(k);
  return { X: k.N * k.C * k.H * k.W, Y: k.N * k.F * OH * OW, K: k.C * k.KH * k.KW };
}

function data(k: Case, seed: number) {
  const { X, Y, K } = dims(k);
  return { x: randomArray(X, seed), w: randomArray(k.F * K, seed + 1), b: randomArray(k.F, seed + 2, -0.3, 0.3), r: randomArray(Y, seed + 3) };
}

/** convForward, then the Add layer's sum (copy + axpy(1, r)), then the Relu layer's op: the unfused layers. */
function unfused(be: Backend, k: Case, d: ReturnType<typeof data>): Float32Array {
  const { Y } = dims(k);
  const a = new Float32Array(Y);
  be.convForward(d.x, d.w, d.b, k, k.F, a);
  const s = a.slice();
  if (k.residual) be.axpy(1, d.r, s);
  if (!k.relu) return s;
  const y = new Float32Array(Y);
  be.activationForward('relu', s, y, 0);
  return y;
}

function fused(be: Backend, k: Case, d: ReturnType<typeof data>): Float32Array {
  const y = new Float32Array(dims(k).Y).fill(NaN);
  const r0 = d.r.slice();
  be.convInferenceForward(d.x, d.w, d.b, k, k.F, k.relu, k.residual ? d.r : null, y);
  expect(bits(d.r)).toEqual(bits(r0)); // r is read, never written
  return y;
}

function expectSameBits(a: Float32Array, b: Float32Array, at: string): void {
  const [pa, pb] = [bits(a), bits(b)];
  const i = pa.findIndex((v, j) => v !== pb[j]);
  if (i >= 0) throw new Error(`${at}: y[${i}] fused ${a[i]} vs unfused ${b[i]}`);
}

const name = (k: Case) => `${label(k)}${k.relu ? ' relu' : ''}${k.residual ? ' + r' : ''}`;

describe('convInferenceForward', () => {
  test.each(CASES.map((k) => [name(k), k] as const))('TypeScript backend: the unfused ops bit for bit: %s', (_l, k) => {
    const d = data(k, 7);
    const y = fused(ts, k, d);
    expectSameBits(y, unfused(ts, k, d), 'ts');
    if (k.relu) expect(y.some((v) => v === 0) && y.every((v) => v >= 0)).toBe(true);
  });

  for (const nb of natives) {
    test.each(CASES.map((k, i) => [name(k), k, i] as const))('native, every tier, 1 and 2 threads: the unfused ops bit for bit (Winograd within 2e-5), the TypeScript backend within rounding: %s', (_l, k, i) => {
      const d = data(k, 20 + 4 * i);
      const yt = fused(ts, k, d);
      const top = yt.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const isa of kernelTiers(nb)) {
        for (const threads of [1, 2]) {
          withKernels(nb, isa, () => withThreads(nb, threads, () => {
            const at = `${isa} ${threads}t`;
            const wino = nb.convPlan(k, k.F, false).inference === 'winograd';
            const y = fused(nb, k, d);
            const u = unfused(nb, k, d);
            if (wino) {
              for (let j = 0; j < u.length; j++) if (!(Math.abs(y[j] - u[j]) <= 2e-5 * top)) throw new Error(`${at} winograd: y[${j}] ${y[j]} vs ${u[j]}`);
              const before = nb.setWinograd(false);
              try {
                expectSameBits(fused(nb, k, d), u, `${at} Winograd off`);
              } finally {
                nb.setWinograd(before);
              }
            } else {
              expectSameBits(y, u, at);
            }
            expectClose(y, yt, { rtol: 1e-4, atol: 2e-5 * top }, `native vs ts ${at}`);
          }));
        }
      }
    });

    test('Winograd takes the 3x3 stride-1 convolutions with 8 or more channels and filters (AVX-512), not the others', () => {
      const tiers = kernelTiers(nb);
      if (!tiers.includes('avx512')) return;
      withKernels(nb, 'avx512', () => withThreads(nb, 2, () => {
        expect(nb.convPlan(CASES[0], CASES[0].F, false).inference).toBe('winograd');
        expect(nb.convPlan(CASES[3], CASES[3].F, false).inference).not.toBe('winograd'); // stride 2
        expect(nb.convPlan(CASES[5], CASES[5].F, false).inference).not.toBe('winograd'); // 1x1
      }));
    });

    test('a NaN in the residual stays NaN through the ReLU (as the Relu layer lets it pass)', () => {
      const k = CASES[0];
      const d = data(k, 3);
      d.r[5] = NaN;
      const y = fused(nb, k, d);
      expect(Number.isNaN(y[5])).toBe(true);
      expect(y.filter((v) => Number.isNaN(v))).toHaveLength(1); // the residual's NaN stays where it was
    });
  }
});

describe.each(backends)('$name backend: convInferenceForward bad inputs', ({ backend }) => {
  const k = CASES[2];
  const { X, Y, K } = dims(k);
  const f32 = (n: number) => new Float32Array(n);
  test('relu not a boolean, r (null: no residual) or y of the wrong type or too short: TypeError/RangeError naming the argument', () => {
    expectThrowKind(() => backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, 1 as never, f32(Y), f32(Y)), TypeError, /relu/);
    expectThrowKind(() => backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, true, new Int32Array(Y) as never, f32(Y)), TypeError, /\br\b/);
    expectThrowKind(() => backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, true, f32(Y - 1), f32(Y)), RangeError, /\br\b/);
    expectThrowKind(() => backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, true, f32(Y), f32(Y - 1)), RangeError, /\by\b/);
  });

  test('r overlapping y is refused (the residual is read after y is written)', () => {
    const buf = new Float32Array(2 * Y);
    expectThrowKind(() => backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, true, buf.subarray(0, Y), buf.subarray(0, Y)), RangeError, /overlap/);
    expectThrowKind(() => backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, true, buf.subarray(1, Y + 1), buf.subarray(0, Y)), RangeError, /overlap/);
    // adjacent views of one buffer do not overlap
    backend.convInferenceForward(f32(X), f32(k.F * K), f32(k.F), k, k.F, true, buf.subarray(Y, 2 * Y), buf.subarray(0, Y));
  });
});
