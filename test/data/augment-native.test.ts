/**
 * Augmentation across backends: the native op against the TS oracle (bit-exact without rotation, within
 * float rounding with it), thread-count independence, the binding's guards, and a golden batch computed
 * by native/core/augment.cpp that the TS implementation must reproduce (so the TS-only run checks it too).
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { AugmentConfig } from '../../lib/backend/types';
import { augmentBatch, resolveAugmentOptions } from '../../lib/data/augment';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';

/** native/core/augment.cpp's output for x = [0, 1, …, 49] / 49 as [2, 1, 5, 5], seed 1, counter 1, GOLDEN_CFG. */
const GOLDEN_CFG: AugmentConfig = { shift: 0.2, rotation: 30, flipHorizontal: true, flipVertical: true, cropPadding: 1, brightness: 0.1, fill: 0.25 };
const GOLDEN = [
  0.262341887, 0.262341887, 0.262341887, 0.262341887, 0.262341887, 0.267955571, 0.262583464, 0.262341887, 0.262341887, 0.262341887,
  0.411072969, 0.440090001, 0.453368902, 0.464950532, 0.475025773, 0.314709783, 0.338872492, 0.363035232, 0.387197912, 0.411360621,
  0.213492274, 0.237654984, 0.261817694, 0.285980403, 0.307788521, 0.726126075, 0.740477622, 0.622606993, 0.256810158, 0.256810158,
  0.829193294, 0.8435449, 0.857896447, 0.327562869, 0.256810158, 0.932260513, 0.94661212, 0.74799633, 0.373830944, 0.256810158,
  0.57509774, 0.335229993, 0.256810158, 0.256810158, 0.256810158, 0.256810158, 0.256810158, 0.256810158, 0.256810158, 0.256810158,
];

test('the TS backend reproduces a batch computed by the C++ core', () => {
  const x = Float32Array.from({ length: 50 }, (_, i) => i / 49);
  const y = new Float32Array(50);
  ts.augment(x, 2, 1, 5, 5, GOLDEN_CFG, 1, 1, y);
  expectClose(y, GOLDEN, { atol: 2e-7, rtol: 0 }, 'golden');
});

const CONFIGS: { label: string; cfg: AugmentConfig }[] = [
  { label: 'shift+crop+flips+brightness', cfg: resolveAugmentOptions({ shift: 0.2, flipHorizontal: true, flipVertical: true, cropPadding: 3, brightness: 0.2, fill: 0.5 }) },
  { label: 'rotation 30 + everything', cfg: resolveAugmentOptions({ shift: 0.1, rotation: 30, flipHorizontal: true, cropPadding: 2, brightness: 0.1 }) },
  { label: 'rotation 180 only, fill -1', cfg: resolveAugmentOptions({ rotation: 180, fill: -1 }) },
  { label: 'nothing', cfg: resolveAugmentOptions({}) },
];
const SHAPES: [number, number, number, number][] = [[1, 1, 28, 28], [37, 3, 17, 13], [5, 2, 1, 9], [3, 1, 6, 1]];

function exactOrClose(got: Float32Array, want: Float32Array, cfg: AugmentConfig, label: string): void {
  if (cfg.rotation === 0) {
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(got[i], want[i])) throw new Error(`${label}: index ${i}: native ${got[i]} != ts ${want[i]}`);
    }
  } else {
    expectClose(got, want, { atol: 1e-5, rtol: 1e-5 }, label);
  }
}

/** Errors thrown by the addon come from the main realm, not Jest's: compare by name. */
function throwsKind(fn: () => void, name: 'TypeError' | 'RangeError', message?: RegExp): void {
  let caught: Error | null = null;
  try {
    fn();
  } catch (e) {
    caught = e as Error;
  }
  if (!caught) throw new Error(`expected a ${name}, nothing was thrown`);
  expect(caught.name).toBe(name);
  if (message) expect(caught.message).toMatch(message);
}

if (!tsOnly) {
  describe('native augment', () => {
    const native: NativeBackend = requireNative();

    test.each(CONFIGS)('matches the TS backend: $label', ({ label, cfg }) => {
      for (const [N, C, H, W] of SHAPES) {
        const x = randomArray(N * C * H * W, N + H, 0, 1);
        const want = new Float32Array(x.length);
        const got = new Float32Array(x.length);
        ts.augment(x, N, C, H, W, cfg, 123, 7, want);
        native.augment(x, N, C, H, W, cfg, 123, 7, got);
        exactOrClose(got, want, cfg, `${label} [${N},${C},${H},${W}]`);
      }
    });

    test('augmentBatch gives the same batch on both backends for the same seed', () => {
      const x = new Tensor(randomArray(16 * 784, 2, 0, 1), [16, 1, 28, 28]);
      const opts = { shift: 0.1, rotation: 15, cropPadding: 2, brightness: 0.1 };
      const a = augmentBatch(x, opts, new Rng(99), ts);
      const b = augmentBatch(x, opts, new Rng(99), native);
      expectClose(b.data, a.data, { atol: 1e-5, rtol: 1e-5 }, 'augmentBatch');
    });

    test('the result does not depend on the thread count', () => {
      const before = native.info().threads;
      const [N, C, H, W] = [23, 2, 11, 12];
      const x = randomArray(N * C * H * W, 9, 0, 1);
      const cfg = CONFIGS[1].cfg;
      const run = (threads: number): Float32Array => {
        native.setThreads(threads);
        const y = new Float32Array(x.length);
        native.augment(x, N, C, H, W, cfg, 5, 6, y);
        return y;
      };
      try {
        const one = run(1);
        const three = run(3);
        for (let i = 0; i < one.length; i++) if (!Object.is(one[i], three[i])) throw new Error(`index ${i} differs`);
      } finally {
        native.setThreads(before);
      }
    });

    test('the binding rejects bad arguments with TypeError/RangeError (never a crash)', () => {
      const a = native.addon;
      const x = new Float32Array(2 * 3 * 4);
      const y = new Float32Array(x.length);
      // augment(x, N, C, H, W, cfg, seed, counter, y): the options cross as one struct (native/ops.json AugmentConfig)
      const call = (over: Partial<Record<number, unknown>>, cfgOver: Record<string, unknown> = {}): void => {
        const cfg = { shift: 0.1, rotation: 10, flipHorizontal: true, flipVertical: false, cropPadding: 1, brightness: 0.1, fill: 0, ...cfgOver };
        const args: unknown[] = [x, 2, 1, 3, 4, cfg, 1, 2, y];
        for (const [k, v] of Object.entries(over)) args[Number(k)] = v;
        (a.augment as unknown as (...xs: unknown[]) => void)(...args);
      };
      expect(() => call({})).not.toThrow();
      throwsKind(() => call({ 8: new Float32Array(5) }), 'RangeError');
      throwsKind(() => call({ 0: new Float32Array(3) }), 'RangeError');
      throwsKind(() => call({ 0: new Float64Array(24) }), 'TypeError');
      throwsKind(() => call({ 8: x }), 'RangeError', /overlap/);
      throwsKind(() => call({ 8: new Float32Array(x.buffer, 4, 20) }), 'RangeError');
      throwsKind(() => call({ 1: -1 }), 'RangeError');
      throwsKind(() => call({}, { shift: 2 }), 'RangeError', /cfg\.shift/);
      throwsKind(() => call({}, { shift: NaN }), 'RangeError', /cfg\.shift/);
      throwsKind(() => call({}, { flipHorizontal: 1 }), 'TypeError', /cfg\.flipHorizontal/);
      throwsKind(() => call({}, { cropPadding: 1.5 }), 'RangeError', /cfg\.cropPadding/);
      throwsKind(() => call({}, { zoom: 2 }), 'TypeError', /cfg: unknown field 'zoom'/);
      throwsKind(() => call({ 5: null }), 'TypeError', /cfg: expected an object/);
      throwsKind(() => call({ 6: -1 }), 'RangeError');
      throwsKind(() => call({ 6: 2 ** 32 }), 'RangeError');
      throwsKind(() => call({ 9: 0 }), 'TypeError', /at most 9 arguments/);
      expect(() => call({ 1: 0 })).not.toThrow(); // an empty batch is fine
    });
  });
}
