/**
 * The Trainer's `metrics` option: per-epoch extras beside loss and accuracy, computed from the same inference
 * forwards as the epoch's accuracy (no second pass) and added to the epoch logs as `<name>` (training sample) and
 * `val_<name>` (validation data), so EarlyStopping / ModelCheckpoint can monitor them ('val_f1').
 *   precision, recall, f1: macro averages over classes (scikit-learn average='macro', zero_division=0);
 *                          multi-label: macro over labels;
 *   auc:                   ROC AUC of a binary problem (one sigmoid output, or two softmax outputs); NaN when the
 *                          data hold one class only, and refused up front for other networks.
 */
import { checkOneOf, invalidRange, invalidType } from '../validate';
import type { Target } from '../layers/layer';
import { binaryTargets, predictedClasses, targetClasses, type AccuracyKind } from './accuracy';
import { averages, classStats, confusionMatrix, rocAuc } from './classification';

export const METRIC_NAMES = ['precision', 'recall', 'f1', 'auc'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Checks a `metrics` option against the network's outputs. */
export function checkMetrics(v: unknown, kind: AccuracyKind, outputs: number): MetricName[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidType('metrics', `an array of metric names (${METRIC_NAMES.join(', ')})`, v);
  const names = v.map((m, i) => checkOneOf(`metrics[${i}]`, m, METRIC_NAMES));
  if (names.includes('auc') && !(kind === 'binary' || (kind === 'categorical' && outputs === 2))) {
    throw invalidRange('metrics', "'auc' only for a binary problem (one sigmoid output, or two softmax outputs)", `a network with ${outputs} outputs (${kind})`);
  }
  return [...new Set(names)];
}

/** Collects predictions of an evaluation pass batch by batch, then gives the metrics. */
export class MetricAccumulator {
  private truth: number[] = [];
  private pred: number[] = [];
  private scores: number[] = [];

  constructor(readonly kind: AccuracyKind, readonly outputs: number, readonly names: readonly MetricName[]) {}

  /** One batch: logits y ([n, K]) and its targets. */
  add(y: Float32Array, n: number, t: Target): void {
    const K = this.outputs;
    const truth = this.kind === 'multi-label' ? binaryTargets(t, n * K) : targetClasses(this.kind, t, n);
    const pred = predictedClasses(this.kind, y, n);
    for (let i = 0; i < truth.length; i++) {
      this.truth.push(truth[i]);
      this.pred.push(pred[i]);
    }
    if (this.names.includes('auc')) {
      for (let i = 0; i < n; i++) {
        // the positive class's score: the logit (σ is monotonic), or the softmax margin of class 1
        this.scores.push(this.kind === 'binary' ? y[i] : y[2 * i + 1] - y[2 * i]);
      }
    }
  }

  /** The metrics by name (prefix 'val_' etc. added by the caller). */
  result(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.truth.length === 0) return out;
    const K = this.outputs;
    let stats;
    if (this.kind === 'multi-label') {
      const p: number[] = [];
      const r: number[] = [];
      const f: number[] = [];
      const n = this.truth.length / K;
      for (let k = 0; k < K; k++) {
        const tk = Int32Array.from({ length: n }, (_, i) => this.truth[i * K + k]);
        const pk = Int32Array.from({ length: n }, (_, i) => Math.max(0, this.pred[i * K + k]));
        const s = classStats(confusionMatrix(tk, pk, 2));
        p.push(s.precision[1]);
        r.push(s.recall[1]);
        f.push(s.f1[1]);
      }
      stats = { precision: p, recall: r, f1: f, support: p.map(() => 1) };
    } else {
      const C = this.kind === 'binary' ? 2 : K;
      // a NaN output has no class (-1): counted as a wrong prediction of class 0 ... of no class; drop to keep counts
      const keep = this.pred.map((p, i) => (p < 0 ? -1 : i)).filter((i) => i >= 0);
      stats = classStats(confusionMatrix(Int32Array.from(keep, (i) => this.truth[i]), Int32Array.from(keep, (i) => this.pred[i]), C));
    }
    for (const m of this.names) {
      if (m === 'auc') {
        const a = rocAuc(Int32Array.from(this.truth), this.scores);
        out.auc = a === null ? NaN : a;
      } else {
        out[m] = averages(stats[m], stats.support).macro;
      }
    }
    return out;
  }
}
