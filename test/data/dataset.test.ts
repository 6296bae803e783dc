import { computeClassWeights, oneHot, sampleWeightsFor, splitIndices, subset } from '../../lib/data/dataset';
import { Tensor } from '../../lib/tensor';

describe('class weights', () => {
  test("'balanced' is n_samples / (n_classes · count_c), like scikit-learn", () => {
    const y = Int32Array.from([0, 0, 0, 0, 1, 1, 2, 0]); // counts 5, 2, 1
    const w = computeClassWeights(y, 4);
    expect([...w]).toEqual([8 / (4 * 5), 8 / (4 * 2), 8 / (4 * 1), 0].map(Math.fround));
    // the weighted class totals are equal: Σ w_y = n / n_present_classes·(present/k)…
    const sw = sampleWeightsFor(y, w);
    expect([...sw]).toEqual([0, 0, 0, 0, 1, 1, 2, 0].map((c) => w[c]));
    const tot = [0, 0, 0];
    y.forEach((c, i) => (tot[c] += sw[i]));
    expect(tot[0]).toBeCloseTo(tot[1], 6);
    expect(tot[1]).toBeCloseTo(tot[2], 6);
  });

  test('bad input', () => {
    expect(() => computeClassWeights(Int32Array.from([0, 3]), 3)).toThrow(/labels\[1\]: expected a class index in \[0, 2\], got number 3/);
    expect(() => computeClassWeights([0, 1] as unknown as Int32Array, 2)).toThrow(TypeError);
    expect(() => computeClassWeights(Int32Array.from([0]), 2, 'sqrt' as 'balanced')).toThrow(RangeError);
    expect(() => sampleWeightsFor(Int32Array.from([2]), new Float32Array(2))).toThrow(RangeError);
  });
});

describe('oneHot, splitIndices, subset', () => {
  test('oneHot', () => {
    const t = oneHot(Int32Array.from([2, 0]), 3);
    expect(t.shape).toEqual([2, 3]);
    expect([...t.data]).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot(Int32Array.from([3]), 3)).toThrow(RangeError);
  });

  test('splitIndices is a seeded partition', () => {
    const a = splitIndices(10, 0.3, 5);
    expect(a.validation.length).toBe(3);
    expect([...a.train, ...a.validation].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(splitIndices(10, 0.3, 5)).toEqual(a);
    const ordered = splitIndices(10, 0.3, 5, false);
    expect([...ordered.validation]).toEqual([...a.validation].sort((x, y) => x - y));
    expect([...splitIndices(4, 0, 0, false).train]).toEqual([0, 1, 2, 3]);
    expect(() => splitIndices(4, 1)).toThrow(RangeError);
  });

  test('subset gathers rows and labels', () => {
    const x = new Tensor(Float32Array.from([0, 1, 10, 11, 20, 21]), [3, 1, 2]);
    const s = subset(x, Int32Array.from([5, 6, 7]), [2, 0]);
    expect(s.images.shape).toEqual([2, 1, 2]);
    expect([...s.images.data]).toEqual([20, 21, 0, 1]);
    expect([...s.labels]).toEqual([7, 5]);
  });

  test('subset refuses labels not one per image and indices outside the images', () => {
    const x = Tensor.zeros([3, 2]);
    expect(() => subset(x, Int32Array.from([5, 6]), [0])).toThrow(/^labels: expected 3 labels \(one per image\), got 2 labels$/);
    expect(() => subset(x, Int32Array.from([5, 6, 7]), [0, 3])).toThrow(RangeError);
    expect(() => subset(x, Int32Array.from([5, 6, 7]), [0, 3])).toThrow(/^indices\[1\]: expected an integer in \[0, 2\]/);
  });
});
