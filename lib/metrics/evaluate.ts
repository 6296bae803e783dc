/**
 * `evaluate(net, x, t)`: what Keras' evaluate and scikit-learn's classification_report give together: the loss,
 * the accuracy (the network's definition, lib/metrics/accuracy.ts), per-class precision / recall / F1 / support
 * with macro and weighted means, the confusion matrix, and ROC AUC for binary problems (one sigmoid output, or
 * two softmax outputs: the score is the probability of class 1). Several sigmoid outputs (multi-label): the
 * per-class values are per label (label k positive vs not), and there is no confusion matrix.
 */
import { checkInt, invalidType } from '../validate';
import type { Target } from '../layers/layer';
import { Network } from '../nets/network';
import { forEachBatch } from '../nets/predict';
import { Tensor } from '../tensor';
import { binaryTargets, predictedClasses, targetClasses, type AccuracyKind } from './accuracy';
import { averages, classStats, confusionMatrix, rocAuc } from './classification';
import { readOptions } from '../validate';

export interface EvaluateResult {
  /** Mean loss (inference mode) plus the weight-decay term, as in training logs. */
  loss: number;
  accuracy: number;
  accuracyKind: AccuracyKind;
  samples: number;
  /** Number of classes (2 for one sigmoid output; the number of labels for multi-label). */
  classes: number;
  /** rows = true class, columns = predicted; null for multi-label. */
  confusionMatrix: number[][] | null;
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  /** ROC AUC of a binary problem (null otherwise, or when the data holds one class only). */
  rocAuc: number | null;
}

export interface EvaluateOptions {
  /** Samples per forward pass (default 100). */
  batchSize?: number;
}

/**
 * Evaluates a network on (x, t) in inference mode.
 *
 * @example
 * const r = evaluate(net, xTest, tTest);
 * console.log(r.accuracy, r.f1, r.confusionMatrix, r.rocAuc);
 * @throws {TypeError|RangeError} x of another shape than the network's input, targets that do not fit
 */
export function evaluate(net: Network, x: Tensor, t: Target, opts: EvaluateOptions = {}): EvaluateResult {
  if (!(net instanceof Network)) throw invalidType('net', 'a Network', net);
  if (!(x instanceof Tensor)) throw invalidType('x', 'a Tensor [N, ...inputShape]', x);
  if (opts === null || typeof opts !== 'object') throw invalidType('evaluate options', 'an object', opts);
  opts = readOptions<EvaluateOptions>('evaluate', opts, ['batchSize']);
  const batchSize = checkInt('batchSize', opts.batchSize ?? 100, 1);
  const kind = net.accuracyKind;
  const N = x.shape[0];
  const K = net.outputShape().slice(1).reduce((a, b) => a * b, 1);
  const truth = kind === 'multi-label' ? binaryTargets(t, N * K) : targetClasses(kind, t, N);
  const pred = new Int32Array(truth.length);
  const binaryScore = kind === 'binary' || (kind === 'categorical' && K === 2) ? new Float64Array(N) : null;
  let lossSum = 0;
  forEachBatch(net, x, batchSize, (y, s, n) => {
    const per = kind === 'multi-label' ? K : 1;
    pred.set(predictedClasses(kind, y.data, n), s * per);
    const tb = t instanceof Int32Array ? t.subarray(s * (kind === 'multi-label' ? K : 1), (s + n) * (kind === 'multi-label' ? K : 1))
      : new Tensor(t.data.subarray(s * (t.size / t.shape[0]), (s + n) * (t.size / t.shape[0])), [n, ...t.shape.slice(1)]);
    const logits = y.clone();
    lossSum += net.lossLayer.forwardLoss(logits, tb, false) * n;
    if (binaryScore) {
      const p = net.lossLayer.forward(logits, false).data;
      for (let i = 0; i < n; i++) binaryScore[s + i] = kind === 'binary' ? p[i] : p[2 * i + 1];
    }
  });
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === pred[i]) correct++;

  let confusion: number[][] | null = null;
  let stats;
  let classes: number;
  if (kind === 'multi-label') {
    classes = K;
    stats = { precision: [] as number[], recall: [] as number[], f1: [] as number[], support: [] as number[] };
    for (let k = 0; k < K; k++) {
      const tk = Int32Array.from({ length: N }, (_, i) => truth[i * K + k]);
      const pk = Int32Array.from({ length: N }, (_, i) => pred[i * K + k]);
      const s = classStats(confusionMatrix(tk, pk, 2));
      stats.precision.push(s.precision[1]);
      stats.recall.push(s.recall[1]);
      stats.f1.push(s.f1[1]);
      stats.support.push(s.support[1]);
    }
  } else {
    classes = kind === 'binary' ? 2 : K;
    confusion = confusionMatrix(truth, pred, classes);
    stats = classStats(confusion);
  }
  const avg = (v: number[]) => averages(v, stats.support);
  const [p, r, f] = [avg(stats.precision), avg(stats.recall), avg(stats.f1)];
  return {
    loss: N > 0 ? lossSum / N + net.weightDecayLoss() : NaN,
    accuracy: truth.length > 0 ? correct / truth.length : NaN,
    accuracyKind: kind,
    samples: N,
    classes,
    confusionMatrix: confusion,
    ...stats,
    macro: { precision: p.macro, recall: r.macro, f1: f.macro },
    weighted: { precision: p.weighted, recall: r.weighted, f1: f.weighted },
    rocAuc: binaryScore && N > 0 ? rocAuc(truth, binaryScore) : null,
  };
}
