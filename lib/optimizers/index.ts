/**
 * The optimizers of the book's common/optimizer.py (plus AdamW), and `createOptimizer` to pick one by name
 * like the book's Trainer does with optimizer_class_dict.
 */
import { invalidRange, invalidType } from '../validate';
import { AdaGrad } from './adagrad';
import { Adam } from './adam';
import { AdamW } from './adamw';
import { Momentum } from './momentum';
import { Nesterov } from './nesterov';
import type { Optimizer, OptimizerBaseOptions, OptimizerName } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

export { Optimizer } from './optimizer';
export type { OptimizerBaseOptions, OptimizerName, OptimizerState } from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Momentum, type MomentumOptions } from './momentum';
export { Nesterov, type NesterovOptions } from './nesterov';
export { AdaGrad, type AdaGradOptions } from './adagrad';
export { RMSprop, type RMSpropOptions } from './rmsprop';
export { Adam, type AdamOptions } from './adam';
export { AdamW, type AdamWOptions } from './adamw';

/** Options of `createOptimizer`: any optimizer's hyperparameters (each optimizer rejects keys it lacks). */
export interface CreateOptimizerOptions extends OptimizerBaseOptions {
  lr?: number;
  momentum?: number;
  decayRate?: number;
  beta1?: number;
  beta2?: number;
  weightDecay?: number;
}

const classes: Record<OptimizerName, new (opts?: CreateOptimizerOptions) => Optimizer> = {
  sgd: SGD,
  momentum: Momentum,
  nesterov: Nesterov,
  adagrad: AdaGrad,
  rmsprop: RMSprop,
  adam: Adam,
  adamw: AdamW,
};

/** The names `createOptimizer` accepts. */
export const optimizerNames: readonly OptimizerName[] = Object.freeze(Object.keys(classes) as OptimizerName[]);

/**
 * An optimizer by name, case-insensitive ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'),
 * with its hyperparameters (the book's `optimizer_class_dict[optimizer.lower()](**optimizer_param)`).
 *
 * @example
 * const opt = createOptimizer('Adam', { lr: 0.001 });
 * @throws {TypeError|RangeError} an unknown name, or hyperparameters the optimizer rejects
 */
export function createOptimizer(name: string, params: CreateOptimizerOptions = {}): Optimizer {
  if (typeof name !== 'string') throw invalidType('optimizer name', `one of ${optimizerNames.join(', ')}`, name);
  const key = name.toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(classes, key)) {
    throw invalidRange('optimizer name', `one of ${optimizerNames.join(', ')} (case-insensitive)`, `'${name}'`);
  }
  return new classes[key as OptimizerName](params);
}
