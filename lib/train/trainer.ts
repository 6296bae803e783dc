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
import * as path from 'path';
import { resolveAugmentOptions, type AugmentOptions } from '../data/augment';
import { checkInt, checkNumber, checkOneOf, invalidRange, invalidType } from '../validate';
import { makeDirs } from '../io/atomic';
import { loadCheckpoint, saveModel } from '../io/model';
import type { Target } from '../layers/layer';
import { accuracyLabel, targetClasses } from '../metrics/accuracy';
import { checkMetrics, type MetricName } from '../metrics/epoch_metrics';
import { gatherRows, splitIndices } from '../data/dataset';
import { stratifiedSplit } from '../data/split';
import { Network } from '../nets/network';
import { createOptimizer, Optimizer, type CreateOptimizerOptions } from '../optimizers';
import type { Tensor } from '../tensor';
import type { Callback, TrainerControl } from './callbacks';
import { checkPair, sliceRows, sliceTarget, targetRows, type DataPair } from './data';
import { TrainLoop, type BatchLogs, type EpochLogs, type History, type LoopSettings, type LoopState, type Sampling } from './loop';
import { RemoteEngine } from './remote';
import { makeParallel, type DataParallel, type DistributedOptions } from '../dist';
import type { LrSchedule } from './schedules';

/** Options of the Trainer (the book's names in camelCase; the snake_case originals are accepted too). */
export interface TrainerOptions {
  /** Epochs to train (default 20). */
  epochs?: number;
  /** Samples per batch (default 100). */
  miniBatchSize?: number;
  /** An optimizer name ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'; default 'sgd')
   * or an Optimizer instance. */
  optimizer?: string | Optimizer;
  /** Hyperparameters for a named optimizer (default { lr: 0.01 }). */
  optimizerParam?: CreateOptimizerOptions;
  /** Evaluate train/test accuracy per epoch on the first this-many samples (default null: all). */
  evaluateSampleNumPerEpoch?: number | null;
  /** Batch size of evaluation forwards (default miniBatchSize). */
  evalBatchSize?: number;
  /** Print one line per epoch and the final test accuracy (true: console.log; or a function). Default false. */
  verbose?: boolean | ((line: string) => void);
  /** 'epoch' (default: a fresh shuffle each epoch, every sample once) or 'replacement' (the book's sampling). */
  sampling?: Sampling;
  /** Seed of the sampling and augmentation streams (default 0). The network has its own seed. */
  seed?: number;
  /**
   * Hold out this fraction of the training data for validation (Keras' validation_split), in [0, 1): a seeded
   * (`seed`) split, stratified by class for class targets and shuffled (Keras takes the last fraction unshuffled,
   * which gives a one-class validation set on class-ordered data).
   */
  validationSplit?: number;
  /** Validation data: [x, t] or { x, t } (takes precedence over validationSplit). */
  validationData?: [Tensor, Target] | DataPair | null;
  /**
   * Per-class loss weights (index = class), as Keras' class_weight: each sample's loss is multiplied by its class's
   * weight. SoftmaxWithLoss: one weight per class; SigmoidWithLoss with one output: [w0, w1] (w1 weighs the
   * positive class). Not for several sigmoid outputs (multi-label).
   */
  classWeights?: ArrayLike<number> | null;
  /** Per-batch augmentation of the training images (x [N, C, H, W]); see lib/data/augment.ts. */
  augment?: AugmentOptions | null;
  callbacks?: Callback[];
  /**
   * Per-epoch extras added to the epoch logs (lib/metrics/epoch_metrics.ts): 'precision', 'recall', 'f1' (macro
   * averages) and 'auc' (binary problems), as `<name>` on the training sample and `val_<name>` on the validation
   * data; EarlyStopping/ModelCheckpoint can monitor them ('val_f1'). Not kept in `history`.
   */
  metrics?: MetricName[] | null;
  /** Learning rate per epoch, set at the start of each epoch (see lib/train/schedules.ts). */
  lrSchedule?: LrSchedule | null;
  /**
   * Data-parallel training over MPI (launch every rank with `mpirun -np N`): each rank trains on its rank-strided
   * share of every global batch of miniBatchSize rows, gradients are averaged over the ranks, every rank applies
   * the same update; only rank 0 writes checkpoints and logs. See lib/dist/parallel.ts. Default false.
   */
  distributed?: boolean | DistributedOptions;
  /** snake_case aliases of the book. */
  mini_batch_size?: number;
  optimizer_param?: CreateOptimizerOptions;
  evaluate_sample_num_per_epoch?: number | null;
}

/** Options of `fit()`. */
export interface FitOptions {
  /** Aborting stops training after the current batch (like trainer.stop()); fit still resolves. */
  signal?: AbortSignal;
  /** A checkpoint (ModelCheckpoint / saveCheckpoint) to continue from exactly. */
  resumeFrom?: string;
  /** Run the loop in a worker thread (default true). false: on this thread, yielding between batches. */
  worker?: boolean;
}

/** What train() and fit() resolve with. */
export interface TrainResult {
  history: History;
  /** Final accuracy on the whole test set (null without test data). */
  testAcc: number | null;
  /** True when stopped early (stop(), an abort, EarlyStopping). */
  stopped: boolean;
  /** Epochs completed in total (resumed ones included). */
  epochs: number;
  /** Optimizer steps done in total. */
  iterations: number;
}

type R<T> = T | Promise<T>;

/** One way of running the loop: here (sync or yielding) or in a worker (lib/train/remote.ts). */
export interface Engine {
  runEpoch(onBatch: (b: BatchLogs) => void): R<boolean>;
  endEpoch(): R<EpochLogs>;
  finalTestAccuracy(): R<number | null>;
  /** Called once at the end (also after errors): bring back the final state, release resources. */
  finish(ok: boolean): R<void>;
}

/** A value the driver waits for, and who produced it (for the message when train() gets a Promise). */
interface Wait {
  value: unknown;
  what: string;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

const CALLBACK_HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

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
  /** The data-parallel side (`distributed` option), else null. */
  readonly parallel: DataParallel | null = null;
  private readonly log: ((line: string) => void) | null;
  private loop: TrainLoop;
  /** Set by a running remote engine: forwards stop() to the worker. */
  private stopHook: (() => void) | null = null;
  private running = false;

  constructor(
    network: Network,
    xTrain: Tensor,
    tTrain: Target,
    xTest: Tensor | null,
    tTest: Target | null,
    opts: TrainerOptions = {},
  ) {
    if (!(network instanceof Network)) throw invalidType('network', 'a Network', network);
    if (opts === null || typeof opts !== 'object') throw invalidType('Trainer options', 'an object', opts);
    // a Sequential written without inputShape (Affine(outputSize), Flatten) is built by its training data
    if (!network.built && Array.isArray(xTrain?.shape) && xTrain.shape.length >= 2) network.build(xTrain.shape.slice(1));
    this.network = network;
    let train = checkPair('training data', xTrain, tTrain);
    const test = xTest === null && tTest === null ? null : checkPair('test data', xTest, tTest);
    let val: DataPair | null = null;
    if (opts.validationData != null) {
      const vd = opts.validationData;
      val = Array.isArray(vd) ? checkPair('validationData', vd[0], vd[1]) : checkPair('validationData', (vd as DataPair).x, (vd as DataPair).t);
    } else if (opts.validationSplit !== undefined && opts.validationSplit !== 0) {
      const split = checkNumber('validationSplit', opts.validationSplit, { min: 0, max: 1 });
      const n = targetRows(train.t);
      const nVal = Math.round(n * split);
      if (split >= 1 || nVal >= n || nVal < 1) {
        throw invalidRange('validationSplit', `a fraction in (0, 1) leaving at least one sample on each side of ${n}`, split);
      }
      // shuffled and stratified by class (lib/data/split.ts), seeded by `seed`: class-ordered data never gives a
      // one-class validation set (Keras takes the last fraction as it is)
      const parts = holdOut(network, train, split, checkInt('seed', opts.seed ?? 0, 0, 0xffffffff));
      val = parts.val;
      train = parts.train;
    }
    this.data = { train, val, test };

    this.epochs = checkInt('epochs', opts.epochs ?? 20, 1);
    this.miniBatchSize = checkInt('miniBatchSize', opts.miniBatchSize ?? opts.mini_batch_size ?? 100, 1);
    const evalNum = opts.evaluateSampleNumPerEpoch !== undefined ? opts.evaluateSampleNumPerEpoch : opts.evaluate_sample_num_per_epoch;
    const evaluateSampleNumPerEpoch = evalNum == null ? null : checkInt('evaluateSampleNumPerEpoch', evalNum, 1);
    const evalBatchSize = checkInt('evalBatchSize', opts.evalBatchSize ?? this.miniBatchSize, 1);
    const sampling = checkOneOf('sampling', opts.sampling ?? 'epoch', ['epoch', 'replacement'] as const);
    const seed = checkInt('seed', opts.seed ?? 0, 0, 0xffffffff);

    const opt = opts.optimizer ?? 'sgd';
    if (opt instanceof Optimizer) {
      this.optimizer = opt;
    } else if (typeof opt === 'string') {
      this.optimizer = createOptimizer(opt, opts.optimizerParam ?? opts.optimizer_param ?? { lr: 0.01 });
    } else {
      throw invalidType('optimizer', 'an optimizer name or an Optimizer', opt);
    }

    let classWeights: Float32Array | null = null;
    if (opts.classWeights != null) {
      const cw = opts.classWeights;
      if (typeof cw !== 'object' || typeof cw.length !== 'number') throw invalidType('classWeights', 'an array of per-class weights', cw);
      classWeights = Float32Array.from(cw, (v, i) => checkNumber(`classWeights[${i}]`, v, { min: 0 }));
      const kind = network.accuracyKind;
      if (kind === 'multi-label') {
        throw invalidRange('classWeights', 'a network with one class per sample (SoftmaxWithLoss, or SigmoidWithLoss with one output)', `${network.lossLayer.type} with several outputs`);
      }
      // one sigmoid output: two classes, [weight of 0, weight of 1 (the positive class)], as Keras' class_weight
      const C = kind === 'binary' ? 2 : network.outputShape()[1];
      if (classWeights.length !== C) {
        throw invalidRange('classWeights', `${C} weights (one per class${kind === 'binary' ? ': [negative, positive]' : ''})`, `${classWeights.length}`);
      }
    }
    let augment: AugmentOptions | null = null;
    if (opts.augment != null) {
      resolveAugmentOptions(opts.augment);
      if (train.x.rank !== 4) throw invalidRange('augment', 'image data x [N, C, H, W]', `x of shape [${train.x.shape.join(', ')}]`);
      augment = { ...opts.augment };
    }
    const callbacks = opts.callbacks ?? [];
    if (!Array.isArray(callbacks)) throw invalidType('callbacks', 'an array of callbacks', callbacks);
    callbacks.forEach((cb, i) => {
      if (cb === null || typeof cb !== 'object') throw invalidType(`callbacks[${i}]`, 'a callback object', cb);
      for (const h of CALLBACK_HOOKS) {
        const f = (cb as unknown as Record<string, unknown>)[h];
        if (f !== undefined && typeof f !== 'function') throw invalidType(`callbacks[${i}].${h}`, 'a function', f);
      }
    });
    this.callbacks = [...callbacks];
    if (opts.lrSchedule != null && typeof opts.lrSchedule !== 'function') throw invalidType('lrSchedule', 'a function (epoch, initialLr) => lr', opts.lrSchedule);
    this.lrSchedule = opts.lrSchedule ?? null;
    const v = opts.verbose ?? false;
    this.log = typeof v === 'function' ? v : v ? (line: string) => console.log(line) : null;

    this.settings = {
      epochs: this.epochs,
      miniBatchSize: this.miniBatchSize,
      sampling,
      seed,
      evaluateSampleNumPerEpoch,
      evalBatchSize,
      augment,
      classWeights,
      metrics: checkMetrics(opts.metrics, network.accuracyKind, network.outputShape().slice(1).reduce((a, b) => a * b, 1)),
    };
    this.loop = new TrainLoop(network, this.optimizer, this.data, this.settings);
    if (opts.distributed != null && opts.distributed !== false) {
      const dp = makeParallel(network, this.loop, opts.distributed);
      dp.localStop = () => this.stopTraining;
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
    try {
      const gen = this.drive(this.localEngine());
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
    if (opts === null || typeof opts !== 'object') throw invalidType('fit options', 'an object', opts);
    if (opts.resumeFrom !== undefined) this.resume(opts.resumeFrom);
    this.begin();
    const onAbort = (): void => this.stop();
    if (opts.signal) {
      if (opts.signal.aborted) this.stopTraining = true;
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    let engine: Engine;
    try {
      if (opts.worker === false || this.parallel) { // data-parallel: the collectives run from this thread's loop
        engine = this.yieldingEngine();
      } else {
        const remote = new RemoteEngine(this.network, this.optimizer, this.loop, this.data, this.settings);
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
    }
  }

  // ---- checkpoints ------------------------------------------------------------------------------------------
  /**
   * Saves the network, the optimizer state and the exact training position (safetensors, atomic write).
   * @throws {Error} file-system errors
   */
  saveCheckpoint(file: string): void {
    if (typeof file !== 'string' || file === '') throw invalidType('path', 'a file path', file);
    if (this.parallel && this.parallel.rank !== 0) return; // data-parallel: rank 0 writes (every rank holds the same)
    makeDirs(path.dirname(path.resolve(file)));
    const extra: Record<string, unknown> = { trainer: this.loop.getState() };
    if (this.checkpointMetadata !== null) extra.metadata = this.checkpointMetadata;
    saveModel(this.network, file, { optimizer: this.optimizer, extra });
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
    const ck = loadCheckpoint(file, { backend: this.network.backend });
    const extra = ck.extra as { trainer?: LoopState } | null;
    if (!extra || typeof extra !== 'object' || !extra.trainer) {
      throw invalidRange('checkpoint', 'a training checkpoint (written by saveCheckpoint or ModelCheckpoint)', `${file} (no training state)`);
    }
    const mine = this.network.namedParams();
    const theirs = ck.net.namedParams();
    const names = (o: object) => Object.keys(o).join(', ');
    if (ck.net.type !== this.network.type || names(mine) !== names(theirs)) {
      throw invalidRange('checkpoint', `a ${this.network.type} with parameters ${names(mine)}`, `${file}: a ${ck.net.type} with ${names(theirs)}`);
    }
    for (const [k, p] of Object.entries(theirs)) {
      if (p.value.size !== mine[k].value.size) throw invalidRange(`checkpoint parameter ${k}`, `${mine[k].value.size} elements`, `${p.value.size}`);
    }
    if (!ck.optimizerState) throw invalidRange('checkpoint', 'a checkpoint with optimizer state', `${file} (none saved)`);
    if (ck.optimizerState.name !== this.optimizer.name) {
      throw invalidRange('checkpoint optimizer', `'${this.optimizer.name}' (this trainer's)`, `'${ck.optimizerState.name}'`);
    }
    this.loop.setState(extra.trainer); // validates before anything below changes
    for (const [k, p] of Object.entries(theirs)) mine[k].value.data.set(p.value.data);
    const buffers = this.network.namedBuffers();
    for (const [k, b] of Object.entries(ck.net.namedBuffers())) buffers[k].data.set(b.data);
    this.optimizer.setState(ck.optimizerState);
    this.loop.lr = this.optimizer.lr;
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
    if (this.parallel) {
      try {
        this.parallel.start(this.settings, this.optimizer, this.loop.trainSize, { epoch: this.loop.epoch, batch: this.loop.batch });
      } catch (err) {
        this.running = false;
        throw err;
      }
    }
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

  /** The loop on this thread, synchronously. */
  private localEngine(): Engine {
    const loop = this.loop;
    return {
      runEpoch: (onBatch) => loop.runEpoch(onBatch, () => this.stopTraining),
      endEpoch: () => loop.endEpoch(),
      finalTestAccuracy: () => loop.finalTestAccuracy(),
      finish: () => undefined,
    };
  }

  /** The loop on this thread, giving the event loop a turn after every batch. */
  private yieldingEngine(): Engine {
    const loop = this.loop;
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    return {
      runEpoch: async (onBatch) => {
        while (!loop.epochComplete) {
          onBatch(loop.step());
          if (loop.epochComplete) break;
          await tick();
          if (this.stopTraining) return false;
        }
        return true;
      },
      endEpoch: async () => {
        await tick();
        return loop.endEpoch();
      },
      finalTestAccuracy: () => loop.finalTestAccuracy(),
      finish: () => undefined,
    };
  }
}

/** The training pair split into train and validation rows (copies), stratified by class when targets have one. */
function holdOut(network: Network, data: DataPair, fraction: number, seed: number): { train: DataPair; val: DataPair } {
  const n = targetRows(data.t);
  const kind = network.accuracyKind;
  const { train, validation } = kind === 'multi-label'
    ? splitIndices(n, fraction, seed, true)
    : stratifiedSplit(targetClasses(kind, data.t, n), fraction, seed);
  if (validation.length === 0 || train.length === 0) {
    throw invalidRange('validationSplit', `a fraction leaving samples on both sides of ${n}`, fraction);
  }
  const pick = (idx: Int32Array): DataPair => ({
    x: gatherRows(data.x, idx),
    t: data.t instanceof Int32Array ? Int32Array.from(idx, (i) => (data.t as Int32Array)[i]) : gatherRows(data.t, idx),
  });
  return { train: pick(train), val: pick(validation) };
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
  xTrain: Tensor,
  tTrain: Target,
  opts: TrainerOptions & FitOptions & { testData?: [Tensor, Target] | DataPair | null } = {},
): Promise<TrainResult & { trainer: Trainer }> {
  const { signal, resumeFrom, worker, testData, ...trainerOpts } = opts;
  const td = testData == null ? null : Array.isArray(testData) ? { x: testData[0], t: testData[1] } : testData;
  const trainer = new Trainer(network, xTrain, tTrain, td ? td.x : null, td ? td.t : null, trainerOpts);
  const result = await trainer.fit({ signal, resumeFrom, worker });
  return { ...result, trainer };
}
