/** Stratified, shuffled, seeded train/validation splits (lib/data/split.ts). */
import { classCounts, stratifiedSplit } from '../../lib/data/split';

const ordered = (sizes: number[]) => Int32Array.from(sizes.flatMap((m, c) => Array<number>(m).fill(c)));

describe('stratifiedSplit', () => {
  test('class-ordered labels give a validation set with every class, in proportion (300/60/120 at 0.2)', () => {
    const labels = ordered([300, 60, 120]);
    const { train, validation } = stratifiedSplit(labels, 0.2, 1);
    expect(validation.length).toBe(96); // floor(480 · 0.2), as Keras counts
    expect(classCounts(labels, 3, validation)).toEqual([60, 12, 24]);
    expect(classCounts(labels, 3, train)).toEqual([240, 48, 96]);
    const all = new Set([...train, ...validation]);
    expect(all.size).toBe(480);
    // shuffled: the validation list is not in class order
    const vc = Array.from(validation, (i) => labels[i]);
    expect(vc).not.toEqual([...vc].sort((a, b) => a - b));
  });

  test('the same seed gives the same split; another seed another', () => {
    const labels = ordered([50, 20]);
    const a = stratifiedSplit(labels, 0.3, 7);
    const b = stratifiedSplit(labels, 0.3, 7);
    const c = stratifiedSplit(labels, 0.3, 8);
    expect(Array.from(a.validation)).toEqual(Array.from(b.validation));
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(new Set(c.validation)).not.toEqual(new Set(a.validation));
  });

  test('a small class still gets one validation sample and keeps one for training; a singleton stays in training', () => {
    const labels = ordered([100, 2, 1]);
    const { train, validation } = stratifiedSplit(labels, 0.1, 0);
    expect(classCounts(labels, 3, validation)).toEqual([10, 1, 0]);
    expect(classCounts(labels, 3, train)).toEqual([90, 1, 1]);
  });

  test('bad fractions are refused', () => {
    expect(() => stratifiedSplit(ordered([3, 3]), 1, 0)).toThrow(RangeError);
    expect(() => stratifiedSplit(ordered([3, 3]), -0.1, 0)).toThrow(/validationSplit/);
    expect(stratifiedSplit(ordered([3, 3]), 0, 0).validation.length).toBe(0);
  });
});

describe('classCounts', () => {
  test('counts per class, and refuses labels and indices out of range', () => {
    expect(classCounts(Int32Array.from([0, 2, 2]), 3)).toEqual([1, 0, 2]);
    expect(classCounts(Int32Array.from([0, 2, 2]), 3, [1, 2])).toEqual([0, 0, 2]);
    expect(() => classCounts(Int32Array.from([0, 3]), 3)).toThrow(/^labels\[1\]: expected a class in \[0, 3\), got number 3$/);
    expect(() => classCounts(Int32Array.from([0, -1]), 3)).toThrow(RangeError);
    expect(() => classCounts(Int32Array.from([0, 1]), 3, [2])).toThrow(/^indices\[0\]: expected an integer in \[0, 1\]/);
  });
});
