import { lrSpec, nonNegativeSpec, Optimizer, type OptimizerBaseOptions, unitSpec } from './optimizer';

export interface AdamWOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.001) */
  lr?: number;
  /** decay of the first moment, in [0, 1) (default 0.9) */
  beta1?: number;
  /** decay of the second moment, in [0, 1) (default 0.999) */
  beta2?: number;
  /** decoupled weight decay, ≥ 0 (default 0.01) */
  weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter): the Adam step above plus a decoupled weight decay applied to every parameter,
 * p −= lr·weightDecay·p (using p before this step), instead of an L2 term in the gradient.
 * State: `m`, `v` per parameter, plus t.
 *
 * @example
 * const opt = new AdamW({ lr: 0.001, weightDecay: 0.01 });
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not finite and > 0, betas not in [0, 1), weightDecay negative, or an
 *   unknown option
 */
export class AdamW extends Optimizer {
  static readonly spec = { lr: lrSpec(0.001), beta1: unitSpec(0.9), beta2: unitSpec(0.999), weightDecay: nonNegativeSpec(0.01) };

  constructor(opts: AdamWOptions = {}) {
    super('adamw', ['m', 'v'], AdamW.spec, opts);
  }
}
