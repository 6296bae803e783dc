/**
 * optimizerStep for every rule of native/ops.json: several steps on a tiny problem against a plain-JS float64 transcription of the
 * book's common/optimizer.py (params and optimizer state after the steps), native vs TS on awkward sizes under
 * every kernel table and thread count, and bad inputs.
 */
import { OPTIMIZERRULE_STATES, OPTIMIZERRULE_VALUES } from '../../lib/backend/addon.generated';
import type { OptimizerHyper, OptimizerRule } from '../../lib/backend/types';
import { backendsUnderTest, expectClose, randomArray, requireNative, ts, tsOnly } from '../helpers';
import { expectSameBits, nativeConfigs, SIZES, withNative, expectInputError } from './ops-helpers';

// Every rule native/ops.json declares, with its state count: a rule added there without a case below fails here.
const RULES: readonly OptimizerRule[] = OPTIMIZERRULE_VALUES;
const HYPER: Record<OptimizerRule, OptimizerHyper> = {
  sgd: { lr: 0.1 },
  momentum: { lr: 0.05, momentum: 0.9 },
  nesterov: { lr: 0.05, momentum: 0.9 },
  adagrad: { lr: 0.1 },
  rmsprop: { lr: 0.01, decayRate: 0.99 },
  adam: { lr: 0.01, beta1: 0.9, beta2: 0.999 },
  adamw: { lr: 0.01, beta1: 0.9, beta2: 0.999, weightDecay: 0.05 },
};
const usesState = (rule: OptimizerRule) => OPTIMIZERRULE_STATES[rule];

/** The book's update rules (common/optimizer.py) in float64, one step; AdamW adds the decoupled decay on p_old. */
function bookStep(rule: OptimizerRule, p: number[], g: number[], s1: number[], s2: number[], h: OptimizerHyper, iter: number): void {
  const lr = h.lr;
  for (let i = 0; i < p.length; i++) {
    switch (rule) {
      case 'sgd':
        p[i] -= lr * g[i];
        break;
      case 'momentum':
        s1[i] = h.momentum! * s1[i] - lr * g[i];
        p[i] += s1[i];
        break;
      case 'nesterov':
        s1[i] *= h.momentum!;
        s1[i] -= lr * g[i];
        p[i] += h.momentum! * h.momentum! * s1[i];
        p[i] -= (1 + h.momentum!) * lr * g[i];
        break;
      case 'adagrad':
        s1[i] += g[i] * g[i];
        p[i] -= (lr * g[i]) / (Math.sqrt(s1[i]) + 1e-7);
        break;
      case 'rmsprop':
        s1[i] *= h.decayRate!;
        s1[i] += (1 - h.decayRate!) * g[i] * g[i];
        p[i] -= (lr * g[i]) / (Math.sqrt(s1[i]) + 1e-7);
        break;
      case 'adam':
      case 'adamw': {
        const lrT = (lr * Math.sqrt(1 - h.beta2! ** iter)) / (1 - h.beta1! ** iter);
        const old = p[i];
        s1[i] += (1 - h.beta1!) * (g[i] - s1[i]);
        s2[i] += (1 - h.beta2!) * (g[i] ** 2 - s2[i]);
        p[i] -= (lrT * s1[i]) / (Math.sqrt(s2[i]) + 1e-7);
        if (rule === 'adamw') p[i] -= lr * h.weightDecay! * old;
        break;
      }
    }
  }
}

describe.each(backendsUnderTest())('$name backend vs the book\'s update rules in float64', ({ backend }) => {
  test.each(RULES)('%s: 6 steps on f(p) = Σ a·(p − c)², params and state', (rule) => {
    const n = 11;
    const a = randomArray(n, 1, 0.5, 2);
    const c = randomArray(n, 2, -1, 1);
    const p = randomArray(n, 3, -2, 2);
    const s1 = usesState(rule) >= 1 ? new Float32Array(n) : null;
    const s2 = usesState(rule) >= 2 ? new Float32Array(n) : null;
    const P = Array.from(p);
    const S1 = new Array(n).fill(0);
    const S2 = new Array(n).fill(0);
    const grad = new Float32Array(n);
    for (let t = 1; t <= 6; t++) {
      for (let i = 0; i < n; i++) grad[i] = 2 * a[i] * (p[i] - c[i]); // from the float32 params the backend holds
      const G = Array.from(grad);
      bookStep(rule, P, G, S1, S2, HYPER[rule], t);
      backend.optimizerStep(rule, p, grad, s1, s2, { ...HYPER[rule], t });
      expectClose(p, P, { rtol: 2e-5, atol: 2e-6 }, `${rule} params after step ${t}`);
      if (s1) expectClose(s1, S1, { rtol: 2e-5, atol: 1e-7 }, `${rule} s1 after step ${t}`);
      if (s2) expectClose(s2, S2, { rtol: 2e-5, atol: 1e-9 }, `${rule} s2 after step ${t}`);
    }
  });

  test('the book\'s Adam, written as in optimizer.py, moves toward the minimum', () => {
    const p = new Float32Array([5, -3]);
    const m = new Float32Array(2);
    const v = new Float32Array(2);
    for (let t = 1; t <= 200; t++) backend.optimizerStep('adam', p, Float32Array.from(p, (x) => 2 * x), m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, t });
    expect(Math.abs(p[0])).toBeLessThan(0.5);
    expect(Math.abs(p[1])).toBeLessThan(0.5);
  });
});

describe.each(backendsUnderTest())('$name backend rejects bad inputs', ({ backend }) => {
  const f = (n: number) => new Float32Array(n);
  const step = backend.optimizerStep.bind(backend);
  const adam = { lr: 0.01, beta1: 0.9, beta2: 0.999, t: 1 };
  const bad: [string, () => void, ErrorConstructor][] = [
    ['unknown rule', () => step('no-such-rule' as OptimizerRule, f(3), f(3), f(3), f(3), adam), RangeError],
    ['short grad', () => step('sgd', f(3), f(2), null, null, { lr: 0.1 }), RangeError],
    ['grad as Array', () => step('sgd', f(3), [1, 2, 3] as unknown as Float32Array, null, null, { lr: 0.1 }), TypeError],
    ['momentum without s1', () => step('momentum', f(3), f(3), null, null, { lr: 0.1, momentum: 0.9 }), TypeError],
    ['rmsprop short s1', () => step('rmsprop', f(3), f(3), f(2), null, { lr: 0.1, decayRate: 0.9 }), RangeError],
    ['adam without s2', () => step('adam', f(3), f(3), f(3), null, adam), TypeError],
    ['adamw short s2', () => step('adamw', f(3), f(3), f(3), f(2), { ...adam, weightDecay: 0.01 }), RangeError],
    ['adam t = 0', () => step('adam', f(3), f(3), f(3), f(3), { ...adam, t: 0 }), RangeError],
    ['adam t missing', () => step('adam', f(3), f(3), f(3), f(3), { lr: 0.01, beta1: 0.9, beta2: 0.999 }), RangeError],
    ['lr NaN', () => step('sgd', f(3), f(3), null, null, { lr: NaN }), RangeError],
    ['momentum Infinity', () => step('momentum', f(3), f(3), f(3), null, { lr: 0.1, momentum: Infinity }), RangeError],
  ];
  test.each(bad)('%s', (_label, call, ErrorType) => {
    expectInputError(call, ErrorType);
  });
  test('unused state may be null; missing optional hyperparameters count as 0', () => {
    const p = new Float32Array([1, 2]);
    step('sgd', p, new Float32Array([1, 1]), null, null, { lr: 0.5 });
    expect(Array.from(p)).toEqual([0.5, 1.5]);
    const v = new Float32Array(2);
    step('momentum', p, new Float32Array([1, 1]), v, null, { lr: 0.5 }); // momentum 0: plain SGD
    expect(Array.from(p)).toEqual([0, 1]);
  });
});

if (!tsOnly) {
  describe('native vs TS on awkward sizes, every kernel table and thread count', () => {
    test.each(RULES)('%s: 3 steps', (rule) => {
      for (const n of SIZES) {
        const init = () => ({
          p: randomArray(n, n, -2, 2),
          s1: usesState(rule) >= 1 ? randomArray(n, n + 1, 0, 0.1) : null,
          s2: usesState(rule) >= 2 ? randomArray(n, n + 2, 0, 0.01) : null,
        });
        const grads = [1, 2, 3].map((k) => randomArray(n, 10 * n + k));
        const steps = (b: typeof ts | ReturnType<typeof requireNative>) => {
          const st = init();
          grads.forEach((g, k) => b.optimizerStep(rule, st.p, g, st.s1, st.s2, { ...HYPER[rule], t: k + 1 }));
          return st;
        };
        const want = steps(ts);
        let prev: ReturnType<typeof steps> | null = null;
        for (const cfg of nativeConfigs()) {
          const got = withNative(cfg.isa, cfg.threads, () => steps(requireNative()));
          const what = `${rule} n=${n} ${cfg.label}`;
          expectClose(got.p, want.p, { rtol: 1e-5, atol: 1e-6 }, `param ${what}`);
          if (got.s1) expectClose(got.s1, want.s1!, { rtol: 1e-5, atol: 1e-7 }, `s1 ${what}`);
          if (got.s2) expectClose(got.s2, want.s2!, { rtol: 1e-5, atol: 1e-8 }, `s2 ${what}`);
          if (prev && cfg.threads === 3) expectSameBits(got.p, prev.p, `thread-independence ${what}`); // configs go 1t then 3t per ISA
          prev = got;
        }
      }
    });
  });
}
