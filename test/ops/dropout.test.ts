/**
 * dropoutForward/Backward: the mask is the shared counter-based stream (lib/rng.ts) compared with the ratio,
 * identical on both backends (every kernel table and thread count), reproducible for a (seed, counter),
 * different for another counter; y and dx are bit-identical across backends.
 */
import { streamBase, streamUniform } from '../../lib/rng';
import { backendsUnderTest, randomArray, requireNative, ts, tsOnly } from '../helpers';
import { expectSameBits, nativeConfigs, SIZES, withNative, expectInputError } from './ops-helpers';

function run(b: { dropoutForward: typeof ts.dropoutForward; dropoutBackward: typeof ts.dropoutBackward }, x: Float32Array, dy: Float32Array,
  ratio: number, scale: number, seed: number, counter: number) {
  const n = x.length;
  const y = new Float32Array(n);
  const mask = new Uint8Array(n).fill(7);
  b.dropoutForward(x, y, mask, ratio, scale, seed, counter);
  const dx = new Float32Array(n);
  b.dropoutBackward(dy, mask, scale, dx);
  return { y, mask, dx };
}

describe.each(backendsUnderTest())('$name backend', ({ backend }) => {
  test('mask = streamUniform(streamBase(seed, counter), i) > ratio; y = x·mask·scale; dx = dy·mask·scale', () => {
    for (const n of SIZES) {
      const x = randomArray(n, n);
      const dy = randomArray(n, n + 1);
      for (const [ratio, scale] of [[0.5, 2], [0.3, 1 / 0.7], [0.15, 1], [0, 1], [1, 3]]) {
        const seed = 1234 + n;
        const counter = 17;
        const r = run(backend, x, dy, ratio, scale, seed, counter);
        const base = streamBase(seed, counter);
        const s = Math.fround(scale);
        for (let i = 0; i < n; i++) {
          const keep = streamUniform(base, i) > Math.fround(ratio);
          if (r.mask[i] !== (keep ? 1 : 0)) throw new Error(`mask[${i}] = ${r.mask[i]}, expected ${keep ? 1 : 0} (n=${n}, ratio=${ratio})`);
          const wantY = keep ? Math.fround(x[i] * s) : 0;
          const wantDx = keep ? Math.fround(dy[i] * s) : 0;
          if (r.y[i] !== wantY || r.dx[i] !== wantDx) throw new Error(`y/dx[${i}] wrong (n=${n}, ratio=${ratio})`);
        }
      }
    }
  });

  test('keep rate is about 1 − ratio; ratio 0 keeps all, ratio 1 drops all', () => {
    const n = 20000;
    const x = randomArray(n, 3);
    const keep = (ratio: number) => run(backend, x, x, ratio, 1, 9, 1).mask.reduce((a, m) => a + m, 0) / n;
    expect(Math.abs(keep(0.5) - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(keep(0.2) - 0.8)).toBeLessThan(0.02);
    expect(keep(0)).toBe(1);
    expect(keep(1)).toBe(0);
  });

  test('reproducible for the same (seed, counter); another counter or seed gives another mask', () => {
    const x = randomArray(1000, 4);
    const a = run(backend, x, x, 0.5, 2, 42, 3);
    const b = run(backend, x, x, 0.5, 2, 42, 3);
    expect(Buffer.from(b.mask).equals(Buffer.from(a.mask))).toBe(true);
    expectSameBits(b.y, a.y, 'same stream');
    expect(Buffer.from(run(backend, x, x, 0.5, 2, 42, 4).mask).equals(Buffer.from(a.mask))).toBe(false);
    expect(Buffer.from(run(backend, x, x, 0.5, 2, 43, 3).mask).equals(Buffer.from(a.mask))).toBe(false);
  });

  test('in place: y may be x, dx may be dy', () => {
    const x = randomArray(77, 5);
    const ref = run(backend, x, x, 0.4, 2.5, 8, 8);
    const xi = x.slice();
    const mask = new Uint8Array(77);
    backend.dropoutForward(xi, xi, mask, 0.4, 2.5, 8, 8);
    expectSameBits(xi, ref.y, 'forward in place');
    const di = x.slice();
    backend.dropoutBackward(di, mask, 2.5, di);
    expectSameBits(di, ref.dx, 'backward in place');
  });

  test.each([
    ['short y', () => backend.dropoutForward(new Float32Array(4), new Float32Array(3), new Uint8Array(4), 0.5, 2, 1, 1), RangeError],
    ['short mask', () => backend.dropoutForward(new Float32Array(4), new Float32Array(4), new Uint8Array(3), 0.5, 2, 1, 1), RangeError],
    ['mask as Int32Array', () => backend.dropoutForward(new Float32Array(4), new Float32Array(4), new Int32Array(4) as unknown as Uint8Array, 0.5, 2, 1, 1), TypeError],
    ['negative seed', () => backend.dropoutForward(new Float32Array(4), new Float32Array(4), new Uint8Array(4), 0.5, 2, -1, 1), RangeError],
    ['counter 2^32', () => backend.dropoutForward(new Float32Array(4), new Float32Array(4), new Uint8Array(4), 0.5, 2, 1, 2 ** 32), RangeError],
    ['ratio NaN', () => backend.dropoutForward(new Float32Array(4), new Float32Array(4), new Uint8Array(4), NaN, 2, 1, 1), RangeError],
    ['backward short mask', () => backend.dropoutBackward(new Float32Array(4), new Uint8Array(3), 2, new Float32Array(4)), RangeError],
    ['backward short dx', () => backend.dropoutBackward(new Float32Array(4), new Uint8Array(4), 2, new Float32Array(3)), RangeError],
    ['backward scale string', () => backend.dropoutBackward(new Float32Array(4), new Uint8Array(4), '2' as unknown as number, new Float32Array(4)), TypeError],
  ] as [string, () => void, ErrorConstructor][])('rejects %s', (_label, call, ErrorType) => {
    expectInputError(call, ErrorType);
  });
});

if (!tsOnly) {
  test('native masks, outputs and gradients are bit-identical to TS (every kernel table and thread count)', () => {
    for (const n of SIZES) {
      const x = randomArray(n, n + 9);
      const dy = randomArray(n, n + 10);
      for (const [ratio, scale, seed, counter] of [[0.5, 2, 1, 0], [0.3, 1 / 0.7, 0xffffffff, 0xfffffffe], [0.75, 1, 0, 123]]) {
        const want = run(ts, x, dy, ratio, scale, seed, counter);
        for (const cfg of nativeConfigs()) {
          const got = withNative(cfg.isa, cfg.threads, () => run(requireNative(), x, dy, ratio, scale, seed, counter));
          const what = `n=${n} ratio=${ratio} ${cfg.label}`;
          expect(Buffer.from(got.mask).equals(Buffer.from(want.mask))).toBe(true);
          expectSameBits(got.y, want.y, `y ${what}`);
          expectSameBits(got.dx, want.dx, `dx ${what}`);
        }
      }
    }
  });
}
