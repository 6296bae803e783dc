import { cosineDecay, exponentialDecay, stepDecay } from '../../lib/train/schedules';

describe('learning-rate schedules', () => {
  test('stepDecay: lr · gamma^floor(epoch / stepSize)', () => {
    const s = stepDecay({ stepSize: 3, gamma: 0.5 });
    expect([0, 1, 2, 3, 5, 6, 9].map((e) => s(e, 0.1))).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]);
    expect(stepDecay({ stepSize: 10 })(25, 1)).toBeCloseTo(0.01, 12); // default gamma 0.1
  });

  test('cosineDecay: from the initial rate at epoch 0 to minLr at `epochs`, flat after', () => {
    const s = cosineDecay({ epochs: 10, minLr: 0.001 });
    expect(s(0, 0.1)).toBeCloseTo(0.1, 12);
    expect(s(5, 0.1)).toBeCloseTo(0.001 + 0.099 * 0.5, 12);
    expect(s(10, 0.1)).toBeCloseTo(0.001, 12);
    expect(s(15, 0.1)).toBeCloseTo(0.001, 12);
    expect(s(2, 0.1)).toBeCloseTo(0.001 + 0.099 * 0.5 * (1 + Math.cos(Math.PI * 0.2)), 12);
    const vals = Array.from({ length: 11 }, (_, e) => s(e, 0.1));
    for (let i = 1; i < vals.length; i++) expect(vals[i]).toBeLessThan(vals[i - 1]);
  });

  test('exponentialDecay: lr · gamma^epoch', () => {
    expect(exponentialDecay({ gamma: 0.9 })(3, 2)).toBeCloseTo(2 * 0.729, 12);
  });

  test('bad options are RangeErrors/TypeErrors naming the option', () => {
    expect(() => stepDecay({ stepSize: 0 })).toThrow(/stepSize/);
    expect(() => stepDecay({ stepSize: 2, gamma: 1.5 })).toThrow(RangeError);
    expect(() => cosineDecay({ epochs: 1.5 })).toThrow(/epochs/);
    expect(() => cosineDecay({ epochs: 3, minLr: -1 })).toThrow(/minLr/);
    expect(() => exponentialDecay({ gamma: 0 })).toThrow(/gamma/);
    expect(() => stepDecay(null as never)).toThrow(TypeError);
  });
});
