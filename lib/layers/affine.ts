import type { Backend } from '../backend/types';
import { checkWeightInit, fillNormal, initStd, type WeightInit } from '../init';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { Layer, type Param } from './layer';
import { checkInt, invalidType } from '../validate';
import { badShape, checkTensor, reuse } from './util';
import { readOptions } from '../validate';

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
 * `new Affine(outputSize)` infers the input size from the first input (Keras's Dense(units)).
 *
 * @example
 * const fc = new Affine(784, 100, { weightInit: 0.01 });
 * const head = new Affine(10);                          // input size fixed by the network's build / first forward
 * const y = fc.forward(x, true);          // x [N, 784] or [N, 1, 28, 28]
 * const dx = fc.backward(dy);             // fc.params().W.grad now holds dW
 * @throws {TypeError|RangeError} non-integer or non-positive sizes, bad weightInit; in forward, an input whose
 *   per-sample size is not inputSize
 */
export class Affine extends Layer {
  readonly type = 'Affine';
  readonly outputSize: number;
  readonly weightInit: WeightInit;
  /** W[inputSize, outputSize]; allocated at construction, or at `build` when the input size is inferred. */
  W!: Param;
  readonly b: Param;
  private inSize?: number;
  private readonly seed: number;
  private readonly initOnBuild: boolean;
  private x?: Tensor;
  private y?: Tensor;
  private dx?: Tensor;

  /**
   * `new Affine(inputSize, outputSize, opts?)`, or `new Affine(outputSize, opts?)`: the input size is then inferred
   * from the first input (`build`, called by networks and `apply`, or the first forward).
   */
  constructor(inputSize: number, outputSize?: number | AffineOptions, opts?: AffineOptions);
  constructor(a: number, b?: number | AffineOptions, c: AffineOptions = {}) {
    super();
    // eslint-disable-next-line prefer-rest-params
    const inferred = arguments.length === 1 || (typeof b === 'object' && b !== null);
    const opts = readOptions<AffineOptions>('Affine', inferred ? b : c, ['weightInit', 'seed', 'initialize', 'backend']);
    this.outputSize = checkInt('Affine outputSize', inferred ? a : b, 1);
    this.weightInit = checkWeightInit('Affine weightInit', opts.weightInit ?? 'he');
    this.backend = opts.backend;
    this.seed = opts.seed ?? 0;
    this.initOnBuild = opts.initialize !== false;
    this.b = { value: Tensor.zeros([this.outputSize]), grad: Tensor.zeros([this.outputSize]) };
    if (!inferred) this.allocate(checkInt('Affine inputSize', a, 1));
  }

  /** Values per input sample: given, or inferred at `build` (throws before that). */
  get inputSize(): number {
    if (this.inSize === undefined) throw new Error('Affine: the input size is not known yet: build(inputShape), apply() or forward first');
    return this.inSize;
  }

  /** Whether the input size is known (given, or fixed by build). */
  get built(): boolean {
    return this.inSize !== undefined;
  }

  override build(inputShape: readonly number[]): void {
    if (this.inSize !== undefined) return; // forward / outputShape check the size
    if (inputShape.length < 2) throw badShape('Affine input', '[N, D] or [N, …]', inputShape);
    let per = 1;
    for (let i = 1; i < inputShape.length; i++) per *= inputShape[i];
    this.allocate(per);
  }

  private allocate(inputSize: number): void {
    this.inSize = inputSize;
    const wShape = [inputSize, this.outputSize];
    this.W = { value: Tensor.zeros(wShape, 'Affine W'), grad: Tensor.zeros(wShape, 'Affine W') };
    if (this.initOnBuild) this.initialize(new Rng(this.seed));
  }

  override initialize(rng: Rng): void {
    fillNormal(rng, this.W.value.data, initStd(this.weightInit, this.inputSize));
    this.b.value.data.fill(0);
  }

  override params(): Record<string, Param> {
    if (this.inSize === undefined) throw new Error('Affine.params: the input size is not known yet: build(inputShape), apply() or forward first');
    return { W: this.W, b: this.b };
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (this.inSize !== undefined) this.checkShape(inputShape);
    return [inputShape[0], this.outputSize];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor('Affine input', x);
    this.build(x.shape);
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
    return { type: this.type, inputSize: this.inSize ?? null, outputSize: this.outputSize, weightInit: this.weightInit };
  }

  private checkShape(shape: readonly number[]): void {
    let per = 1;
    for (let i = 1; i < shape.length; i++) per *= shape[i];
    if (shape.length < 2 || per !== this.inputSize) {
      throw badShape('Affine input', `[N, ${this.inputSize}] (or [N, …] with ${this.inputSize} values per sample)`, shape);
    }
  }
}
