/** classWeights with a sigmoid binary network ([w0, w1], Keras' class_weight) and the refusals around it. */
import { Affine, Relu, SigmoidWithLoss } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Tensor } from '../../lib/tensor';
import { Trainer } from '../../lib/train';

function data(n: number): { x: Tensor; t: Int32Array } {
  const rng = new Rng(7);
  const x = new Float32Array(n * 2);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = rng.uniform() * 2 - 1;
    x[2 * i + 1] = rng.uniform() * 2 - 1;
    t[i] = x[2 * i] + 0.3 * x[2 * i + 1] > 0.6 ? 1 : 0; // ~15% positives
  }
  return { x: new Tensor(x, [n, 2]), t };
}

const net = (outputs = 1) => new Sequential([new Affine(2, 8), new Relu(), new Affine(8, outputs), new SigmoidWithLoss()], { inputShape: [2], seed: 1 });

describe('classWeights with SigmoidWithLoss', () => {
  const { x, t } = data(400);
  const run = (classWeights?: number[]) => {
    const n = net();
    new Trainer(n, x, t, null, null, { epochs: 3, miniBatchSize: 40, optimizer: 'adam', optimizerParam: { lr: 0.01 }, classWeights }).train();
    return n;
  };
  const positives = (n: Sequential) => n.predictClasses(x).reduce((a, b) => a + b, 0);

  test('[1, 1] changes nothing; a heavier positive class predicts more positives', () => {
    const plain = run();
    const ones = run([1, 1]);
    expect(Array.from(ones.namedParams().W1.value.data)).toEqual(Array.from(plain.namedParams().W1.value.data));
    const heavy = run([1, 8]);
    expect(positives(heavy)).toBeGreaterThan(positives(plain));
  });

  test('the loss of a batch is the per-sample weighted loss', () => {
    const n = net();
    const tr = new Trainer(n, x, t, null, null, { epochs: 1, miniBatchSize: 400, sampling: 'epoch', classWeights: [0.5, 3] });
    const w = Float32Array.from(t, (c) => (c === 1 ? 3 : 0.5));
    // the batch is a permutation of all 400 samples: a permutation-invariant loss
    const expected = n.loss(x, t, true, w);
    const b = tr.trainStep()!;
    expect(b.loss).toBeCloseTo(expected, 5);
  });

  test('refused: the wrong count, or several sigmoid outputs', () => {
    expect(() => new Trainer(net(), x, t, null, null, { classWeights: [1, 2, 3] })).toThrow(/classWeights: expected 2 weights \(one per class: \[negative, positive\]\), got 3/);
    const t2 = new Tensor(new Float32Array(800), [400, 2]);
    expect(() => new Trainer(net(2), x, t2, null, null, { classWeights: [1, 2] })).toThrow(/classWeights: expected a network with one class per sample/);
  });
});
