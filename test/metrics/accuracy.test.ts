/**
 * One accuracy definition everywhere (lib/metrics/accuracy.ts): a sigmoid binary network reports the accuracy
 * of thresholding its outputs by hand, in Network.accuracy, the Trainer's logs and the callbacks that monitor them;
 * several sigmoid outputs give per-label accuracy; softmax stays argmax.
 */
import { Affine, Relu, SigmoidWithLoss, SoftmaxWithLoss } from '../../lib/layers';
import { accuracyKind, countCorrect, predictedClasses } from '../../lib/metrics/accuracy';
import { Sequential } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { EarlyStopping, Trainer } from '../../lib/train';

/** 2-D points, label 1 inside a disc that holds ~1/6 of them (imbalanced, like the 0.84 majority). */
function disc(n: number, seed: number): { x: Tensor; t: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 2);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.uniform() * 2 - 1;
    const b = rng.uniform() * 2 - 1;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    t[i] = a * a + b * b < 0.2 ? 1 : 0;
  }
  return { x: new Tensor(x, [n, 2]), t };
}

function binaryNet(seed = 1): Sequential {
  return new Sequential([new Affine(2, 16), new Relu(), new Affine(16, 1), new SigmoidWithLoss()], { inputShape: [2], seed });
}

/** Accuracy by hand: σ(logit) > 0.5 against the label. */
function byHand(net: Sequential, x: Tensor, t: Int32Array): number {
  const y = net.predict(x);
  let ok = 0;
  for (let i = 0; i < t.length; i++) if ((1 / (1 + Math.exp(-y.data[i])) > 0.5 ? 1 : 0) === t[i]) ok++;
  return ok / t.length;
}

describe('accuracy definitions', () => {
  test('the kind follows the loss and the number of outputs', () => {
    expect(accuracyKind('SoftmaxWithLoss', 10)).toBe('categorical');
    expect(accuracyKind('MeanSquaredError', 3)).toBe('categorical');
    expect(accuracyKind('SigmoidWithLoss', 1)).toBe('binary');
    expect(accuracyKind('SigmoidWithLoss', 4)).toBe('multi-label');
    expect(binaryNet().accuracyKind).toBe('binary');
  });

  test('binary: logit > 0 is class 1 (probability 0.5 exactly is class 0, as Keras y_pred > 0.5)', () => {
    const y = Float32Array.from([-3, 0, 1e-6, 2]);
    expect(Array.from(predictedClasses('binary', y, 4))).toEqual([0, 0, 1, 1]);
    expect(countCorrect('binary', y, 4, Int32Array.from([0, 0, 1, 0]))).toEqual({ correct: 3, total: 4 });
    // a Tensor target is thresholded at 0.5
    expect(countCorrect('binary', y, 4, new Tensor(Float32Array.from([0.1, 0.4, 0.9, 0.49]), [4, 1]))).toEqual({ correct: 3, total: 4 });
  });

  test('multi-label: every output is compared with its own label (per-label accuracy)', () => {
    const y = Float32Array.from([1, -1, 1, /* row 2 */ -1, -1, 1]);
    const t = Int32Array.from([1, 0, 0, /* row 2 */ 0, 1, 1]);
    expect(countCorrect('multi-label', y, 2, t)).toEqual({ correct: 4, total: 6 });
  });

  test('categorical: argmax against labels or one-hot rows', () => {
    const y = Float32Array.from([0.1, 0.7, 0.2, /**/ 3, 1, 2]);
    expect(countCorrect('categorical', y, 2, Int32Array.from([1, 2]))).toEqual({ correct: 1, total: 2 });
    expect(countCorrect('categorical', y, 2, new Tensor(Float32Array.from([0, 1, 0, 1, 0, 0]), [2, 3]))).toEqual({ correct: 2, total: 2 });
  });

  test('a sigmoid binary network reports the accuracy of thresholding its outputs by hand (network, trainer logs, callbacks)', () => {
    const train = disc(600, 3);
    const val = disc(200, 4);
    const share0 = train.t.filter((v) => v === 0).length / train.t.length;
    const net = binaryNet();
    const seen: number[] = [];
    const es = new EarlyStopping({ monitor: 'val_acc', patience: 100 });
    const tr = new Trainer(net, train.x, train.t, val.x, val.t, {
      epochs: 30, miniBatchSize: 32, optimizer: 'adam', optimizerParam: { lr: 0.01 }, validationData: [val.x, val.t],
      callbacks: [es, { onEpochEnd: ({ logs }) => void seen.push(logs.val_acc!) }],
    });
    const r = tr.train();
    const handTrain = byHand(net, train.x, train.t);
    const handVal = byHand(net, val.x, val.t);
    expect(net.accuracy(train.x, train.t)).toBe(handTrain);
    expect(r.history.acc[r.history.acc.length - 1]).toBe(handTrain);
    expect(r.history.valAcc[r.history.valAcc.length - 1]).toBe(handVal);
    expect(seen[seen.length - 1]).toBe(handVal);
    expect(r.testAcc).toBe(handVal);
    // it learned the disc: far above the majority share the old argmax-of-one-column reported
    expect(handTrain).toBeGreaterThan(share0 + 0.05);
    expect(es.best).toBe(Math.max(...r.history.valAcc));
  });

  test('several sigmoid outputs: per-label accuracy in Network.accuracy and the trainer', () => {
    const { x, t: t1 } = disc(300, 5);
    // label 0: inside the disc; label 1: first coordinate positive
    const t = new Int32Array(600);
    for (let i = 0; i < 300; i++) {
      t[2 * i] = t1[i];
      t[2 * i + 1] = x.data[2 * i] > 0 ? 1 : 0;
    }
    const net = new Sequential([new Affine(2, 16), new Relu(), new Affine(16, 2), new SigmoidWithLoss()], { inputShape: [2], seed: 2 });
    expect(net.accuracyKind).toBe('multi-label');
    const r = new Trainer(net, x, new Tensor(Float32Array.from(t), [300, 2]), null, null, {
      epochs: 5, miniBatchSize: 50, optimizer: 'adam', optimizerParam: { lr: 0.01 },
    }).train();
    const y = net.predict(x);
    let ok = 0;
    for (let i = 0; i < 600; i++) if ((y.data[i] > 0 ? 1 : 0) === t[i]) ok++;
    expect(net.accuracy(x, t)).toBe(ok / 600);
    expect(r.history.acc[4]).toBe(ok / 600);
  });

  test('softmax networks keep argmax accuracy', () => {
    const { x, t } = disc(100, 6);
    const net = new Sequential([new Affine(2, 8), new Relu(), new Affine(8, 2), new SoftmaxWithLoss()], { inputShape: [2], seed: 3 });
    const y = net.predict(x);
    let ok = 0;
    for (let i = 0; i < 100; i++) if ((y.data[2 * i + 1] > y.data[2 * i] ? 1 : 0) === t[i]) ok++;
    expect(net.accuracy(x, t)).toBe(ok / 100);
  });
});
