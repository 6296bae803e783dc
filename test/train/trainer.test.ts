/**
 * Trainer semantics: epochs and batches, shuffling, history, per-epoch evaluation sizes, validation, class
 * weights, determinism, and train() / fit() (worker) / fit({ worker: false }) giving the same bits.
 */
import { Network } from '../../lib/nets/network';
import { MultiLayerNet } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';
import { trainGradient } from '../../lib/train/loop';
import { Trainer, fit } from '../../lib/train/trainer';
import { randomArray } from '../helpers';
import { expectSameWeights, mnistSubset, smallMlp, smallMlpExtend, weightsDiffer, weightsOf } from './fixtures';

/** Synthetic rows whose first feature is the row index, so a patched forward can tell which samples it saw. */
function indexed(n: number, d = 8, seed = 3): { x: Tensor; t: Int32Array } {
  const x = randomArray(n * d, seed);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[i * d] = i;
    t[i] = i % 3;
  }
  return { x: new Tensor(x, [n, d]), t };
}

/** Records the rows (first feature) of every training / inference forward. */
function recordForwards(net: Network): { train: number[][]; infer: number[] } {
  const rec = { train: [] as number[][], infer: [] as number[] };
  const orig = net.forward.bind(net);
  net.forward = (x: Tensor, training: boolean) => {
    const d = x.size / x.shape[0];
    const rows = Array.from({ length: x.shape[0] }, (_, i) => x.data[i * d]);
    if (training) rec.train.push(rows);
    else rec.infer.push(x.shape[0]);
    return orig(x, training);
  };
  return rec;
}

const tinyNet = (seed = 1) => new MultiLayerNet({ inputSize: 8, hiddenSizeList: [6], outputSize: 3, seed });

describe('Trainer (the book\'s common/trainer.py + extras)', () => {
  test("'epoch' sampling: every sample exactly once per epoch, a new order each epoch, a smaller last batch", () => {
    const { x, t } = indexed(23);
    const net = tinyNet();
    const rec = recordForwards(net);
    const tr = new Trainer(net, x, t, null, null, { epochs: 3, miniBatchSize: 5, seed: 7 });
    expect(tr.iterPerEpoch).toBe(5);
    const r = tr.train();
    expect(rec.train.map((b) => b.length)).toEqual([5, 5, 5, 5, 3, 5, 5, 5, 5, 3, 5, 5, 5, 5, 3]);
    const epochs = [0, 1, 2].map((e) => rec.train.slice(e * 5, e * 5 + 5).flat());
    for (const order of epochs) expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(epochs[1]).not.toEqual(epochs[2]);
    expect(r.iterations).toBe(15);
    expect(tr.trainLossList).toHaveLength(15);
    expect(r.history.loss).toHaveLength(3);
    expect(r.history.acc).toHaveLength(3);
    expect(r.history.lr).toEqual([0.01, 0.01, 0.01]); // default optimizer: the book's SGD lr 0.01
    expect(r.history.epochTimeMs).toHaveLength(3);
    expect(r.history.testAcc).toEqual([]);
    expect(r.testAcc).toBeNull();
    // the epoch loss is the size-weighted mean of its batch losses
    const l = tr.trainLossList.slice(0, 5);
    expect(r.history.loss[0]).toBeCloseTo((l[0] + l[1] + l[2] + l[3]) * 5 / 23 + l[4] * 3 / 23, 10);
  });

  test("'replacement' sampling draws full batches with replacement (the book's np.random.choice)", () => {
    const { x, t } = indexed(20);
    const net = tinyNet();
    const rec = recordForwards(net);
    new Trainer(net, x, t, null, null, { epochs: 2, miniBatchSize: 8, sampling: 'replacement' }).train();
    expect(rec.train.map((b) => b.length)).toEqual([8, 8, 8, 8, 8, 8]);
    const all = rec.train.flat();
    expect(new Set(all).size).toBeLessThan(all.length); // 48 draws from 20: repeats
    expect(all.every((i) => Number.isInteger(i) && i >= 0 && i < 20)).toBe(true);
  });

  test('evaluateSampleNumPerEpoch limits the per-epoch train/test evaluation; the final test accuracy uses all', () => {
    const { x, t } = indexed(40);
    const test = indexed(30, 8, 9);
    const net = tinyNet();
    const rec = recordForwards(net);
    const tr = new Trainer(net, x, t, test.x, test.t, { epochs: 2, miniBatchSize: 10, evaluateSampleNumPerEpoch: 12, evalBatchSize: 5 });
    const r = tr.train();
    // per epoch: 12 train rows + 12 test rows in batches of 5 (5, 5, 2); final: 30 test rows (6 × 5)
    const perEpoch = [5, 5, 2, 5, 5, 2];
    expect(rec.infer).toEqual([...perEpoch, ...perEpoch, 5, 5, 5, 5, 5, 5]);
    expect(r.history.testAcc).toHaveLength(2);
    expect(tr.testAccList).toBe(r.history.testAcc);
    expect(tr.trainAccList).toBe(r.history.acc);
    expect(r.testAcc).toBeCloseTo(net.accuracy(test.x, test.t), 12);
  });

  test('validationSplit holds out a seeded, stratified, shuffled fraction; val loss/acc per epoch', () => {
    const { x, t: t0 } = indexed(50);
    const t = Int32Array.from(t0, (_, i) => (i < 30 ? 0 : i < 40 ? 1 : 2)); // class-ordered: 30/10/10
    const net = tinyNet();
    const rec = recordForwards(net);
    const tr = new Trainer(net, x, t, null, null, { epochs: 2, miniBatchSize: 10, validationSplit: 0.2, seed: 4 });
    expect(tr.trainSize).toBe(40);
    const valRows = Array.from(tr.data.val!.x.data.filter((_, k) => k % 8 === 0));
    expect(valRows.map((i) => t[i]).sort()).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]); // every class, in proportion
    expect(Array.from(tr.data.val!.t as Int32Array)).toEqual(valRows.map((i) => t[i]));
    const again = new Trainer(tinyNet(), x, t, null, null, { validationSplit: 0.2, seed: 4 });
    expect(Array.from(again.data.val!.x.data)).toEqual(Array.from(tr.data.val!.x.data));
    const r = tr.train();
    expect(new Set([...rec.train.flat(), ...valRows]).size).toBe(50);
    expect(rec.train.flat().some((i) => valRows.includes(i))).toBe(false);
    expect(r.history.valLoss).toHaveLength(2);
    expect(r.history.valAcc).toHaveLength(2);
    expect(r.history.valLoss.every(Number.isFinite)).toBe(true);
    expect(() => new Trainer(tinyNet(), x, t, null, null, { validationSplit: 1 })).toThrow(/validationSplit/);
  });

  test('the loop\'s gradient is Network.gradient bit for bit (with and without sample weights)', () => {
    const { x, t } = mnistSubset(64, 1);
    for (const sw of [null, randomArray(64, 5, 0.5, 2)]) {
      const a = smallMlpExtend(3);
      const b = smallMlpExtend(3);
      const ga = a.gradient(x, t, sw);
      const r = trainGradient(b, x, t, 'categorical', sw);
      expect(r.loss).toBe(a.lastLoss);
      const gb = Object.fromEntries(Object.entries(b.namedParams()).map(([k, p]) => [k, p.grad.data]));
      expectSameWeights(Object.fromEntries(Object.entries(ga).map(([k, g]) => [k, g.data])), gb);
      expect(r.correct).toBeGreaterThanOrEqual(0);
      expect(r.correct).toBeLessThanOrEqual(64);
    }
  });

  test('class weights of 1 change nothing; other class weights change the result', () => {
    const { x, t, xTest, tTest } = mnistSubset(300, 100);
    const run = (classWeights?: number[]) => {
      const net = smallMlp();
      new Trainer(net, x, t, xTest, tTest, { epochs: 1, miniBatchSize: 50, classWeights }).train();
      return weightsOf(net);
    };
    const plain = run();
    expectSameWeights(run(new Array(10).fill(1)), plain);
    expect(weightsDiffer(run([5, 1, 1, 1, 1, 1, 1, 1, 1, 1]), plain)).toBe(true);
    expect(() => new Trainer(smallMlp(), x, t, null, null, { classWeights: [1, 2] })).toThrow(/classWeights: expected 10 weights/);
  });

  test('same seeds -> same weights and history; another trainer seed -> another run', () => {
    const { x, t, xTest, tTest } = mnistSubset(400, 100);
    const run = (seed: number) => {
      const net = smallMlpExtend(1);
      const r = new Trainer(net, x, t, xTest, tTest, { epochs: 2, miniBatchSize: 50, optimizer: 'adam', optimizerParam: { lr: 0.01 }, seed }).train();
      return { w: weightsOf(net), loss: r.history.loss, acc: r.history.testAcc };
    };
    const a = run(11);
    const b = run(11);
    expectSameWeights(a.w, b.w);
    expect(a.loss).toEqual(b.loss);
    expect(a.acc).toEqual(b.acc);
    expect(weightsDiffer(run(12).w, a.w)).toBe(true);
  });

  test('training learns: MNIST subset loss falls and accuracy beats chance by far', () => {
    const { x, t, xTest, tTest } = mnistSubset(1000, 500);
    const net = smallMlp();
    const tr = new Trainer(net, x, t, xTest, tTest, { epochs: 3, miniBatchSize: 50, optimizer: 'adam', optimizerParam: { lr: 0.005 } });
    const r = tr.train();
    expect(r.history.loss[2]).toBeLessThan(r.history.loss[0]);
    expect(r.testAcc!).toBeGreaterThan(0.75);
  });

  test('trainStep() runs one batch at a time and evaluates when an epoch completes', () => {
    const { x, t } = indexed(12);
    const test = indexed(6, 8, 4);
    const tr = new Trainer(tinyNet(), x, t, test.x, test.t, { epochs: 2, miniBatchSize: 4 });
    const b = tr.trainStep()!;
    expect([b.epoch, b.batch, b.batches, b.size, b.iteration]).toEqual([0, 0, 3, 4, 1]);
    tr.trainStep();
    expect(tr.history.acc).toHaveLength(0);
    tr.trainStep();
    expect(tr.history.acc).toHaveLength(1);
    expect(tr.currentEpoch).toBe(1);
    for (let i = 0; i < 3; i++) tr.trainStep();
    expect(tr.trainStep()).toBeNull(); // all epochs done
    expect(tr.history.testAcc).toHaveLength(2);
  });

  test('train() and fit() (worker thread, or this thread) produce bit-identical weights and history', async () => {
    const { x, t, xTest, tTest } = mnistSubset(600, 200);
    const opts = { epochs: 2, miniBatchSize: 64, optimizer: 'adam', optimizerParam: { lr: 0.003 }, validationSplit: 0.1, seed: 5 };
    const a = smallMlpExtend(2);
    const ra = new Trainer(a, x, t, xTest, tTest, opts).train();
    const b = smallMlpExtend(2);
    const tb = new Trainer(b, x, t, xTest, tTest, opts);
    const rb = await tb.fit();
    const c = smallMlpExtend(2);
    const rc = await new Trainer(c, x, t, xTest, tTest, opts).fit({ worker: false });
    expectSameWeights(weightsOf(b), weightsOf(a));
    expectSameWeights(weightsOf(c), weightsOf(a));
    for (const r of [rb, rc]) {
      expect(r.history.loss).toEqual(ra.history.loss);
      expect(r.history.valLoss).toEqual(ra.history.valLoss);
      expect(r.history.testAcc).toEqual(ra.history.testAcc);
      expect(r.testAcc).toBe(ra.testAcc);
      expect(r.iterations).toBe(ra.iterations);
    }
    // the optimizer and the position came back from the worker too
    expect(tb.optimizer.t).toBe(ra.iterations);
    expect(tb.trainLossList).toHaveLength(ra.iterations);
    expect(tb.currentEpoch).toBe(2);
  });

  test('the standalone fit() returns the history and the trainer', async () => {
    const { x, t, xTest, tTest } = mnistSubset(200, 100);
    const net = smallMlp();
    const r = await fit(net, x, t, { epochs: 1, miniBatchSize: 50, testData: [xTest, tTest], worker: false });
    expect(r.history.testAcc).toHaveLength(1);
    expect(r.trainer.network).toBe(net);
  });

  test('validationData is used as given ([x, t] or { x, t }) and takes precedence over validationSplit', () => {
    const { x, t } = indexed(30);
    const v = indexed(12, 8, 5);
    const net = tinyNet();
    const rec = recordForwards(net);
    const tr = new Trainer(net, x, t, null, null, { epochs: 1, miniBatchSize: 10, validationData: [v.x, v.t], validationSplit: 0.5, evalBatchSize: 12 });
    expect(tr.trainSize).toBe(30);
    const r = tr.train();
    expect(rec.infer).toEqual([12, 12, 6, 12]); // train accuracy on all 30 rows, then the 12 validation rows
    expect(r.history.valAcc).toHaveLength(1);
    const r2 = new Trainer(tinyNet(), x, t, null, null, { epochs: 1, validationData: { x: v.x, t: v.t } }).train();
    expect(r2.history.valLoss).toHaveLength(1);
  });

  test('fit() explains when the worker cannot rebuild a custom network; fit({ worker: false }) trains it', async () => {
    class Custom extends MultiLayerNet {
      override config() {
        return { type: 'MyCustomNet' };
      }
    }
    const { x, t } = indexed(20);
    const mk = () => new Custom({ inputSize: 8, hiddenSizeList: [4], outputSize: 3, seed: 1 });
    await expect(new Trainer(mk(), x, t, null, null, { epochs: 1 }).fit()).rejects.toThrow(
      /fit\(\): the worker thread rebuilds the network .*network config type: expected one of .*'MyCustomNet'.*fit\(\{ worker: false \}\)/,
    );
    const r = await new Trainer(mk(), x, t, null, null, { epochs: 1 }).fit({ worker: false });
    expect(r.iterations).toBe(1);
  });

  test('bad arguments are TypeErrors/RangeErrors naming the argument', () => {
    const { x, t } = indexed(10);
    const net = tinyNet();
    expect(() => new Trainer({} as Network, x, t, null, null)).toThrow(/network: expected a Network/);
    expect(() => new Trainer(net, x, t.subarray(0, 9), null, null)).toThrow(/training data t: expected 10 rows/);
    expect(() => new Trainer(net, x, [1, 2] as unknown as Int32Array, null, null)).toThrow(TypeError);
    expect(() => new Trainer(net, x, t, null, null, { epochs: 0 })).toThrow(/epochs/);
    expect(() => new Trainer(net, x, t, null, null, { miniBatchSize: 2.5 })).toThrow(/miniBatchSize/);
    expect(() => new Trainer(net, x, t, null, null, { optimizer: 'lbfgs' })).toThrow(/optimizer name/);
    expect(() => new Trainer(net, x, t, null, null, { sampling: 'random' as never })).toThrow(/sampling/);
    expect(() => new Trainer(net, x, t, null, null, { augment: { shift: 0.1 } })).toThrow(/augment: expected image data/);
    expect(() => new Trainer(net, x, t, null, null, { callbacks: [{ onEpochEnd: 3 } as never] })).toThrow(/callbacks\[0\]\.onEpochEnd/);
  });
});

describe('Trainer and fit options', () => {
  test('unknown keys are refused, naming the nearest known one', async () => {
    const { x, t } = indexed(10);
    expect(() => new Trainer(tinyNet(), x, t, null, null, { epoch: 3 } as never)).toThrow(
      /^Trainer options: expected options among epochs, .*, got unknown option 'epoch' \(did you mean 'epochs'\?\)$/,
    );
    const tr = new Trainer(tinyNet(), x, t, null, null, { epochs: 1 });
    await expect(tr.fit({ workers: false } as never)).rejects.toThrow(/^fit options: .*got unknown option 'workers' \(did you mean 'worker'\?\)$/);
    await expect(fit(tinyNet(), x, t, { epochs: 1, worker: false, seeds: 1 } as never)).rejects.toThrow(/did you mean 'seed'/);
  });
});
