import type { Backend } from '../backend/types';
import { checkInt, checkNumber, checkOneOf } from '../validate';
import { Tensor } from '../tensor';
import { Layer, type Param } from './layer';
import { badShape, checkTensor, reuse, shapeStr } from './util';
import { readOptions } from '../validate';

export type BatchNormAxis = 'feature' | 'channel';

export interface BatchNormOptions {
  /** Running statistics: run = momentum·run + (1 − momentum)·batch (default 0.9, the book's). */
  momentum?: number;
  /** Added to the variance (default 1e-6: the book's 10e-7). */
  eps?: number;
  /**
   * 'feature' (default, the book's): statistics per feature; a 4-D input is flattened to [N, C·H·W], so
   * numFeatures = C·H·W. 'channel': statistics per channel over N·H·W (numFeatures = C), as for convolutions.
   */
  axis?: BatchNormAxis;
  /**
   * The running variance a fresh layer starts from (default 0, the book's). 1 (PyTorch's) makes an untrained
   * network's inference finite: with 0, inference divides by √eps at every layer, which overflows in a deep network.
   */
  initialRunningVar?: number;
  backend?: Backend;
}

/**
 * Batch normalization (the book's BatchNormalization): training normalizes with the batch mean and (biased)
 * variance and updates running_mean/running_var; inference uses the running statistics. y = gamma·x̂ + beta.
 * One backend.batchNormForward / batchNormBackward call each way (the book's backward, for training forwards;
 * after an inference forward, backward treats the running statistics as constants: dx = dy·gamma/std).
 *
 * @example
 * const bn = new BatchNormalization(100);                  // after Affine(…, 100)
 * const y = bn.forward(h, true);                           // h [N, 100]
 * const bnc = new BatchNormalization(16, { axis: 'channel' });   // after a 16-filter Convolution
 * @throws {TypeError|RangeError} numFeatures not a positive integer, momentum outside [0, 1], eps <= 0, unknown axis,
 *   initialRunningVar < 0;
 *   in forward, an input whose feature count is not numFeatures
 */
export class BatchNormalization extends Layer {
  readonly type = 'BatchNormalization';
  readonly numFeatures: number;
  readonly momentum: number;
  readonly eps: number;
  readonly axis: BatchNormAxis;
  readonly initialRunningVar: number;
  readonly gamma: Param;
  readonly beta: Param;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /**
   * Set by a Network when the only reader of this layer is a Relu: the ReLU runs in this layer's pass (forward
   * y = max(0, BN(x)); backward masks dout by y > 0) and the Relu passes through.
   */
  fusedRelu = false;
  private dims?: { N: number; C: number; S: number };
  private x?: Tensor;
  private y?: Tensor;
  private mean?: Float32Array;
  private std?: Float32Array;
  private dx?: Tensor;
  private lastTraining = true;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    opts = readOptions('BatchNormalization', opts, ['momentum', 'eps', 'axis', 'initialRunningVar', 'backend']);
    this.numFeatures = checkInt('BatchNormalization numFeatures', numFeatures, 1);
    this.momentum = checkNumber('BatchNormalization momentum', opts.momentum ?? 0.9, { min: 0, max: 1 });
    this.eps = checkNumber('BatchNormalization eps', opts.eps ?? 10e-7, { min: 0, exclusiveMin: true });
    this.axis = checkOneOf('BatchNormalization axis', opts.axis ?? 'feature', ['feature', 'channel'] as const);
    this.initialRunningVar = checkNumber('BatchNormalization initialRunningVar', opts.initialRunningVar ?? 0, { min: 0 });
    this.backend = opts.backend;
    const D = this.numFeatures;
    this.gamma = { value: Tensor.zeros([D]), grad: Tensor.zeros([D]) };
    this.beta = { value: Tensor.zeros([D]), grad: Tensor.zeros([D]) };
    this.runningMean = Tensor.zeros([D]);
    this.runningVar = Tensor.zeros([D]);
    this.initialize();
  }

  /** gamma = 1, beta = 0, running mean 0, running variance initialRunningVar (0 as the book). */
  override initialize(): void {
    this.gamma.value.data.fill(1);
    this.beta.value.data.fill(0);
    this.runningMean.data.fill(0);
    this.runningVar.data.fill(this.initialRunningVar);
  }

  override params(): Record<string, Param> {
    return { gamma: this.gamma, beta: this.beta };
  }

  override buffers(): Record<string, Tensor> {
    return { running_mean: this.runningMean, running_var: this.runningVar };
  }

  outputShape(inputShape: readonly number[]): number[] {
    this.view(inputShape);
    return [...inputShape];
  }

  forward(x: Tensor, training: boolean): Tensor {
    checkTensor('BatchNormalization input', x);
    const d = (this.dims = this.view(x.shape));
    const y = (this.y = reuse(this.y, x.shape));
    if (!this.std || !this.mean) {
      this.mean = new Float32Array(d.C);
      this.std = new Float32Array(d.C);
    }
    this.be.batchNormForward(
      x.data, d.N, d.C, d.S, this.gamma.value.data, this.beta.value.data, this.runningMean.data, this.runningVar.data,
      this.momentum, this.eps, training, this.fusedRelu, y.data, this.mean, this.std,
    );
    // Backward recomputes x̂ from x (held, not copied: no normalized copy of the input is kept).
    this.x = x;
    this.lastTraining = training;
    return y;
  }

  backward(dout: Tensor): Tensor {
    const { x, y, mean, std, dims } = this;
    if (!x || !y || !mean || !std || !dims) throw new Error('BatchNormalization.backward: call forward first');
    checkTensor('BatchNormalization dout', dout);
    if (dout.size !== y.size) throw badShape('BatchNormalization dout', shapeStr(y.shape), dout.shape);
    const dx = (this.dx = reuse(this.dx, y.shape));
    const mask = this.fusedRelu ? y.data : null;
    this.be.batchNormBackward(dout.data, x.data, this.fusedRelu, mean, std, this.gamma.value.data, this.beta.value.data, dims.N, dims.C, dims.S, dx.data,
      this.gamma.grad.data, this.beta.grad.data);
    if (!this.lastTraining) {
      // After an inference forward the statistics are constants: dx = dy·gamma/std (dgamma, dbeta as above).
      // A plain loop: this path serves input gradients of a frozen network, not training.
      const { N, C, S } = dims;
      const g = this.gamma.value.data;
      const dy = dout.data;
      const d = dx.data;
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          const k = g[c] / std[c];
          const o = (n * C + c) * S;
          for (let s = 0; s < S; s++) d[o + s] = mask === null || mask[o + s] > 0 ? dy[o + s] * k : 0;
        }
      }
    }
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    // initialRunningVar only where it is not the book's 0: the book networks' saved JSON stays as it was.
    return {
      type: this.type, numFeatures: this.numFeatures, momentum: this.momentum, eps: this.eps, axis: this.axis,
      ...(this.initialRunningVar === 0 ? {} : { initialRunningVar: this.initialRunningVar }),
    };
  }

  /** x viewed as [N, C, S] for the backend (see the axis option). */
  private view(shape: readonly number[]): { N: number; C: number; S: number } {
    const D = this.numFeatures;
    if (this.axis === 'channel') {
      if (shape.length !== 4 || shape[1] !== D) throw badShape('BatchNormalization input', `a 4-D tensor [N, ${D}, H, W] (axis 'channel')`, shape);
      return { N: shape[0], C: D, S: shape[2] * shape[3] };
    }
    let per = 1;
    for (let i = 1; i < shape.length; i++) per *= shape[i];
    if (shape.length < 2 || per !== D) {
      throw badShape('BatchNormalization input', `[N, ${D}] (or [N, …] with ${D} values per sample)`, shape);
    }
    return { N: shape[0], C: D, S: 1 };
  }
}
