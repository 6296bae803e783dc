/**
 * Shared test utilities.
 *  - `ts`: the TypeScript backend (the oracle); `native`: the native backend. Native tests never skip:
 *    unless SIMDNET_BACKEND=ts is set (the TS-only run), a missing addon fails them.
 *  - `expectClose`: relative/absolute comparison that reports the first mismatch with its index.
 *  - `randomArray`: seeded data.
 *  - `kernelTiers`, `withKernels`, `withThreads`: run native code under each kernel tier / a thread count.
 */
import { nativeBackendInstance, tsBackendInstance } from '../lib/backend';
import type { NativeBackend } from '../lib/backend/native';
import { Rng } from '../lib/rng';
import { Tensor } from '../lib/tensor';

export const ts = tsBackendInstance();

/** True when this run is the TypeScript-only run (no native addon expected). */
export const tsOnly = process.env.SIMDNET_BACKEND === 'ts';

/** The native backend; throws (failing the test) when it does not load, unless this is the TS-only run. */
export function requireNative(): NativeBackend {
  const n = nativeBackendInstance();
  if (!n) throw new Error('native addon did not load (run npm install / npm run build:native)');
  return n;
}

/** The backends this run tests: both normally, only 'ts' in the TS-only run. */
export function backendsUnderTest(): { name: string; backend: ReturnType<typeof tsBackendInstance> | NativeBackend }[] {
  return tsOnly ? [{ name: 'ts', backend: ts }] : [{ name: 'ts', backend: ts }, { name: 'native', backend: requireNative() }];
}

export function randomArray(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/**
 * Asserts |a − e| <= atol + rtol·|e| elementwise; on failure reports the first mismatch, its index,
 * the number of mismatches and the largest relative error.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { rtol?: number; atol?: number } = {},
  label = 'value',
): void {
  const { rtol = 1e-5, atol = 1e-6 } = tol;
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} != expected ${expected.length}`);
  }
  let first = -1;
  let count = 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const ok = err <= atol + rtol * Math.abs(e) || (Number.isNaN(a) && Number.isNaN(e));
    if (!ok) {
      if (first < 0) first = i;
      count++;
      worst = Math.max(worst, err / Math.max(Math.abs(e), 1e-30));
    }
  }
  if (first >= 0) {
    throw new Error(
      `${label}: ${count}/${actual.length} mismatches (rtol ${rtol}, atol ${atol}); first at index ${first}: ` +
        `got ${actual[first]}, expected ${expected[first]}; worst relative error ${worst.toExponential(3)}`,
    );
  }
}

export type Isa = 'avx512' | 'avx2' | 'reference';
const TIERS: Isa[] = ['reference', 'avx2', 'avx512'];

/** The kernel tiers this CPU can run, lowest first. */
export function kernelTiers(nb: NativeBackend): Isa[] {
  return TIERS.slice(0, TIERS.indexOf(nb.info().bestIsa as Isa) + 1);
}

/** Runs fn with the given kernel tier, restoring the active one afterwards. */
export function withKernels<T>(nb: NativeBackend, isa: Isa, fn: () => T): T {
  const before = nb.info().isa as Isa;
  if (!nb.setKernels(isa)) throw new Error(`this CPU cannot run ${isa}`);
  try {
    return fn();
  } finally {
    nb.setKernels(before);
  }
}

/** Runs fn with n pool threads, restoring the thread count afterwards. */
export function withThreads<T>(nb: NativeBackend, n: number, fn: () => T): T {
  const before = nb.info().threads;
  nb.setThreads(n);
  try {
    return fn();
  } finally {
    nb.setThreads(before);
  }
}

/** n points of `classes` Gaussian blobs on the unit circle (x [n, 2], labels t), seeded; `noise` is the std. */
export function blobs(n: number, seed: number, classes: number, noise: number): { x: Tensor; t: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 2);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = rng.int(classes);
    x[2 * i] = Math.cos(t[i] * 2) + rng.normal() * noise;
    x[2 * i + 1] = Math.sin(t[i] * 2) + rng.normal() * noise;
  }
  return { x: new Tensor(x, [n, 2]), t };
}
