import { lrSpec, Optimizer, type OptimizerBaseOptions } from './optimizer';

export interface AdaGradOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.01) */
  lr?: number;
}

/**
 * AdaGrad, the book's AdaGrad: h += g²; p −= lr·g / (√h + 1e-7). State: `h` per parameter.
 *
 * @example
 * const opt = new AdaGrad({ lr: 0.01 });
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not finite and > 0, or an unknown option
 */
export class AdaGrad extends Optimizer {
  static readonly spec = { lr: lrSpec(0.01) };

  constructor(opts: AdaGradOptions = {}) {
    super('adagrad', ['h'], AdaGrad.spec, opts);
  }
}
