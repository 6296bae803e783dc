import { getBackend } from '../backend';
import type { Backend } from '../backend/types';
import type { Rng } from '../rng';
import type { Tensor } from '../tensor';
import { applyLayer, type SymbolicTensor } from './symbolic';

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

  /**
   * Fixes the sizes this layer infers from its input (an `Affine(outputSize)` without inputSize allocates W here).
   * Called by networks before `outputShape`, with the input shape including the batch dimension; a second call
   * with another size throws. Default: nothing to infer.
   */
  build(_inputShape: readonly number[]): void {
    /* nothing inferred */
  }

  /**
   * Records this layer as a node of a graph network being written (Keras's functional API) and returns the
   * node's output: `new Convolution(3, 16, 3, { pad: 1 }).apply(x, 'conv1')`. `name` (optional) names the node
   * and its parameters (conv1.W, conv1.b); without it the Graph names the node after the layer type. Add and
   * Concatenate take an array of inputs.
   * @throws {TypeError|RangeError} an input that is not a SymbolicTensor, an input shape this layer does not take
   *   (the message names the node), a layer already applied, a bad name
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[], name?: string): SymbolicTensor {
    return applyLayer(this, x, name);
  }

  /** Set by the network (or the constructor option `backend`); defaults to getBackend() at first use. */
  backend?: Backend;

  /**
   * False when no one needs this layer's input gradient (the first layer of a network): Convolution and
   * Affine then skip computing dx, and the tensor backward returns holds unspecified values.
   */
  needInputGrad = true;

  /** The backend this layer runs on (the `backend` property, else the process default). */
  protected get be(): Backend {
    return (this.backend ??= getBackend());
  }

  /** (Re)initializes the parameters from `rng` (layers without parameters: nothing). */
  initialize(_rng: Rng): void {
    /* no parameters */
  }

  /** Hands the layer the network's Rng for random draws during forward (Dropout masks); default: unused. */
  useRng(_rng: Rng): void {
    /* no randomness */
  }
}

/** Targets of a loss layer: class indices (Int32Array[N]) or a dense Tensor (one-hot [N, C], or values). */
export type Target = Int32Array | Tensor;

/**
 * A loss layer ends a network (the book's `last_layer`). `forward(x)` gives the inference output (softmax
 * probabilities, sigmoid, identity); `forwardLoss(x, t)` the scalar loss; `backwardLoss(dout)` the gradient
 * of the loss w.r.t. x. `backward(dout)` takes dout as a tensor of one element.
 */
export abstract class LossLayer extends Layer {
  readonly isLoss = true;

  /**
   * The mean loss over the batch. `sampleWeights` (Float32Array[N], optional) multiplies each sample's loss (and its
   * gradient); the mean still divides by N.
   */
  abstract forwardLoss(x: Tensor, t: Target, training?: boolean, sampleWeights?: Float32Array | null): number;
  abstract backwardLoss(dout?: number): Tensor;

  backward(dout: Tensor): Tensor {
    return this.backwardLoss(dout.data[0]);
  }
}
