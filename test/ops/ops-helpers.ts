/**
 * Shared by the test/ops suites: the awkward sizes, running a function on the native backend with a given
 * kernel table and thread count (restored afterwards), and exact (bitwise) comparison.
 */
import { kernelTiers, requireNative, withKernels, withThreads, type Isa } from '../helpers';

export type { Isa };

/** Unaligned sizes, vector tails, and one above the native threading threshold (64K elements). */
export const SIZES = [1, 7, 8, 9, 31, 1000, 100003];

/** Runs `fn` with the native kernel table `isa` and `threads` pool threads (null: as set), restoring both afterwards. */
export function withNative<T>(isa: Isa, threads: number | null, fn: () => T): T {
  const n = requireNative();
  return withKernels(n, isa, () => (threads === null ? fn() : withThreads(n, threads, fn)));
}

/** The native configurations every op is checked under: each kernel tier the CPU runs, and 1 vs 3 threads. */
export function nativeConfigs(): { label: string; isa: Isa; threads: number }[] {
  const out: { label: string; isa: Isa; threads: number }[] = [];
  for (const isa of kernelTiers(requireNative())) for (const threads of [1, 3]) out.push({ label: `${isa}/${threads}t`, isa, threads });
  return out;
}

/** Bitwise equality of two float arrays (NaN payloads and −0 included); reports the first difference. */
export function expectSameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} != ${expected.length}`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      throw new Error(`${label}: first difference at index ${i}: got ${actual[i]} (0x${a[i].toString(16)}), expected ${expected[i]} (0x${e[i].toString(16)})`);
    }
  }
}

/**
 * Asserts `call` throws an error of `type`, worded "<argument>: expected …, got …". Compares the constructor
 * name, not instanceof: errors thrown by the addon come from the main realm, not jest's sandbox.
 */
export function expectInputError(call: () => unknown, type: ErrorConstructor): void {
  let err: unknown;
  let threw = false;
  try {
    call();
  } catch (e) {
    err = e;
    threw = true;
  }
  if (!threw) throw new Error(`expected a ${type.name}, nothing was thrown`);
  const e = err as Error;
  const name = e?.constructor?.name ?? e?.name;
  if (name !== type.name) throw new Error(`expected a ${type.name}, got ${name}: ${e?.message}`);
  if (!/^[\w.[\]/]+: expected /.test(e.message)) throw new Error(`message does not name the argument and what was expected: "${e.message}"`);
}
