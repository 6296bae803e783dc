/**
 * Native vs TypeScript for every layer: the same layer built on each backend (same seed -> same weights), the same
 * input, then forward (training), backward with the same upstream gradient. Tolerance: |n − t| <= 1e-5 + 1e-4·|t|
 * (different summation orders in the GEMM/convolution kernels); dropout masks must match exactly.
 * The TS-only run checks the seeding half (layers built twice from one seed agree bit for bit).
 */
import { Dropout, LossLayer, type Layer } from '../../lib/layers';
import { Tensor } from '../../lib/tensor';
import { expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';
import { LAYER_CASES } from './cases';

const TOL = { rtol: 1e-4, atol: 1e-5 };

function run(layer: Layer, x: Tensor, c: (typeof LAYER_CASES)[number]): Record<string, Float32Array | number> {
  const out: Record<string, Float32Array | number> = {};
  const training = c.training ?? true;
  if (layer instanceof LossLayer) {
    out.y = layer.forward(x, false).data.slice();
    out.loss = layer.forwardLoss(x, c.target!(), training, c.sampleWeights);
    out.dx = layer.backwardLoss(1).data.slice();
  } else {
    const y = layer.forward(x, training);
    out.y = y.data.slice();
    out.dx = layer.backward(new Tensor(randomArray(y.size, 5), y.shape)).data.slice();
  }
  for (const [k, p] of Object.entries(layer.params())) out[`d${k}`] = p.grad.data.slice();
  for (const [k, b] of Object.entries(layer.buffers())) out[k] = b.data.slice();
  return out;
}

test.each(LAYER_CASES)('same seed, same parameters: $name', (c) => {
  const a = c.make(ts);
  const b = c.make(ts);
  for (const [k, p] of Object.entries(a.params())) expect(b.params()[k].value.data).toEqual(p.value.data);
});

if (!tsOnly) {
  describe('native vs ts, every layer', () => {
    test.each(LAYER_CASES)('$name', (c) => {
      const native = requireNative();
      const a = c.make(ts);
      const b = c.make(native);
      for (const [k, p] of Object.entries(a.params())) expect(b.params()[k].value.data).toEqual(p.value.data);
      const ra = run(a, c.x(), c);
      const rb = run(b, c.x(), c);
      expect(Object.keys(rb)).toEqual(Object.keys(ra));
      for (const k of Object.keys(ra)) {
        const va = ra[k];
        const vb = rb[k];
        if (typeof va === 'number') expect(Math.abs((vb as number) - va)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(va));
        else expectClose(vb as Float32Array, va, TOL, `${c.name} ${k}`);
      }
      if (a instanceof Dropout && (c.training ?? true)) {
        expect(a.lastMask()!.some((m) => m === 0)).toBe(true);
        expect((b as Dropout).lastMask()).toEqual(a.lastMask());
      }
    });
  });
}
