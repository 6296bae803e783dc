import { lrSpec, Optimizer, type OptimizerBaseOptions, unitSpec } from './optimizer';

export interface MomentumOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.01) */
  lr?: number;
  /** momentum in [0, 1) (default 0.9) */
  momentum?: number;
}

/**
 * SGD with momentum, the book's Momentum: v = momentum·v − lr·g; p += v. State: `v` per parameter.
 *
 * @example
 * const opt = new Momentum({ lr: 0.01, momentum: 0.9 });
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not finite and > 0, momentum not in [0, 1), or an unknown option
 */
export class Momentum extends Optimizer {
  static readonly spec = { lr: lrSpec(0.01), momentum: unitSpec(0.9) };

  constructor(opts: MomentumOptions = {}) {
    super('momentum', ['v'], Momentum.spec, opts);
  }
}
