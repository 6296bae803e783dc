/**
 * Prediction as a user wants it (Keras' predict / predict_proba / the argmax step): inference forwards in
 * batches, turned into probabilities (the loss layer's inference output: softmax, sigmoid, or the outputs of a
 * MeanSquaredError network) or classes (by the network's accuracy definition, lib/metrics/accuracy.ts).
 */
import { checkInt } from '../validate';
import { predictedClasses } from '../metrics/accuracy';
import { Tensor } from '../tensor';
import type { Network } from './network';

/** Calls fn(logits, start, n) for each batch of rows of x (inference mode; logits in a reused buffer). */
export function forEachBatch(net: Network, x: Tensor, batchSize: number, fn: (y: Tensor, start: number, n: number) => void): void {
  checkInt('batchSize', batchSize, 1);
  const N = x.shape[0];
  const per = N === 0 ? 0 : x.size / N;
  for (let s = 0; s < N; s += batchSize) {
    const n = Math.min(batchSize, N - s);
    fn(net.forward(new Tensor(x.data.subarray(s * per, (s + n) * per), [n, ...x.shape.slice(1)]), false), s, n);
  }
}

/** Probabilities [N, …outputs]: softmax (SoftmaxWithLoss), σ (SigmoidWithLoss), the outputs (MeanSquaredError). */
export function predictProba(net: Network, x: Tensor, batchSize = 100): Tensor {
  const N = x.shape[0];
  const outShape = net.outputShape([Math.max(N, 1), ...net.inputShape]);
  const K = outShape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(N * K);
  forEachBatch(net, x, batchSize, (y, s) => out.set(net.lossLayer.forward(y, false).data, s * K));
  return new Tensor(out, [N, ...outShape.slice(1)]);
}

/**
 * Predicted classes by the network's accuracy definition: argmax per sample (categorical), logit > 0 per sample
 * (one sigmoid output), or one 0/1 per output (several sigmoid outputs: N·K values, row-major).
 */
export function predictClasses(net: Network, x: Tensor, batchSize = 100): Int32Array {
  const kind = net.accuracyKind;
  const N = x.shape[0];
  const parts: Int32Array[] = [];
  let total = 0;
  forEachBatch(net, x, batchSize, (y, _s, n) => {
    const p = predictedClasses(kind, y.data, n);
    parts.push(p);
    total += p.length;
  });
  const out = new Int32Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  if (kind !== 'multi-label' && total !== N) throw new Error('predictClasses: internal size mismatch');
  return out;
}
