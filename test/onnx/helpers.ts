/** Shared pieces of the ONNX tests: onnxruntime-node sessions, inputs, training steps, the tolerance check. */
import * as ort from 'onnxruntime-node';
import { Adam } from '../../lib/optimizers';
import type { Network } from '../../lib/nets/network';
import { Tensor } from '../../lib/tensor';
import { randomArray } from '../helpers';

/**
 * The tolerance of every output comparison: |a − b| <= TOL · max(1, max|b|) over the whole output. Both sides
 * compute in float32 with different summation orders (simdnet's blocked GEMM/direct convolution vs
 * onnxruntime's MLAS, or PyTorch's); measured differences are around 1e-6 of the output's scale.
 */
export const TOL = 1e-4;

/** Runs ONNX model bytes in onnxruntime-node (CPU, one thread) on x; returns the first output. */
export async function runOrt(bytes: Uint8Array, x: Tensor, inputName = 'input'): Promise<{ data: Float32Array; dims: readonly number[]; outputName: string }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] });
  try {
    const r = await session.run({ [inputName]: new ort.Tensor('float32', x.data, [...x.shape]) });
    const name = session.outputNames[0];
    return { data: r[name].data as Float32Array, dims: r[name].dims, outputName: name };
  } finally {
    await session.release();
  }
}

/** Max |a − b|, and fails (printing the first element out of tolerance) unless within TOL·max(1, max|expected|). */
export function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = TOL): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let maxDiff = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol * scale) && first < 0) first = i;
    if (!(d <= maxDiff)) maxDiff = d;
  }
  if (first >= 0) {
    throw new Error(`${what}: element ${first} is ${actual[first]}, expected ${expected[first]} (tolerance ${tol} × ${scale}; max |diff| ${maxDiff})`);
  }
  return maxDiff;
}

/** A batch of N uniform [0, 1) samples of the network's input shape. */
export function inputFor(net: Network, N: number, seed: number): Tensor {
  const per = net.inputShape.reduce((a, d) => a * d, 1);
  return new Tensor(randomArray(N * per, seed, 0, 1), [N, ...net.inputShape]);
}

/** A few Adam steps on arbitrary labels: weights move, BatchNorm running statistics become non-trivial. */
export function train(net: Network, steps: number, seed: number): void {
  const opt = new Adam({ lr: 0.01 });
  const classes = net.outputShape()[1];
  for (let s = 0; s < steps; s++) {
    const x = inputFor(net, 16, seed + s);
    const t = Tensor.zeros([16, classes]); // one-hot targets: valid for softmax, sigmoid and MSE losses
    for (let i = 0; i < 16; i++) t.data[i * classes + ((i * 7 + s) % classes)] = 1;
    net.gradient(x, t);
    opt.step(net.namedParams());
  }
}
