/**
 * The Trainer: the book's common/trainer.py (epochs, mini-batches, an optimizer by name, per-epoch train/test
 * accuracy, the final test accuracy) plus what Keras' fit adds (validation data, callbacks, learning-rate
 * schedules, class weights, augmentation, exact resume), driven two ways:
 *  - `train()`: synchronous, on the calling thread, like the book;
 *  - `fit()`: asynchronous; the loop runs in a worker thread and the calling thread's event loop stays free
 *    (see lib/train/remote.ts). Both give bit-identical results.
 *
 * Where it differs from the book's Trainer: accuracies are measured at the END of each epoch (the book measures
 * after the first batch of each epoch, so its first entry is near chance); batches are a fresh shuffle per epoch
 * unless `sampling: 'replacement'`; an epoch has ceil(N / batch) batches, the last one smaller; the per-batch loss
 * is the one of the gradient's own forward (before the update; the book runs a second forward after it);
 * `verbose` prints one line per epoch (default off), not every batch's loss.
 */
import type { Target } from '../layers/layer';
import { accuracyLabel } from '../metrics/accuracy';
import { Network } from '../nets/network';
import type { Optimizer } from '../optimizers';
import type { Tensor } from '../tensor';
import type { StreamingDataset } from '../data/stream/dataset';
import { checkNumber, checkOptions, invalidRange, invalidType } from '../validate';
import type { Callback, TrainerControl } from './callbacks';
import { restoreTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint';
import type { DataPair } from './data';
import { localEngine, yieldingEngine, type Engine } from './engines';
import { TrainLoop, type BatchLogs, type EpochLogs, type History, type LoopSettings, type LoopState } from './loop';
import { FIT_OPTION_KEYS, resolveTrainerOptions, type FitOptions, type TrainerOptions, type TrainResult } from './options';
import { RemoteEngine } from './remote';
import { DecodePool } from '../data/stream/pool';
import { Prefetcher } from '../data/stream/prefetch';
import { isStreaming } from '../data/stream/dataset';
import { makeParallel, type DataParallel } from '../dist';
import type { LrSchedule } from './schedules';

export type { FitOptions, TrainerOptions, TrainResult } from './options';

/** A value the driver waits for, and who produced it (for the message when train() gets a Promise). */
interface Wait {
  value: unknown;
  what: string;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

/**
 * Trains a network on mini-batches, the book's Trainer plus callbacks, validation, schedules and resume.
 *
 * @example
 * const { train, test } = loadMnist({ flatten: false });
 * const net = new SimpleConvNet({ seed: 1 });
 * const trainer = new Trainer(net, train.images, train.labels, test.images, test.labels, {
 *   epochs: 20, miniBatchSize: 100, optimizer: 'adam', optimizerParam: { lr: 0.001 },
 *   evaluateSampleNumPerEpoch: 1000, callbacks: [new EarlyStopping({ monitor: 'test_acc', patience: 3 })],
 * });
 * trainer.train();                          // synchronous, like the book
 * const r = await trainer.fit();            // or: in a worker thread, the event loop stays free
 * @throws {TypeError|RangeError} bad data (shapes, row counts) or options, naming the argument
 */
export class Trainer implements TrainerControl {
  readonly network: Network;
  readonly optimizer: Optimizer;
  readonly epochs: number;
  readonly miniBatchSize: number;
  readonly callbacks: Callback[];
  readonly lrSchedule: LrSchedule | null;
  readonly data: { train: DataPair; val: DataPair | null; test: DataPair | null };
  readonly settings: LoopSettings;
  /** Final test accuracy of the last train()/fit() (null before, or without test data). */
  testAcc: number | null = null;
  stopTraining = false;
  /**
   * JSON saved with every checkpoint (saveCheckpoint, ModelCheckpoint) as `extra.metadata`, e.g. class names and
   * how inputs were prepared; loadCheckpoint(file).extra.metadata gives it back. Default null (none).
   */
  checkpointMetadata: unknown = null;
  /**
   * Streaming data, the last run that ended normally (or any run on this thread): the most batches requested ahead
   * at once (never above depth), batches taken, and how many were ready without waiting. Null otherwise.
   */
  lastStreamStats: { maxHeld: number; depth: number; taken: number; hits: number } | null = null;
  /** The data-parallel side (`distributed` option), else null. */
  readonly parallel: DataParallel | null = null;
  private readonly log: ((line: string) => void) | null;
  private loop: TrainLoop;
  /** Set by a running remote engine: forwards stop() to the worker. */
  private stopHook: (() => void) | null = null;
  private running = false;
  /** Data-parallel: stop() asked on this rank, not yet agreed by all ranks. */
  private stopVote = false;

  constructor(
    network: Network,
    xTrain: Tensor | StreamingDataset,
    tTrain: Target,
    xTest: Tensor | StreamingDataset | null,
    tTest: Target | null,
    opts: TrainerOptions = {},
  ) {
    if (!(network instanceof Network)) throw invalidType('network', 'a Network', network);
    // a Sequential written without inputShape (Affine(outputSize), Flatten) is built by its training data
    if (!network.built && Array.isArray(xTrain?.shape) && xTrain.shape.length >= 2) network.build(xTrain.shape.slice(1));
    const r = resolveTrainerOptions(network, xTrain, tTrain, xTest, tTest, opts);
    this.network = network;
    this.data = r.data;
    this.optimizer = r.optimizer;
    this.callbacks = r.callbacks;
    this.lrSchedule = r.lrSchedule;
    this.log = r.log;
    this.settings = r.settings;
    this.epochs = r.settings.epochs;
    this.miniBatchSize = r.settings.miniBatchSize;
    this.loop = new TrainLoop(network, this.optimizer, this.data, this.settings);
    if (opts.distributed != null && opts.distributed !== false) {
      if (this.loop.streaming) throw invalidRange('distributed', 'in-memory data (a StreamingDataset is read on one process)', 'a StreamingDataset');
      const dp = makeParallel(network, this.loop, opts.distributed);
      dp.localStop = () => this.stopVote;
      dp.onStop = () => {
        this.stopTraining = true;
      };
      this.parallel = dp;
    }
  }

  // ---- the book's attributes ------------------------------------------------------------------------------
  /** Per-epoch results so far. */
  get history(): History {
    return this.loop.history;
  }
  /** Every batch's loss (the book's train_loss_list). */
  get trainLossList(): number[] {
    return this.loop.trainLossList;
  }
  /** Per-epoch training accuracy (the book's train_acc_list). */
  get trainAccList(): number[] {
    return this.loop.history.acc;
  }
  /** Per-epoch test accuracy (the book's test_acc_list). */
  get testAccList(): number[] {
    return this.loop.history.testAcc;
  }
  /** Next epoch to run (0-based) = epochs completed. */
  get currentEpoch(): number {
    return this.loop.epoch;
  }
  /** Optimizer steps done. */
  get currentIter(): number {
    return this.loop.iteration;
  }
  /** Batches per epoch: ceil(training samples / miniBatchSize). */
  get iterPerEpoch(): number {
    return this.loop.stepsPerEpoch;
  }
  get trainSize(): number {
    return this.loop.trainSize;
  }
  get learningRate(): number {
    return this.loop.lr;
  }

  setLearningRate(lr: number): void {
    checkNumber('lr', lr, { min: 0, exclusiveMin: true });
    this.loop.setLearningRate(lr);
  }

  /** Stops after the current batch: train()/fit() return normally, and the position is kept for resuming. */
  stop(): void {
    if (this.parallel) {
      this.stopVote = true; // data-parallel: every rank stops after the same batch, once the ranks agreed (lib/dist)
      return;
    }
    this.stopTraining = true;
    this.stopHook?.();
  }

  // ---- running ----------------------------------------------------------------------------------------------
  /**
   * One mini-batch (the book's train_step): applies the schedule at an epoch start, updates, calls onBatchEnd,
   * and when the batch completes an epoch, evaluates it and calls onEpochEnd. No-op once every epoch is done.
   */
  trainStep(): BatchLogs | null {
    if (this.loop.finished) return null;
    if (this.loop.atEpochStart) this.applySchedule();
    const b = this.loop.step();
    this.dispatchBatch(b);
    if (this.loop.epochComplete) {
      const epoch = this.loop.epoch;
      const logs = this.loop.endEpoch();
      this.logEpoch({ epoch, logs });
      for (const cb of this.callbacks) rejectPromise(cb.onEpochEnd?.({ epoch, logs }, this), 'onEpochEnd');
    }
    return b;
  }

  /**
   * Trains synchronously on this thread (the book's train): every remaining epoch, then the final test accuracy.
   * @throws {TypeError} a callback returned a Promise (use fit()), or whatever a callback throws
   */
  train(): TrainResult {
    this.begin();
    let pool: DecodePool | null = null;
    try {
      pool = this.startStream(true);
      const gen = this.drive(localEngine(this.loop, () => this.stopTraining));
      let r = gen.next();
      while (!r.done) {
        const w = r.value;
        if (isThenable(w.value)) {
          Promise.resolve(w.value).catch(() => undefined);
          throw new TypeError(`Trainer.train(): ${w.what} returned a Promise; use \`await trainer.fit()\` for asynchronous callbacks`);
        }
        r = gen.next(w.value);
      }
      return r.value;
    } finally {
      this.running = false;
      this.stopStream(pool); // the decode workers exit (asynchronously: this thread cannot wait here)
    }
  }

  /**
   * Trains asynchronously: the loop runs in a worker thread (the native addon loads there too) while this
   * thread only receives progress events and runs the callbacks; at the end the network (and optimizer) here
   * hold the trained weights. Results are bit-identical to train().
   *
   * @example
   * const ctl = new AbortController();
   * process.on('SIGINT', () => ctl.abort());
   * const { history, testAcc } = await trainer.fit({ signal: ctl.signal });
   * @throws {Error} the worker failed (the message says why), or a callback threw
   */
  async fit(opts: FitOptions = {}): Promise<TrainResult> {
    checkOptions('fit', opts, FIT_OPTION_KEYS);
    if (opts.resumeFrom !== undefined) this.resume(opts.resumeFrom);
    this.begin();
    const onAbort = (): void => this.stop();
    if (opts.signal) {
      if (opts.signal.aborted) this.stopTraining = true;
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    let engine: Engine;
    let remoteEngine: RemoteEngine | null = null;
    let pool: DecodePool | null = null;
    try {
      const here = opts.worker === false || this.parallel !== null; // data-parallel: the collectives run from this thread's loop
      pool = this.startStream(here);
      if (here) {
        engine = yieldingEngine(this.loop, () => this.stopTraining);
      } else {
        const remote = remoteEngine = new RemoteEngine(this.network, this.optimizer, this.loop, this.data, this.settings, pool ? pool.endpoint() : null);
        this.stopHook = () => remote.stop();
        if (this.stopTraining) remote.stop();
        engine = remote;
      }
      try {
        const gen = this.drive(engine);
        let r = gen.next();
        while (!r.done) r = gen.next(await r.value.value);
        return r.value;
      } catch (err) {
        await engine.finish(false);
        throw err;
      }
    } finally {
      this.running = false;
      this.stopHook = null;
      opts.signal?.removeEventListener('abort', onAbort);
      await this.stopStream(pool); // fit() settles only once the decode workers have exited
      if (remoteEngine?.streamStats) this.lastStreamStats = remoteEngine.streamStats;
    }
  }

  // ---- checkpoints ------------------------------------------------------------------------------------------
  /**
   * Saves the network, the optimizer state and the exact training position (safetensors, atomic write).
   * @throws {Error} file-system errors
   */
  saveCheckpoint(file: string): void {
    if (this.parallel && this.parallel.rank !== 0) return; // data-parallel: rank 0 writes (every rank holds the same)
    saveTrainingCheckpoint(file, this.network, this.optimizer, this.loop, this.checkpointMetadata);
  }

  /**
   * Continues from a checkpoint written by saveCheckpoint / ModelCheckpoint: weights, buffers, optimizer state,
   * epoch and batch position, random streams and history are restored, so the next train()/fit() continues
   * exactly as the interrupted run would have. `epochs` may be larger than the saved run's, to train longer.
   * @throws {RangeError} not a training checkpoint, another architecture, another optimizer, or a training state
   *   made with another data size / batch size / sampling / seed
   */
  resume(file: string): void {
    if (this.running) throw new Error('Trainer.resume: not while training');
    restoreTrainingCheckpoint(file, this.network, this.optimizer, this.loop);
    this.stopTraining = false;
  }

  /** The exact training position (for tools; saveCheckpoint stores it with the weights). */
  getState(): LoopState {
    return this.loop.getState();
  }

  // ---- internals --------------------------------------------------------------------------------------------
  private begin(): void {
    if (this.running) throw new Error('Trainer: already training (one train()/fit() at a time)');
    this.running = true;
    this.stopTraining = false;
    this.stopVote = false;
    if (this.parallel) {
      try {
        this.parallel.start(this.settings, this.optimizer, this.loop.trainSize, { epoch: this.loop.epoch, batch: this.loop.batch });
      } catch (err) {
        this.running = false;
        throw err;
      }
    }
  }

  /**
   * Streaming data: starts the decode workers (train data's workers/prefetch settings) and, when the loop runs on
   * this thread (`here`), reads through them; null for in-memory data.
   */
  private startStream(here: boolean): DecodePool | null {
    this.lastStreamStats = null;
    if (!this.loop.streaming) return null;
    const { train, val, test } = this.data;
    const ds = [train.x, val?.x, test?.x].find(isStreaming)!;
    const pool = new DecodePool(ds.workers, ds.prefetch, this.network.backend.name);
    if (here) this.loop.useStream(new Prefetcher(pool.endpoint()));
    return pool;
  }

  private stopStream(pool: DecodePool | null): Promise<void> {
    if (!pool) return Promise.resolve();
    const p = this.loop.prefetcher;
    if (p) {
      this.lastStreamStats = { maxHeld: p.maxHeld, depth: p.depth, taken: p.taken, hits: p.hits };
      p.close();
      this.loop.useStream(null);
    }
    return pool.close();
  }

  private applySchedule(): void {
    if (!this.lrSchedule) return;
    const lr = this.lrSchedule(this.loop.epoch, this.loop.initialLr);
    checkNumber(`lrSchedule(${this.loop.epoch})`, lr, { min: 0, exclusiveMin: true });
    this.loop.setLearningRate(lr);
  }

  private dispatchBatch(b: BatchLogs): void {
    for (const cb of this.callbacks) {
      if (cb.onBatchEnd) rejectPromise(cb.onBatchEnd(b, this), 'onBatchEnd');
    }
  }

  private logEpoch(e: { epoch: number; logs: EpochLogs }): void {
    if (!this.log || (this.parallel && this.parallel.rank !== 0)) return;
    const l = e.logs;
    const acc = accuracyLabel(this.network.accuracyKind);
    const parts = [`epoch ${e.epoch + 1}/${this.epochs}`, `loss ${l.loss.toFixed(4)}`, `train ${acc} ${l.acc.toFixed(4)}`];
    if (l.val_loss !== undefined) parts.push(`val loss ${l.val_loss.toFixed(4)}`, `val ${acc} ${l.val_acc!.toFixed(4)}`);
    if (l.test_acc !== undefined) parts.push(`test ${acc} ${l.test_acc.toFixed(4)}`);
    for (const m of this.settings.metrics ?? []) {
      for (const k of [m, `val_${m}`]) if (typeof l[k] === 'number') parts.push(`${k.replace('_', ' ')} ${l[k]!.toFixed(4)}`);
    }
    parts.push(`lr ${l.lr.toPrecision(3)}`, `${(l.time_ms / 1000).toFixed(1)} s`);
    this.log(`=== ${parts.join(', ')} ===`);
  }

  /** The loop's schedule of events; every value it waits for is yielded (sync or awaited by the caller). */
  private *drive(engine: Engine): Generator<Wait, TrainResult, unknown> {
    for (const cb of this.callbacks) yield { value: cb.onTrainBegin?.(this), what: 'onTrainBegin' };
    while (!this.loop.finished && !this.stopTraining) {
      const epoch = this.loop.epoch;
      if (this.loop.atEpochStart) {
        this.applySchedule();
        for (const cb of this.callbacks) yield { value: cb.onEpochBegin?.({ epoch }, this), what: 'onEpochBegin' };
        if (this.stopTraining) break;
      }
      if (this.parallel?.agreeStop()) break; // (collective) a stop asked on any rank at an epoch boundary
      const complete = (yield { value: engine.runEpoch((b) => this.dispatchBatch(b)), what: 'runEpoch' }) as boolean;
      if (!complete) break;
      const logs = (yield { value: engine.endEpoch(), what: 'endEpoch' }) as EpochLogs;
      this.logEpoch({ epoch, logs });
      for (const cb of this.callbacks) yield { value: cb.onEpochEnd?.({ epoch, logs }, this), what: 'onEpochEnd' };
    }
    this.testAcc = (yield { value: engine.finalTestAccuracy(), what: 'finalTestAccuracy' }) as number | null;
    yield { value: engine.finish(true), what: 'finish' };
    if (this.log && this.testAcc !== null && !(this.parallel && this.parallel.rank !== 0)) {
      this.log('=============== Final Test Accuracy ===============');
      this.log(`test acc:${this.testAcc}`);
    }
    const stopped = !this.loop.finished;
    const result: TrainResult = { history: this.history, testAcc: this.testAcc, stopped, epochs: this.loop.epoch, iterations: this.loop.iteration };
    for (const cb of this.callbacks) {
      yield { value: cb.onTrainEnd?.({ history: this.history, testAcc: this.testAcc, stopped }, this), what: 'onTrainEnd' };
    }
    return result;
  }
}

/** A batch/epoch hook of train() or trainStep() returned a Promise: refuse (they cannot be awaited there). */
function rejectPromise(v: unknown, what: string): void {
  if (isThenable(v)) {
    Promise.resolve(v).catch(() => undefined);
    if (what !== 'onBatchEnd') {
      throw new TypeError(`Trainer: ${what} returned a Promise; use \`await trainer.fit()\` for asynchronous callbacks`);
    }
  }
}

/**
 * Keras-style one-call training: builds a Trainer and runs `fit()` (in a worker thread).
 *
 * @example
 * const { history, testAcc } = await fit(net, xTrain, tTrain, { epochs: 5, optimizer: 'adam',
 *   optimizerParam: { lr: 0.001 }, validationSplit: 0.1, testData: [xTest, tTest] });
 * @throws see Trainer and Trainer.fit
 */
export async function fit(
  network: Network,
  xTrain: Tensor | StreamingDataset,
  tTrain: Target,
  opts: TrainerOptions & FitOptions & { testData?: [Tensor | StreamingDataset, Target] | DataPair | null } = {},
): Promise<TrainResult & { trainer: Trainer }> {
  const { signal, resumeFrom, worker, testData, ...trainerOpts } = opts;
  const td = testData == null ? null : Array.isArray(testData) ? { x: testData[0], t: testData[1] } : testData;
  const trainer = new Trainer(network, xTrain, tTrain, td ? td.x : null, td ? td.t : null, trainerOpts);
  const result = await trainer.fit({ signal, resumeFrom, worker });
  return { ...result, trainer };
}
