import type { Backend } from '../backend/types';
import { checkWeightInit, fillNormal, initStd, type WeightInit } from '../init';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { Layer, type Param } from './layer';
import { badShape, checkTensor, optInt, reuse } from './util';

export interface AffineOptions {
  /** Initial weights: 'he' (default), 'relu', 'xavier', 'sigmoid' or a standard deviation (lib/init.ts). */
  weightInit?: WeightInit;
  /** Seed of the initial weights when the layer is used on its own (a network re-initializes with its Rng). */
  seed?: number;
  /** false: leave W at zero (the network that owns the layer initializes it); default true. */
  initialize?: boolean;
  backend?: Backend;
}

/**
 * Fully connected layer (the book's Affine): y[N, M] = x[N, D]·W[D, M] + b[M]. Inputs of rank > 2 are flattened
 * per sample in C·H·W order (the book's x.reshape(N, -1)); dx comes back in the input's shape.
 * forward: one sgemm + addBias; backward: sgemm for dx (skipped when `needInputGrad` is false), sgemm for dW,
 * sumRows for db.
 *
 * @example
 * const fc = new Affine(784, 100, { weightInit: 0.01 });
 * const y = fc.forward(x, true);          // x [N, 784] or [N, 1, 28, 28]
 * const dx = fc.backward(dy);             // fc.params().W.grad now holds dW
 * @throws {TypeError|RangeError} non-integer or non-positive sizes, bad weightInit; in forward, an input whose
 *   per-sample size is not inputSize
 */
export class Affine extends Layer {
  readonly type = 'Affine';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weightInit: WeightInit;
  readonly W: Param;
  readonly b: Param;
  private x?: Tensor;
  private y?: Tensor;
  private dx?: Tensor;

  constructor(inputSize: number, outputSize: number, opts: AffineOptions = {}) {
    super();
    this.inputSize = optInt('Affine inputSize', inputSize, 1);
    this.outputSize = optInt('Affine outputSize', outputSize, 1);
    this.weightInit = checkWeightInit('Affine weightInit', opts.weightInit ?? 'he');
    this.backend = opts.backend;
    const wShape = [this.inputSize, this.outputSize];
    this.W = { value: Tensor.zeros(wShape), grad: Tensor.zeros(wShape) };
    this.b = { value: Tensor.zeros([this.outputSize]), grad: Tensor.zeros([this.outputSize]) };
    if (opts.initialize !== false) this.initialize(new Rng(opts.seed ?? 0));
  }

  override initialize(rng: Rng): void {
    fillNormal(rng, this.W.value.data, initStd(this.weightInit, this.inputSize));
    this.b.value.data.fill(0);
  }

  override params(): Record<string, Param> {
    return { W: this.W, b: this.b };
  }

  outputShape(inputShape: readonly number[]): number[] {
    this.checkShape(inputShape);
    return [inputShape[0], this.outputSize];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor('Affine input', x);
    this.checkShape(x.shape);
    const N = x.shape[0];
    const D = this.inputSize;
    const M = this.outputSize;
    const y = (this.y = reuse(this.y, [N, M]));
    const be = this.be;
    be.sgemm(false, false, N, M, D, 1, x.data, 0, D, this.W.value.data, 0, M, 0, y.data, 0, M);
    be.addBias(y.data, this.b.value.data, N, M);
    this.x = x;
    return y;
  }

  backward(dout: Tensor): Tensor {
    const x = this.x;
    if (!x) throw new Error('Affine.backward: call forward first');
    const N = x.shape[0];
    const D = this.inputSize;
    const M = this.outputSize;
    checkTensor('Affine dout', dout);
    if (dout.size !== N * M) throw badShape('Affine dout', `[${N}, ${M}]`, dout.shape);
    const be = this.be;
    const dx = (this.dx = reuse(this.dx, x.shape));
    if (this.needInputGrad) be.sgemm(false, true, N, D, M, 1, dout.data, 0, M, this.W.value.data, 0, M, 0, dx.data, 0, D);
    be.sgemm(true, false, D, M, N, 1, x.data, 0, D, dout.data, 0, M, 0, this.W.grad.data, 0, M);
    be.sumRows(dout.data, N, M, this.b.grad.data);
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type, inputSize: this.inputSize, outputSize: this.outputSize, weightInit: this.weightInit };
  }

  private checkShape(shape: readonly number[]): void {
    let per = 1;
    for (let i = 1; i < shape.length; i++) per *= shape[i];
    if (shape.length < 2 || per !== this.inputSize) {
      throw badShape('Affine input', `[N, ${this.inputSize}] (or [N, …] with ${this.inputSize} values per sample)`, shape);
    }
  }
}
