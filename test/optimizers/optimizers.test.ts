/**
 * Every optimizer against the book's formulas (common/optimizer.py) evaluated in float64 in this file, on a
 * tiny quadratic problem, on every backend under test: parameters and state after several steps.
 */
import type { Backend } from '../../lib/backend/types';
import type { Param } from '../../lib/layers/layer';
import {
  AdaGrad, Adam, AdamW, createOptimizer, Momentum, Nesterov, Optimizer, RMSprop, SGD,
} from '../../lib/optimizers';
import { Tensor } from '../../lib/tensor';
import { backendsUnderTest, expectClose, randomArray } from '../helpers';

// The tiny problem: L = ½ Σ a_i (p_i − c_i)², so g = a·(p − c). Sizes straddle SIMD widths (tails of 8 and 16).
const SIZES: Record<string, number> = { W1: 37, b1: 5, W2: 64 };
const STEPS = 6;

interface Problem {
  init: Record<string, Float32Array>;
  a: Record<string, Float32Array>;
  c: Record<string, Float32Array>;
}

function problem(): Problem {
  const init: Record<string, Float32Array> = {};
  const a: Record<string, Float32Array> = {};
  const c: Record<string, Float32Array> = {};
  let seed = 10;
  for (const [k, n] of Object.entries(SIZES)) {
    init[k] = randomArray(n, seed++, -1, 1);
    a[k] = randomArray(n, seed++, 0.5, 2);
    c[k] = randomArray(n, seed++, -1, 1);
  }
  return { init, a, c };
}

function makeParams(pb: Problem): Record<string, Param> {
  const out: Record<string, Param> = {};
  for (const k of Object.keys(SIZES)) {
    out[k] = { value: new Tensor(pb.init[k].slice(), [SIZES[k]]), grad: Tensor.zeros([SIZES[k]]) };
  }
  return out;
}

/** Writes g = a·(p − c) (float32) into every Param.grad. */
function fillGrads(pb: Problem, params: Record<string, Param>): void {
  for (const [k, p] of Object.entries(params)) {
    for (let i = 0; i < p.value.size; i++) p.grad.data[i] = pb.a[k][i] * (p.value.data[i] - pb.c[k][i]);
  }
}

type Hyper = Record<string, number>;

/** The book's update rules in float64, state per name, exactly as written in common/optimizer.py. */
function reference(rule: string, h: Hyper, pb: Problem, steps: number) {
  const p: Record<string, Float64Array> = {};
  const s1: Record<string, Float64Array> = {};
  const s2: Record<string, Float64Array> = {};
  for (const k of Object.keys(SIZES)) {
    p[k] = Float64Array.from(pb.init[k]);
    s1[k] = new Float64Array(SIZES[k]);
    s2[k] = new Float64Array(SIZES[k]);
  }
  for (let t = 1; t <= steps; t++) {
    const lrT = rule.startsWith('adam') ? (h.lr * Math.sqrt(1 - h.beta2 ** t)) / (1 - h.beta1 ** t) : 0;
    for (const k of Object.keys(SIZES)) {
      const P = p[k];
      for (let i = 0; i < P.length; i++) {
        const g = pb.a[k][i] * (P[i] - pb.c[k][i]);
        switch (rule) {
          case 'sgd':
            P[i] -= h.lr * g;
            break;
          case 'momentum':
            s1[k][i] = h.momentum * s1[k][i] - h.lr * g;
            P[i] += s1[k][i];
            break;
          case 'nesterov':
            s1[k][i] *= h.momentum;
            s1[k][i] -= h.lr * g;
            P[i] += h.momentum * h.momentum * s1[k][i];
            P[i] -= (1 + h.momentum) * h.lr * g;
            break;
          case 'adagrad':
            s1[k][i] += g * g;
            P[i] -= (h.lr * g) / (Math.sqrt(s1[k][i]) + 1e-7);
            break;
          case 'rmsprop':
            s1[k][i] *= h.decayRate;
            s1[k][i] += (1 - h.decayRate) * g * g;
            P[i] -= (h.lr * g) / (Math.sqrt(s1[k][i]) + 1e-7);
            break;
          case 'adam':
          case 'adamw': {
            const old = P[i];
            s1[k][i] += (1 - h.beta1) * (g - s1[k][i]);
            s2[k][i] += (1 - h.beta2) * (g * g - s2[k][i]);
            P[i] -= (lrT * s1[k][i]) / (Math.sqrt(s2[k][i]) + 1e-7);
            if (rule === 'adamw') P[i] -= h.lr * h.weightDecay * old;
            break;
          }
          default:
            throw new Error(rule);
        }
      }
    }
  }
  return { p, s1, s2 };
}

interface Case {
  rule: string;
  make: (backend: Backend) => Optimizer;
  hyper: Hyper;
  slots: string[];
}

// Non-default hyperparameters where it matters, so the test sees they reach the backend.
const cases: Case[] = [
  { rule: 'sgd', make: (backend) => new SGD({ lr: 0.05, backend }), hyper: { lr: 0.05 }, slots: [] },
  { rule: 'momentum', make: (backend) => new Momentum({ lr: 0.03, momentum: 0.8, backend }), hyper: { lr: 0.03, momentum: 0.8 }, slots: ['v'] },
  { rule: 'nesterov', make: (backend) => new Nesterov({ lr: 0.03, momentum: 0.7, backend }), hyper: { lr: 0.03, momentum: 0.7 }, slots: ['v'] },
  { rule: 'adagrad', make: (backend) => new AdaGrad({ lr: 0.1, backend }), hyper: { lr: 0.1 }, slots: ['h'] },
  { rule: 'rmsprop', make: (backend) => new RMSprop({ lr: 0.01, decayRate: 0.9, backend }), hyper: { lr: 0.01, decayRate: 0.9 }, slots: ['h'] },
  { rule: 'adam', make: (backend) => new Adam({ lr: 0.01, beta1: 0.8, beta2: 0.99, backend }), hyper: { lr: 0.01, beta1: 0.8, beta2: 0.99 }, slots: ['m', 'v'] },
  {
    rule: 'adamw',
    make: (backend) => new AdamW({ lr: 0.01, beta1: 0.85, beta2: 0.995, weightDecay: 0.1, backend }),
    hyper: { lr: 0.01, beta1: 0.85, beta2: 0.995, weightDecay: 0.1 },
    slots: ['m', 'v'],
  },
];

function run(opt: Optimizer, pb: Problem, params: Record<string, Param>, steps: number): void {
  for (let s = 0; s < steps; s++) {
    fillGrads(pb, params);
    opt.step(params);
  }
}

describe.each(backendsUnderTest())('optimizers on the $name backend', ({ backend }) => {
  const pb = problem();

  test.each(cases)('$rule matches the book formulas in float64 after several steps (params and state)', ({ rule, make, hyper, slots }) => {
    const opt = make(backend);
    expect(opt.name).toBe(rule);
    expect(opt.slotNames).toEqual(slots);
    const params = makeParams(pb);
    run(opt, pb, params, STEPS);
    expect(opt.t).toBe(STEPS);
    const ref = reference(rule, hyper, pb, STEPS);
    const state = opt.getState();
    expect(state.name).toBe(rule);
    expect(state.t).toBe(STEPS);
    expect(state.hyper).toEqual(hyper);
    for (const k of Object.keys(SIZES)) {
      expectClose(params[k].value.data, ref.p[k], { rtol: 2e-5, atol: 2e-6 }, `${rule} ${k}`);
      if (slots.length === 0) {
        expect(state.slots).toEqual({});
        continue;
      }
      expect(Object.keys(state.slots[k]).sort()).toEqual([...slots].sort());
      expectClose(state.slots[k][slots[0]], ref.s1[k], { rtol: 2e-5, atol: 1e-7 }, `${rule} ${k}.${slots[0]}`);
      if (slots[1]) expectClose(state.slots[k][slots[1]], ref.s2[k], { rtol: 2e-5, atol: 1e-7 }, `${rule} ${k}.${slots[1]}`);
    }
    // The parameters really moved towards the minimum (a sanity check that the problem is not trivial).
    const dist = (d: ArrayLike<number>, k: string) => Array.from(d).reduce((s, v, i) => s + (v - pb.c[k][i]) ** 2, 0);
    expect(dist(params.W2.value.data, 'W2')).toBeLessThan(dist(pb.init.W2, 'W2'));
  });

  test.each(cases)('$rule: getState/setState resumes bit-exactly as uninterrupted', ({ make }) => {
    const straight = make(backend);
    const p1 = makeParams(pb);
    run(straight, pb, p1, 6);

    const first = make(backend);
    const p2 = makeParams(pb);
    run(first, pb, p2, 3);
    const saved = first.getState();
    // The saved state is a copy: further steps of `first` must not change it.
    const snapshot = JSON.stringify(saved, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
    run(first, pb, makeParams(pb), 1);
    expect(JSON.stringify(saved, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(snapshot);

    const resumed = make(backend);
    resumed.setState(saved);
    expect(resumed.t).toBe(3);
    run(resumed, pb, p2, 3);
    for (const k of Object.keys(SIZES)) {
      expect(Buffer.from(p2[k].value.data.buffer).equals(Buffer.from(p1[k].value.data.buffer))).toBe(true);
    }
    const a = straight.getState();
    const b = resumed.getState();
    expect(b.t).toBe(a.t);
    for (const k of Object.keys(a.slots)) {
      for (const s of Object.keys(a.slots[k])) expect(Array.from(b.slots[k][s])).toEqual(Array.from(a.slots[k][s]));
    }
  });

  test.each(cases)('$rule: stepper in parts (any order, one name at a time) is bit-identical to step', ({ make }) => {
    const whole = make(backend);
    const p1 = makeParams(pb);
    const parts = make(backend);
    const p2 = makeParams(pb);
    const orders = [['W2', 'b1', 'W1'], ['b1', 'W1', 'W2'], ['W1', 'W2', 'b1']];
    for (let s = 0; s < STEPS; s++) {
      fillGrads(pb, p1);
      whole.step(p1);
      fillGrads(pb, p2);
      const update = parts.stepper(p2);
      expect(parts.t).toBe(s + 1); // counted when the stepper is made, once per step
      const [first, ...rest] = orders[s % orders.length];
      update([first]);
      update(rest);
    }
    expect(parts.t).toBe(whole.t);
    for (const k of Object.keys(SIZES)) {
      expect(Buffer.from(p2[k].value.data.buffer).equals(Buffer.from(p1[k].value.data.buffer))).toBe(true);
    }
    const a = whole.getState();
    const b = parts.getState();
    for (const k of Object.keys(a.slots)) {
      for (const sl of Object.keys(a.slots[k])) expect(Array.from(b.slots[k][sl])).toEqual(Array.from(a.slots[k][sl]));
    }
  });

  test('stepper: a name updated twice or not given is refused, leaving the parameter as it was', () => {
    const opt = new Adam({ backend });
    const p = makeParams(pb);
    fillGrads(pb, p);
    const update = opt.stepper(p);
    update(['W1']);
    const after = p.W1.value.data.slice();
    expect(() => update(['W1'])).toThrow(/each parameter once per step.*'W1' again/);
    expect(() => update(['W9'])).toThrow(/names of the parameters given to stepper.*'W9'/);
    expect(Array.from(p.W1.value.data)).toEqual(Array.from(after));
    expect(() => opt.stepper({ W1: { value: Tensor.zeros([3]), grad: Tensor.zeros([2]) } })).toThrow(RangeError);
  });

  test('explicit grads override Param.grad; state is created per name, lazily', () => {
    const opt = new Momentum({ lr: 0.1, momentum: 0.5, backend });
    const p: Record<string, Param> = { W1: { value: Tensor.from([1, 2, 3], [3]), grad: Tensor.from([100, 100, 100], [3]) } };
    opt.step(p, { W1: Float32Array.from([1, -1, 0.5]) });
    expectClose(p.W1.value.data, [1 - 0.1, 2 + 0.1, 3 - 0.05], { rtol: 1e-6, atol: 0 }, 'W1');
    expect(Object.keys(opt.getState().slots)).toEqual(['W1']);
    opt.step({ b1: { value: Tensor.from([0], [1]), grad: Tensor.from([1], [1]) } });
    expect(Object.keys(opt.getState().slots).sort()).toEqual(['W1', 'b1']);
  });

  test('setLearningRate changes the next step only', () => {
    const opt = new SGD({ lr: 0.5, backend });
    const p: Record<string, Param> = { W1: { value: Tensor.from([1], [1]), grad: Tensor.from([1], [1]) } };
    opt.step(p);
    expect(p.W1.value.data[0]).toBe(0.5);
    opt.setLearningRate(0.25);
    expect(opt.lr).toBe(0.25);
    opt.step(p);
    expect(p.W1.value.data[0]).toBe(0.25);
  });
});

describe('optimizer construction and validation', () => {
  test("the book's defaults", () => {
    expect(new SGD().hyperparameters()).toEqual({ lr: 0.01 });
    expect(new Momentum().hyperparameters()).toEqual({ lr: 0.01, momentum: 0.9 });
    expect(new Nesterov().hyperparameters()).toEqual({ lr: 0.01, momentum: 0.9 });
    expect(new AdaGrad().hyperparameters()).toEqual({ lr: 0.01 });
    expect(new RMSprop().hyperparameters()).toEqual({ lr: 0.01, decayRate: 0.99 });
    expect(new Adam().hyperparameters()).toEqual({ lr: 0.001, beta1: 0.9, beta2: 0.999 });
    expect(new AdamW().hyperparameters()).toEqual({ lr: 0.001, beta1: 0.9, beta2: 0.999, weightDecay: 0.01 });
  });

  test('createOptimizer: every name, case-insensitive, with hyperparameters', () => {
    const expected = { sgd: SGD, momentum: Momentum, nesterov: Nesterov, adagrad: AdaGrad, rmsprop: RMSprop, adam: Adam, adamw: AdamW };
    for (const [name, cls] of Object.entries(expected)) {
      expect(createOptimizer(name)).toBeInstanceOf(cls);
      expect(createOptimizer(name.toUpperCase())).toBeInstanceOf(cls);
    }
    expect(createOptimizer('AdaGrad', { lr: 0.5 }).lr).toBe(0.5);
    expect(createOptimizer('RMSprop', { decayRate: 0.9 }).hyperparameters().decayRate).toBe(0.9);
    expect(() => createOptimizer('adamax')).toThrow(RangeError);
    expect(() => createOptimizer('adamax')).toThrow(/optimizer name.*'adamax'/);
    expect(() => createOptimizer(3 as unknown as string)).toThrow(TypeError);
    expect(() => createOptimizer('sgd', { momentum: 0.9 })).toThrow(/SGD options.*'momentum'/);
  });

  test.each([
    ['lr 0', () => new SGD({ lr: 0 }), /lr: expected a finite number in \(0/],
    ['lr negative', () => new Adam({ lr: -1 }), /lr/],
    ['lr NaN', () => new Momentum({ lr: NaN }), /lr/],
    ['lr Infinity', () => new AdaGrad({ lr: Infinity }), /lr/],
    ['momentum 1', () => new Momentum({ momentum: 1 }), /momentum: expected a finite number in \[0, 1\)/],
    ['momentum -0.1', () => new Nesterov({ momentum: -0.1 }), /momentum/],
    ['decayRate 1', () => new RMSprop({ decayRate: 1 }), /decayRate/],
    ['beta1 1', () => new Adam({ beta1: 1 }), /beta1/],
    ['beta2 1.5', () => new AdamW({ beta2: 1.5 }), /beta2/],
    ['weightDecay -1', () => new AdamW({ weightDecay: -1 }), /weightDecay/],
    ['unknown key', () => new Adam({ learningRate: 0.1 } as never), /^Adam options: expected options among lr, beta1, beta2, backend, got unknown option 'learningRate'$/],
    ['misspelt key', () => new Adam({ betta1: 0.8 } as never), /^Adam options: .*got unknown option 'betta1' \(did you mean 'beta1'\?\)$/],
  ])('bad hyperparameter (%s) -> RangeError', (_label, make, message) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(message);
  });

  test('wrong types -> TypeError', () => {
    expect(() => new SGD({ lr: '0.1' as never })).toThrow(TypeError);
    expect(() => new Adam({ beta1: null as never })).toThrow(TypeError);
    expect(() => new SGD(5 as never)).toThrow(TypeError);
    expect(() => new SGD().setLearningRate(0)).toThrow(RangeError);
  });

  test('step rejects bad params and leaves parameters and state unchanged', () => {
    const opt = new Momentum({ lr: 0.1 });
    const good: Param = { value: Tensor.from([1, 2], [2]), grad: Tensor.from([1, 1], [2]) };
    const bad: Param = { value: Tensor.from([1, 2, 3], [3]), grad: Tensor.from([1, 1], [2]) };
    expect(() => opt.step({ W1: good, W2: bad })).toThrow(/gradient of 'W2': expected 3 elements/);
    expect(Array.from(good.value.data)).toEqual([1, 2]);
    expect(opt.t).toBe(0);
    expect(opt.getState().slots).toEqual({});
    expect(() => opt.step({ W1: good }, { W1: [1, 2] as never })).toThrow(TypeError);
    expect(() => opt.step({ W1: good }, {})).toThrow(/grads\.W1/);
    expect(() => opt.step({ W1: 3 as never })).toThrow(TypeError);
    // A parameter whose size changed under the same name.
    opt.step({ W1: good });
    expect(() => opt.step({ W1: bad })).toThrow(/gradient of 'W1'/);
    const resized: Param = { value: Tensor.from([1, 2, 3], [3]), grad: Tensor.from([1, 1, 1], [3]) };
    expect(() => opt.step({ W1: resized })).toThrow(/optimizer state 'v' of 'W1': expected 3 elements.*got 2/);
  });

  test('setState validates name, t, hyperparameters and slots', () => {
    const adam = new Adam();
    const st = adam.getState();
    expect(() => new SGD().setState(st)).toThrow(/state.name: expected 'sgd'/);
    expect(() => adam.setState({ ...st, t: -1 })).toThrow(RangeError);
    expect(() => adam.setState({ ...st, hyper: { lr: -1 } })).toThrow(/state.hyper.lr/);
    expect(() => adam.setState({ ...st, hyper: { foo: 1 } })).toThrow(/'foo'/);
    expect(() => adam.setState({ ...st, slots: { W1: { m: new Float32Array(2) } } })).toThrow(/state.slots.W1.v/);
    expect(() => adam.setState({ ...st, slots: { W1: { m: new Float32Array(2), v: new Float32Array(3) } } })).toThrow(/state.slots.W1.v/);
    expect(() => adam.setState({ ...st, slots: { W1: { m: new Float32Array(2), v: new Float32Array(2), x: new Float32Array(2) } } })).toThrow(/'x'/);
    adam.setState({ ...st, hyper: { lr: 0.5, beta1: 0.5, beta2: 0.5 }, t: 7 });
    expect(adam.lr).toBe(0.5);
    expect(adam.t).toBe(7);
    adam.reset();
    expect(adam.t).toBe(0);
  });
});
