import { lrSpec, Optimizer, type OptimizerBaseOptions, unitSpec } from './optimizer';

export interface AdamOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.001) */
  lr?: number;
  /** decay of the first moment, in [0, 1) (default 0.9) */
  beta1?: number;
  /** decay of the second moment, in [0, 1) (default 0.999) */
  beta2?: number;
}

/**
 * Adam, the book's Adam (bias correction folded into the step size):
 * lr_t = lr·√(1 − β2^t)/(1 − β1^t); m += (1 − β1)(g − m); v += (1 − β2)(g² − v); p −= lr_t·m / (√v + 1e-7),
 * with t the iteration (1 at the first step). State: `m`, `v` per parameter, plus t.
 *
 * @example
 * const opt = new Adam({ lr: 0.001 });
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not finite and > 0, beta1/beta2 not in [0, 1), or an unknown option
 */
export class Adam extends Optimizer {
  static readonly spec = { lr: lrSpec(0.001), beta1: unitSpec(0.9), beta2: unitSpec(0.999) };

  constructor(opts: AdamOptions = {}) {
    super('adam', ['m', 'v'], Adam.spec, opts);
  }
}
