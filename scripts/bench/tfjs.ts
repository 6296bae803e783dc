/**
 * TensorFlow.js yardstick of `npm run bench`: the book's SimpleConvNet built with tfjs ops on the pure-JS `cpu`
 * backend (conv2d, maxPool, matMul, relu, softmax cross-entropy, tf.train.adam), timed like simdnet's step.
 * Not a dependency: it runs only when @tensorflow/tfjs-core, @tensorflow/tfjs-backend-cpu and @tensorflow/tfjs
 * resolve from .bench/tfjs. Install them there with
 *   npm install --prefix .bench/tfjs @tensorflow/tfjs-core@4 @tensorflow/tfjs-backend-cpu@4 @tensorflow/tfjs@4
 * (tfjs-core's CommonJS bundle carries no gradient functions: they are registered by the @tensorflow/tfjs
 * bundle, so training needs it too; it is only loaded for that, and the backend used is still 'cpu').
 *
 * The tfjs net starts from simdnet's weights (W1 transposed to [KH, KW, C, F]; W2's rows permuted from the
 * NCHW flattening to tfjs's NHWC one), so its first loss must equal simdnet's: checked before timing.
 */
import * as path from 'path';

import type { Network } from '../../lib/nets';
import { timeSteps, type StepPlan } from './timing';

/** The few tfjs-core calls used here (tfjs-core is not a dependency, so no types from it). */
interface TfTensor {
  dataSync(): Float32Array | Int32Array;
  dispose(): void;
}
interface TfOptimizer {
  minimize(f: () => TfTensor, returnCost: boolean, varList: TfTensor[]): TfTensor | null;
}
interface Tf {
  version_core: string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor(values: Float32Array | Int32Array, shape: number[], dtype?: string): TfTensor;
  variable(t: TfTensor): TfTensor;
  tidy<T>(f: () => T): T;
  conv2d(x: TfTensor, filter: TfTensor, strides: number, pad: 'valid' | number): TfTensor;
  maxPool(x: TfTensor, size: number, strides: number, pad: 'valid' | number): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  relu(x: TfTensor): TfTensor;
  reshape(x: TfTensor, shape: number[]): TfTensor;
  oneHot(indices: TfTensor, depth: number): TfTensor;
  losses: { softmaxCrossEntropy(onehot: TfTensor, logits: TfTensor): TfTensor };
  train: { adam(lr: number): TfOptimizer };
}

export interface TfjsResult {
  version: string;
  backend: string;
  trainStepMs: number;
  trainSamplesMs: number[];
  inferBatchMs: number;
  inferImagesPerS: number;
  /** loss of the tfjs twin and of simdnet at the same initial weights (sanity) */
  loss0: number;
  simdnetLoss0: number;
}

/** Loads tfjs-core + the cpu backend from .bench/tfjs, or returns the reason it cannot. */
export async function loadTfjs(root: string): Promise<{ tf: Tf } | { reason: string }> {
  const from = { paths: [path.join(root, '.bench', 'tfjs')] };
  let core: string;
  let cpu: string;
  let grads: string;
  try {
    core = require.resolve('@tensorflow/tfjs-core', from);
    cpu = require.resolve('@tensorflow/tfjs-backend-cpu', from);
    grads = require.resolve('@tensorflow/tfjs', from);
  } catch {
    return { reason: 'not installed (npm install --prefix .bench/tfjs @tensorflow/tfjs-core@4 @tensorflow/tfjs-backend-cpu@4 @tensorflow/tfjs@4)' };
  }
  const tf = require(core) as Tf;
  require(cpu); // registers the 'cpu' backend with that tfjs-core
  require(grads); // registers the gradient functions (global registry of the same tfjs-core)
  if (!(await tf.setBackend('cpu'))) return { reason: "tfjs could not set the 'cpu' backend" };
  await tf.ready();
  return { tf };
}

/**
 * Times one Adam training step and one inference forward of SimpleConvNet (default options) on tfjs-cpu with
 * the weights of `net` (a SimpleConvNet; its weights are read, not changed) and the batch x[N,1,28,28], labels t.
 */
export function benchTfjsSimpleConvNet(tf: Tf, net: Network, x: Float32Array, t: Int32Array, N: number, simdnetLoss0: number,
  trainPlan: StepPlan, inferPlan: StepPlan): TfjsResult {
  const p = net.namedParams();
  const [F, C, KH, KW] = p.W1.value.shape;
  const [, , H, W] = [N, ...net.inputShape];
  const OH = H - KH + 1;
  const OW = W - KW + 1;
  const PH = OH >> 1;
  const PW = OW >> 1;
  const hidden = p.W2.value.shape[1];
  const classes = p.W3.value.shape[1];
  if (C !== 1 || p.W2.value.shape[0] !== F * PH * PW) throw new Error('benchTfjsSimpleConvNet: expects the default SimpleConvNet (C = 1, pad 0, stride 1)');

  // W1[F, C, KH, KW] -> [KH, KW, C, F]
  const w1 = new Float32Array(F * C * KH * KW);
  const W1 = p.W1.value.data;
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) {
    w1[((i * KW + j) * C + c) * F + f] = W1[((f * C + c) * KH + i) * KW + j];
  }
  // W2 rows: simdnet flattens pool output [F, PH, PW], tfjs [PH, PW, F]
  const w2 = new Float32Array(p.W2.value.size);
  const W2 = p.W2.value.data;
  for (let f = 0; f < F; f++) for (let h = 0; h < PH; h++) for (let w = 0; w < PW; w++) {
    const src = (f * PH + h) * PW + w;
    const dst = (h * PW + w) * F + f;
    w2.set(W2.subarray(src * hidden, (src + 1) * hidden), dst * hidden);
  }
  const vars = [
    tf.variable(tf.tensor(w1, [KH, KW, C, F])),
    tf.variable(tf.tensor(p.b1.value.data.slice(), [F])),
    tf.variable(tf.tensor(w2, [F * PH * PW, hidden])),
    tf.variable(tf.tensor(p.b2.value.data.slice(), [hidden])),
    tf.variable(tf.tensor(p.W3.value.data.slice(), [hidden, classes])),
    tf.variable(tf.tensor(p.b3.value.data.slice(), [classes])),
  ];
  const [v1, vb1, v2, vb2, v3, vb3] = vars;
  // x is [N, 1, H, W]: with C = 1 that is the same memory as NHWC [N, H, W, 1]
  const xs = tf.tensor(x, [N, H, W, 1]);
  const labels = tf.tensor(t, [N], 'int32');
  const onehot = tf.oneHot(labels, classes);
  const logits = () => {
    const c = tf.relu(tf.add(tf.conv2d(xs, v1, 1, 'valid'), vb1));
    const pool = tf.maxPool(c, 2, 2, 'valid');
    const h = tf.relu(tf.add(tf.matMul(tf.reshape(pool, [N, F * PH * PW]), v2), vb2));
    return tf.add(tf.matMul(h, v3), vb3);
  };
  const lossFn = () => tf.losses.softmaxCrossEntropy(onehot, logits());
  const loss0 = tf.tidy(() => lossFn().dataSync()[0]);

  const opt = tf.train.adam(0.001);
  const train = timeSteps(() => {
    const cost = opt.minimize(lossFn, true, vars);
    cost?.dataSync();
    cost?.dispose();
  }, trainPlan);
  const infer = timeSteps(() => {
    tf.tidy(() => logits().dataSync());
  }, inferPlan);
  for (const v of [...vars, xs, labels, onehot]) v.dispose();
  return {
    version: tf.version_core,
    backend: tf.getBackend(),
    trainStepMs: train.medianMs,
    trainSamplesMs: train.samplesMs,
    inferBatchMs: infer.medianMs,
    inferImagesPerS: (N / infer.medianMs) * 1e3,
    loss0,
    simdnetLoss0,
  };
}
