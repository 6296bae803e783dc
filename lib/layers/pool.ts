import type { Backend, WindowGeometry } from '../backend/types';
import { outSize } from '../backend/types';
import { checkInt, checkOneOf, invalidRange } from '../validate';
import { Tensor } from '../tensor';
import { Layer } from './layer';
import { badShape, check4d, checkTensor, reuse, shapeStr } from './util';
import { readOptions } from '../validate';

export type PoolMode = 'max' | 'avg';

export interface PoolingOptions {
  stride?: number;
  pad?: number;
  /** 'max' (default, the book's Pooling) or 'avg' (padding counts as zeros: divides by poolH·poolW). */
  mode?: PoolMode;
  backend?: Backend;
}

/** Shared forward/backward of the window pools: one backend op each way. */
export abstract class PoolBase extends Layer {
  abstract readonly mode: PoolMode;
  private x?: Tensor;
  private g?: WindowGeometry;
  private y?: Tensor;
  private dx?: Tensor;
  private argmax?: Int32Array;
  /** What the last training forward read: its input, or the Convolution that ran this pool inside its forward. */
  private src?: object;

  /** The window for an input [N, C, H, W]. */
  protected abstract window(shape: readonly number[]): { KH: number; KW: number; stride: number; pad: number };

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 4) throw badShape(`${this.type} input`, 'a 4-D tensor [N, C, H, W]', inputShape);
    const { KH, KW, stride, pad } = this.window(inputShape);
    const OH = outSize(inputShape[2], KH, stride, pad);
    const OW = outSize(inputShape[3], KW, stride, pad);
    if (OH < 1 || OW < 1) {
      throw invalidRange(`${this.type} input`, `H + 2·pad >= ${KH} and W + 2·pad >= ${KW}`, shapeStr(inputShape));
    }
    return [inputShape[0], inputShape[1], OH, OW];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor(`${this.type} input`, x);
    check4d(`${this.type} input`, x);
    const yShape = this.outputShape(x.shape);
    const [N, C, H, W] = x.shape;
    const g = (this.g = { N, C, H, W, ...this.window(x.shape) });
    const y = (this.y = reuse(this.y, yShape));
    if (this.mode === 'max') {
      if (!this.argmax || this.argmax.length !== y.size) this.argmax = new Int32Array(y.size);
      this.be.maxPoolForward(x.data, g, y.data, this.argmax);
    } else {
      this.be.avgPoolForward(x.data, g, y.data);
    }
    this.x = x;
    this.src = x;
    return y;
  }

  /**
   * A Network that computes this max pool inside the preceding convolution (Convolution.forwardMaxPool): this pool's
   * window over the convolution's output shape, its (reused) output buffer and, in training (`source`: the
   * Convolution), its argmax buffer, which the caller fills. Its own backward is unavailable until the next forward
   * (in training the convolution's backwardMaxPool runs it). null for average pools and windows the fused op does
   * not take (the ordinary path then runs, with its errors).
   */
  fusedMaxPoolTarget(inShape: readonly number[], source?: object): { g: WindowGeometry; y: Tensor; argmax: Int32Array } | null {
    if (this.mode !== 'max' || inShape.length !== 4) return null;
    const [N, C, H, W] = inShape;
    const g = { N, C, H, W, ...this.window(inShape) };
    if (g.pad >= g.KH || g.pad >= g.KW || outSize(H, g.KH, g.stride, g.pad) < 1 || outSize(W, g.KW, g.stride, g.pad) < 1) return null;
    const y = (this.y = reuse(this.y, this.outputShape(inShape)));
    if (!this.argmax || this.argmax.length !== y.size) this.argmax = new Int32Array(y.size);
    this.g = g;
    this.x = undefined;
    this.src = source;
    return { g, y, argmax: this.argmax };
  }

  /**
   * The training forward's state of a max pool whose last forward read `source` (its input tensor, or the
   * Convolution that ran it fused): its window, output and argmax, for a Convolution that folds this pool's
   * backward into its own (Convolution.backwardMaxPool). null for average pools and when the last forward read
   * something else (or was an inference forward fused into the convolution).
   */
  maxPoolState(source: object): { g: WindowGeometry; y: Tensor; argmax: Int32Array } | null {
    const { src, g, y, argmax } = this;
    if (this.mode !== 'max' || src === undefined || src !== source || !g || !y || !argmax || argmax.length !== y.size) return null;
    return { g, y, argmax };
  }

  backward(dout: Tensor): Tensor {
    const { x, g, y } = this;
    if (!x || !g || !y) throw new Error(`${this.type}.backward: call forward first`);
    checkTensor(`${this.type} dout`, dout);
    if (dout.size !== y.size) throw badShape(`${this.type} dout`, shapeStr(y.shape), dout.shape);
    const dx = (this.dx = reuse(this.dx, x.shape));
    if (this.mode === 'max') this.be.maxPoolBackward(dout.data, this.argmax!, g, dx.data);
    else this.be.avgPoolBackward(dout.data, g, dx.data);
    return dx;
  }
}

/**
 * Pooling over poolH×poolW windows per channel (the book's Pooling: max; or average), x[N, C, H, W] ->
 * y[N, C, OH, OW]. Max pooling pads with −∞ and routes the gradient to the first maximum of each window.
 *
 * @example
 * const pool = new Pooling(2, 2, { stride: 2 });        // the book's Pooling(pool_h=2, pool_w=2, stride=2)
 * const y = pool.forward(x, false);                      // [N, C, 24, 24] -> [N, C, 12, 12]
 * @throws {TypeError|RangeError} non-integer or out-of-range sizes, unknown mode; in forward, a non-4-D input or
 *   one smaller than the window
 */
export class Pooling extends PoolBase {
  readonly type = 'Pooling';
  readonly poolH: number;
  readonly poolW: number;
  readonly stride: number;
  readonly pad: number;
  readonly mode: PoolMode;

  constructor(poolH: number, poolW: number, opts: PoolingOptions = {}) {
    super();
    opts = readOptions('Pooling', opts, ['stride', 'pad', 'mode', 'backend']);
    this.poolH = checkInt('Pooling poolH', poolH, 1);
    this.poolW = checkInt('Pooling poolW', poolW, 1);
    this.stride = checkInt('Pooling stride', opts.stride ?? 1, 1);
    this.pad = checkInt('Pooling pad', opts.pad ?? 0, 0);
    this.mode = checkOneOf('Pooling mode', opts.mode ?? 'max', ['max', 'avg'] as const);
    this.backend = opts.backend;
  }

  protected window(): { KH: number; KW: number; stride: number; pad: number } {
    return { KH: this.poolH, KW: this.poolW, stride: this.stride, pad: this.pad };
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type, poolH: this.poolH, poolW: this.poolW, stride: this.stride, pad: this.pad, mode: this.mode };
  }
}

/**
 * Global average pooling: the mean of each channel's whole plane, x[N, C, H, W] -> y[N, C, 1, 1]
 * (one window of H×W; follow it with Affine, which flattens to [N, C]).
 *
 * @example
 * const gap = new GlobalAvgPool();
 * gap.forward(x, false).shape;   // [N, C, 1, 1]
 * @throws {RangeError} in forward, a non-4-D input
 */
export class GlobalAvgPool extends PoolBase {
  readonly type: string = 'GlobalAvgPool';
  readonly mode: PoolMode = 'avg';

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions(new.target.name, opts, ['backend']);
    this.backend = opts.backend;
  }

  protected window(shape: readonly number[]): { KH: number; KW: number; stride: number; pad: number } {
    return { KH: shape[2], KW: shape[3], stride: 1, pad: 0 };
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}

/**
 * Global max pooling: the maximum of each channel's whole plane, x[N, C, H, W] -> y[N, C, 1, 1].
 *
 * @example
 * const gmp = new GlobalMaxPool();
 * gmp.forward(x, false).shape;   // [N, C, 1, 1]
 * @throws {RangeError} in forward, a non-4-D input
 */
export class GlobalMaxPool extends GlobalAvgPool {
  override readonly type: string = 'GlobalMaxPool';
  override readonly mode: PoolMode = 'max';
}
