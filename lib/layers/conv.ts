import type { Backend, WindowGeometry } from '../backend/types';
import { outSize } from '../backend/types';
import { checkInt, invalidRange, invalidType } from '../validate';
import { checkWeightInit, fillNormal, initStd, type WeightInit } from '../init';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { Layer, type Param } from './layer';
import type { PoolBase } from './pool';
import { badShape, check4d, checkTensor, reuse, sameShape, shapeStr } from './util';
import { readOptions } from '../validate';

export interface ConvolutionOptions {
  stride?: number;
  pad?: number;
  /** Initial weights: 'he' (default), 'relu', 'xavier', 'sigmoid' or a standard deviation; fanIn = C·KH·KW. */
  weightInit?: WeightInit;
  /** Seed of the initial weights when the layer is used on its own (a network re-initializes with its Rng). */
  seed?: number;
  /** false: leave W at zero (the network that owns the layer initializes it); default true. */
  initialize?: boolean;
  /**
   * false: no bias (b stays zero and is not a parameter), as before a BatchNormalization, which cancels it;
   * default true.
   */
  bias?: boolean;
  backend?: Backend;
}

/**
 * 2-D convolution (the book's Convolution): x[N, C, H, W] -> y[N, F, OH, OW] with W[F, C, KH, KW], b[F],
 * OH = floor((H + 2·pad − KH) / stride) + 1. forward: one backend.convForward; backward: one
 * backend.convBackward (dx skipped when `needInputGrad` is false, as for a network's first layer).
 *
 * @example
 * const conv = new Convolution(1, 30, 5);                 // C=1, F=30, 5×5, stride 1, pad 0
 * const y = conv.forward(x, true);                        // x [N, 1, 28, 28] -> y [N, 30, 24, 24]
 * @throws {TypeError|RangeError} non-integer or out-of-range sizes, stride < 1, pad < 0; in forward, an input that
 *   is not [N, C, H, W] with this C, or too small for the window
 */
export class Convolution extends Layer {
  readonly type = 'Convolution';
  readonly inChannels: number;
  readonly filterNum: number;
  readonly KH: number;
  readonly KW: number;
  readonly stride: number;
  readonly pad: number;
  readonly weightInit: WeightInit;
  /** Whether b is a parameter (ConvolutionOptions.bias). */
  readonly bias: boolean;
  readonly W: Param;
  readonly b: Param;
  private x?: Tensor;
  private g?: WindowGeometry;
  private y?: Tensor;
  private dx?: Tensor;
  /** The last forward ran its max pool inside (forwardMaxPool in training): y was not written, x is kept. */
  private pooled = false;
  /**
   * Set by a Network whose next layer is a Relu (which then passes through): forward writes max(0, conv + b)
   * and backward masks dout with y > 0 — bit-identical to the separate Relu, one pass over y fewer each way.
   */
  fusedRelu = false;

  constructor(inChannels: number, filterNum: number, filterSize: number | readonly [number, number], opts: ConvolutionOptions = {}) {
    super();
    opts = readOptions('Convolution', opts, ['stride', 'pad', 'weightInit', 'seed', 'initialize', 'bias', 'backend']);
    this.inChannels = checkInt('Convolution inChannels', inChannels, 1);
    this.filterNum = checkInt('Convolution filterNum', filterNum, 1);
    if (Array.isArray(filterSize)) {
      if (filterSize.length !== 2) throw invalidRange('Convolution filterSize', 'a number or [KH, KW]', `Array(${filterSize.length})`);
      this.KH = checkInt('Convolution filterSize[0]', filterSize[0], 1);
      this.KW = checkInt('Convolution filterSize[1]', filterSize[1], 1);
    } else if (typeof filterSize === 'number') {
      this.KH = this.KW = checkInt('Convolution filterSize', filterSize, 1);
    } else {
      throw invalidType('Convolution filterSize', 'a positive integer or [KH, KW]', filterSize);
    }
    this.stride = checkInt('Convolution stride', opts.stride ?? 1, 1);
    this.pad = checkInt('Convolution pad', opts.pad ?? 0, 0);
    this.weightInit = checkWeightInit('Convolution weightInit', opts.weightInit ?? 'he');
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean') throw invalidType('Convolution bias', 'a boolean', opts.bias);
    this.bias = opts.bias ?? true;
    this.backend = opts.backend;
    const wShape = [this.filterNum, this.inChannels, this.KH, this.KW];
    this.W = { value: Tensor.zeros(wShape, 'Convolution W'), grad: Tensor.zeros(wShape, 'Convolution W') };
    this.b = { value: Tensor.zeros([this.filterNum]), grad: Tensor.zeros([this.filterNum]) };
    if (opts.initialize !== false) this.initialize(new Rng(opts.seed ?? 0));
  }

  override initialize(rng: Rng): void {
    fillNormal(rng, this.W.value.data, initStd(this.weightInit, this.inChannels * this.KH * this.KW));
    this.b.value.data.fill(0);
  }

  override params(): Record<string, Param> {
    return this.bias ? { W: this.W, b: this.b } : { W: this.W };
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 4 || inputShape[1] !== this.inChannels) {
      throw badShape('Convolution input', `a 4-D tensor [N, ${this.inChannels}, H, W]`, inputShape);
    }
    const [N, , H, W] = inputShape;
    const OH = outSize(H, this.KH, this.stride, this.pad);
    const OW = outSize(W, this.KW, this.stride, this.pad);
    if (OH < 1 || OW < 1) {
      throw invalidRange(
        'Convolution input',
        `H + 2·pad >= ${this.KH} and W + 2·pad >= ${this.KW} (filter ${this.KH}×${this.KW}, pad ${this.pad})`,
        shapeStr(inputShape),
      );
    }
    return [N, this.filterNum, OH, OW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor('Convolution input', x);
    check4d('Convolution input', x, this.inChannels);
    const yShape = this.outputShape(x.shape);
    const [N, C, H, W] = x.shape;
    const g = (this.g = { N, C, H, W, KH: this.KH, KW: this.KW, stride: this.stride, pad: this.pad });
    const y = (this.y = reuse(this.y, yShape));
    this.be.convForward(x.data, this.W.value.data, this.b.value.data, g, this.filterNum, y.data, this.fusedRelu);
    this.x = x;
    this.pooled = false;
    return y;
  }

  /**
   * Inference with the weights given, for a Network that folds a BatchNormalization into this layer (w [F, C, KH,
   * KW] and b [F] are the folded ones; lib/nets/inference.ts) or adds a residual block's shortcut in its epilogue:
   * y = relu?(conv(x, w) + b + residual) in one backend op (Backend.convInferenceForward: Winograd where it applies
   * on the native backend). The layer's own W and b are not read. Backward is unavailable until the next forward.
   * @throws {TypeError|RangeError} x not [N, C, H, W] with this C; a residual not of the output's shape
   */
  forwardInference(x: Tensor, w: Float32Array, b: Float32Array, relu: boolean, residual: Tensor | null): Tensor {
    checkTensor('Convolution input', x);
    check4d('Convolution input', x, this.inChannels);
    const yShape = this.outputShape(x.shape);
    if (residual !== null) {
      checkTensor('Convolution residual', residual);
      if (!sameShape(residual.shape, yShape)) throw badShape('Convolution residual', shapeStr(yShape), residual.shape);
    }
    const [N, C, H, W] = x.shape;
    const g = (this.g = { N, C, H, W, KH: this.KH, KW: this.KW, stride: this.stride, pad: this.pad });
    const y = (this.y = reuse(this.y, yShape));
    this.be.convInferenceForward(x.data, w, b, g, this.filterNum, relu, residual === null ? null : residual.data, y.data);
    this.x = undefined;
    this.pooled = false;
    return y;
  }

  /**
   * A Network whose Convolution (with its fused Relu, when set) feeds a max pool: the pool's output in one backend
   * op (Backend.convMaxPoolForward), this layer's own output never written. At inference backward is unavailable
   * until the next forward; in training (`training` true) the pool's argmax is kept and only backwardMaxPool
   * runs (the pool's backward inside this layer's). null when the pool does not take it (the caller runs the layers).
   */
  forwardMaxPool(x: Tensor, pool: PoolBase, training = false): Tensor | null {
    checkTensor('Convolution input', x);
    check4d('Convolution input', x, this.inChannels);
    const t = pool.fusedMaxPoolTarget(this.outputShape(x.shape), training ? this : undefined);
    if (!t) return null;
    const [N, C, H, W] = x.shape;
    const g = (this.g = { N, C, H, W, KH: this.KH, KW: this.KW, stride: this.stride, pad: this.pad });
    this.be.convMaxPoolForward(x.data, this.W.value.data, this.b.value.data, g, this.filterNum, this.fusedRelu, t.g, t.y.data, training ? t.argmax : null);
    this.x = training ? x : undefined;
    this.pooled = training;
    return t.y;
  }

  /**
   * Inference of a Network whose Convolution (with its fused Relu, when set) feeds `next` (a Convolution, with its
   * fused Relu when set), which feeds a max pool: the pool's output in one backend op
   * (Backend.convConvMaxPoolForward), neither convolution's output written. Backward of either is unavailable
   * until its next forward. null when the pool does not take it (the caller runs the layers).
   */
  forwardConvMaxPool(x: Tensor, next: Convolution, pool: PoolBase): Tensor | null {
    checkTensor('Convolution input', x);
    check4d('Convolution input', x, this.inChannels);
    const shape1 = this.outputShape(x.shape);
    const t = pool.fusedMaxPoolTarget(next.outputShape(shape1));
    if (!t) return null;
    const [N, C, H, W] = x.shape;
    const g1 = (this.g = { N, C, H, W, KH: this.KH, KW: this.KW, stride: this.stride, pad: this.pad });
    const g2 = (next.g = { N, C: shape1[1], H: shape1[2], W: shape1[3], KH: next.KH, KW: next.KW, stride: next.stride, pad: next.pad });
    this.be.convConvMaxPoolForward(x.data, this.W.value.data, this.b.value.data, g1, this.filterNum, this.fusedRelu,
      next.W.value.data, next.b.value.data, g2, next.filterNum, next.fusedRelu, t.g, t.y.data);
    this.x = undefined;
    next.x = undefined;
    this.pooled = next.pooled = false;
    return t.y;
  }

  backward(dout: Tensor): Tensor {
    const x = this.x;
    const g = this.g;
    if (!x || !g || !this.y || this.pooled) throw new Error('Convolution.backward: call forward first');
    checkTensor('Convolution dout', dout);
    if (dout.size !== this.y.size) throw badShape('Convolution dout', shapeStr(this.y.shape), dout.shape);
    const dx = (this.dx = reuse(this.dx, x.shape));
    const y = this.fusedRelu ? this.y.data : null;
    this.be.convBackward(dout.data, x.data, this.W.value.data, g, this.filterNum, this.needInputGrad ? dx.data : null, this.W.grad.data, this.b.grad.data, y);
    return dx;
  }

  /**
   * Training backward of a Network whose Convolution (with its fused Relu, when set) is read only by a max pool:
   * `dz` is the gradient of the pool's output; the pool's backward runs inside this layer's
   * (Backend.convMaxPoolBackward: the pool's input gradient is never written), bit-identical to pool.backward then
   * backward. Returns dx as backward does, or null when the pool's last forward did not read this layer's output
   * (nor run inside this layer's forwardMaxPool; the caller then runs the two backwards).
   */
  backwardMaxPool(dz: Tensor, pool: PoolBase): Tensor | null {
    const x = this.x;
    const g = this.g;
    const source = this.pooled ? this : this.y;
    if (!x || !g || !source) return null;
    const st = pool.maxPoolState(source);
    if (!st) return null;
    checkTensor('Convolution dout', dz);
    if (dz.size !== st.y.size) throw badShape('Pooling dout', shapeStr(st.y.shape), dz.shape);
    const dx = (this.dx = reuse(this.dx, x.shape));
    this.be.convMaxPoolBackward(dz.data, st.argmax, st.y.data, x.data, this.W.value.data, g, this.filterNum, this.fusedRelu, st.g,
      this.needInputGrad ? dx.data : null, this.W.grad.data, this.b.grad.data);
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return {
      type: this.type,
      inChannels: this.inChannels,
      filterNum: this.filterNum,
      filterSize: this.KH === this.KW ? this.KH : [this.KH, this.KW],
      stride: this.stride,
      pad: this.pad,
      weightInit: this.weightInit,
      ...(this.bias ? {} : { bias: false }),
    };
  }
}
