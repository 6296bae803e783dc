import { lrSpec, Optimizer, type OptimizerBaseOptions, unitSpec } from './optimizer';

export interface RMSpropOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.01) */
  lr?: number;
  /** decay rate of the squared-gradient average, in [0, 1) (default 0.99; the book's decay_rate) */
  decayRate?: number;
}

/**
 * RMSprop, the book's RMSprop: h = decayRate·h + (1 − decayRate)·g²; p −= lr·g / (√h + 1e-7).
 * State: `h` per parameter.
 *
 * @example
 * const opt = new RMSprop({ lr: 0.01, decayRate: 0.99 });
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not finite and > 0, decayRate not in [0, 1), or an unknown option
 */
export class RMSprop extends Optimizer {
  static readonly spec = { lr: lrSpec(0.01), decayRate: unitSpec(0.99) };

  constructor(opts: RMSpropOptions = {}) {
    super('rmsprop', ['h'], RMSprop.spec, opts);
  }
}
