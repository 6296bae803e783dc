/**
 * lib/metrics against scikit-learn: test/fixtures/metrics/sklearn.json was written once by
 * scripts/sklearn-fixtures.py with Debian's python3-sklearn (confusion_matrix, precision_recall_fscore_support
 * with zero_division=0, accuracy_score, roc_auc_score with ties). Also evaluate() on a network agrees with the
 * metrics of its own predictions, and with Network.accuracy.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Affine, Relu, SigmoidWithLoss, SoftmaxWithLoss } from '../../lib/layers';
import { averages, classStats, confusionMatrix, rocAuc } from '../../lib/metrics/classification';
import { Sequential } from '../../lib/nets';
import { blobs } from '../helpers';

interface Case {
  yTrue: number[]; yPred: number[]; classes: number; accuracy: number; confusion: number[][];
  precision: number[]; recall: number[]; f1: number[]; support: number[];
  macro: { precision: number; recall: number; f1: number }; weighted: { precision: number; recall: number; f1: number };
}
const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'metrics', 'sklearn.json'), 'utf8')) as {
  classification: Case[]; rocAuc: { yTrue: number[]; scores: number[]; auc: number }[];
};

const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));

describe('classification metrics = scikit-learn', () => {
  test.each(fx.classification.map((c, i) => [i, c] as const))('case %i: confusion matrix, precision/recall/F1/support, averages', (_i, c) => {
    const m = confusionMatrix(Int32Array.from(c.yTrue), Int32Array.from(c.yPred), c.classes);
    expect(m).toEqual(c.confusion);
    const s = classStats(m);
    close(s.precision, c.precision);
    close(s.recall, c.recall);
    close(s.f1, c.f1);
    expect(s.support).toEqual(c.support);
    for (const k of ['precision', 'recall', 'f1'] as const) {
      const a = averages(s[k], s.support);
      expect(a.macro).toBeCloseTo(c.macro[k], 12);
      expect(a.weighted).toBeCloseTo(c.weighted[k], 12);
    }
  });

  test.each(fx.rocAuc.map((c, i) => [i, c] as const))('ROC AUC case %i (ties included)', (_i, c) => {
    expect(rocAuc(Int32Array.from(c.yTrue), c.scores)).toBeCloseTo(c.auc, 12);
  });

  test('ROC AUC is null with one class present; bad labels are refused', () => {
    expect(rocAuc(Int32Array.from([1, 1]), [0.2, 0.3])).toBeNull();
    expect(() => rocAuc(Int32Array.from([0, 2]), [0.2, 0.3])).toThrow(/yTrue\[1\]: expected a binary label/);
    expect(() => confusionMatrix(Int32Array.from([0, 3]), Int32Array.from([0, 0]), 3)).toThrow(/yTrue\[1\]/);
  });
});

describe('Network.evaluate', () => {
  test('softmax: accuracy, confusion of predictClasses, loss = Network.loss in inference mode', () => {
    const { x, t } = blobs(150, 1, 3, 0.7);
    const net = new Sequential([new Affine(2, 8), new Relu(), new Affine(8, 3), new SoftmaxWithLoss()], { inputShape: [2], seed: 2 });
    const r = net.evaluate(x, t, { batchSize: 32 });
    expect(r.accuracy).toBe(net.accuracy(x, t));
    expect(r.confusionMatrix).toEqual(confusionMatrix(t, net.predictClasses(x), 3));
    expect(r.loss).toBeCloseTo(net.loss(x, t, false), 5);
    expect(r.rocAuc).toBeNull();
    expect(r.support.reduce((a, b) => a + b, 0)).toBe(150);
    expect(() => net.evaluate(x, t, { batch: 3 } as never)).toThrow(/unknown option 'batch'/);
  });

  test('one sigmoid output: two classes, ROC AUC of σ(logit), threshold 0.5', () => {
    const { x, t } = blobs(120, 3, 2, 0.7);
    const net = new Sequential([new Affine(2, 8), new Relu(), new Affine(8, 1), new SigmoidWithLoss()], { inputShape: [2], seed: 4 });
    const r = net.evaluate(x, t);
    expect(r.classes).toBe(2);
    expect(r.accuracy).toBe(net.accuracy(x, t));
    const p = net.predictProba(x).data;
    expect(r.rocAuc).toBeCloseTo(rocAuc(t, Array.from(p))!, 12);
    expect(r.confusionMatrix).toEqual(confusionMatrix(t, Int32Array.from(p, (v) => (v > 0.5 ? 1 : 0)), 2));
  });
});

describe('classification metrics on bad input', () => {
  test('classStats refuses negative counts; averages and rocAuc refuse lists of another length or non-finite values', () => {
    expect(() => classStats([[1, -1], [0, 1]])).toThrow(/^confusion\[0\]\[1\]: expected a count >= 0, got number -1$/);
    expect(() => averages([0.5, 1], [1])).toThrow(/^support: expected 2 numbers \(as many as values\), got length 1$/);
    expect(() => averages([0.5, Infinity], [1, 1])).toThrow(/^values\[1\]: expected a finite number/);
    expect(() => rocAuc(Int32Array.from([0, 1]), [0.5, NaN])).toThrow(/^scores\[1\]: expected a finite number/);
  });
});
