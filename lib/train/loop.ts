/**
 * The training loop itself, without callbacks or threads: mini-batch sampling, augmentation, gradient,
 * optimizer step, per-epoch evaluation, and an exact, serializable position (`getState`/`setState`) so a run
 * can stop anywhere between two batches and continue bit-identically. `Trainer.train()` drives it on the
 * calling thread; `fit()` drives an identical copy inside a worker thread (lib/train/worker.ts).
 */
import { augmentBatch, isIdentityAugment, resolveAugmentOptions, type AugmentOptions } from '../data/augment';
import type { AugmentConfig } from '../backend/types';
import { isStreaming, type StreamingDataset } from '../data/stream/dataset';
import type { BatchRequest, Prefetcher } from '../data/stream/prefetch';
import { sampleWeightsFor } from '../data/dataset';
import { invalidRange } from '../validate';
import type { Target } from '../layers/layer';
import { countCorrect, targetClasses, type AccuracyKind } from '../metrics/accuracy';
import { MetricAccumulator, type MetricName } from '../metrics/epoch_metrics';
import type { Network } from '../nets/network';
import { Optimizer } from '../optimizers/optimizer';
import { Rng, type RngState } from '../rng';
import { Tensor } from '../tensor';
import { BatchGatherer, gatherTarget, sliceRows, sliceTarget, targetRows, type DataPair } from './data';
import { checkLoopState, historyFromJson } from './state';

/** How mini-batches are drawn: 'epoch' shuffles once per epoch and visits every sample once; 'replacement'
 * draws every batch independently with replacement (the book's np.random.choice(train_size, batch_size)). */
export type Sampling = 'epoch' | 'replacement';

/** Per-epoch results; the arrays have one entry per completed epoch (valLoss/valAcc/testAcc stay empty
 * without validation / test data). */
export interface History {
  /** Mean training loss over the epoch's batches (weighted by batch size; includes weight decay). */
  loss: number[];
  /** Training accuracy at the end of the epoch (on the first evaluateSampleNumPerEpoch samples, or all). */
  acc: number[];
  valLoss: number[];
  valAcc: number[];
  /** Test accuracy at the end of the epoch (on the first evaluateSampleNumPerEpoch samples, or all). */
  testAcc: number[];
  /** Learning rate the epoch trained with. */
  lr: number[];
  /** Wall time of the epoch, evaluation included. */
  epochTimeMs: number[];
  /**
   * The Trainer's `metrics` extras, one entry per epoch under their log names ('f1' on the training sample,
   * 'val_f1' on the validation data), as Keras' history.history; absent when the run has no `metrics`.
   */
  metrics?: Record<string, number[]>;
}

/** What `onEpochEnd` callbacks get (Keras-style snake_case keys; absent when there is nothing to measure). */
export interface EpochLogs {
  loss: number;
  acc: number;
  val_loss?: number;
  val_acc?: number;
  test_acc?: number;
  lr: number;
  time_ms: number;
  /** The Trainer's `metrics` extras: `<name>` on the training sample, `val_<name>` on the validation data. */
  [metric: string]: number | undefined;
}

/** What `onBatchEnd` callbacks get. */
export interface BatchLogs {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** The batch's training loss (the forward of the gradient step, before the update; with weight decay). */
  loss: number;
  /** The batch's training accuracy (same forward: training mode, before the update). */
  acc: number;
  /** Samples in the batch. */
  size: number;
  /** Optimizer steps done so far (this one included). */
  iteration: number;
}

/** The fixed settings of a loop (validated by the Trainer). */
export interface LoopSettings {
  epochs: number;
  miniBatchSize: number;
  sampling: Sampling;
  seed: number;
  evaluateSampleNumPerEpoch: number | null;
  evalBatchSize: number;
  augment: AugmentOptions | null;
  classWeights: Float32Array | null;
  /** Per-epoch extras (lib/metrics/epoch_metrics.ts) on the training sample and the validation data; default none. */
  metrics?: MetricName[];
}

/** The data of a loop: training pairs plus optional validation and test pairs. */
export interface LoopData {
  train: DataPair;
  val: DataPair | null;
  test: DataPair | null;
}

/** One rank's rows of a batch, ready for forward: inputs (augmented), targets, sample weights. */
export interface LocalBatch {
  x: Tensor;
  t: Target;
  sw: Float32Array | null;
  kind: AccuracyKind;
}

/** Every rank's augmentation and dropout stream positions (data-parallel runs; saved by rank 0). */
export interface ParallelStreams {
  size: number;
  streams: { augRng: RngState; netRng: RngState }[];
}

/**
 * What data-parallel training changes in the loop (lib/dist/parallel.ts implements it): which rows of a batch
 * this rank trains on, how its gradient becomes the global batch's, how evaluation is split and reduced.
 */
export interface LoopParallel {
  readonly rank: number;
  readonly size: number;
  /** Called once: the loop's augmentation and the network's dropout streams, to derive per-rank streams. */
  attach(rngs: { aug: Rng; net: Rng }): void;
  /** This rank's rows of a global batch. */
  shard(idx: Int32Array): Int32Array;
  /** Forward/backward of this rank's rows (null: none), gradients summed over the ranks into every Param.grad;
   * returns the loss and the accuracy counts of the whole global batch of `globalSize` rows. With `stepper`, it also
   * makes this step's optimizer update (calling it once the gradients are final, then the function it returns with
   * every parameter's name), so that parts of it can run while the last sums are still travelling. */
  gradient(local: LocalBatch | null, globalSize: number, stepper?: () => (names: Iterable<string>) => void): { loss: number; correct: number; total: number };
  /** This rank's rows [lo, hi) of an evaluation over n rows. */
  evalRange(n: number): [number, number];
  /** (correct, total, loss sum) summed over the ranks. */
  reduceEval(correct: number, total: number, lossSum: number): [number, number, number];
  /** Called at the start of endEpoch (collective). */
  epochEnd(epoch: number): void;
  /** Every rank's stream positions, for getState (null before the first exchange). */
  streams(): ParallelStreams | null;
  /** Restores this rank's streams from a saved state (undefined: a single-process checkpoint). */
  restore(saved: ParallelStreams | undefined): void;
}

/** The exact position of a loop, JSON-serializable: with the weights and optimizer state it resumes a run. */
export interface LoopState {
  version: 1;
  /** The settings it was made with, checked on resume. */
  trainSize: number;
  miniBatchSize: number;
  sampling: Sampling;
  seed: number;
  epochs: number;
  /** Next epoch to run (0-based) and next batch within it. */
  epoch: number;
  batch: number;
  iteration: number;
  /** Sampling Rng now, and before the current epoch's permutation was drawn (null at an epoch boundary). */
  rng: RngState;
  permRng: RngState | null;
  augRng: RngState;
  /** The network's Rng (dropout masks). */
  netRng: RngState;
  lr: number;
  initialLr: number;
  epochLossSum: number;
  epochSamples: number;
  history: History;
  trainLossList: number[];
  /** Data-parallel runs: every rank's streams (augRng/netRng above are rank 0's). */
  parallel?: ParallelStreams;
}

export function emptyHistory(): History {
  return { loss: [], acc: [], valLoss: [], valAcc: [], testAcc: [], lr: [], epochTimeMs: [] };
}

function copyHistory(h: History): History {
  return {
    loss: [...h.loss], acc: [...h.acc], valLoss: [...h.valLoss], valAcc: [...h.valAcc], testAcc: [...h.testAcc],
    lr: [...h.lr], epochTimeMs: [...h.epochTimeMs],
    ...(h.metrics ? { metrics: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, [...v]])) } : {}),
  };
}

/** Seed of the augmentation stream: independent of the sampling stream of the same seed. */
function augSeed(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}

/**
 * One training run's loop. Not for direct use: see Trainer (train/fit).
 */
export class TrainLoop {
  readonly stepsPerEpoch: number;
  readonly trainSize: number;
  epoch = 0;
  batch = 0;
  iteration = 0;
  lr: number;
  initialLr: number;
  history: History = emptyHistory();
  /** Every batch's loss, in order (the book's train_loss_list). */
  trainLossList: number[] = [];
  private rng: Rng;
  private permRng: RngState | null = null;
  private perm: Int32Array | null = null;
  private readonly augRng: Rng;
  private epochLossSum = 0;
  private epochSamples = 0;
  private epochStart = 0;
  private readonly gatherer: BatchGatherer | null;
  private idxBuf: Int32Array;
  /** The network's accuracy definition (lib/metrics/accuracy.ts), fixed for the run. */
  readonly accKind: AccuracyKind;
  /** Outputs per sample (K). */
  private readonly outputs: number;
  /** Data-parallel hooks (null: one process); set with useParallel. */
  parallel: LoopParallel | null = null;
  /** Where streaming inputs come from (lib/data/stream): set with useStream while a run has streaming data. */
  private stream: Prefetcher | null = null;
  /** The resolved augmentation (streaming: applied in the decode workers). */
  private readonly augCfg: AugmentConfig | null;
  /** Evaluation passes so far (names prefetched evaluation batches). */
  private evalPass = 0;

  constructor(
    readonly network: Network,
    readonly optimizer: Optimizer,
    readonly data: LoopData,
    readonly settings: LoopSettings,
  ) {
    this.trainSize = targetRows(data.train.t);
    const { miniBatchSize, sampling } = settings;
    this.stepsPerEpoch = Math.max(1, Math.ceil(this.trainSize / miniBatchSize));
    this.rng = new Rng(settings.seed);
    this.augRng = new Rng(augSeed(settings.seed));
    this.gatherer = isStreaming(data.train.x) ? null : new BatchGatherer({ x: data.train.x, t: data.train.t });
    this.augCfg = settings.augment ? resolveAugmentOptions(settings.augment) : null;
    this.idxBuf = new Int32Array(sampling === 'replacement' ? miniBatchSize : 0);
    this.lr = this.initialLr = optimizer.lr;
    this.accKind = network.accuracyKind;
    this.outputs = network.outputShape().slice(1).reduce((a, b) => a * b, 1);
  }

  /** True when some data of this loop is a StreamingDataset (read through useStream's prefetcher). */
  get streaming(): boolean {
    const { train, val, test } = this.data;
    return isStreaming(train.x) || (val !== null && isStreaming(val.x)) || (test !== null && isStreaming(test.x));
  }

  /** Streaming inputs are read through `p` from now on (null: detach). */
  useStream(p: Prefetcher | null): void {
    this.stream = p;
  }

  /** The prefetcher in use (for instrumentation). */
  get prefetcher(): Prefetcher | null {
    return this.stream;
  }

  /** Makes this loop one rank of a data-parallel run (before the first step). */
  useParallel(p: LoopParallel): void {
    this.parallel = p;
    p.attach({ aug: this.augRng, net: this.network.rng });
  }

  get finished(): boolean {
    return this.epoch >= this.settings.epochs;
  }

  get atEpochStart(): boolean {
    return this.batch === 0;
  }

  setLearningRate(lr: number): void {
    this.optimizer.setLearningRate(lr);
    this.lr = lr;
  }

  /** One mini-batch: sample, augment, gradient, update. */
  step(): BatchLogs {
    const { network: net, settings } = this;
    const n = this.trainSize;
    if (this.batch === 0) {
      this.epochLossSum = 0;
      this.epochSamples = 0;
      this.epochStart = Date.now();
      if (settings.sampling === 'epoch') {
        this.permRng = this.rng.getState();
        this.perm = this.rng.permutation(n);
      }
    } else if (this.epochStart === 0) {
      this.epochStart = Date.now(); // resumed mid-epoch
    }
    let idx: Int32Array;
    let size: number;
    if (settings.sampling === 'epoch') {
      const start = this.batch * settings.miniBatchSize;
      size = Math.min(settings.miniBatchSize, n - start);
      idx = this.perm!.subarray(start, start + size);
    } else {
      size = settings.miniBatchSize;
      idx = this.idxBuf;
      for (let i = 0; i < size; i++) idx[i] = this.rng.int(n);
    }
    const kind = this.accKind;
    let loss: number;
    let correct: number;
    let total: number;
    // the optimizer runs on the network's backend, not the process default
    if (this.parallel) {
      const mine = this.parallel.shard(idx); // this rank's rows of the global batch
      const opt = this.optimizer;
      // data-parallel: the step is made bucket by bucket as the sums come in (unless a subclass has its own step)
      const split = opt.step === Optimizer.prototype.step;
      const stepper = split ? () => opt.stepper(net.namedParams(), undefined, net.backend) : undefined;
      ({ loss, correct, total } = this.parallel.gradient(mine.length > 0 ? this.localBatch(mine) : null, size, stepper));
      if (!split) opt.step(net.namedParams(), undefined, net.backend);
    } else {
      const b = this.localBatch(idx.subarray(0, size));
      ({ loss, correct, total } = trainGradient(net, b.x, b.t, kind, b.sw));
      this.optimizer.step(net.namedParams(), undefined, net.backend);
    }
    this.epochLossSum += loss * size;
    this.epochSamples += size;
    this.trainLossList.push(loss);
    const logs: BatchLogs = {
      epoch: this.epoch, batch: this.batch, batches: this.stepsPerEpoch, loss, acc: correct / total, size, iteration: ++this.iteration,
    };
    this.batch++;
    return logs;
  }

  /** The rows `idx` gathered and augmented, with the sample weights of classWeights. */
  private localBatch(idx: Int32Array): LocalBatch {
    const { settings, network: net } = this;
    const n = idx.length;
    if (isStreaming(this.data.train.x)) return this.streamBatch(this.data.train.x, idx);
    const { x, t } = this.gatherer!.gather(idx, n);
    const xb = settings.augment ? augmentBatch(x, settings.augment, this.augRng, net.backend) : x;
    const sw = settings.classWeights ? sampleWeightsFor(targetClasses(this.accKind, t, n), settings.classWeights) : null;
    return { x: xb, t, sw, kind: this.accKind };
  }

  /**
   * A training batch of a streaming dataset: the same rows and the same augmentation stream as the in-memory path
   * (augmentBatch draws one stream per batch, and so does this), prepared by the decode workers; the requests of
   * the next batches of the epoch go out first, so they are decoded while this one trains.
   */
  private streamBatch(ds: StreamingDataset, idx: Int32Array): LocalBatch {
    if (!this.stream) throw new Error('TrainLoop: streaming data without decode workers (the Trainer starts them for train()/fit())');
    const n = idx.length;
    const req = (b: number, rows: ArrayLike<number>, counter: number | null): BatchRequest => ({
      key: `train:${this.epoch}:${b}`,
      files: Array.from(rows, (i) => ds.files[i]),
      spec: ds.spec,
      aug: counter === null ? null : { cfg: this.augCfg!, seed: this.augRng.seed, counter, chw: ds.shape.slice(1) },
    });
    let counter: number | null = null;
    const augOn = this.augCfg !== null && !isIdentityAugment(this.augCfg);
    if (this.augCfg) counter = this.augRng.nextStream().counter; // one stream per batch, as augmentBatch
    const ahead: BatchRequest[] = [];
    const bs = this.settings.miniBatchSize;
    let future: Rng | null = null;
    for (let j = 1; j <= this.stream.depth && this.batch + j < this.stepsPerEpoch; j++) {
      const b = this.batch + j;
      let rows: ArrayLike<number>;
      if (this.settings.sampling === 'epoch') {
        rows = this.perm!.subarray(b * bs, Math.min(this.trainSize, (b + 1) * bs));
      } else {
        if (!future) {
          future = new Rng(0);
          future.setState(this.rng.getState());
        }
        const r = new Int32Array(bs);
        for (let i = 0; i < bs; i++) r[i] = future.int(this.trainSize);
        rows = r;
      }
      ahead.push(req(b, rows, augOn ? (counter! + j) >>> 0 : null));
    }
    const data = this.stream.take(req(this.batch, idx, augOn ? counter : null), ahead);
    const x = new Tensor(data, [n, ...ds.shape.slice(1)]);
    const t = gatherTarget(this.data.train.t, idx);
    const sw = this.settings.classWeights ? sampleWeightsFor(targetClasses(this.accKind, t, n), this.settings.classWeights) : null;
    return { x, t, sw, kind: this.accKind };
  }

  /** Rows [s, s + n) of a pair's inputs: a view in memory, or read through the prefetcher (the next ranges asked ahead). */
  private evalRows(x: Tensor | StreamingDataset, s: number, n: number, end: number, bs: number, pass: number): Tensor {
    if (!isStreaming(x)) return sliceRows(x, s, s + n);
    if (!this.stream) throw new Error('TrainLoop: streaming data without decode workers (the Trainer starts them for train()/fit())');
    const req = (a: number, m: number): BatchRequest => ({ key: `eval:${pass}:${a}`, files: x.files.slice(a, a + m), spec: x.spec, aug: null });
    const ahead: BatchRequest[] = [];
    for (let a = s + n, j = 0; a < end && j < this.stream.depth; a += bs, j++) ahead.push(req(a, Math.min(bs, end - a)));
    return new Tensor(this.stream.take(req(s, n), ahead), [n, ...x.shape.slice(1)]);
  }

  /** True when every batch of the current epoch has run (endEpoch is due). */
  get epochComplete(): boolean {
    return this.batch >= this.stepsPerEpoch;
  }

  /**
   * Runs the rest of the current epoch's batches, calling onBatch after each; returns early (false) when
   * shouldStop() turns true after a batch that did not finish the epoch.
   */
  runEpoch(onBatch: (b: BatchLogs) => void, shouldStop: () => boolean): boolean {
    while (!this.epochComplete) {
      onBatch(this.step());
      if (!this.epochComplete && shouldStop()) return false;
    }
    return true;
  }

  /** Evaluates (train sample, validation, test), records the epoch in the history and moves to the next. */
  endEpoch(): EpochLogs {
    if (!this.epochComplete) throw new Error('TrainLoop.endEpoch: the epoch has batches left');
    const { settings, data } = this;
    this.parallel?.epochEnd(this.epoch);
    const k = settings.evaluateSampleNumPerEpoch;
    const h = this.history;
    const tr = this.evaluate(data.train, k, false, true);
    const logs: EpochLogs = {
      loss: this.epochSamples > 0 ? this.epochLossSum / this.epochSamples : NaN,
      acc: tr.acc,
      lr: this.lr,
      time_ms: 0,
    };
    Object.assign(logs, tr.metrics);
    if (data.val) {
      const v = this.evaluate(data.val, null, true, true);
      logs.val_loss = v.loss;
      logs.val_acc = v.acc;
      for (const [m, val] of Object.entries(v.metrics)) logs[`val_${m}`] = val;
      h.valLoss.push(v.loss);
      h.valAcc.push(v.acc);
    }
    if (data.test) {
      logs.test_acc = this.evaluate(data.test, k, false).acc;
      h.testAcc.push(logs.test_acc);
    }
    logs.time_ms = Date.now() - this.epochStart;
    h.loss.push(logs.loss);
    h.acc.push(logs.acc);
    h.lr.push(logs.lr);
    h.epochTimeMs.push(logs.time_ms);
    for (const m of settings.metrics ?? []) {
      for (const k of [m, `val_${m}`]) {
        const v = logs[k];
        if (typeof v === 'number') ((h.metrics ??= {})[k] ??= []).push(v);
      }
    }
    this.epoch++;
    this.batch = 0;
    this.perm = null;
    this.permRng = null;
    this.epochStart = 0;
    return logs;
  }

  /** Accuracy on the whole test set (the book's final test accuracy); null without test data. */
  finalTestAccuracy(): number | null {
    return this.data.test ? this.evaluate(this.data.test, null, false).acc : null;
  }

  /**
   * Loss and accuracy of the network in inference mode on the first `limit` rows (all when null), in batches of
   * evalBatchSize. The loss (only when `withLoss`) is the mean per-sample loss plus weight decay, unweighted.
   */
  evaluate(pair: DataPair, limit: number | null, withLoss: boolean, withMetrics = false): { loss: number; acc: number; metrics: Record<string, number> } {
    const net = this.network;
    const names = this.settings.metrics ?? [];
    const acc = withMetrics && names.length > 0 ? new MetricAccumulator(this.accKind, this.outputs, names) : null;
    const N = Math.min(targetRows(pair.t), limit ?? Infinity);
    const bs = this.settings.evalBatchSize;
    const kind = this.accKind;
    let correct = 0;
    let total = 0;
    let lossSum = 0;
    // data-parallel: this rank's rows, then the sums reduced; with per-epoch metrics (their state is not a sum)
    // every rank evaluates every row instead
    const split = this.parallel !== null && acc === null;
    const [lo, hi] = split ? this.parallel!.evalRange(N) : [0, N];
    const pass = this.evalPass++;
    for (let s = lo; s < hi; s += bs) {
      const n = Math.min(bs, hi - s);
      const xb = this.evalRows(pair.x, s, n, hi, bs, pass);
      const tb = sliceTarget(pair.t, s, s + n);
      const y = net.forward(xb, false);
      const r = countCorrect(kind, y.data, n, tb);
      correct += r.correct;
      total += r.total;
      acc?.add(y.data, n, tb);
      if (withLoss) lossSum += net.lossLayer.forwardLoss(y, tb, false) * n;
    }
    if (split) [correct, total, lossSum] = this.parallel!.reduceEval(correct, total, lossSum);
    return {
      loss: N > 0 ? lossSum / N + net.weightDecayLoss() : NaN, acc: total > 0 ? correct / total : NaN, metrics: acc ? acc.result() : {},
    };
  }

  /** The exact position (a deep copy). */
  getState(): LoopState {
    const s = this.settings;
    return {
      version: 1,
      trainSize: this.trainSize,
      miniBatchSize: s.miniBatchSize,
      sampling: s.sampling,
      seed: s.seed,
      epochs: s.epochs,
      epoch: this.epoch,
      batch: this.batch,
      iteration: this.iteration,
      rng: this.rng.getState(),
      permRng: this.permRng ? { ...this.permRng } : null,
      augRng: this.augRng.getState(),
      netRng: this.network.rng.getState(),
      lr: this.lr,
      initialLr: this.initialLr,
      epochLossSum: this.epochLossSum,
      epochSamples: this.epochSamples,
      history: copyHistory(this.history),
      trainLossList: [...this.trainLossList],
      ...(this.parallel?.streams() ? { parallel: this.parallel.streams()! } : {}),
    };
  }

  /**
   * Moves to a saved position. The weights and optimizer state are restored separately (they are not part of
   * the loop state); the number of epochs may differ (to train longer), the data layout may not.
   * @throws {RangeError} a field of the wrong type or range, or inconsistent with the others (lib/train/state.ts),
   *   or the state was saved with another training-set size, batch size, sampling or seed
   */
  setState(st: LoopState): void {
    const s = this.settings;
    checkLoopState(st); // every field, before anything changes
    const same: [string, unknown, unknown][] = [
      ['trainSize', st.trainSize, this.trainSize],
      ['miniBatchSize', st.miniBatchSize, s.miniBatchSize],
      ['sampling', st.sampling, s.sampling],
      ['seed', st.seed, s.seed],
    ];
    for (const [k, saved, now] of same) {
      if (saved !== now) throw invalidRange(`training state ${k}`, `${String(now)} (this trainer's setting)`, `${String(saved)} (saved)`);
    }
    if (this.parallel && st.parallel && st.parallel.size !== this.parallel.size) {
      throw invalidRange('training state', `a run of ${this.parallel.size} ranks (this job's world size)`, `a checkpoint of ${st.parallel.size} ranks; resume with mpirun -np ${st.parallel.size}`);
    }
    if (st.batch > 0 && st.sampling === 'epoch') {
      if (!st.permRng) throw invalidRange('training state permRng', 'the sampling state before the epoch permutation', 'null');
      this.rng.setState(st.permRng);
      this.perm = this.rng.permutation(this.trainSize);
      this.permRng = { ...st.permRng };
    } else {
      this.perm = null;
      this.permRng = null;
    }
    this.rng.setState(st.rng);
    this.augRng.setState(st.augRng);
    this.network.rng.setState(st.netRng);
    this.parallel?.restore(st.parallel);
    this.epoch = st.epoch;
    this.batch = st.batch;
    this.iteration = st.iteration;
    this.lr = st.lr;
    this.initialLr = st.initialLr;
    this.epochLossSum = st.epochLossSum;
    this.epochSamples = st.epochSamples;
    this.epochStart = 0;
    this.history = historyFromJson(st.history);
    this.trainLossList = [...st.trainLossList];
  }
}

/**
 * Network.gradient(x, t, sw) from its pieces (forward, loss, Network.backward), so the training forward's logits
 * can also be counted: returns the loss (also kept in net.lastLoss) and the number of correct predictions.
 * test/train/trainer.test.ts checks it matches gradient() bit for bit.
 */
export function trainGradient(
  net: Network, x: Tensor, t: Target, kind: AccuracyKind, sw: Float32Array | null,
): { loss: number; correct: number; total: number } {
  const y = net.forward(x, true);
  const { correct, total } = countCorrect(kind, y.data, x.shape[0], t);
  net.lastLoss = net.lossLayer.forwardLoss(y, t, true, sw) + net.weightDecayLoss();
  net.backward();
  return { loss: net.lastLoss, correct, total };
}
