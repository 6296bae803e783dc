/**
 * Classification metrics with scikit-learn's definitions (test/metrics/classification.test.ts compares them with
 * fixtures that scripts/sklearn-fixtures.py wrote with scikit-learn):
 *  - confusion matrix: rows = true class, columns = predicted class (sklearn.metrics.confusion_matrix);
 *  - per-class precision tp/(tp+fp), recall tp/(tp+fn), F1 2·p·r/(p+r), support = true count; a 0/0 is 0
 *    (precision_recall_fscore_support(average=None, zero_division=0)); macro = unweighted mean over classes,
 *    weighted = mean weighted by support;
 *  - ROC AUC of a binary problem from the positive class's scores, ties counted half (roc_auc_score: the area
 *    under the trapezoidal ROC curve equals this Mann–Whitney statistic).
 */
import { checkI32, checkInt, invalidRange, invalidType } from '../validate';

/** Checks `value` is an array (or typed array) of finite numbers, of length `n` when given (`what` words n). */
function checkNumberList(name: string, value: unknown, n?: number, what = ''): ArrayLike<number> {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && 'length' in value)) throw invalidType(name, 'an array of numbers', value);
  const a = value as ArrayLike<unknown>;
  if (n !== undefined && a.length !== n) throw invalidRange(name, `${n} numbers${what}`, `length ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== 'number' && typeof a[i] !== 'bigint') throw invalidType(`${name}[${i}]`, 'a number', a[i]);
    if (!Number.isFinite(Number(a[i]))) throw invalidRange(`${name}[${i}]`, 'a finite number', a[i]);
  }
  return a as ArrayLike<number>;
}

export interface ClassStats {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

/** confusion[i][j]: samples of true class i predicted as j. */
export function confusionMatrix(yTrue: Int32Array, yPred: Int32Array, numClasses: number): number[][] {
  checkI32('yTrue', yTrue);
  checkI32('yPred', yPred, yTrue.length);
  checkInt('numClasses', numClasses, 1);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const a = yTrue[i];
    const b = yPred[i];
    if (!(a >= 0 && a < numClasses)) throw invalidRange(`yTrue[${i}]`, `a class in [0, ${numClasses})`, a);
    if (!(b >= 0 && b < numClasses)) throw invalidRange(`yPred[${i}]`, `a class in [0, ${numClasses})`, b);
    m[a][b]++;
  }
  return m;
}

/**
 * Per-class precision, recall, F1 and support from a confusion matrix (0/0 counts as 0).
 *
 * @example
 * classStats([[5, 1], [2, 4]]).precision;   // [5/7, 4/5]
 * @throws {TypeError} confusion is not an array of arrays of numbers
 * @throws {RangeError} a matrix that is not square, a count that is negative or not finite
 */
export function classStats(confusion: number[][]): ClassStats {
  if (!Array.isArray(confusion)) throw invalidType('confusion', 'a square matrix (an array of rows)', confusion);
  const C = confusion.length;
  confusion.forEach((row, i) => {
    checkNumberList(`confusion[${i}]`, row, C, ' (a square matrix)');
    for (let j = 0; j < C; j++) if (row[j] < 0) throw invalidRange(`confusion[${i}][${j}]`, 'a count >= 0', row[j]);
  });
  const out: ClassStats = { precision: [], recall: [], f1: [], support: [] };
  for (let c = 0; c < C; c++) {
    const tp = confusion[c][c];
    let predicted = 0;
    let actual = 0;
    for (let k = 0; k < C; k++) {
      predicted += confusion[k][c];
      actual += confusion[c][k];
    }
    const p = predicted > 0 ? tp / predicted : 0;
    const r = actual > 0 ? tp / actual : 0;
    out.precision.push(p);
    out.recall.push(r);
    out.f1.push(p + r > 0 ? (2 * p * r) / (p + r) : 0);
    out.support.push(actual);
  }
  return out;
}

/**
 * Macro (unweighted) and support-weighted means of per-class values.
 *
 * @example
 * averages([0.5, 1], [1, 3]);   // { macro: 0.75, weighted: 0.875 }
 * @throws {TypeError} values or support is not an array of numbers
 * @throws {RangeError} a value that is not finite, support not as long as values
 */
export function averages(values: number[], support: number[]): { macro: number; weighted: number } {
  checkNumberList('values', values);
  checkNumberList('support', support, values.length, ' (as many as values)');
  const total = support.reduce((a, b) => a + b, 0);
  const macro = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  const weighted = total > 0 ? values.reduce((a, v, i) => a + v * support[i], 0) / total : 0;
  return { macro, weighted };
}

/**
 * ROC AUC of scores for 0/1 labels: P(score of a positive > score of a negative) + ½·P(equal), as
 * sklearn.metrics.roc_auc_score. null when only one class is present (sklearn raises there).
 */
export function rocAuc(yTrue: Int32Array, scores: ArrayLike<number>): number | null {
  checkI32('yTrue', yTrue);
  checkNumberList('scores', scores, yTrue.length, ' (one per label)');
  const n = yTrue.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // average ranks (1-based) over ties
  const rank = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) rank[order[k]] = r;
    i = j + 1;
  }
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (y !== 0 && y !== 1) throw invalidRange(`yTrue[${i}]`, 'a binary label 0 or 1', y);
    if (y === 1) {
      pos++;
      rankSum += rank[i];
    }
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
