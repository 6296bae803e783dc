/**
 * The one definition of "accuracy" (and of "predicted class") used by Network.accuracy, the training loop's
 * logs, EarlyStopping / ModelCheckpoint (which monitor those logs), evaluate() and the CLI.
 *
 * It depends on the loss layer and the number of outputs per sample, as in Keras' metrics='accuracy':
 *  - 'categorical': SoftmaxWithLoss (and MeanSquaredError): the argmax of the outputs equals the label
 *    (Keras categorical/sparse_categorical_accuracy);
 *  - 'binary': SigmoidWithLoss with one output: the probability σ(logit) > 0.5, i.e. the logit > 0, equals the
 *    0/1 label (Keras binary_accuracy, threshold 0.5);
 *  - 'multi-label': SigmoidWithLoss with K > 1 outputs: each of the N·K outputs is thresholded as above and
 *    compared with its own 0/1 label; the accuracy is the share of correct labels (per-label accuracy, Keras'
 *    binary_accuracy on a multi-output sigmoid), not the share of samples with every label right.
 * Targets given as Tensors (one-hot, or values in [0, 1]) count as class argmax / value ≥ 0.5.
 * Labels out of range (a class outside [0, K), a sigmoid label other than 0/1) are a RangeError naming `t`, the
 * index and the value (`checkLabels`). A row of logits holding a NaN has no predicted class (-1): it never counts
 * as correct (a diverged network scores 0, not the share of class-0 labels).
 */
import { checkInt, checkOneOf, invalidRange, invalidType } from '../validate';
import type { Target } from '../layers/layer';
import { Tensor } from '../tensor';

export type AccuracyKind = 'categorical' | 'binary' | 'multi-label';

const LOSS_TYPES = ['SoftmaxWithLoss', 'SigmoidWithLoss', 'MeanSquaredError'] as const;

/**
 * The accuracy definition for a loss layer type and the number of outputs per sample.
 *
 * @example
 * accuracyKind('SigmoidWithLoss', 1);   // 'binary'
 * @throws {TypeError|RangeError} lossType is not a loss layer type, outputsPerSample not an integer >= 1
 */
export function accuracyKind(lossType: string, outputsPerSample: number): AccuracyKind {
  checkOneOf('lossType', lossType, LOSS_TYPES);
  checkInt('outputsPerSample', outputsPerSample, 1);
  if (lossType === 'SigmoidWithLoss') return outputsPerSample === 1 ? 'binary' : 'multi-label';
  return 'categorical';
}

/** How logs and reports name the accuracy of a kind ('acc', or 'per-label acc' for multi-label). */
export function accuracyLabel(kind: AccuracyKind): string {
  return kind === 'multi-label' ? 'per-label acc' : 'acc';
}

/** Class indices of a target: labels as given (length N checked), one-hot [N, C] by row argmax. */
export function targetLabels(t: Target, N: number): Int32Array {
  if (t instanceof Int32Array) {
    if (t.length !== N) throw invalidRange('labels', `${N} labels (one per sample)`, `length ${t.length}`);
    return t;
  }
  if (!(t instanceof Tensor)) throw invalidType('t', 'an Int32Array of labels or a one-hot Tensor [N, C]', t);
  if (t.rank !== 2 || t.shape[0] !== N) throw invalidRange('t', `a one-hot tensor [${N}, C]`, `[${t.shape.join(', ')}]`);
  const C = t.shape[1];
  const out = new Int32Array(N);
  for (let i = 0; i < N; i++) out[i] = argmaxRow(t.data, i * C, C);
  return out;
}

/** The row argmax: index of the first largest of y[o], …, y[o + K − 1]; -1 when one of them is NaN. */
export function argmaxRow(y: Float32Array, o: number, K: number): number {
  for (let c = 0; c < K; c++) if (y[o + c] !== y[o + c]) return -1;
  let best = 0;
  for (let c = 1; c < K; c++) if (y[o + c] > y[o + best]) best = c;
  return best;
}

/** 0/1 labels of a sigmoid target with `count` outputs: Int32Array as given, a Tensor thresholded at 0.5. */
export function binaryTargets(t: Target, count: number): Int32Array {
  if (t instanceof Int32Array) {
    if (t.length !== count) throw invalidRange('labels', `${count} labels (0 or 1, one per output)`, `length ${t.length}`);
    return t;
  }
  if (!(t instanceof Tensor)) throw invalidType('t', 'an Int32Array of 0/1 labels or a Tensor of values in [0, 1]', t);
  if (t.size !== count) throw invalidRange('t', `a tensor of ${count} values (one per output)`, `[${t.shape.join(', ')}]`);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = t.data[i] >= 0.5 ? 1 : 0;
  return out;
}

/**
 * The class of each sample the accuracy compares with the prediction: categorical -> class index; binary ->
 * 0/1 (one per sample). Multi-label targets have no single class (RangeError).
 */
export function targetClasses(kind: AccuracyKind, t: Target, N: number): Int32Array {
  if (kind === 'categorical') return targetLabels(t, N);
  if (kind === 'binary') return binaryTargets(t, N);
  throw invalidRange('target', 'one class per sample (a categorical or single-output sigmoid network)', 'multi-label targets');
}

/**
 * Checks every label of `labels` (from targetClasses/binaryTargets) against the network's `K` outputs per sample:
 * categorical labels in [0, K), binary and multi-label labels 0 or 1.
 * @throws {RangeError} naming t, the index and the value of the first bad label
 */
export function checkLabels(kind: AccuracyKind, labels: Int32Array, K: number): void {
  const hi = kind === 'categorical' ? K : 2;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!(v >= 0 && v < hi)) {
      throw invalidRange(`t[${i}]`, kind === 'categorical' ? `a class label in [0, ${K})` : 'a label 0 or 1', v);
    }
  }
}

/**
 * Predicted class of each of the `n` rows of the logits `y` ([n, K] or [n]): argmax (categorical), logit > 0
 * (binary); multi-label: one 0/1 per output (n·K values). A NaN row (categorical) or output (sigmoid) gives -1.
 */
export function predictedClasses(kind: AccuracyKind, y: Float32Array, n: number): Int32Array {
  const K = n === 0 ? 0 : y.length / n;
  if (kind === 'categorical') {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = argmaxRow(y, i * K, K);
    return out;
  }
  const out = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i] > 0 ? 1 : y[i] <= 0 ? 0 : -1; // NaN: -1, never correct
  return out;
}

/**
 * Correct predictions among the `n` rows of the logits `y` and how many were compared (n, or n·K for
 * multi-label): accuracy = correct / total.
 */
export function countCorrect(kind: AccuracyKind, y: Float32Array, n: number, t: Target): { correct: number; total: number } {
  const pred = predictedClasses(kind, y, n);
  const truth = kind === 'multi-label' ? binaryTargets(t, y.length) : targetClasses(kind, t, n);
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) correct++;
  return { correct, total: pred.length };
}
