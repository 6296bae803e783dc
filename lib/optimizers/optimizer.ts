/**
 * The optimizer base class: it owns `step()` (one fused backend op per parameter), the per-parameter state
 * (created lazily, zero-filled, keyed by the parameter's name) and its save/resume. A subclass only declares
 * its update rule, its state slots and its hyperparameters (with defaults and checks), like the book's
 * common/optimizer.py classes and tinygrad's nn/optim.py.
 */
import { getBackend } from '../backend';
import type { Backend, OptimizerHyper, OptimizerRule } from '../backend/types';
import { checkInt, checkNumber, checkOptions, readOptions, checkUnit, describe, invalidRange, invalidType } from '../validate';
import type { Param } from '../layers/layer';
import { Tensor } from '../tensor';

/** The optimizer names `createOptimizer` accepts (lower-case; the book's optimizer_class_dict). */
export type OptimizerName = OptimizerRule;

/** Hyperparameter keys an optimizer may have (the same names as the backend's OptimizerHyper). */
export type HyperKey = 'lr' | 'momentum' | 'decayRate' | 'beta1' | 'beta2' | 'weightDecay';

/** Options every optimizer takes besides its hyperparameters. */
export interface OptimizerBaseOptions {
  /** Backend that runs the updates when `step` is not given one (default: getBackend() at each step). The
   * Trainer always passes its network's backend. */
  backend?: Backend;
}

/** One hyperparameter: its default and the check run on every value given (constructor, setState). */
export interface HyperSpec {
  default: number;
  check(name: string, value: unknown): number;
}

/**
 * Everything needed to resume training exactly: the optimizer's name, its hyperparameters, the iteration
 * count `t` (number of `step` calls so far) and, per parameter name, its state slots (copies).
 */
export interface OptimizerState {
  name: OptimizerName;
  hyper: Record<string, number>;
  t: number;
  slots: Record<string, Record<string, Float32Array>>;
}

/** A learning rate: finite and > 0. */
export function lrSpec(def: number): HyperSpec {
  return { default: def, check: (name, v) => checkNumber(name, v, { min: 0, exclusiveMin: true }) };
}

/** A rate in [0, 1) (momentum, decay rate, Adam's betas). */
export function unitSpec(def: number): HyperSpec {
  return {
    default: def,
    check: checkUnit,
  };
}

/** A finite number ≥ 0 (weight decay). */
export function nonNegativeSpec(def: number): HyperSpec {
  return { default: def, check: (name, v) => checkNumber(name, v, { min: 0 }) };
}

/**
 * Base class of the optimizers. `step(params)` updates every named parameter in place from its gradient with
 * one `backend.optimizerStep` call; the state of parameter `W1` lives under the name `W1`, so the same optimizer
 * must always see the same names (a network's `namedParams()`).
 *
 * @example
 * const opt = new Adam({ lr: 0.001 });
 * for (let i = 0; i < iters; i++) {
 *   net.gradient(xBatch, tBatch);      // fills every Param.grad
 *   opt.step(net.namedParams());
 * }
 * const saved = opt.getState();        // later: new Adam().setState(saved) resumes exactly
 * @throws {TypeError|RangeError} bad hyperparameters (constructor, setLearningRate, setState); parameters
 *   without gradients or whose size changed since their state was created (step)
 */
export abstract class Optimizer {
  /** The optimizer's name ('sgd', 'adam', …), also its backend update rule. */
  readonly name: OptimizerName;
  /** Names of the per-parameter state slots (the book's attribute names: v, h, m). */
  readonly slotNames: readonly string[];
  /** Backend that runs the updates when `step` is not given one; undefined: the process default at each step. */
  backend?: Backend;
  /** Number of `step` calls so far (Adam's bias correction uses t after the increment). */
  private iter = 0;
  private readonly spec: Readonly<Record<string, HyperSpec>>;
  private readonly hyper: Record<string, number> = {};
  private slots = new Map<string, Record<string, Float32Array>>();

  protected constructor(
    name: OptimizerName,
    slotNames: readonly string[],
    spec: Readonly<Record<string, HyperSpec>>,
    opts: object | undefined,
  ) {
    this.name = name;
    this.slotNames = Object.freeze([...slotNames]);
    this.spec = spec;
    const given = readOptions<Record<string, unknown>>(this.constructor.name, opts ?? undefined, [...Object.keys(spec), 'backend']);
    for (const [key, s] of Object.entries(spec)) {
      this.hyper[key] = given[key] === undefined ? s.default : s.check(key, given[key]);
    }
    if (given.backend !== undefined) this.backend = checkBackend(given.backend);
  }

  /** The current learning rate. */
  get lr(): number {
    return this.hyper.lr;
  }

  /** Iterations done (number of `step` calls). */
  get t(): number {
    return this.iter;
  }

  /** A copy of the hyperparameters ({ lr, momentum, … }). */
  hyperparameters(): Record<string, number> {
    return { ...this.hyper };
  }

  /**
   * Sets the learning rate (for schedules); the state is kept.
   * @throws {RangeError} lr not finite and > 0
   */
  setLearningRate(lr: number): void {
    this.hyper.lr = this.spec.lr.check('lr', lr);
  }

  /**
   * One update of every parameter in `params` (name -> Param), in place, from `grads[name]` when given,
   * else from the Param's own `grad` (what `Network.gradient` wrote). The state of a parameter seen for the
   * first time is created filled with zeros. The update runs on `backend` when given (pass the network's,
   * `net.backend`, as the Trainer does), else on the optimizer's `backend`, else on getBackend().
   * @throws {TypeError|RangeError} a parameter or gradient is missing or has the wrong size
   */
  step(params: Record<string, Param>, grads?: Record<string, Tensor | Float32Array>, backend?: Backend): void {
    this.stepper(params, grads, backend)(Object.keys(params));
  }

  /**
   * `step` in parts, for data-parallel training (lib/dist/buckets.ts: the parameters of a gradient bucket are updated
   * as soon as its sum is in, while later buckets still travel). Checks everything and counts the iteration now,
   * exactly as `step`; the function returned applies the update rule to the named parameters, each at most once.
   * Once every name has been passed, the parameters and state are bit-identical to one `step` call (the rule is
   * per parameter; `step` is this with every name at once). Names left out are simply not updated this iteration.
   * @throws {TypeError|RangeError} as step; the returned function: a name not in `params`, or one already updated
   */
  stepper(params: Record<string, Param>, grads?: Record<string, Tensor | Float32Array>, backend?: Backend): (names: Iterable<string>) => void {
    if (params === null || typeof params !== 'object') throw invalidType('params', 'an object of name -> Param', params);
    if (grads !== undefined && (grads === null || typeof grads !== 'object')) {
      throw invalidType('grads', 'an object of name -> gradient', grads);
    }
    if (backend !== undefined) checkBackend(backend);
    // Check everything before touching anything, so a bad call leaves the parameters and state unchanged.
    const work: { key: string; value: Float32Array; grad: Float32Array }[] = [];
    for (const [key, p] of Object.entries(params)) {
      if (p === null || typeof p !== 'object' || !(p.value instanceof Tensor)) {
        throw invalidType(`params.${key}`, 'a Param { value: Tensor, grad: Tensor }', p);
      }
      const g = grads === undefined ? p.grad : grads[key];
      const gd = g instanceof Tensor ? g.data : g;
      if (!(gd instanceof Float32Array)) {
        throw invalidType(grads === undefined ? `params.${key}.grad` : `grads.${key}`, 'a Tensor or Float32Array', g);
      }
      if (gd.length !== p.value.size) {
        throw invalidRange(`gradient of '${key}'`, `${p.value.size} elements (the parameter's size)`, `${gd.length}`);
      }
      const st = this.slots.get(key);
      if (st) {
        for (const s of this.slotNames) {
          if (st[s].length !== p.value.size) {
            throw invalidRange(`optimizer state '${s}' of '${key}'`, `${p.value.size} elements (the parameter's size)`, `${st[s].length}`);
          }
        }
      }
      work.push({ key, value: p.value.data, grad: gd });
    }
    const be = backend ?? this.backend ?? getBackend();
    this.iter++;
    const hyper = { ...this.hyper, t: this.iter } as OptimizerHyper;
    const todo = new Map(work.map((w) => [w.key, w]));
    const done = new Set<string>();
    return (names) => {
      for (const key of names) {
        const w = todo.get(key);
        if (!w) {
          throw invalidRange('stepper names', done.has(key) ? 'each parameter once per step' : 'names of the parameters given to stepper', `'${key}'${done.has(key) ? ' again' : ''}`);
        }
        todo.delete(key);
        done.add(key);
        const st = this.slotNames.length > 0 ? this.stateFor(key, w.value.length) : {};
        be.optimizerStep(
          this.name,
          w.value,
          w.grad,
          this.slotNames.length > 0 ? st[this.slotNames[0]] : null,
          this.slotNames.length > 1 ? st[this.slotNames[1]] : null,
          hyper,
        );
      }
    };
  }

  /** The book's spelling: `update(params, grads)` is `step(params, grads)`. */
  update(params: Record<string, Param>, grads?: Record<string, Tensor | Float32Array>): void {
    this.step(params, grads);
  }

  /** Forgets the per-parameter state and the iteration count (hyperparameters stay). */
  reset(): void {
    this.slots.clear();
    this.iter = 0;
  }

  /** A deep copy of everything `setState` needs to resume exactly. */
  getState(): OptimizerState {
    const slots: Record<string, Record<string, Float32Array>> = {};
    for (const [key, st] of this.slots) {
      slots[key] = {};
      for (const s of this.slotNames) slots[key][s] = st[s].slice();
    }
    return { name: this.name, hyper: { ...this.hyper }, t: this.iter, slots };
  }

  /**
   * Restores a state from `getState` (the arrays are copied): hyperparameters, iteration count and slots.
   * Slot sizes are checked against the parameters at the next `step`.
   * @throws {TypeError|RangeError} the state is for another optimizer, or is malformed
   */
  setState(state: OptimizerState): void {
    if (state === null || typeof state !== 'object') throw invalidType('state', 'an OptimizerState object', state);
    if (state.name !== this.name) throw invalidRange('state.name', `'${this.name}'`, describe(state.name));
    const t = checkInt('state.t', state.t, 0);
    if (state.hyper === null || typeof state.hyper !== 'object') throw invalidType('state.hyper', 'an object', state.hyper);
    const hyper: Record<string, number> = {};
    for (const [key, s] of Object.entries(this.spec)) {
      hyper[key] = state.hyper[key] === undefined ? this.hyper[key] : s.check(`state.hyper.${key}`, state.hyper[key]);
    }
    for (const key of Object.keys(state.hyper)) {
      if (!(key in this.spec)) throw invalidRange('state.hyper', `keys among ${Object.keys(this.spec).join(', ')}`, `'${key}'`);
    }
    if (state.slots === null || typeof state.slots !== 'object') throw invalidType('state.slots', 'an object', state.slots);
    const slots = new Map<string, Record<string, Float32Array>>();
    for (const [key, st] of Object.entries(state.slots)) {
      if (st === null || typeof st !== 'object') throw invalidType(`state.slots.${key}`, 'an object of slot -> Float32Array', st);
      const copy: Record<string, Float32Array> = {};
      let len = -1;
      for (const s of this.slotNames) {
        const a = st[s];
        if (!(a instanceof Float32Array)) throw invalidType(`state.slots.${key}.${s}`, 'a Float32Array', a);
        if (len >= 0 && a.length !== len) {
          throw invalidRange(`state.slots.${key}.${s}`, `${len} elements (like its other slots)`, `${a.length}`);
        }
        len = a.length;
        copy[s] = a.slice();
      }
      for (const s of Object.keys(st)) {
        if (!this.slotNames.includes(s)) {
          throw invalidRange(`state.slots.${key}`, this.slotNames.length ? `slots among ${this.slotNames.join(', ')}` : 'no slots', `'${s}'`);
        }
      }
      slots.set(key, copy);
    }
    Object.assign(this.hyper, hyper);
    this.iter = t;
    this.slots = slots;
  }

  private stateFor(key: string, n: number): Record<string, Float32Array> {
    let st = this.slots.get(key);
    if (!st) {
      st = {};
      for (const s of this.slotNames) st[s] = new Float32Array(n);
      this.slots.set(key, st);
    }
    return st;
  }
}

function checkBackend(b: unknown): Backend {
  if (b === null || typeof b !== 'object' || typeof (b as Backend).optimizerStep !== 'function') throw invalidType('backend', 'a Backend', b);
  return b as Backend;
}
