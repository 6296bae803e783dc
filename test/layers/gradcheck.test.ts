/**
 * Finite-difference gradient check of every layer, input gradient and parameter gradients, on both backends.
 * Objective: Σ y·r with a fixed random r (loss layers: their loss). Central differences with h = 1e-2 on the
 * float32 forward, the objective summed in float64 and divided by the step actually stored in float32.
 * Tolerance per element: |analytic − numerical| <= 1e-3 + 1e-2·max(|a|, |n|) (float32 rounding of the objective is
 * ~1e-6/2h ≈ 5e-5; truncation error O(h²) ≈ 1e-4 relative on the smooth layers).
 */
import { checkLayerGradient } from '../../lib/tools/gradcheck';
import { backendsUnderTest } from '../helpers';
import { LAYER_CASES } from './cases';

describe.each(backendsUnderTest())('layer gradients on $name', ({ backend }) => {
  test.each(LAYER_CASES)('$name', (c) => {
    const layer = c.make(backend);
    const res = checkLayerGradient(layer, c.x(), { h: 1e-2, rtol: c.rtol ?? 1e-2, atol: 1e-3, target: c.target?.(), sampleWeights: c.sampleWeights, training: c.training ?? true });
    const expected = ['x', ...Object.keys(layer.params())];
    expect(Object.keys(res).sort()).toEqual(expected.sort());
    for (const e of Object.values(res)) {
      if (!e.ok) {
        throw new Error(`${c.name} ${e.name}: max abs error ${e.maxAbsError}, max rel ${e.maxRelError}; worst at ${e.worst.index}: analytic ${e.worst.analytic}, numerical ${e.worst.numerical}`);
      }
      expect(e.checked).toBeGreaterThan(0);
    }
  });
});
