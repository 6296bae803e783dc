import type { Backend } from '../backend/types';
import { checkNumber, checkOneOf } from '../validate';
import { Rng } from '../rng';
import { Tensor } from '../tensor';
import { Layer } from './layer';
import { badShape, checkTensor, reuse, shapeStr } from './util';
import { readOptions } from '../validate';

export type DropoutMode = 'book' | 'inverted';

export interface DropoutOptions {
  /**
   * 'book' (default, the book's Dropout): training y = x·mask, inference y = x·(1 − ratio).
   * 'inverted': training y = x·mask / (1 − ratio), inference y = x.
   */
  mode?: DropoutMode;
  /** Seed of the layer's own Rng when used on its own (inside a network the network's Rng is used). */
  seed?: number;
  backend?: Backend;
}

/**
 * Dropout: in training, each element is kept when a uniform draw exceeds `ratio`. The mask comes from one fresh
 * stream of the layer's Rng per training forward (`rng.nextStream()` -> backend.dropoutForward(seed, counter)),
 * so both backends draw the same mask; restoring the Rng state (`rng.setState`) replays a mask.
 *
 * @example
 * const drop = new Dropout(0.5);                  // the book's Dropout(dropout_ratio=0.5)
 * const y = drop.forward(x, true);                // about half the elements zeroed
 * const yi = drop.forward(x, false);              // x·0.5
 * @throws {RangeError} ratio outside [0, 1), unknown mode
 */
export class Dropout extends Layer {
  readonly type = 'Dropout';
  readonly ratio: number;
  readonly mode: DropoutMode;
  /** The random stream the masks come from (replaced by the network's Rng inside a network). */
  rng: Rng;
  private mask?: Uint8Array;
  private y?: Tensor;
  private dx?: Tensor;
  /** Scale of the last forward: training (mask·scale) or inference (no mask). */
  private last: { training: boolean; scale: number } | null = null;

  constructor(ratio = 0.5, opts: DropoutOptions = {}) {
    super();
    opts = readOptions('Dropout', opts, ['mode', 'seed', 'backend']);
    this.ratio = checkNumber('Dropout ratio', ratio, { min: 0, max: 1 });
    if (this.ratio >= 1) throw new RangeError(`Dropout ratio: expected a number in [0, 1), got number ${ratio}`);
    this.mode = checkOneOf('Dropout mode', opts.mode ?? 'book', ['book', 'inverted'] as const);
    this.rng = new Rng(opts.seed ?? 0);
    this.backend = opts.backend;
  }

  override useRng(rng: Rng): void {
    this.rng = rng;
  }

  outputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  forward(x: Tensor, training: boolean): Tensor {
    checkTensor('Dropout input', x);
    const y = (this.y = reuse(this.y, x.shape));
    if (training) {
      if (!this.mask || this.mask.length !== x.size) this.mask = new Uint8Array(x.size);
      const scale = this.mode === 'inverted' ? 1 / (1 - this.ratio) : 1;
      const { seed, counter } = this.rng.nextStream();
      this.be.dropoutForward(x.data, y.data, this.mask, this.ratio, scale, seed, counter);
      this.last = { training: true, scale };
    } else {
      const scale = this.mode === 'inverted' ? 1 : 1 - this.ratio;
      this.be.scale(x.data, scale, y.data);
      this.last = { training: false, scale };
    }
    return y;
  }

  backward(dout: Tensor): Tensor {
    const { y, last } = this;
    if (!y || !last) throw new Error('Dropout.backward: call forward first');
    checkTensor('Dropout dout', dout);
    if (dout.size !== y.size) throw badShape('Dropout dout', shapeStr(y.shape), dout.shape);
    const dx = (this.dx = reuse(this.dx, y.shape));
    if (last.training) this.be.dropoutBackward(dout.data, this.mask!, last.scale, dx.data);
    else this.be.scale(dout.data, last.scale, dx.data);
    return dx;
  }

  /** The mask of the last training forward (1 = kept), for inspection and tests. */
  lastMask(): Uint8Array | undefined {
    return this.mask;
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type, ratio: this.ratio, mode: this.mode };
  }
}
