import type { Backend } from '../backend/types';
import type { Tensor } from '../tensor';

/** A trainable parameter: its value and the gradient the last backward wrote (same shape). */
export interface Param {
  value: Tensor;
  grad: Tensor;
}

/**
 * A layer: its parameters plus forward/backward that call backend ops (the book's layer classes).
 * Contract:
 *  - forward(x, training) returns a new output tensor (or one owned by the layer, reused between calls) and
 *    keeps what backward needs; backward(dout) returns dx and writes the gradients into params()[k].grad
 *    (overwriting, not accumulating).
 *  - params(): the trainable parameters by local name ('W', 'b', 'gamma', 'beta').
 *  - buffers(): non-trained state that is saved with the model (BatchNormalization: 'running_mean', 'running_var').
 *  - config(): the JSON-serializable options that rebuild the layer (with `type`): `layerFromConfig` in
 *    lib/layers/index.ts turns it back into a layer.
 */
export abstract class Layer {
  abstract readonly type: string;

  abstract forward(x: Tensor, training: boolean): Tensor;
  abstract backward(dout: Tensor): Tensor;

  params(): Record<string, Param> {
    return {};
  }

  buffers(): Record<string, Tensor> {
    return {};
  }

  abstract config(): { type: string } & Record<string, unknown>;

  /** The output shape for an input shape (without running), used to size networks and check inputs. */
  abstract outputShape(inputShape: readonly number[]): number[];

  /** Set by the network (or the constructor option `backend`); defaults to getBackend() at first use. */
  backend?: Backend;
}
