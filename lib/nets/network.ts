/**
 * The base of every network: an ordered list of layers ending in a loss layer, with the book's methods
 * (predict, loss, accuracy, gradient, numerical_gradient) and the book's parameter names found by walking the
 * layers (W1, b1, W2, …; gamma1, beta1, …; running_mean1, running_var1, …).
 */
import { getBackend } from '../backend';
import type { Backend } from '../backend/types';
import { checkNumber, invalidRange, invalidType } from '../errors';
import { numericalGradientOf } from '../gradcheck';
import { Relu } from '../layers/activations';
import { Convolution } from '../layers/conv';
import { Layer, LossLayer, type Param, type Target } from '../layers/layer';
import { sameShape, shapeStr } from '../layers/util';
import { accuracyKind, binaryTargets, checkLabels, countCorrect, targetClasses, type AccuracyKind } from '../metrics/accuracy';
import { Rng } from '../rng';
import { predictClasses as predictClassesOf, predictProba as predictProbaOf } from './predict';
import { Tensor } from '../tensor';

export type { Target } from '../layers/layer';
export { targetLabels } from '../metrics/accuracy';

/** Options every network takes. */
export interface NetworkOptions {
  /** Backend the layers run on (default: getBackend()). */
  backend?: Backend;
  /** Seed of the network's Rng, used for weight init and dropout masks (default 0). */
  seed?: number;
  /** λ of the book's L2 weight decay: loss += 0.5·λ·Σ‖W‖², dW += λ·W (default 0). */
  weightDecayLambda?: number;
  /**
   * Fuse each Convolution immediately followed by a Relu: the convolution applies the ReLU in its epilogue
   * (and masks the gradient in its backward) and the Relu layer passes through. Same results bit for bit,
   * fewer passes over memory. Default true, unless the environment sets SIMDNET_FUSE=0. Not part of config().
   */
  fuse?: boolean;
}

/** JSON description of a network; `networkFromConfig` (lib/nets/index.ts) rebuilds it. */
export type NetworkConfig = { type: string } & Record<string, unknown>;

/**
 * A network: `layers` in order, the last one a LossLayer (the book's `last_layer`).
 *
 * Parameters are named as the book names them, by walking the layers: every layer with a weight `W`
 * (Convolution, Affine) is numbered 1, 2, … in order and contributes `W<i>`, `b<i>`; every
 * BatchNormalization is numbered separately and contributes `gamma<j>`, `beta<j>` (params) and
 * `running_mean<j>`, `running_var<j>` (buffers).
 *
 * Buffers: layers reuse their outputs between calls while the batch shape repeats; `predict` returns a copy,
 * `gradient` returns the live gradient tensors (overwritten by the next call).
 *
 * @example
 * const net = new SimpleConvNet({ seed: 1 });
 * const grads = net.gradient(x, labels);     // { W1, b1, W2, b2, W3, b3 }
 * const p = net.namedParams();
 * for (const k in grads) backend.axpy(-0.01, grads[k].data, p[k].value.data);
 * @throws {TypeError|RangeError} on bad constructor options or inputs of the wrong shape
 */
export abstract class Network {
  abstract readonly type: string;
  readonly layers: Layer[];
  /** Shape of one sample (without the batch dimension), e.g. [1, 28, 28] or [784]. */
  readonly inputShape: readonly number[];
  readonly seed: number;
  /** The network's random stream (init, then dropout masks). */
  readonly rng: Rng;
  weightDecayLambda: number;
  /** The loss of the last `gradient` call (with weight decay). */
  lastLoss = NaN;
  /** Whether Convolution→Relu pairs run fused (NetworkOptions.fuse). */
  readonly fused: boolean;
  private backendRef: Backend;

  protected constructor(layers: Layer[], inputShape: readonly number[], opts: NetworkOptions = {}, initialize = true) {
    if (!Array.isArray(layers) || layers.length < 1) throw invalidType('layers', 'a non-empty array of layers', layers);
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw invalidType(`layers[${i}]`, 'a Layer', l);
    });
    if (!(layers[layers.length - 1] instanceof LossLayer)) {
      throw invalidType(`layers[${layers.length - 1}]`, 'a loss layer (SoftmaxWithLoss, SigmoidWithLoss, MeanSquaredError) last', layers[layers.length - 1]);
    }
    layers.slice(0, -1).forEach((l, i) => {
      if (l instanceof LossLayer) throw invalidType(`layers[${i}]`, 'a non-loss layer (only the last layer may be a loss layer)', l);
    });
    if (!Array.isArray(inputShape)) throw invalidType('inputShape', 'an array of dimensions', inputShape);
    inputShape.forEach((d, i) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) throw invalidRange(`inputShape[${i}]`, 'a positive integer', d);
    });
    const seed = opts.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw invalidRange('seed', 'an integer in [0, 4294967295]', seed);
    }
    this.weightDecayLambda = checkNumber('weightDecayLambda', opts.weightDecayLambda ?? 0, { min: 0 });
    const fuse = opts.fuse ?? process.env.SIMDNET_FUSE !== '0';
    if (typeof fuse !== 'boolean') throw invalidType('fuse', 'a boolean', fuse);
    this.fused = fuse;
    this.layers = layers;
    this.inputShape = Object.freeze([...inputShape]);
    this.seed = seed;
    this.rng = new Rng(seed);
    this.backendRef = opts.backend ?? getBackend();
    for (const l of layers) {
      l.backend = this.backendRef;
      l.useRng(this.rng);
    }
    layers[0].needInputGrad = false;
    for (let i = 0; i + 1 < layers.length; i++) {
      const [a, b] = [layers[i], layers[i + 1]];
      if (a instanceof Convolution && b instanceof Relu) {
        a.fusedRelu = fuse;
        b.passThrough = fuse;
      }
    }
    this.outputShape(); // validates the chain of shapes (RangeError naming the layer that does not fit)
    if (initialize) for (const l of layers) l.initialize(this.rng);
  }

  get backend(): Backend {
    return this.backendRef;
  }

  /** Moves every layer to another backend (the weights stay where they are: plain Float32Arrays). */
  setBackend(backend: Backend): void {
    this.backendRef = backend;
    for (const l of this.layers) l.backend = backend;
  }

  /** The loss layer (the book's last_layer). */
  get lossLayer(): LossLayer {
    return this.layers[this.layers.length - 1] as LossLayer;
  }

  /** The logits' shape for an input of `inputShape` (default: one sample). */
  outputShape(inputShape: readonly number[] = [1, ...this.inputShape]): number[] {
    let shape = [...inputShape];
    for (let i = 0; i < this.layers.length - 1; i++) shape = this.layers[i].outputShape(shape);
    return shape;
  }

  /** The logits (no softmax, like the book's predict), as a new tensor. */
  predict(x: Tensor, training = false): Tensor {
    return this.forward(x, training).clone();
  }

  /** The logits in the last hidden layer's own (reused) buffer. */
  forward(x: Tensor, training: boolean): Tensor {
    this.checkInput(x);
    let y = x;
    for (let i = 0; i < this.layers.length - 1; i++) y = this.layers[i].forward(y, training);
    return y;
  }

  /**
   * The book's loss: last_layer.forward(predict(x), t) + 0.5·λ·Σ‖W‖². `sampleWeights` (Float32Array[N]) weights
   * each sample's loss (class weighting); the mean still divides by N.
   */
  loss(x: Tensor, t: Target, training = true, sampleWeights?: Float32Array | null): number {
    const y = this.forward(x, training);
    return this.lossLayer.forwardLoss(y, t, training, sampleWeights) + this.weightDecayLoss();
  }

  /**
   * Probabilities in inference mode, in batches: softmax rows (SoftmaxWithLoss), σ of each output
   * (SigmoidWithLoss), the outputs themselves (MeanSquaredError).
   * @throws {RangeError} x of another shape than [N, ...inputShape]
   */
  predictProba(x: Tensor, batchSize = 100): Tensor {
    this.checkInput(x);
    return predictProbaOf(this, x, batchSize);
  }

  /**
   * Predicted classes by `accuracyKind`: argmax per sample, logit > 0 (probability > 0.5) for one sigmoid output,
   * one 0/1 per output (N·K values) for several sigmoid outputs; -1 where the outputs hold a NaN.
   * @throws {RangeError} x of another shape than [N, ...inputShape]
   */
  predictClasses(x: Tensor, batchSize = 100): Int32Array {
    this.checkInput(x);
    return predictClassesOf(this, x, batchSize);
  }

  /**
   * The accuracy definition of this network (lib/metrics/accuracy.ts): 'categorical' (argmax; SoftmaxWithLoss,
   * MeanSquaredError), 'binary' (one sigmoid output, logit > 0 i.e. probability > 0.5) or 'multi-label' (several
   * sigmoid outputs, each thresholded; accuracy is per label).
   */
  get accuracyKind(): AccuracyKind {
    const out = this.outputShape();
    return accuracyKind(this.lossLayer.type, out.slice(1).reduce((a, b) => a * b, 1));
  }

  /**
   * Accuracy in inference mode, by `accuracyKind`: the share of samples whose argmax equals the label
   * (categorical; t: labels or one-hot [N, C]), whose logit > 0 equals the 0/1 label (one sigmoid output), or the
   * share of correct labels over all N·K outputs (several sigmoid outputs; t: N·K 0/1 labels or a Tensor).
   * A sample whose outputs hold a NaN counts as wrong.
   * @throws {RangeError} x of another shape; a label outside [0, K) (or not 0/1 for sigmoid outputs), naming t[i]
   */
  accuracy(x: Tensor, t: Target, batchSize = 100): number {
    this.checkInput(x);
    const N = x.shape[0];
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) throw invalidRange('batchSize', 'a positive integer', batchSize);
    const kind = this.accuracyKind;
    const K = N === 0 ? 1 : this.outputShape().slice(1).reduce((a, b) => a * b, 1);
    const tRows = kind === 'multi-label' ? binaryTargets(t, N * K) : targetClasses(kind, t, N);
    checkLabels(kind, tRows, K);
    const per = x.size / N;
    let correct = 0;
    let total = 0;
    for (let s = 0; s < N; s += batchSize) {
      const n = Math.min(batchSize, N - s);
      const xb = new Tensor(x.data.subarray(s * per, (s + n) * per), [n, ...x.shape.slice(1)]);
      const y = this.forward(xb, false);
      const per_t = kind === 'multi-label' ? K : 1;
      const r = countCorrect(kind, y.data, n, tRows.subarray(s * per_t, (s + n) * per_t));
      correct += r.correct;
      total += r.total;
    }
    return total === 0 ? 0 : correct / total;
  }

  /**
   * Backpropagation (the book's gradient): one training forward, then backward through every layer; the
   * gradients land in each Param's `grad` (overwritten), weight decay λ·W is added to the W gradients.
   * Returns name -> gradient tensor (the live Param.grad tensors). The loss is kept in `lastLoss`.
   * `sampleWeights` as for `loss`.
   */
  gradient(x: Tensor, t: Target, sampleWeights?: Float32Array | null): Record<string, Tensor> {
    this.lastLoss = this.loss(x, t, true, sampleWeights);
    this.backward();
    const out: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(this.namedParams())) out[k] = p.grad;
    return out;
  }

  /**
   * Backpropagates the last training forward (`loss(x, t, true)` or `forward` + `lossLayer.forwardLoss`): the
   * gradients land in each Param's `grad` (overwritten) and weight decay λ·W is added to the W gradients.
   * `gradient` is `loss` + `backward`; a training loop that wants the logits too calls the pieces itself.
   */
  backward(): void {
    let dout = this.lossLayer.backwardLoss(1);
    for (let i = this.layers.length - 2; i >= 0; i--) dout = this.layers[i].backward(dout);
    if (this.weightDecayLambda > 0) {
      for (const p of this.decayedParams()) this.backendRef.axpy(this.weightDecayLambda, p.value.data, p.grad.data);
    }
  }

  /**
   * The book's numerical_gradient: central differences (L(w + h) − L(w − h)) / (2h) of `loss(x, t, true)` for
   * every element of every parameter. The forward runs in float32, so the default h is 1e-3 (the book's 1e-4
   * assumes float64); the loss differences are taken in float64 and divided by the step actually stored in
   * float32 (fl(w + h) − fl(w − h)). The Rng state is restored before each evaluation, so dropout draws the same
   * masks as a `gradient` call started from the same state; BatchNorm running statistics are restored at the end.
   * Costs 2 forwards per parameter element: for small networks and tests.
   */
  numericalGradient(x: Tensor, t: Target, h = 1e-3): Record<string, Tensor> {
    checkNumber('h', h, { min: 0, exclusiveMin: true });
    const out: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(this.namedParams())) {
      const idx = Array.from({ length: p.value.size }, (_, i) => i);
      const g = this.numericalGradientAt(x, t, p.value.data, idx, h);
      out[k] = new Tensor(Float32Array.from(g), p.value.shape);
    }
    return out;
  }

  /** Central differences of the loss for the given elements of `data` (a parameter's value); float64 results. */
  numericalGradientAt(x: Tensor, t: Target, data: Float32Array, indices: readonly number[], h = 1e-3): Float64Array {
    const state = this.rng.getState();
    const saved = Object.values(this.namedBuffers()).map((b) => b.data.slice());
    try {
      return numericalGradientOf(() => {
        this.rng.setState(state);
        return this.loss(x, t, true);
      }, data, indices, h);
    } finally {
      this.rng.setState(state);
      Object.values(this.namedBuffers()).forEach((b, i) => b.data.set(saved[i]));
    }
  }

  /** Parameters by the book's names (W1, b1, …, gamma1, beta1, …), in layer order. */
  namedParams(): Record<string, Param> {
    const out: Record<string, Param> = {};
    this.walk((layer, kind, idx) => {
      for (const [local, p] of Object.entries(layer.params())) out[`${local}${idx}`] = p;
    }, kind0);
    return out;
  }

  /** Non-trained state by the book's names: running_mean1, running_var1, … (BatchNormalization). */
  namedBuffers(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    this.walk((layer, _kind, idx) => {
      for (const [local, b] of Object.entries(layer.buffers())) out[`${local}${idx}`] = b;
    }, kindBuffers);
    return out;
  }

  /** Number of trainable scalars. */
  paramCount(): number {
    return Object.values(this.namedParams()).reduce((s, p) => s + p.value.size, 0);
  }

  /** JSON that rebuilds this network (same type, options, names and shapes) with networkFromConfig. */
  abstract config(): NetworkConfig;

  /** 0.5·λ·Σ‖W‖² over the weights of Convolution/Affine layers (not biases, gamma, beta). */
  weightDecayLoss(): number {
    if (this.weightDecayLambda === 0) return 0;
    let s = 0;
    for (const p of this.decayedParams()) s += sumSquares(this.backendRef, p.value.data);
    return 0.5 * this.weightDecayLambda * s;
  }

  /** The parameters weight decay applies to: every `W`. */
  protected decayedParams(): Param[] {
    return this.layers.map((l) => l.params().W).filter((p): p is Param => p !== undefined);
  }

  /** Calls fn(layer, group, index) for each layer with params/buffers; numbering per group, 1-based. */
  private walk(fn: (layer: Layer, kind: string, idx: number) => void, kindOf: (l: Layer) => string | null): void {
    const counters = new Map<string, number>();
    for (const layer of this.layers) {
      const kind = kindOf(layer);
      if (kind === null) continue;
      const idx = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, idx);
      fn(layer, kind, idx);
    }
  }

  protected checkInput(x: Tensor): void {
    if (!(x instanceof Tensor)) throw invalidType(`${this.type} input`, 'a Tensor', x);
    if (x.rank !== this.inputShape.length + 1 || !sameShape(x.shape.slice(1), this.inputShape)) {
      throw invalidRange(`${this.type} input`, `a tensor of shape [N, ${this.inputShape.join(', ')}]`, shapeStr(x.shape));
    }
  }
}

/** The numbering group of a layer's params: 'W' (Convolution/Affine), 'gamma' (BatchNorm), else its first key. */
function kind0(l: Layer): string | null {
  const keys = Object.keys(l.params());
  if (keys.length === 0) return null;
  return keys.includes('W') ? 'W' : keys[0];
}

/** Buffers are numbered like the params of the same layer (BatchNormalization j: running_mean<j>). */
function kindBuffers(l: Layer): string | null {
  return Object.keys(l.buffers()).length === 0 ? null : kind0(l);
}

/** Σ x² with one backend op (a 1×1 GEMM: x·xᵀ). */
export function sumSquares(backend: Backend, x: Float32Array): number {
  const out = new Float32Array(1);
  backend.sgemm(false, true, 1, 1, x.length, 1, x, 0, x.length, x, 0, x.length, 0, out, 0, 1);
  return out[0];
}
