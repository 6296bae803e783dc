/**
 * Max and average pooling on every backend under test: against direct float64 definitions
 * (test/ops/conv-reference.ts), adjoint identities for the backward passes, ties and padding, native vs TS,
 * thread-count independence, and the bad-input table.
 */
import type { Backend, WindowGeometry } from '../../lib/backend/types';
import type { NativeBackend } from '../../lib/backend/native';
import { Rng } from '../../lib/rng';
import { backendsUnderTest, expectClose, randomArray, ts } from '../helpers';
import { dot, expectThrowKind, label, naiveAvgPool, naiveMaxPool, outDims } from './conv-reference';

const backends = backendsUnderTest();

/** Max-pool shapes (pad < KH, KW): the book's 2×2/2, overlapping windows, odd sizes, H ≠ W, KH ≠ KW, 1×1. */
const MAX_CASES: WindowGeometry[] = [
  { N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2, stride: 2, pad: 0 },
  { N: 3, C: 3, H: 28, W: 28, KH: 2, KW: 2, stride: 2, pad: 0 },
  { N: 3, C: 2, H: 7, W: 9, KH: 2, KW: 2, stride: 2, pad: 0 },
  { N: 3, C: 1, H: 7, W: 9, KH: 3, KW: 3, stride: 2, pad: 1 },
  { N: 1, C: 3, H: 5, W: 6, KH: 3, KW: 2, stride: 1, pad: 1 },
  { N: 3, C: 3, H: 11, W: 8, KH: 5, KW: 3, stride: 3, pad: 2 },
  { N: 1, C: 3, H: 6, W: 5, KH: 1, KW: 1, stride: 2, pad: 0 },
  { N: 3, C: 1, H: 2, W: 3, KH: 3, KW: 4, stride: 1, pad: 1 },
  { N: 1, C: 1, H: 1, W: 1, KH: 1, KW: 1, stride: 1, pad: 0 },
];
/** Average pooling also takes pad ≥ kernel (windows entirely in the padding average to 0). */
const AVG_CASES: WindowGeometry[] = [...MAX_CASES, { N: 3, C: 3, H: 3, W: 4, KH: 2, KW: 2, stride: 1, pad: 2 }];

const sizes = (g: WindowGeometry) => {
  const { OH, OW } = outDims(g);
  return { X: g.N * g.C * g.H * g.W, Y: g.N * g.C * OH * OW };
};

function maxFwd(be: Backend, x: Float32Array, g: WindowGeometry) {
  const { Y } = sizes(g);
  const y = new Float32Array(Y).fill(NaN);
  const argmax = new Int32Array(Y).fill(-7);
  be.maxPoolForward(x, g, y, argmax);
  return { y, argmax };
}

/** Small integers: many ties inside every window. */
function tiedArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.int(3);
  return a;
}

describe.each(backends)('$name backend: max pooling', ({ backend }) => {
  test.each(MAX_CASES.map((c) => [label(c), c] as const))('forward matches the definition (values and argmax): %s', (_l, g) => {
    for (const x of [randomArray(sizes(g).X, 1), tiedArray(sizes(g).X, 2)]) {
      const got = maxFwd(backend, x, g);
      const ref = naiveMaxPool(x, g);
      expectClose(got.y, ref.y, { rtol: 0, atol: 0 }, 'y');
      expect(Array.from(got.argmax)).toEqual(Array.from(ref.argmax));
    }
  });

  test('ties: the first maximum in row-major window order wins', () => {
    const g: WindowGeometry = { N: 1, C: 2, H: 4, W: 4, KH: 2, KW: 2, stride: 2, pad: 0 };
    const x = new Float32Array(32).fill(5); // plane 0: all equal
    x.fill(-Infinity, 16); // plane 1: all -inf: argmax still points at a real element
    const { y, argmax } = maxFwd(backend, x, g);
    expect(Array.from(y)).toEqual([5, 5, 5, 5, -Infinity, -Infinity, -Infinity, -Infinity]);
    expect(Array.from(argmax)).toEqual([0, 2, 8, 10, 16, 18, 24, 26]);
  });

  test('padding is -inf, never 0: an all-negative image keeps negative maxima at the borders', () => {
    const g: WindowGeometry = { N: 1, C: 1, H: 3, W: 3, KH: 3, KW: 3, stride: 1, pad: 1 };
    const x = Float32Array.from([-9, -8, -7, -6, -5, -4, -3, -2, -1]);
    const { y, argmax } = maxFwd(backend, x, g);
    expect(Array.from(y)).toEqual([-5, -4, -4, -2, -1, -1, -2, -1, -1]);
    expect(Array.from(argmax)).toEqual([4, 5, 5, 7, 8, 8, 7, 8, 8]);
  });

  test.each(MAX_CASES.map((c) => [label(c), c] as const))('backward scatters dy to argmax (adjoint of the gather): %s', (_l, g) => {
    const { X, Y } = sizes(g);
    const x = tiedArray(X, 3);
    const { argmax } = maxFwd(backend, x, g);
    const dy = randomArray(Y, 4);
    const dx = new Float32Array(X).fill(NaN); // overwritten
    backend.maxPoolBackward(dy, argmax, g, dx);
    const ref = new Float64Array(X);
    for (let i = 0; i < Y; i++) ref[argmax[i]] += dy[i];
    expectClose(dx, ref, { rtol: 1e-6, atol: 1e-6 }, 'dx');
    // <gather(u), dy> == <u, scatter(dy)>
    const u = randomArray(X, 5);
    let lhs = 0;
    for (let i = 0; i < Y; i++) lhs += u[argmax[i]] * dy[i];
    expect(dot(u, dx)).toBeCloseTo(lhs, 4);
  });

  test('backward accepts argmax pointing across planes (not what forward makes, but in range)', () => {
    const g: WindowGeometry = { N: 2, C: 3, H: 4, W: 4, KH: 2, KW: 2, stride: 2, pad: 0 };
    const { X, Y } = sizes(g);
    const rng = new Rng(6);
    const argmax = new Int32Array(Y);
    for (let i = 0; i < Y; i++) argmax[i] = rng.int(X);
    const dy = randomArray(Y, 7);
    const dx = new Float32Array(X).fill(NaN);
    backend.maxPoolBackward(dy, argmax, g, dx);
    const ref = new Float64Array(X);
    for (let i = 0; i < Y; i++) ref[argmax[i]] += dy[i];
    expectClose(dx, ref, { rtol: 1e-6, atol: 1e-6 }, 'dx');
  });
});

describe.each(backends)('$name backend: average pooling', ({ backend }) => {
  test.each(AVG_CASES.map((c) => [label(c), c] as const))('forward matches the definition; backward is its adjoint: %s', (_l, g) => {
    const { X, Y } = sizes(g);
    const x = randomArray(X, 8);
    const y = new Float32Array(Y).fill(NaN);
    backend.avgPoolForward(x, g, y);
    expectClose(y, naiveAvgPool(x, g), { rtol: 1e-5, atol: 1e-6 }, 'y');
    const dy = randomArray(Y, 9);
    const dx = new Float32Array(X).fill(NaN);
    backend.avgPoolBackward(dy, g, dx);
    // dx[i] = Σ over windows containing i of dy / (KH·KW): check against the definition and the adjoint
    const ref = new Float64Array(X);
    const { OH, OW } = outDims(g);
    let o = 0;
    for (let p = 0; p < g.N * g.C; p++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, o++) {
          for (let kh = 0; kh < g.KH; kh++) {
            for (let kw = 0; kw < g.KW; kw++) {
              const ih = oh * g.stride - g.pad + kh;
              const iw = ow * g.stride - g.pad + kw;
              if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ref[(p * g.H + ih) * g.W + iw] += dy[o] / (g.KH * g.KW);
            }
          }
        }
      }
    }
    expectClose(dx, ref, { rtol: 1e-5, atol: 1e-6 }, 'dx');
    expect(dot(x, dx)).toBeCloseTo(dot(y, dy), 4);
  });

  test('padding counts as zeros: the corner of a 2x2/1 pad-1 window over ones is 1/4', () => {
    const g: WindowGeometry = { N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, stride: 1, pad: 1 };
    const y = new Float32Array(9);
    backend.avgPoolForward(new Float32Array(4).fill(1), g, y);
    expect(Array.from(y)).toEqual([0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
  });
});

for (const { name, backend } of backends.filter((b) => b.name !== 'ts')) {
  describe(`${name} vs ts: pooling`, () => {
    test.each(AVG_CASES.map((c) => [label(c), c] as const))('all pooling ops agree: %s', (_l, g) => {
      const { X, Y } = sizes(g);
      const x = randomArray(X, 10);
      const dy = randomArray(Y, 11);
      if (g.pad < g.KH && g.pad < g.KW) {
        const a = maxFwd(backend, x, g);
        const b = maxFwd(ts, x, g);
        expectClose(a.y, b.y, { rtol: 0, atol: 0 }, 'max y');
        expect(Array.from(a.argmax)).toEqual(Array.from(b.argmax));
        const da = new Float32Array(X);
        const dbb = new Float32Array(X);
        backend.maxPoolBackward(dy, a.argmax, g, da);
        ts.maxPoolBackward(dy, b.argmax, g, dbb);
        expectClose(da, dbb, { rtol: 0, atol: 0 }, 'max dx');
      }
      const ya = new Float32Array(Y);
      const yb = new Float32Array(Y);
      backend.avgPoolForward(x, g, ya);
      ts.avgPoolForward(x, g, yb);
      expectClose(ya, yb, { rtol: 1e-6, atol: 1e-7 }, 'avg y');
      const da = new Float32Array(X);
      const dbb = new Float32Array(X);
      backend.avgPoolBackward(dy, g, da);
      ts.avgPoolBackward(dy, g, dbb);
      expectClose(da, dbb, { rtol: 1e-6, atol: 1e-7 }, 'avg dx');
    });

    test('results do not depend on the thread count', () => {
      const nb = backend as NativeBackend;
      const g: WindowGeometry = { N: 20, C: 16, H: 28, W: 28, KH: 3, KW: 3, stride: 2, pad: 1 };
      const { X, Y } = sizes(g);
      const x = randomArray(X, 12);
      const dy = randomArray(Y, 13);
      const before = nb.info().threads;
      const run = (n: number) => {
        nb.setThreads(n);
        const m = maxFwd(nb, x, g);
        const dx = new Float32Array(X);
        nb.maxPoolBackward(dy, m.argmax, g, dx);
        const ya = new Float32Array(Y);
        nb.avgPoolForward(x, g, ya);
        const da = new Float32Array(X);
        nb.avgPoolBackward(dy, g, da);
        return [m.y, dx, ya, da];
      };
      try {
        const one = run(1);
        const two = run(2);
        one.forEach((a, i) => expectClose(two[i], a, { rtol: 0, atol: 0 }, `output ${i}`));
      } finally {
        nb.setThreads(before);
      }
    });
  });
}

// ---- bad inputs ------------------------------------------------------------------------------------------

const G: WindowGeometry = { N: 2, C: 3, H: 6, W: 5, KH: 2, KW: 3, stride: 2, pad: 1 };
const { X: GX, Y: GY } = sizes(G);
const f32 = (n: number) => new Float32Array(n);
const i32 = (n: number) => new Int32Array(n);
const geo = (patch: Record<string, unknown>) => ({ ...G, ...patch }) as WindowGeometry;

const BAD: [string, (be: Backend) => void, typeof TypeError | typeof RangeError][] = [
  ['maxPoolForward: x is a Float64Array', (be) => be.maxPoolForward(new Float64Array(GX) as never, G, f32(GY), i32(GY)), TypeError],
  ['maxPoolForward: argmax is a Float32Array', (be) => be.maxPoolForward(f32(GX), G, f32(GY), f32(GY) as never), TypeError],
  ['maxPoolForward: argmax too short', (be) => be.maxPoolForward(f32(GX), G, f32(GY), i32(GY - 1)), RangeError],
  ['maxPoolForward: y too short', (be) => be.maxPoolForward(f32(GX), G, f32(GY - 1), i32(GY)), RangeError],
  ['maxPoolForward: x too short', (be) => be.maxPoolForward(f32(GX - 1), G, f32(GY), i32(GY)), RangeError],
  ['maxPoolForward: pad >= KH (a window could be all padding)', (be) => be.maxPoolForward(f32(GX), geo({ pad: 2 }), f32(1000), i32(1000)), RangeError],
  ['maxPoolForward: N = 0', (be) => be.maxPoolForward(f32(GX), geo({ N: 0 }), f32(GY), i32(GY)), RangeError],
  ['maxPoolForward: KW = 1.5', (be) => be.maxPoolForward(f32(GX), geo({ KW: 1.5 }), f32(GY), i32(GY)), RangeError],
  ['maxPoolForward: stride is null', (be) => be.maxPoolForward(f32(GX), geo({ stride: null }), f32(GY), i32(GY)), TypeError],
  ['maxPoolForward: output < 1', (be) => be.maxPoolForward(f32(GX), geo({ KH: 9 }), f32(GY), i32(GY)), RangeError],
  ['maxPoolBackward: argmax -1', (be) => be.maxPoolBackward(f32(GY), i32(GY).fill(-1), G, f32(GX)), RangeError],
  ['maxPoolBackward: argmax = N·C·H·W', (be) => be.maxPoolBackward(f32(GY), i32(GY).fill(GX), G, f32(GX)), RangeError],
  ['maxPoolBackward: argmax too short', (be) => be.maxPoolBackward(f32(GY), i32(GY - 1), G, f32(GX)), RangeError],
  ['maxPoolBackward: dx too short', (be) => be.maxPoolBackward(f32(GY), i32(GY), G, f32(GX - 1)), RangeError],
  ['maxPoolBackward: dy is undefined', (be) => be.maxPoolBackward(undefined as never, i32(GY), G, f32(GX)), TypeError],
  ['avgPoolForward: y too short', (be) => be.avgPoolForward(f32(GX), G, f32(GY - 1)), RangeError],
  ['avgPoolForward: C = -3', (be) => be.avgPoolForward(f32(GX), geo({ C: -3 }), f32(GY)), RangeError],
  ['avgPoolForward: pad = 0.5', (be) => be.avgPoolForward(f32(GX), geo({ pad: 0.5 }), f32(GY)), RangeError],
  ['avgPoolBackward: dx is an Int32Array', (be) => be.avgPoolBackward(f32(GY), G, i32(GX) as never), TypeError],
  ['avgPoolBackward: dy too short', (be) => be.avgPoolBackward(f32(GY - 1), G, f32(GX)), RangeError],
  ['avgPoolBackward: stride = 0', (be) => be.avgPoolBackward(f32(GY), geo({ stride: 0 }), f32(GX)), RangeError],
];

describe.each(backends)('$name backend: pooling bad inputs', ({ backend }) => {
  test.each(BAD)('%s', (_l, fn, type) => {
    expectThrowKind(() => fn(backend), type);
  });

  test('an out-of-range argmax is named, and nothing is written', () => {
    const argmax = i32(GY);
    for (let i = 0; i < GY; i++) argmax[i] = i; // valid...
    argmax[GY - 2] = GX + 5; // ...except one
    const dx = f32(GX).fill(3);
    expectThrowKind(() => backend.maxPoolBackward(randomArray(GY, 1), argmax, G, dx), RangeError, new RegExp(`argmax\\[${GY - 2}\\].*${GX + 5}`));
    expect(dx.every((v) => v === 3)).toBe(true);
  });
});
