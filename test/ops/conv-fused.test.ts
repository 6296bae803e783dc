/**
 * The fused Convolution→ReLU ops: convForward(…, relu = true) against convForward + activationForward('relu'),
 * convBackward(…, y) against activationBackward('relu') + convBackward, bit for bit on every backend and
 * every native kernel tier; native vs TS; bad inputs.
 */
import type { Backend, WindowGeometry } from '../../lib/backend/types';
import type { NativeBackend } from '../../lib/backend/native';
import { backendsUnderTest, expectClose, type Isa, kernelTiers, randomArray } from '../helpers';
import { expectThrowKind, label, outDims } from './conv-reference';

const backends = backendsUnderTest();
type Case = WindowGeometry & { F: number };

/** The book's shapes (3×3 pad 1, 5×5 on C=1), a pointwise 1×1, stride 2 (col2im path), odd sizes, a single image. */
const CASES: Case[] = [
  { N: 3, C: 1, H: 12, W: 12, KH: 5, KW: 5, stride: 1, pad: 0, F: 4 },
  { N: 2, C: 3, H: 9, W: 7, KH: 3, KW: 3, stride: 1, pad: 1, F: 5 },
  { N: 3, C: 4, H: 6, W: 6, KH: 3, KW: 3, stride: 1, pad: 2, F: 3 },
  { N: 2, C: 5, H: 5, W: 4, KH: 1, KW: 1, stride: 1, pad: 0, F: 6 },
  { N: 2, C: 2, H: 9, W: 8, KH: 3, KW: 2, stride: 2, pad: 1, F: 3 },
  { N: 1, C: 2, H: 4, W: 4, KH: 3, KW: 3, stride: 1, pad: 1, F: 2 },
  // ResNet's last stage on small images: im2col with K = 1152 over several of the GEMM's K blocks (b added before
  // the blocks, not after: the fused ReLU once added it last and differed from the Relu layer in the last bit)
  { N: 3, C: 128, H: 2, W: 2, KH: 3, KW: 3, stride: 1, pad: 1, F: 24 },
];

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function dims(g: Case) {
  const { OH, OW } = outDims(g);
  const K = g.C * g.KH * g.KW;
  return { X: g.N * g.C * g.H * g.W, Y: g.N * g.F * OH * OW, K };
}

function inputs(g: Case, seed: number) {
  const { X, Y, K } = dims(g);
  const x = randomArray(X, seed);
  const w = randomArray(g.F * K, seed + 1);
  const b = randomArray(g.F, seed + 2, -0.3, 0.3);
  const dy = randomArray(Y, seed + 3);
  return { x, w, b, dy };
}

/** Unfused reference on one backend: conv, relu; relu', conv'. */
function unfused(be: Backend, g: Case, seed: number) {
  const { X, Y, K } = dims(g);
  const { x, w, b, dy } = inputs(g, seed);
  const pre = new Float32Array(Y);
  be.convForward(x, w, b, g, g.F, pre);
  const y = new Float32Array(Y);
  be.activationForward('relu', pre, y, 0);
  const dpre = new Float32Array(Y);
  be.activationBackward('relu', dy, pre, y, dpre, 0);
  const dx = new Float32Array(X), dw = new Float32Array(g.F * K), db = new Float32Array(g.F);
  be.convBackward(dpre, x, w, g, g.F, dx, dw, db);
  return { y, dx, dw, db };
}

function fused(be: Backend, g: Case, seed: number) {
  const { X, Y, K } = dims(g);
  const { x, w, b, dy } = inputs(g, seed);
  const dyCopy = dy.slice();
  const y = new Float32Array(Y).fill(NaN);
  be.convForward(x, w, b, g, g.F, y, true);
  const dx = new Float32Array(X).fill(NaN), dw = new Float32Array(g.F * K).fill(NaN), db = new Float32Array(g.F).fill(NaN);
  be.convBackward(dy, x, w, g, g.F, dx, dw, db, y);
  expect(bits(dy)).toEqual(bits(dyCopy)); // dy is read, never written
  return { y, dx, dw, db };
}

function expectSameBits(a: Record<string, Float32Array>, b: Record<string, Float32Array>): void {
  for (const k of Object.keys(a)) {
    const [pa, pb] = [bits(a[k]), bits(b[k])];
    const i = pa.findIndex((v, j) => v !== pb[j]);
    if (i >= 0) throw new Error(`${k}[${i}]: fused ${a[k][i]} vs unfused ${b[k][i]}`);
  }
}

describe.each(backends)('$name backend: fused conv + relu', ({ name, backend }) => {
  test.each(CASES.map((c) => [label(c), c] as const))('bit-identical to conv then relu: %s', (_l, g) => {
    const tiers: (Isa | null)[] = name === 'native' ? kernelTiers(backend as NativeBackend) : [null];
    for (const tier of tiers) {
      const nb = backend as NativeBackend;
      const before = name === 'native' ? nb.info().isa : null;
      if (tier !== null && !nb.setKernels(tier)) continue;
      try {
        const f = fused(backend, g, 11);
        const u = unfused(backend, g, 11);
        expectSameBits(f, u);
        expect(f.y.some((v) => v === 0)).toBe(true); // the ReLU did clip something
        expect(f.y.every((v) => v >= 0)).toBe(true);
      } finally {
        if (before !== null) nb.setKernels(before as 'reference' | 'avx2' | 'avx512');
      }
    }
  });

  test('dx null with a fused y: dw/db still masked', () => {
    const g = CASES[1];
    const { K } = dims(g);
    const u = unfused(backend, g, 5);
    const { x, w, b, dy } = inputs(g, 5);
    const y = new Float32Array(dims(g).Y);
    backend.convForward(x, w, b, g, g.F, y, true);
    const dw = new Float32Array(g.F * K), db = new Float32Array(g.F);
    backend.convBackward(dy, x, w, g, g.F, null, dw, db, y);
    expectSameBits({ dw, db }, { dw: u.dw, db: u.db });
  });

  test('bad inputs: relu not a boolean, y of the wrong type or too short', () => {
    const g = CASES[1];
    const { X, Y, K } = dims(g);
    const f32 = (n: number) => new Float32Array(n);
    expectThrowKind(() => backend.convForward(f32(X), f32(g.F * K), f32(g.F), g, g.F, f32(Y), 1 as never), TypeError);
    expectThrowKind(() => backend.convBackward(f32(Y), f32(X), f32(g.F * K), g, g.F, f32(X), f32(g.F * K), f32(g.F), new Int32Array(Y) as never), TypeError);
    expectThrowKind(() => backend.convBackward(f32(Y), f32(X), f32(g.F * K), g, g.F, f32(X), f32(g.F * K), f32(g.F), f32(Y - 1)), RangeError);
  });
});

if (backends.length > 1) {
  test.each(CASES.map((c) => [label(c), c] as const))('native vs ts, fused: %s', (_l, g) => {
    const [a, b] = [fused(backends[0].backend, g, 21), fused(backends[1].backend, g, 21)];
    for (const k of ['y', 'dx', 'dw', 'db'] as const) expectClose(b[k], a[k], { rtol: 1e-4, atol: 1e-5 }, k);
  });
}
