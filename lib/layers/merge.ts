/**
 * Layers that join branches of a graph network (lib/nets/graph.ts): `Add` (the residual sum) and `Concatenate`
 * (along channels). They take a list of inputs: `forwardMany` / `backwardMany` instead of forward / backward.
 */
import type { Backend } from '../backend/types';
import { invalidRange, invalidType } from '../validate';
import { Tensor } from '../tensor';
import { Layer } from './layer';
import { badShape, checkTensor, reuse, sameShape, shapeStr } from './util';
import { readOptions } from '../validate';

/**
 * A layer of several inputs. A graph network calls `forwardMany(xs)` and `backwardMany(dout)` (one gradient per
 * input, in input order); `forward`/`backward` of one tensor are refused.
 */
export abstract class MergeLayer extends Layer {
  /** The output shape for the input shapes (all with the batch dimension); throws naming the mismatch. */
  abstract outputShapeMany(shapes: readonly (readonly number[])[]): number[];
  abstract forwardMany(xs: readonly Tensor[], training: boolean): Tensor;
  /**
   * The gradients of the inputs, in input order. They may be the same tensor as `dout` or as each other (Add):
   * callers must not write into them.
   */
  abstract backwardMany(dout: Tensor): Tensor[];

  outputShape(inputShape: readonly number[]): number[] {
    return this.outputShapeMany([inputShape]);
  }

  forward(_x: Tensor, _training: boolean): Tensor {
    throw new TypeError(`${this.type}.forward: a ${this.type} layer joins several inputs: use it in a Graph (layer.apply([a, b])) or call forwardMany([a, b])`);
  }

  backward(_dout: Tensor): Tensor {
    throw new TypeError(`${this.type}.backward: a ${this.type} layer has one gradient per input: call backwardMany(dout)`);
  }

  protected checkCount(shapes: readonly unknown[]): void {
    if (!Array.isArray(shapes) || shapes.length < 2) {
      throw invalidRange(`${this.type} inputs`, 'at least 2 inputs', Array.isArray(shapes) ? `${shapes.length} input${shapes.length === 1 ? '' : 's'}` : shapes);
    }
  }
}

/**
 * Elementwise sum of its inputs, y = x₀ + x₁ + … (ResNet's shortcut). The shapes must be equal: broadcasting is
 * refused. Backward hands `dout` itself to every input.
 *
 * @example
 * const x = Input([16, 32, 32]);
 * const h = new Convolution(16, 16, 3, { pad: 1 }).apply(x);
 * const y = new Add().apply([h, x]);                     // [N, 16, 32, 32]
 * @throws {RangeError} fewer than 2 inputs, or inputs whose shapes differ (both shapes named)
 */
export class Add extends MergeLayer {
  readonly type = 'Add';
  /**
   * Set by a Network when the only reader of this node is a Relu: the ReLU runs in the sum's pass (forward
   * y = max(0, Σ x); backward masks dout by y > 0) and the Relu passes through, as BatchNormalization.fusedRelu.
   */
  fusedRelu = false;
  private y?: Tensor;
  private dx?: Tensor;
  private inputs = 0;

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions('Add', opts, ['backend']);
    this.backend = opts.backend;
  }

  outputShapeMany(shapes: readonly (readonly number[])[]): number[] {
    this.checkCount(shapes);
    for (let i = 1; i < shapes.length; i++) {
      if (!sameShape(shapes[i], shapes[0])) {
        throw invalidRange(`Add input ${i}`, `the shape of input 0, ${shapeStr(shapes[0])} (Add does not broadcast)`, shapeStr(shapes[i]));
      }
    }
    return [...shapes[0]];
  }

  forwardMany(xs: readonly Tensor[], _training: boolean): Tensor {
    xs.forEach((x, i) => checkTensor(`Add input ${i}`, x));
    const shape = this.outputShapeMany(xs.map((x) => x.shape));
    const y = (this.y = reuse(this.y, shape));
    if (xs.length === 2) {
      // one pass: the sum (and the fused ReLU), the same bits as the copy + axpy (+ Relu) below
      this.be.addForward(xs[0].data, xs[1].data, this.fusedRelu, y.data);
    } else {
      y.data.set(xs[0].data);
      for (let i = 1; i < xs.length; i++) this.be.axpy(1, xs[i].data, y.data);
      if (this.fusedRelu) this.be.activationForward('relu', y.data, y.data, 0);
    }
    this.inputs = xs.length;
    return y;
  }

  backwardMany(dout: Tensor): Tensor[] {
    return this.backwardManySum([dout]);
  }

  /**
   * backwardMany of the sum of `douts` (the gradients of this node's output from each of its readers, summed in
   * this order): with the ReLU fused the sum is taken in the pass that masks it (Backend.reluBackwardSum), so a
   * graph network hands a residual block's output gradients here without adding them first. Without the ReLU and
   * with one gradient, `dout` itself goes to every input (no copy).
   */
  backwardManySum(douts: readonly Tensor[]): Tensor[] {
    const y = this.y;
    if (!y) throw new Error('Add.backward: call forward first');
    if (douts.length === 0) throw invalidRange('Add douts', 'at least one gradient', 'none');
    douts.forEach((d, i) => {
      checkTensor(`Add dout${douts.length > 1 ? `[${i}]` : ''}`, d);
      if (d.size !== y.size) throw badShape('Add dout', shapeStr(y.shape), d.shape);
    });
    let g = douts[0];
    if (this.fusedRelu || douts.length > 1) {
      const dx = (this.dx = reuse(this.dx, y.shape));
      if (this.fusedRelu) {
        this.be.reluBackwardSum(douts[0].data, douts.length > 1 ? douts[1].data : null, y.data, dx.data);
        for (let i = 2; i < douts.length; i++) {
          // a third reader: (dy0 + dy1) + dy2 … in order, masked at the end (the mask is idempotent)
          this.be.axpy(1, douts[i].data, dx.data);
          this.be.reluBackwardSum(dx.data, null, y.data, dx.data);
        }
      } else {
        this.be.addForward(douts[0].data, douts[1].data, false, dx.data);
        for (let i = 2; i < douts.length; i++) this.be.axpy(1, douts[i].data, dx.data);
      }
      g = dx;
    }
    return new Array<Tensor>(this.inputs).fill(g);
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}

/**
 * Concatenation along the channel axis (axis 1: [N, C₀, H, W] + [N, C₁, H, W] -> [N, C₀ + C₁, H, W]; also
 * [N, D₀] + [N, D₁]), as GoogLeNet's inception blocks join their branches. Every other dimension must match.
 *
 * @example
 * const y = new Concatenate().apply([a, b]);              // a [16, 8, 8], b [32, 8, 8] -> [48, 8, 8]
 * @throws {RangeError} fewer than 2 inputs, inputs of rank < 2, of different ranks, or whose non-channel
 *   dimensions differ (both shapes named)
 */
export class Concatenate extends MergeLayer {
  readonly type = 'Concatenate';
  private shapes: number[][] = [];
  private y?: Tensor;
  private dxs: (Tensor | undefined)[] = [];

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions('Concatenate', opts, ['backend']);
    this.backend = opts.backend;
  }

  outputShapeMany(shapes: readonly (readonly number[])[]): number[] {
    this.checkCount(shapes);
    const s0 = shapes[0];
    if (s0.length < 2) throw badShape('Concatenate input 0', 'a tensor of rank >= 2 [N, C, …]', s0);
    let C = 0;
    shapes.forEach((s, i) => {
      const rest = (t: readonly number[]) => [t[0], ...t.slice(2)];
      if (s.length !== s0.length || !sameShape(rest(s), rest(s0))) {
        throw invalidRange(`Concatenate input ${i}`, `the shape of input 0, ${shapeStr(s0)}, except along channels (axis 1)`, shapeStr(s));
      }
      C += s[1];
    });
    return [s0[0], C, ...s0.slice(2)];
  }

  forwardMany(xs: readonly Tensor[], _training: boolean): Tensor {
    xs.forEach((x, i) => checkTensor(`Concatenate input ${i}`, x));
    const shape = this.outputShapeMany(xs.map((x) => x.shape));
    const y = (this.y = reuse(this.y, shape));
    const N = shape[0];
    const rowOut = y.size / N;
    let off = 0;
    for (const x of xs) {
      const row = x.size / N;
      for (let n = 0; n < N; n++) y.data.set(x.data.subarray(n * row, (n + 1) * row), n * rowOut + off);
      off += row;
    }
    this.shapes = xs.map((x) => [...x.shape]);
    return y;
  }

  backwardMany(dout: Tensor): Tensor[] {
    const y = this.y;
    if (!y) throw new Error('Concatenate.backward: call forward first');
    checkTensor('Concatenate dout', dout);
    if (dout.size !== y.size) throw badShape('Concatenate dout', shapeStr(y.shape), dout.shape);
    const N = y.shape[0];
    const rowOut = y.size / N;
    let off = 0;
    return this.shapes.map((s, i) => {
      const dx = (this.dxs[i] = reuse(this.dxs[i], s));
      const row = dx.size / N;
      for (let n = 0; n < N; n++) dx.data.set(dout.data.subarray(n * rowOut + off, n * rowOut + off + row), n * row);
      off += row;
      return dx;
    });
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}
