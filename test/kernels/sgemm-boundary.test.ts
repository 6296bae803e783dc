/**
 * Bad sgemm arguments at the boundary: every backend (the TS backend validates with lib/errors.ts, the native
 * addon's binding with its cheap guards) throws TypeError/RangeError naming the argument — never a crash,
 * never a silent out-of-bounds read or write. And fmaPeak, the benchmark's yardstick, measures something.
 */
import { backendsUnderTest, requireNative, tsOnly } from '../helpers';

type Args = [boolean, boolean, number, number, number, number, Float32Array, number, number, Float32Array, number, number, number, Float32Array, number, number];

// A valid call: C[4,5] = A[4,3]·B[3,5].
function good(): Args {
  return [false, false, 4, 5, 3, 1, new Float32Array(12), 0, 3, new Float32Array(15), 0, 5, 0, new Float32Array(20), 0, 5];
}
function withArg(i: number, v: unknown): Args {
  const a = good() as unknown[];
  a[i] = v;
  return a as Args;
}

const cases: [string, Args, typeof TypeError | typeof RangeError, RegExp][] = [
  ['A is a Float64Array', withArg(6, new Float64Array(12)), TypeError, /^A: expected a Float32Array/],
  ['A is a plain array', withArg(6, [1, 2, 3]), TypeError, /^A: expected a Float32Array/],
  ['B is null', withArg(9, null), TypeError, /^B: expected a Float32Array/],
  ['C is an Int32Array', withArg(13, new Int32Array(20)), TypeError, /^C: expected a Float32Array/],
  ['transA is a number', withArg(0, 1), TypeError, /^transA: expected a boolean/],
  ['M is a string', withArg(2, '4'), TypeError, /^M: expected an integer/],
  ['M is negative', withArg(2, -1), RangeError, /^M: expected an integer/],
  ['N is not an integer', withArg(3, 2.5), RangeError, /^N: expected an integer/],
  ['K is NaN', withArg(4, NaN), RangeError, /^K: expected an integer/],
  ['alpha is NaN', withArg(5, NaN), RangeError, /^alpha: expected a finite number/],
  ['beta is Infinity', withArg(12, Infinity), RangeError, /^beta: expected a finite number/],
  ['alpha is a string', withArg(5, '1'), TypeError, /^alpha: expected a number/],
  ['lda smaller than K', withArg(8, 2), RangeError, /^lda: expected/],
  ['lda zero', withArg(8, 0), RangeError, /^lda: expected/],
  ['ldb smaller than N', withArg(11, 4), RangeError, /^ldb: expected/],
  ['ldc smaller than N', withArg(15, 4), RangeError, /^ldc: expected/],
  ['offA negative', withArg(7, -1), RangeError, /^offA: expected/],
  ['A one element short', withArg(6, new Float32Array(11)), RangeError, /^A: expected/],
  ['B short by the offset', withArg(10, 1), RangeError, /^B: expected/],
  ['C short', withArg(13, new Float32Array(19)), RangeError, /^C: expected/],
  ['C short by a large ldc', withArg(15, 6), RangeError, /^C: expected/],
  // transposed A is stored K×M: lda must be >= M and A needs (K-1)·lda + M elements
  ['transposed A with lda < M', (() => { const a = withArg(0, true); a[8] = 3; return a; })(), RangeError, /^lda: expected/],
  ['huge dimensions', withArg(2, 2 ** 40), RangeError, /^M: expected/],
];

describe.each(backendsUnderTest())('sgemm argument checks: $name', ({ backend }) => {
  test('a valid call passes (the table below differs from it in one argument)', () => {
    const a = good();
    a[6].fill(1);
    a[9].fill(2);
    backend.sgemm(...a);
    expect(Array.from(a[13])).toEqual(new Array(20).fill(6));
  });

  test.each(cases)('%s', (_name, args, type, message) => {
    const C = args[13];
    const before = C instanceof Float32Array ? C.slice() : null;
    let caught: unknown = null;
    try {
      backend.sgemm(...args);
    } catch (e) {
      caught = e;
    }
    // By name: errors thrown by the addon come from Node's realm, not the one jest gives the test.
    expect((caught as Error | null)?.constructor.name).toBe(type.name);
    expect((caught as Error).message).toMatch(message);
    if (before) expect(C).toEqual(before); // nothing was written
  });
});

if (!tsOnly) {
  describe('fmaPeak', () => {
    test('measures a positive FMA throughput per core; rejects bad arguments', () => {
      const n = requireNative();
      const best = n.info().bestIsa;
      const p = n.addon.fmaPeak(1);
      if (best === 'reference') {
        expect(p).toBeNull();
        return;
      }
      expect(p).not.toBeNull();
      expect(p!.threads).toBe(1);
      expect(p!.perCore).toBeGreaterThan(1); // GFLOP/s: any AVX2 core does far more
      expect(() => n.addon.fmaPeak(0)).toThrow(/^threads: expected an integer/);
      expect(() => n.addon.fmaPeak(1, 'sse' as 'avx2')).toThrow(/^isa: expected/);
    });
  });
}
