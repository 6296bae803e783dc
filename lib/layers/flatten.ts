import type { Backend } from '../backend/types';
import { invalidType } from '../validate';
import type { Tensor } from '../tensor';
import { Layer } from './layer';
import { badShape, checkTensor, shapeStr } from './util';
import { readOptions } from '../validate';

/**
 * Flattens each sample: x[N, …] -> y[N, D] with D the product of the other dimensions (C·H·W order, the book's
 * x.reshape(N, -1)). A view: no copy either way.
 *
 * @example
 * const y = new Flatten().forward(x, false);           // [N, 16, 7, 7] -> [N, 784]
 * @throws {TypeError} forward of something that is not a Tensor; {RangeError} an input of rank < 2
 */
export class Flatten extends Layer {
  readonly type = 'Flatten';
  private xShape?: readonly number[];

  constructor(opts: { backend?: Backend } = {}) {
    super();
    opts = readOptions('Flatten', opts, ['backend']);
    this.backend = opts.backend;
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length < 2) throw badShape('Flatten input', 'a tensor [N, …] of rank >= 2', inputShape);
    let per = 1;
    for (let i = 1; i < inputShape.length; i++) per *= inputShape[i];
    return [inputShape[0], per];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor('Flatten input', x);
    const shape = this.outputShape(x.shape);
    this.xShape = x.shape;
    return x.reshape(shape);
  }

  backward(dout: Tensor): Tensor {
    const s = this.xShape;
    if (!s) throw new Error('Flatten.backward: call forward first');
    checkTensor('Flatten dout', dout);
    let size = 1;
    for (const d of s) size *= d;
    if (dout.size !== size) throw badShape('Flatten dout', `${size} values (the input was ${shapeStr(s)})`, dout.shape);
    return dout.reshape(s);
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type };
  }
}
