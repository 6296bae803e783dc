/**
 * Resume exactness: a run interrupted (at an epoch boundary or mid-epoch), saved, loaded into a fresh network
 * and trainer and continued ends with bit-identical weights, optimizer state and history to the uninterrupted
 * run — with dropout and batch norm (the network's Rng and buffers), augmentation (the augmentation Rng), both
 * samplings, and through fit() in a worker.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { saveModel } from '../../lib/io/model';
import type { Network } from '../../lib/nets/network';
import { LambdaCallback } from '../../lib/train/callbacks';
import type { TrainResult } from '../../lib/train/trainer';
import { Trainer, type TrainerOptions } from '../../lib/train/trainer';
import { expectSameWeights, mnistSubset, smallConv, smallMlpExtend, weightsOf } from './fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-resume-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const flat = mnistSubset(240, 60);
const images = mnistSubset(120, 30, 'images');

type Setup = { data: typeof flat; make: (seed: number) => Network; opts: TrainerOptions };

const mlp: Setup = {
  data: flat,
  make: smallMlpExtend,
  opts: { epochs: 2, miniBatchSize: 50, optimizer: 'adam', optimizerParam: { lr: 0.005 }, seed: 3, validationSplit: 0.1 },
};
const conv: Setup = {
  data: images,
  make: smallConv,
  opts: { epochs: 2, miniBatchSize: 40, optimizer: 'momentum', optimizerParam: { lr: 0.02 }, seed: 8, augment: { shift: 0.1, rotation: 8, brightness: 0.05 } },
};

function newTrainer(s: Setup, net: Network, extra: TrainerOptions = {}): Trainer {
  const { x, t, xTest, tTest } = s.data;
  return new Trainer(net, x, t, xTest, tTest, { ...s.opts, ...extra });
}

/** Stops the run once `iteration` batches are done. */
const stopAfter = (iteration: number) => new LambdaCallback({ onBatchEnd: (b, tr) => { if (b.iteration === iteration) tr.stop(); } });

function expectSameRun(a: Trainer, ra: TrainResult, b: Trainer, rb: TrainResult): void {
  expectSameWeights(weightsOf(b.network), weightsOf(a.network));
  const oa = a.optimizer.getState();
  const ob = b.optimizer.getState();
  expect(ob.t).toBe(oa.t);
  for (const k of Object.keys(oa.slots)) expectSameWeights(ob.slots[k], oa.slots[k]);
  const { epochTimeMs: _ta, ...ha } = ra.history;
  const { epochTimeMs: _tb, ...hb } = rb.history;
  expect(hb).toEqual(ha);
  expect(b.trainLossList).toEqual(a.trainLossList);
  expect(rb.testAcc).toBe(ra.testAcc);
  expect(rb.iterations).toBe(ra.iterations);
  expect(b.network.rng.getState()).toEqual(a.network.rng.getState());
}

describe('resume continues exactly', () => {
  const cases: [string, Setup, number][] = [
    ['MLP with dropout + batch norm, at an epoch boundary', mlp, 5],
    ['MLP with dropout + batch norm, mid-epoch', mlp, 7],
    ['conv net with augmentation, mid-epoch', conv, 4],
  ];

  test.each(cases)('%s', (_name, s, stopAt) => {
    const a = newTrainer(s, s.make(1));
    const ra = a.train();

    const file = path.join(tmp, `ck-${stopAt}.safetensors`);
    const first = newTrainer(s, s.make(1), { callbacks: [stopAfter(stopAt)] });
    const r1 = first.train();
    expect(r1.stopped).toBe(true);
    expect(r1.iterations).toBe(stopAt);
    first.saveCheckpoint(file);

    const b = newTrainer(s, s.make(77)); // another init: everything must come from the checkpoint
    b.resume(file);
    expect(b.currentIter).toBe(stopAt);
    const rb = b.train();
    expectSameRun(a, ra, b, rb);
  });

  test("'replacement' sampling resumes exactly", () => {
    const s: Setup = { ...mlp, opts: { ...mlp.opts, sampling: 'replacement' } };
    const a = newTrainer(s, s.make(1));
    const ra = a.train();
    const file = path.join(tmp, 'ck-repl.safetensors');
    const first = newTrainer(s, s.make(1), { callbacks: [stopAfter(3)] });
    first.train();
    first.saveCheckpoint(file);
    const b = newTrainer(s, s.make(5));
    b.resume(file);
    expectSameRun(a, ra, b, b.train());
  });

  test('fit({ resumeFrom }) in a worker continues exactly, and can train longer than the saved run', async () => {
    const s = mlp;
    const a = newTrainer(s, s.make(1), { epochs: 3 });
    const ra = a.train();
    const file = path.join(tmp, 'ck-fit.safetensors');
    const first = newTrainer(s, s.make(1)); // 2 epochs
    await first.fit();
    first.saveCheckpoint(file);
    const b = newTrainer(s, s.make(2), { epochs: 3 });
    const rb = await b.fit({ resumeFrom: file });
    expectSameRun(a, ra, b, rb);
  });

  test('a checkpoint that does not fit this trainer is a RangeError naming what differs', () => {
    const file = path.join(tmp, 'ck-mismatch.safetensors');
    const first = newTrainer(mlp, mlp.make(1), { epochs: 1 });
    first.train();
    first.saveCheckpoint(file);
    expect(() => newTrainer(mlp, mlp.make(1), { miniBatchSize: 25 }).resume(file)).toThrow(/training state miniBatchSize: expected 25/);
    expect(() => newTrainer(mlp, mlp.make(1), { optimizer: 'sgd' }).resume(file)).toThrow(/checkpoint optimizer: expected 'sgd'/);
    expect(() => newTrainer(conv, conv.make(1)).resume(file)).toThrow(/checkpoint: expected a SimpleConvNet/);
    const plain = path.join(tmp, 'plain.safetensors');
    saveModel(mlp.make(1), plain);
    expect(() => newTrainer(mlp, mlp.make(1)).resume(plain)).toThrow(/a training checkpoint/);
    // a failed resume changes nothing
    const t = newTrainer(mlp, mlp.make(1), { miniBatchSize: 25 });
    const before = weightsOf(t.network);
    expect(() => t.resume(file)).toThrow(RangeError);
    expectSameWeights(weightsOf(t.network), before);
    expect(t.currentIter).toBe(0);
  });
});
