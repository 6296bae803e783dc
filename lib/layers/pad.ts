import type { Backend } from '../backend/types';
import { checkInt, checkOptions } from '../validate';
import type { Tensor } from '../tensor';
import { Layer } from './layer';
import { badShape, check4d, checkTensor, reuse, shapeStr } from './util';

/**
 * Zero channels around the input's: x[N, C, H, W] -> y[N, before + C + after, H, W] (ResNet's "option A"
 * shortcut, after a stride-2 subsampling: the identity, widened with zeros where the block adds channels).
 * Backward keeps the gradient of the input's channels.
 *
 * @example
 * const pad = new ChannelPad(8, 8);               // [N, 16, 16, 16] -> [N, 32, 16, 16]
 * @throws {TypeError|RangeError} before/after not integers >= 0; in forward, a non-4-D input
 */
export class ChannelPad extends Layer {
  readonly type = 'ChannelPad';
  readonly before: number;
  readonly after: number;
  private xShape?: readonly number[];
  private y?: Tensor;
  private dx?: Tensor;

  constructor(before: number, after: number, opts: { backend?: Backend } = {}) {
    super();
    this.before = checkInt('ChannelPad before', before, 0);
    this.after = checkInt('ChannelPad after', after, 0);
    this.backend = checkOptions('ChannelPad', opts, ['backend']).backend as Backend | undefined;
  }

  outputShape(inputShape: readonly number[]): number[] {
    if (inputShape.length !== 4) throw badShape('ChannelPad input', 'a 4-D tensor [N, C, H, W]', inputShape);
    const [N, C, H, W] = inputShape;
    return [N, this.before + C + this.after, H, W];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    checkTensor('ChannelPad input', x);
    check4d('ChannelPad input', x);
    const shape = this.outputShape(x.shape);
    const y = (this.y = reuse(this.y, shape)); // a new shape gets a new zero buffer; padding channels are never written
    const [N, C, H, W] = x.shape;
    const plane = H * W;
    const rowOut = shape[1] * plane;
    for (let n = 0; n < N; n++) y.data.set(x.data.subarray(n * C * plane, (n + 1) * C * plane), n * rowOut + this.before * plane);
    this.xShape = x.shape;
    return y;
  }

  backward(dout: Tensor): Tensor {
    const s = this.xShape;
    const y = this.y;
    if (!s || !y) throw new Error('ChannelPad.backward: call forward first');
    checkTensor('ChannelPad dout', dout);
    if (dout.size !== y.size) throw badShape('ChannelPad dout', shapeStr(y.shape), dout.shape);
    const dx = (this.dx = reuse(this.dx, s));
    const [N, C, H, W] = s;
    const plane = H * W;
    const rowOut = y.shape[1] * plane;
    for (let n = 0; n < N; n++) {
      const o = n * rowOut + this.before * plane;
      dx.data.set(dout.data.subarray(o, o + C * plane), n * C * plane);
    }
    return dx;
  }

  config(): { type: string } & Record<string, unknown> {
    return { type: this.type, before: this.before, after: this.after };
  }
}
