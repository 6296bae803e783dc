import { lrSpec, Optimizer, type OptimizerBaseOptions } from './optimizer';

export interface SGDOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.01) */
  lr?: number;
}

/**
 * Stochastic gradient descent, the book's SGD: p −= lr·g. No state.
 *
 * @example
 * const opt = new SGD({ lr: 0.1 });
 * net.gradient(x, t);
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not a finite number > 0, or an unknown option
 */
export class SGD extends Optimizer {
  static readonly spec = { lr: lrSpec(0.01) };

  constructor(opts: SGDOptions = {}) {
    super('sgd', [], SGD.spec, opts);
  }
}
