/**
 * The fused in-place optimizer update in TypeScript (the oracle for native/core/optim.cpp), with the book's
 * formulas (common/optimizer.py; see Backend.optimizerStep). Per element in float64 from the float32 state,
 * rounded once on store. eps = 1e-7 as in the book.
 */
import { checkF32, checkNumber, invalidRange, invalidType } from '../../validate';
import { OPTIMIZERRULE_STATES, OPTIMIZERRULE_VALUES } from '../addon.generated';
import type { OptimizerHyper, OptimizerRule } from '../types';

// The rules and their state counts are declared once, in native/ops.json.
const RULES: readonly OptimizerRule[] = OPTIMIZERRULE_VALUES;
const EPS = 1e-7;

/** How many state arrays each rule reads (s1, then s2). */
export function stateCount(rule: OptimizerRule): number {
  return OPTIMIZERRULE_STATES[rule];
}

/** An optional hyperparameter: absent means 0 (as the native backend's packing does). */
function opt(name: string, value: number | undefined): number {
  return value === undefined ? 0 : checkNumber(name, value);
}

function state(name: string, value: Float32Array | null, rule: OptimizerRule, n: number): Float32Array {
  if (value === null || value === undefined) throw invalidType(name, `a Float32Array (rule '${rule}' keeps state in it)`, value);
  return checkF32(name, value, n);
}

export function optimizerStep(
  rule: OptimizerRule, param: Float32Array, grad: Float32Array, s1: Float32Array | null, s2: Float32Array | null,
  hyper: OptimizerHyper,
): void {
  if (!(RULES as readonly unknown[]).includes(rule)) {
    throw invalidRange('rule', `one of ${RULES.map((r) => `'${r}'`).join(', ')}`, typeof rule === 'string' ? `'${rule}'` : rule);
  }
  checkF32('param', param);
  const n = param.length;
  checkF32('grad', grad, n);
  if (typeof hyper !== 'object' || hyper === null) throw invalidType('hyper', 'an object', hyper);
  const lr = checkNumber('hyper.lr', hyper.lr);
  const ns = stateCount(rule);
  const v1 = ns >= 1 ? state('s1', s1, rule, n) : null;
  const v2 = ns >= 2 ? state('s2', s2, rule, n) : null;

  switch (rule) {
    case 'sgd':
      for (let i = 0; i < n; i++) param[i] -= lr * grad[i];
      break;
    case 'momentum': {
      const mu = opt('hyper.momentum', hyper.momentum);
      const v = v1 as Float32Array;
      for (let i = 0; i < n; i++) {
        const vi = Math.fround(mu * v[i] - lr * grad[i]);
        v[i] = vi;
        param[i] += vi;
      }
      break;
    }
    case 'nesterov': {
      const mu = opt('hyper.momentum', hyper.momentum);
      const v = v1 as Float32Array;
      for (let i = 0; i < n; i++) {
        const g = grad[i];
        const vi = Math.fround(mu * v[i] - lr * g);
        v[i] = vi;
        param[i] = param[i] + mu * mu * vi - (1 + mu) * lr * g;
      }
      break;
    }
    case 'adagrad': {
      const h = v1 as Float32Array;
      for (let i = 0; i < n; i++) {
        const g = grad[i];
        const hi = Math.fround(h[i] + g * g);
        h[i] = hi;
        param[i] -= (lr * g) / (Math.sqrt(hi) + EPS);
      }
      break;
    }
    case 'rmsprop': {
      const d = opt('hyper.decayRate', hyper.decayRate);
      const h = v1 as Float32Array;
      for (let i = 0; i < n; i++) {
        const g = grad[i];
        const hi = Math.fround(d * h[i] + (1 - d) * g * g);
        h[i] = hi;
        param[i] -= (lr * g) / (Math.sqrt(hi) + EPS);
      }
      break;
    }
    case 'adam':
    case 'adamw': {
      const b1 = opt('hyper.beta1', hyper.beta1);
      const b2 = opt('hyper.beta2', hyper.beta2);
      const t = opt('hyper.t', hyper.t);
      if (t < 1) throw invalidRange('hyper.t', 'a step count >= 1', t);
      const wd = rule === 'adamw' ? opt('hyper.weightDecay', hyper.weightDecay) : 0;
      const lrT = (lr * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t));
      const m = v1 as Float32Array;
      const v = v2 as Float32Array;
      for (let i = 0; i < n; i++) {
        const g = grad[i];
        const p = param[i];
        const mi = Math.fround(m[i] + (1 - b1) * (g - m[i]));
        const vi = Math.fround(v[i] + (1 - b2) * (g * g - v[i]));
        m[i] = mi;
        v[i] = vi;
        param[i] = p - (lrT * mi) / (Math.sqrt(vi) + EPS) - lr * wd * p;
      }
      break;
    }
  }
}
