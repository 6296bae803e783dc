/**
 * The 2×2 stride-2 max-pool kernels: every native tier (scalar reference, AVX2) bit-identical over awkward
 * widths (odd, not a multiple of 8 windows, 1), with ties, NaN, ±0 and ±inf; the dense backward path against the
 * TS backend's scatter; argmax that leaves its window (or its plane) still takes the scatter path; a bad argmax
 * is still a RangeError that leaves dx untouched.
 */
import type { WindowGeometry } from '../../lib/backend/types';
import type { NativeBackend } from '../../lib/backend/native';
import { Rng } from '../../lib/rng';
import { backendsUnderTest, type Isa, kernelTiers, ts } from '../helpers';
import { expectThrowKind, outDims } from './conv-reference';

const natives = backendsUnderTest().filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/** Values with many ties and the IEEE corner cases. */
function nasty(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const special = [NaN, -0, 0, Infinity, -Infinity, 1, -1];
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() < 0.2 ? special[rng.int(special.length)] : rng.int(4) - 1.5;
  return a;
}

const SHAPES: [number, number][] = [[2, 2], [3, 3], [2, 17], [5, 16], [4, 31], [7, 33], [9, 40], [28, 28], [14, 14], [1 + 2 * 3, 2 * 19]];

function run(nb: NativeBackend, isa: Isa, g: WindowGeometry, x: Float32Array, dy: Float32Array) {
  const before = nb.info().isa as Isa;
  if (!nb.setKernels(isa)) return null;
  try {
    const { OH, OW } = outDims(g);
    const Y = g.N * g.C * OH * OW;
    const y = new Float32Array(Y), argmax = new Int32Array(Y);
    nb.maxPoolForward(x, g, y, argmax);
    const dx = new Float32Array(x.length).fill(NaN);
    nb.maxPoolBackward(dy, argmax, g, dx);
    return { y, argmax, dx };
  } finally {
    nb.setKernels(before);
  }
}

for (const nb of natives) describe('native 2×2/2 max-pool kernels', () => {
  test.each(SHAPES)('every tier bit-identical, and backward equals the TS scatter: H=%i W=%i', (H, W) => {
    const g: WindowGeometry = { N: 2, C: 3, H, W, KH: 2, KW: 2, stride: 2, pad: 0 };
    const x = nasty(g.N * g.C * H * W, H * 100 + W);
    const { OH, OW } = outDims(g);
    const dy = nasty(g.N * g.C * OH * OW, W);
    const ref = run(nb, 'reference', g, x, dy)!;
    for (const isa of kernelTiers(nb).filter((t) => t !== 'reference')) {
      const got = run(nb, isa, g, x, dy)!;
      expect(bits(got.y)).toEqual(bits(ref.y));
      expect(Array.from(got.argmax)).toEqual(Array.from(ref.argmax));
      expect(bits(got.dx)).toEqual(bits(ref.dx));
    }
    const ty = new Float32Array(ref.y.length), ta = new Int32Array(ref.y.length);
    ts.maxPoolForward(x, g, ty, ta);
    expect(bits(ty)).toEqual(bits(ref.y));
    expect(Array.from(ta)).toEqual(Array.from(ref.argmax));
    const tdx = new Float32Array(x.length);
    ts.maxPoolBackward(dy, ref.argmax, g, tdx);
    expect(bits(ref.dx)).toEqual(bits(tdx));
  });

  test('argmax outside its window (same plane, or another plane) takes the scatter path', () => {
    const g: WindowGeometry = { N: 1, C: 2, H: 4, W: 18, KH: 2, KW: 2, stride: 2, pad: 0 };
    const { OH, OW } = outDims(g);
    const P = OH * OW;
    const dy = Float32Array.from({ length: 2 * P }, (_, i) => i + 1);
    for (const moved of [[0, 5], [3, 40], [P + 1, 2], [P + 2, 72 + 3]]) {
      const argmax = new Int32Array(2 * P);
      for (let p = 0; p < 2; p++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) argmax[p * P + oh * OW + ow] = p * 72 + 2 * oh * 18 + 2 * ow + 19;
      argmax[moved[0]] = moved[1];
      const want = new Float32Array(144);
      ts.maxPoolBackward(dy, argmax, g, want);
      for (const isa of kernelTiers(nb)) {
        const before = nb.info().isa as Isa;
        if (!nb.setKernels(isa)) continue;
        try {
          const dx = new Float32Array(144).fill(NaN);
          nb.maxPoolBackward(dy, argmax, g, dx);
          expect(Array.from(dx)).toEqual(Array.from(want));
        } finally {
          nb.setKernels(before);
        }
      }
    }
  });

  test('an argmax out of range is a RangeError and dx is left untouched', () => {
    const g: WindowGeometry = { N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, stride: 2, pad: 0 };
    const argmax = Int32Array.from([0, 2, 8, 16]);
    const dx = new Float32Array(16).fill(7);
    expectThrowKind(() => nb.maxPoolBackward(new Float32Array(4), argmax, g, dx), RangeError, /argmax\[3\]/);
    expect(Array.from(dx)).toEqual(new Array(16).fill(7));
  });
});

if (natives.length === 0) test('TS-only run: no native kernels to compare', () => expect(natives).toEqual([]));
