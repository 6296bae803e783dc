/**
 * convMaxPoolBackward (training: a convolution (+ its fused ReLU) read only by a max pool, the pool's backward folded
 * into the convolution's; native/core/conv.h conv_backward_max_pool). On every kernel tier and at 1, 2 and 3 threads
 * it equals maxPoolBackward then convBackward (with the ReLU's y) bit for bit — dw, db and dx — given the pool's
 * output and argmax from a forward over the (ReLU'd) convolution output, and the TypeScript backend within float32
 * rounding. Geometries: the SimpleConvNet and DeepConvNet shapes (pooled rows of 12 and 14 windows: the vector pool
 * kernel; the lane dW and the im2col dW; the first layer without dx), pooled rows under 8 windows (the reference pool
 * kernel), odd output sizes the pool floors, no ReLU, one image (images one after another), a 3x3 stride-2 padded
 * window and a global window (through the workspace). An argmax moved outside its window (only an edit makes one)
 * gives the documented formula (the scatter path); one outside the convolution's output is a RangeError naming it.
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { WindowGeometry } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, kernelTiers, randomArray, withKernels, withThreads } from '../helpers';

const backends = backendsUnderTest();
const natives = backends.filter((b) => b.name === 'native').map((b) => b.backend as NativeBackend);
const ts = backends.find((b) => b.name === 'ts')!.backend;

type Be = (typeof backends)[number]['backend'];
interface Case {
  g: WindowGeometry;
  F: number;
  pool: { KH: number; KW: number; stride: number; pad: number };
  relu: boolean;
  dx: boolean;
}
const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
const TWO = { KH: 2, KW: 2, stride: 2, pad: 0 };
const c = (N: number, C: number, H: number, W: number, K: number, pad: number, F: number, pool = TWO, relu = true, dx = true): Case =>
  ({ g: { N, C, H, W, KH: K, KW: K, stride: 1, pad }, F, pool, relu, dx });
const CASES: Case[] = [
  c(4, 1, 28, 28, 5, 0, 30, TWO, true, false), // SimpleConvNet conv1 (first layer: no dx), pooled rows of 12
  c(3, 16, 12, 28, 3, 1, 16), // DeepConvNet conv2 (lane dW), pooled rows of 14
  c(3, 32, 8, 14, 3, 2, 32), // conv4's pad 2 (im2col dW), 16 wide -> 8 windows
  c(4, 8, 8, 8, 3, 1, 13), // pooled rows of 4 windows (the reference pool kernel), partial filter tiles
  c(3, 3, 7, 9, 3, 1, 5), // odd output 7x9: the last row and column are in no window
  c(3, 16, 6, 28, 3, 1, 16, TWO, false), // no ReLU
  c(1, 16, 6, 28, 3, 1, 16), // one image: per-image GEMMs on the pool
  c(3, 4, 9, 9, 3, 1, 6, { KH: 3, KW: 3, stride: 2, pad: 1 }), // not 2x2: through the workspace
  c(3, 4, 6, 6, 3, 1, 6, { KH: 6, KW: 6, stride: 1, pad: 0 }), // a global window
];

const label = (k: Case) => `N${k.g.N} C${k.g.C} ${k.g.H}x${k.g.W} K${k.g.KH} p${k.g.pad} F${k.F} pool ${k.pool.KH}x${k.pool.KW}/${k.pool.stride} p${k.pool.pad}${k.relu ? ' relu' : ''}${k.dx ? '' : ' no dx'}`;

/** A forward (convolution + ReLU, then the pool) on `be` and a random dz: what a training backward gets. */
function setup(be: Be, k: Case, seed: number) {
  const { g, F } = k;
  const OH = out(g.H, g.KH, 1, g.pad);
  const OW = out(g.W, g.KW, 1, g.pad);
  const p: WindowGeometry = { N: g.N, C: F, H: OH, W: OW, ...k.pool };
  const Y = g.N * F * OH * OW;
  const Z = g.N * F * out(OH, k.pool.KH, k.pool.stride, k.pool.pad) * out(OW, k.pool.KW, k.pool.stride, k.pool.pad);
  const X = g.N * g.C * g.H * g.W;
  const x = randomArray(X, seed);
  const w = randomArray(F * g.C * g.KH * g.KW, seed + 1);
  const b = randomArray(F, seed + 2, -3, 1); // mostly negative biases: many ReLU zeros, whole windows of them
  const y = new Float32Array(Y);
  const z = new Float32Array(Z);
  const argmax = new Int32Array(Z);
  be.convForward(x, w, b, g, F, y, k.relu);
  be.maxPoolForward(y, p, z, argmax);
  return { p, X, Y, Z, x, w, y, z, argmax, dz: randomArray(Z, seed + 3) };
}
type Setup = ReturnType<typeof setup>;

interface Grads { dx: Float32Array | null; dw: Float32Array; db: Float32Array }
const grads = (k: Case, s: Setup): Grads => ({
  dx: k.dx ? new Float32Array(s.X).fill(NaN) : null, dw: new Float32Array(s.w.length).fill(NaN), db: new Float32Array(k.F).fill(NaN),
});

const fused = (be: Be, k: Case, s: Setup, argmax = s.argmax): Grads => {
  const r = grads(k, s);
  be.convMaxPoolBackward(s.dz, argmax, s.z, s.x, s.w, k.g, k.F, k.relu, s.p, r.dx, r.dw, r.db);
  return r;
};
/** The two ops: the pool's backward into dy, the convolution's through its ReLU (y). */
const twoOps = (be: Be, k: Case, s: Setup): Grads => {
  const r = grads(k, s);
  const dy = new Float32Array(s.Y);
  be.maxPoolBackward(s.dz, s.argmax, s.p, dy);
  be.convBackward(dy, s.x, s.w, k.g, k.F, r.dx, r.dw, r.db, k.relu ? s.y : null);
  return r;
};
/** The documented formula for any argmax: dy = maxPoolBackward(relu ? (z > 0 ? dz : 0) : dz, argmax). */
const formula = (be: Be, k: Case, s: Setup, argmax: Int32Array): Grads => {
  const r = grads(k, s);
  const d = k.relu ? s.dz.map((v, i) => (s.z[i] > 0 ? v : 0)) : s.dz;
  const dy = new Float32Array(s.Y);
  be.maxPoolBackward(d, argmax, s.p, dy);
  be.convBackward(dy, s.x, s.w, k.g, k.F, r.dx, r.dw, r.db, null);
  return r;
};

function expectSame(a: Grads, b: Grads, tol: { rtol: number; atol: number }, at: string) {
  expectClose(a.dw, b.dw, tol, `dw ${at}`);
  expectClose(a.db, b.db, tol, `db ${at}`);
  if (a.dx || b.dx) expectClose(a.dx!, b.dx!, tol, `dx ${at}`);
}
const EXACT = { rtol: 0, atol: 0 };

test('TypeScript convMaxPoolBackward equals maxPoolBackward then convBackward (through y) exactly', () => {
  for (const [i, k] of CASES.entries()) {
    const s = setup(ts, k, 20 + 5 * i);
    expectSame(fused(ts, k, s), twoOps(ts, k, s), EXACT, label(k));
  }
});

for (const nb of natives) {
  describe('native convMaxPoolBackward', () => {
    test('equals maxPoolBackward then convBackward bit for bit on every tier, 1-3 threads, and the TypeScript backend', () => {
      for (const [i, k] of CASES.entries()) {
        const s = setup(nb, k, 20 + 5 * i);
        // whole windows the ReLU zeroed (the mask matters) beside positive ones (not to be had from a global window)
        if (k.relu && k.pool.KH <= 3) expect([label(k), s.z.some((v) => v === 0), s.z.some((v) => v > 0)]).toEqual([label(k), true, true]);
        const want = fused(ts, k, s);
        for (const isa of kernelTiers(nb)) {
          for (const threads of [1, 2, 3]) {
            withKernels(nb, isa, () => withThreads(nb, threads, () => {
              const at = `${isa} ${threads}t ${label(k)}`;
              const got = fused(nb, k, s);
              expectSame(got, twoOps(nb, k, s), EXACT, `fused vs two ops ${at}`);
              expectSame(got, want, { rtol: 1e-4, atol: 1e-4 }, `native vs ts ${at}`);
            }));
          }
        }
      }
    });

    test('an argmax moved outside its window (inside the plane) gives the documented formula on every tier', () => {
      for (const k of [CASES[1], CASES[3]]) {
        const s = setup(nb, k, 7);
        const moved = s.argmax.slice();
        // a window with a gradient (z > 0) points at its left neighbour's maximum
        let i = moved.length - 1;
        while (!(s.z[i] > 0 && i % (s.p.W >> 1) !== 0)) i--;
        moved[i] = s.argmax[i - 1];
        for (const isa of kernelTiers(nb)) {
          withKernels(nb, isa, () => withThreads(nb, 2, () => {
            const got = fused(nb, k, s, moved);
            expectSame(got, formula(nb, k, s, moved), EXACT, `${isa} ${label(k)}`);
            expectSame(got, fused(ts, k, s, moved), { rtol: 1e-4, atol: 1e-4 }, `native vs ts ${isa} ${label(k)}`);
          }));
        }
      }
    });
  });
}

describe.each(backends.map((b) => [b.name, b.backend] as const))('%s convMaxPoolBackward arguments', (_name, be) => {
  // the addon's errors come from another realm: compare names, not constructors
  const thrown = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
    return 'no error';
  };

  test('an argmax outside the convolution\'s output is a RangeError naming it (2x2 and other windows)', () => {
    for (const k of [CASES[3], CASES[7]]) {
      const s = setup(be, k, 3);
      for (const v of [-1, s.Y, 1 << 30]) {
        const bad = s.argmax.slice();
        bad[5] = v;
        expect(thrown(() => fused(be, k, s, bad))).toMatch(/^RangeError: argmax\[5\]/);
      }
      expect(thrown(() => fused(be, k, s))).toBe('no error');
    }
  });

  test('a pool window that does not describe the convolution\'s output is a RangeError naming p', () => {
    const k = CASES[3];
    const s = setup(be, k, 1);
    for (const bad of [{ ...s.p, C: k.F - 1 }, { ...s.p, H: s.p.H - 1 }, { ...s.p, N: 1 }]) {
      const r = grads(k, s);
      expect(thrown(() => be.convMaxPoolBackward(s.dz, s.argmax, s.z, s.x, s.w, k.g, k.F, true, bad, r.dx, r.dw, r.db))).toMatch(/^RangeError: p\b/);
    }
  });
});
