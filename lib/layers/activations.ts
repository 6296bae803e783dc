import type { Activation, Backend } from '../backend/types';
import { checkNumber } from '../validate';
import { Tensor } from '../tensor';
import { Layer } from './layer';
import { badShape, checkTensor, reuse, shapeStr } from './util';
import { readOptions } from '../validate';

/** Elementwise activation: one backend.activationForward / activationBackward call each way. Any input shape. */
abstract class ActivationLayer extends Layer {
  protected abstract readonly kind: Activation;
  protected alpha = 0;
  private x?: Tensor;
  private y?: Tensor;
  private dx?: Tensor;
  /**
   * Set by a Network when the layer before already applied this activation (a Convolution with fusedRelu):
   * forward returns its input and backward its dout, unchanged.
   */
  passThrough = false;

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions(new.target.name, opts, ['backend']);
    this.backend = opts.backend;
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor(`${this.type} input`, x);
    if (this.passThrough) return x;
    const y = (this.y = reuse(this.y, x.shape));
    this.be.activationForward(this.kind, x.data, y.data, this.alpha);
    this.x = x;
    return y;
  }

  backward(dout: Tensor): Tensor {
    if (this.passThrough) {
      checkTensor(`${this.type} dout`, dout);
      return dout;
    }
    const { x, y } = this;
    if (!x || !y) throw new Error(`${this.type}.backward: call forward first`);
    checkTensor(`${this.type} dout`, dout);
    if (dout.size !== y.size) throw badShape(`${this.type} dout`, shapeStr(y.shape), dout.shape);
    const dx = (this.dx = reuse(this.dx, x.shape));
    this.be.activationBackward(this.kind, dout.data, x.data, y.data, dx.data, this.alpha);
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}

/**
 * ReLU (the book's Relu): y = max(x, 0); the gradient passes where x > 0.
 *
 * @example
 * const relu = new Relu();
 * const y = relu.forward(x, true);
 * const dx = relu.backward(dy);
 * @throws {TypeError} forward of something that is not a Tensor
 */
export class Relu extends ActivationLayer {
  readonly type = 'Relu';
  protected readonly kind = 'relu';
}

/**
 * Logistic sigmoid (the book's Sigmoid): y = 1 / (1 + e^−x); dx = dy·y·(1 − y).
 *
 * @example
 * const s = new Sigmoid();
 * const y = s.forward(x, true);
 * @throws {TypeError} forward of something that is not a Tensor
 */
export class Sigmoid extends ActivationLayer {
  readonly type = 'Sigmoid';
  protected readonly kind = 'sigmoid';
}

/**
 * Hyperbolic tangent: y = tanh(x); dx = dy·(1 − y²).
 *
 * @example
 * const t = new Tanh();
 * const y = t.forward(x, true);
 * @throws {TypeError} forward of something that is not a Tensor
 */
export class Tanh extends ActivationLayer {
  readonly type = 'Tanh';
  protected readonly kind = 'tanh';
}

/**
 * Leaky ReLU: y = x for x > 0, alpha·x otherwise.
 *
 * @example
 * const l = new LeakyReLU(0.1);
 * const y = l.forward(x, true);
 * @throws {RangeError} alpha not a finite number in [0, 1]
 */
export class LeakyReLU extends ActivationLayer {
  readonly type = 'LeakyReLU';
  protected readonly kind = 'leakyRelu';

  constructor(alpha = 0.01, opts: { backend?: Backend } = {}) {
    super(opts);
    this.alpha = checkNumber('LeakyReLU alpha', alpha, { min: 0, max: 1 });
  }

  override config(): { type: string } & Record<string, unknown> {
    return { type: this.type, alpha: this.alpha };
  }
}
