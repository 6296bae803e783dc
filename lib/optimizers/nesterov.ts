import { lrSpec, Optimizer, type OptimizerBaseOptions, unitSpec } from './optimizer';

export interface NesterovOptions extends OptimizerBaseOptions {
  /** learning rate (default 0.01) */
  lr?: number;
  /** momentum in [0, 1) (default 0.9) */
  momentum?: number;
}

/**
 * Nesterov's accelerated gradient, the book's Nesterov:
 * v = momentum·v − lr·g; p += momentum²·v − (1 + momentum)·lr·g. State: `v` per parameter.
 *
 * @example
 * const opt = new Nesterov({ lr: 0.01 });
 * opt.step(net.namedParams());
 * @throws {TypeError|RangeError} lr not finite and > 0, momentum not in [0, 1), or an unknown option
 */
export class Nesterov extends Optimizer {
  static readonly spec = { lr: lrSpec(0.01), momentum: unitSpec(0.9) };

  constructor(opts: NesterovOptions = {}) {
    super('nesterov', ['v'], Nesterov.spec, opts);
  }
}
