/**
 * Loss layers (the book's last_layer): SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError. Each returns the mean
 * loss over the batch from forwardLoss and the gradient of that mean from backwardLoss, and throws a RangeError
 * when the loss is not finite (NaN/Inf inputs, or a diverged training run).
 */
import type { Backend } from '../backend/types';
import { checkNumber, invalidRange, invalidType } from '../validate';
import { Tensor } from '../tensor';
import { LossLayer, type Target } from './layer';
import { badShape, checkTensor, reuse, sameShape, shapeStr } from './util';
import { readOptions } from '../validate';

function nonFinite(who: string, loss: number): RangeError {
  return new RangeError(
    `${who}: expected a finite loss, got ${loss}: the inputs contain NaN or Infinity ` +
      '(check the data, or lower the learning rate if training diverged)',
  );
}

/** x viewed as [N, K]: row n *= w[n] (per-sample weights; one pass over the outputs). */
function scaleRows(x: Float32Array, w: Float32Array): void {
  const K = x.length / w.length;
  for (let i = 0; i < x.length; i++) x[i] *= w[Math.floor(i / K)];
}

function perSample(shape: readonly number[]): number {
  let s = 1;
  for (let i = 1; i < shape.length; i++) s *= shape[i];
  return s;
}

/** Checks integer class labels: length N, each in [0, C). */
function checkLabels(who: string, t: Int32Array, N: number, C: number): void {
  if (t.length !== N) throw invalidRange(`${who} labels`, `${N} labels (one per sample)`, `length ${t.length}`);
  for (let i = 0; i < N; i++) {
    const v = t[i];
    if (v < 0 || v >= C) throw invalidRange(`${who} labels`, `class indices in [0, ${C})`, `${v} at index ${i}`);
  }
}

/** Checks optional per-sample weights: a Float32Array of N finite values >= 0 (a negative weight would reward errors). */
function checkSampleWeights(who: string, sw: Float32Array | null | undefined, N: number): Float32Array | null {
  if (sw === undefined || sw === null) return null;
  if (!(sw instanceof Float32Array)) throw invalidType(`${who} sampleWeights`, 'a Float32Array', sw);
  if (sw.length !== N) throw invalidRange(`${who} sampleWeights`, `${N} weights (one per sample)`, `length ${sw.length}`);
  for (let i = 0; i < N; i++) {
    const v = sw[i];
    if (!(v >= 0 && v < Infinity)) throw invalidRange(`${who} sampleWeights`, 'finite weights >= 0', `${v} at index ${i}`);
  }
  return sw;
}

export interface SoftmaxWithLossOptions {
  /** Per-class weights [C]: sample n's loss is multiplied by classWeights[label n] (one-hot: Σ_c t·w). */
  classWeights?: ArrayLike<number>;
  backend?: Backend;
}

/**
 * Softmax + cross-entropy (the book's SoftmaxWithLoss): loss = −(1/N)·Σ_n w_n·Σ_c t_nc·log softmax(x)_nc, computed
 * stably (log-sum-exp); backward dx = (p − t)·w_n / N. Targets: Int32Array class indices [N] or a one-hot Tensor
 * [N, C]. Optional weights: `classWeights` (constructor) and `sampleWeights` (forwardLoss); w_n is their product.
 * `forward(x)` returns the softmax probabilities.
 *
 * @example
 * const sl = new SoftmaxWithLoss();
 * const loss = sl.forwardLoss(logits, Int32Array.from([3, 1]));   // logits [2, 10]
 * const dx = sl.backwardLoss();                                   // (p − t) / 2
 * @throws {RangeError} labels out of [0, C) or not one per sample, a one-hot target of another shape, a non-finite
 *   loss (NaN/Inf logits); {TypeError} a target that is neither Int32Array nor Tensor
 */
export class SoftmaxWithLoss extends LossLayer {
  readonly type = 'SoftmaxWithLoss';
  readonly classWeights: Float32Array | null;
  private probs?: Tensor;
  private dx?: Tensor;
  private weights?: Float32Array;
  private last: { N: number; C: number; labels: Int32Array | null; onehot: Float32Array | null; w: Float32Array | null; shape: readonly number[] } | null = null;

  constructor(opts: SoftmaxWithLossOptions = {}) {
    super();
    opts = readOptions('SoftmaxWithLoss', opts, ['classWeights', 'backend']);
    this.backend = opts.backend;
    if (opts.classWeights !== undefined) {
      const cw = opts.classWeights;
      if (cw === null || typeof cw !== 'object' || typeof cw.length !== 'number') {
        throw invalidType('SoftmaxWithLoss classWeights', 'an array of numbers', cw);
      }
      this.classWeights = Float32Array.from(cw, (v, i) => checkNumber(`SoftmaxWithLoss classWeights[${i}]`, v, { min: 0 }));
    } else {
      this.classWeights = null;
    }
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length < 2) throw badShape('SoftmaxWithLoss input', 'logits [N, C]', inputShape);
    if (this.classWeights && perSample(inputShape) !== this.classWeights.length) {
      throw badShape('SoftmaxWithLoss input', `logits [N, ${this.classWeights.length}] (classWeights has ${this.classWeights.length} classes)`, inputShape);
    }
    return [...inputShape];
  }

  /** Softmax probabilities per row. */
  forward(x: Tensor, _training = false): Tensor {
    checkTensor('SoftmaxWithLoss input', x);
    this.outputShape(x.shape);
    const N = x.shape[0];
    const C = perSample(x.shape);
    const probs = (this.probs = reuse(this.probs, x.shape));
    this.be.softmaxCrossEntropy(x.data, N, C, new Int32Array(N), null, probs.data, null);
    this.last = null;
    return probs;
  }

  forwardLoss(x: Tensor, t: Target, _training = true, sampleWeights?: Float32Array | null): number {
    checkTensor('SoftmaxWithLoss input', x);
    this.outputShape(x.shape);
    const N = x.shape[0];
    const C = perSample(x.shape);
    let labels: Int32Array | null = null;
    let onehot: Float32Array | null = null;
    if (t instanceof Int32Array) {
      checkLabels('SoftmaxWithLoss', t, N, C);
      labels = t;
    } else if (t instanceof Tensor) {
      if (t.size !== N * C || t.shape[0] !== N) throw badShape('SoftmaxWithLoss target', `a one-hot tensor [${N}, ${C}]`, t.shape);
      onehot = t.data;
    } else {
      throw invalidType('SoftmaxWithLoss target', 'an Int32Array of class indices or a one-hot Tensor [N, C]', t);
    }
    const w = this.sampleWeights(N, C, labels, onehot, sampleWeights);
    const probs = (this.probs = reuse(this.probs, x.shape));
    const loss = this.be.softmaxCrossEntropy(x.data, N, C, labels, onehot, probs.data, w);
    if (!Number.isFinite(loss)) throw nonFinite('SoftmaxWithLoss', loss);
    this.last = { N, C, labels, onehot, w, shape: x.shape };
    return loss;
  }

  backwardLoss(dout = 1): Tensor {
    const last = this.last;
    if (!last || !this.probs) throw new Error('SoftmaxWithLoss.backwardLoss: call forwardLoss first');
    const dx = (this.dx = reuse(this.dx, last.shape));
    this.be.softmaxCrossEntropyBackward(this.probs.data, last.N, last.C, last.labels, last.onehot, dout / last.N, last.w, dx.data);
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return this.classWeights ? { type: this.type, classWeights: Array.from(this.classWeights) } : { type: this.type };
  }

  /** w_n = sampleWeights[n] · classWeights[class of n]; null when neither is given. */
  private sampleWeights(N: number, C: number, labels: Int32Array | null, onehot: Float32Array | null, swIn?: Float32Array | null): Float32Array | null {
    const sw = checkSampleWeights('SoftmaxWithLoss', swIn, N);
    const cw = this.classWeights;
    if (!cw) return sw;
    if (!this.weights || this.weights.length !== N) this.weights = new Float32Array(N);
    const w = this.weights;
    for (let n = 0; n < N; n++) {
      let cn: number;
      if (labels) cn = cw[labels[n]];
      else {
        cn = 0;
        for (let c = 0; c < C; c++) cn += onehot![n * C + c] * cw[c];
      }
      w[n] = cn * (sw ? sw[n] : 1);
    }
    return w;
  }
}

/**
 * Sigmoid + binary cross-entropy: loss = (1/N)·Σ [max(x, 0) − x·t + log(1 + e^−|x|)] (stable form of
 * −t·log σ(x) − (1 − t)·log(1 − σ(x))); backward dx = (σ(x) − t)/N. Input [N] or [N, K] (one output per sample,
 * or K independent ones); targets: Int32Array of 0/1 (size N·K) or a Tensor of values in [0, 1] with x's size.
 * `forward(x)` returns σ(x).
 *
 * @example
 * const bl = new SigmoidWithLoss();
 * const loss = bl.forwardLoss(logits, Int32Array.from([0, 1, 1]));   // logits [3, 1]
 * @throws {RangeError} labels not 0/1 or of the wrong count, a target of another size, a non-finite loss
 */
export class SigmoidWithLoss extends LossLayer {
  readonly type = 'SigmoidWithLoss';
  private y?: Tensor;
  private t?: Float32Array;
  private dx?: Tensor;
  private N = 0;
  private sw: Float32Array | null = null;

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions(new.target.name, opts, ['backend']);
    this.backend = opts.backend;
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length < 1) throw badShape('SigmoidWithLoss input', '[N] or [N, K]', inputShape);
    return [...inputShape];
  }

  forward(x: Tensor, _training = false): Tensor {
    checkTensor('SigmoidWithLoss input', x);
    this.outputShape(x.shape);
    const y = (this.y = reuse(this.y, x.shape));
    this.be.activationForward('sigmoid', x.data, y.data, 0);
    return y;
  }

  forwardLoss(x: Tensor, t: Target, training = true, sampleWeights?: Float32Array | null): number {
    this.forward(x, training);
    const sw = (this.sw = checkSampleWeights('SigmoidWithLoss', sampleWeights, x.shape[0]));
    const n = x.size;
    if (!this.t || this.t.length !== n) this.t = new Float32Array(n);
    const tf = this.t;
    if (t instanceof Int32Array) {
      if (t.length !== n) throw invalidRange('SigmoidWithLoss labels', `${n} labels (0 or 1, one per output)`, `length ${t.length}`);
      for (let i = 0; i < n; i++) {
        if (t[i] !== 0 && t[i] !== 1) throw invalidRange('SigmoidWithLoss labels', 'binary labels 0 or 1', `${t[i]} at index ${i}`);
        tf[i] = t[i];
      }
    } else if (t instanceof Tensor) {
      if (t.size !== n) throw badShape('SigmoidWithLoss target', `a tensor of ${n} values (${shapeStr(x.shape)})`, t.shape);
      for (let i = 0; i < n; i++) {
        const v = t.data[i];
        if (!(v >= 0 && v <= 1)) throw invalidRange('SigmoidWithLoss target', 'values in [0, 1]', `${v} at index ${i}`);
      }
      tf.set(t.data);
    } else {
      throw invalidType('SigmoidWithLoss target', 'an Int32Array of 0/1 labels or a Tensor of values in [0, 1]', t);
    }
    // One term per output (N or N·K scalars, not per pixel): the stable logistic loss in float64.
    let sum = 0;
    const xd = x.data;
    const K = n / x.shape[0];
    for (let i = 0; i < n; i++) {
      const v = xd[i];
      const l = Math.max(v, 0) - v * tf[i] + Math.log1p(Math.exp(-Math.abs(v)));
      sum += sw ? sw[Math.floor(i / K)] * l : l;
    }
    this.N = x.shape[0];
    const loss = sum / this.N;
    if (!Number.isFinite(loss)) throw nonFinite('SigmoidWithLoss', loss);
    return loss;
  }

  backwardLoss(dout = 1): Tensor {
    const { y, t } = this;
    if (!y || !t || this.N === 0) throw new Error('SigmoidWithLoss.backwardLoss: call forwardLoss first');
    const dx = (this.dx = reuse(this.dx, y.shape));
    dx.data.set(y.data);
    this.be.axpy(-1, t, dx.data);
    this.be.scale(dx.data, dout / this.N, dx.data);
    if (this.sw) scaleRows(dx.data, this.sw);
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}

/**
 * Mean squared error: loss = 0.5·Σ(y − t)² / N (the book's mean_squared_error, 0.5·Σ(y − t)², averaged over the
 * batch like the cross-entropy); backward dx = (y − t)/N. Targets: a Tensor of y's shape, or Int32Array class
 * indices for y [N, C] (compared with their one-hot, as in the book's ch04). `forward(x)` returns x.
 *
 * @example
 * const mse = new MeanSquaredError();
 * const loss = mse.forwardLoss(y, target);     // y, target [N, K]
 * @throws {RangeError} a target of another shape, labels out of range, a non-finite loss
 */
export class MeanSquaredError extends LossLayer {
  readonly type = 'MeanSquaredError';
  private diff?: Tensor;
  private onehot?: Float32Array;
  private N = 0;
  private dx?: Tensor;
  private sw: Float32Array | null = null;

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions(new.target.name, opts, ['backend']);
    this.backend = opts.backend;
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length < 1) throw badShape('MeanSquaredError input', '[N, …]', inputShape);
    return [...inputShape];
  }

  forward(x: Tensor, _training = false): Tensor {
    checkTensor('MeanSquaredError input', x);
    return x;
  }

  forwardLoss(x: Tensor, t: Target, _training = true, sampleWeights?: Float32Array | null): number {
    checkTensor('MeanSquaredError input', x);
    const N = x.shape[0];
    const sw = (this.sw = checkSampleWeights('MeanSquaredError', sampleWeights, N));
    let td: Float32Array;
    if (t instanceof Int32Array) {
      if (x.rank !== 2) throw badShape('MeanSquaredError input', '[N, C] (labels given as class indices)', x.shape);
      const C = x.shape[1];
      checkLabels('MeanSquaredError', t, N, C);
      if (!this.onehot || this.onehot.length !== x.size) this.onehot = new Float32Array(x.size);
      td = this.onehot;
      td.fill(0);
      for (let n = 0; n < N; n++) td[n * C + t[n]] = 1;
    } else if (t instanceof Tensor) {
      if (!sameShape(t.shape, x.shape)) throw badShape('MeanSquaredError target', `a tensor of the input's shape ${shapeStr(x.shape)}`, t.shape);
      td = t.data;
    } else {
      throw invalidType('MeanSquaredError target', 'a Tensor of the input shape or Int32Array class indices', t);
    }
    const d = (this.diff = reuse(this.diff, x.shape));
    d.data.set(x.data);
    this.be.axpy(-1, td, d.data);
    this.N = N;
    let loss: number;
    if (sw) {
      // Σ_n w_n·Σ_k d²: one term per output (not per pixel), in float64.
      const K = d.size / N;
      let s = 0;
      for (let i = 0; i < d.size; i++) s += sw[Math.floor(i / K)] * d.data[i] * d.data[i];
      loss = (0.5 * s) / N;
    } else {
      const ss = new Float32Array(1);
      this.be.sgemm(false, true, 1, 1, d.size, 1, d.data, 0, d.size, d.data, 0, d.size, 0, ss, 0, 1);
      loss = (0.5 * ss[0]) / N;
    }
    if (!Number.isFinite(loss)) throw nonFinite('MeanSquaredError', loss);
    return loss;
  }

  backwardLoss(dout = 1): Tensor {
    const d = this.diff;
    if (!d || this.N === 0) throw new Error('MeanSquaredError.backwardLoss: call forwardLoss first');
    const dx = (this.dx = reuse(this.dx, d.shape));
    this.be.scale(d.data, dout / this.N, dx.data);
    if (this.sw) scaleRows(dx.data, this.sw);
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}
