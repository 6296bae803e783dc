/**
 * The Trainer's options: what they are (TrainerOptions, FitOptions), what a run returns (TrainResult), and
 * `resolveTrainerOptions`, which checks them all and turns them into the data, optimizer, hooks and loop
 * settings a Trainer runs with. Nothing here runs training.
 */
import { resolveAugmentOptions, type AugmentOptions } from '../data/augment';
import { gatherRows, splitIndices } from '../data/dataset';
import { stratifiedSplit } from '../data/split';
import type { Target } from '../layers/layer';
import { targetClasses } from '../metrics/accuracy';
import { checkMetrics, type MetricName } from '../metrics/epoch_metrics';
import type { Network } from '../nets/network';
import { createOptimizer, Optimizer, type CreateOptimizerOptions } from '../optimizers';
import type { DistributedOptions } from '../dist';
import type { Tensor } from '../tensor';
import { isStreaming, type StreamingDataset } from '../data/stream/dataset';
import { checkInt, checkNumber, checkOneOf, checkOptions, readOptions, invalidRange, invalidType } from '../validate';
import type { Callback } from './callbacks';
import { checkPair, targetRows, type DataPair } from './data';
import type { History, LoopSettings, Sampling } from './loop';
import type { LrSchedule } from './schedules';

/** Options of the Trainer (the book's names in camelCase; the snake_case originals are accepted too). */
export interface TrainerOptions {
  /** Epochs to train (default 20). */
  epochs?: number;
  /** Samples per batch (default 100). */
  miniBatchSize?: number;
  /** An optimizer name ('sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'; default 'sgd')
   * or an Optimizer instance (without a backend, or on the network's: updates run on the network's backend). */
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
  validationData?: [Tensor | StreamingDataset, Target] | DataPair | null;
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
   * data; EarlyStopping/ModelCheckpoint can monitor them ('val_f1'); recorded per epoch in `history.metrics`.
   */
  metrics?: MetricName[] | null;
  /** Learning rate per epoch, set at the start of each epoch (see lib/train/schedules.ts). */
  lrSchedule?: LrSchedule | null;
  /**
   * Data-parallel training over MPI (launch every rank with `mpirun -np N`): each rank trains on its rank-strided
   * share of every global batch of miniBatchSize rows, gradients are averaged over the ranks, every rank applies
   * the same update; only rank 0 writes checkpoints and logs; fit() runs the loop on this thread (yielding
   * between batches), not in a worker. Needs Open MPI (README, "Distributed training"). See lib/dist/parallel.ts.
   * Default false.
   */
  distributed?: boolean | DistributedOptions;
  /**
   * StreamingDataset inputs (streamImageFolder): 'auto' (default) streams them from disk through decode worker
   * threads when their decoded size (train + validation + test, float32) is above `streamAboveMB`, and decodes
   * them into memory once, up front, at or below it; true always streams, false always loads. The results are the
   * same either way (bit for bit); only memory and speed differ. Tensors are always in memory.
   */
  stream?: 'auto' | boolean;
  /** The 'auto' threshold in MiB of decoded data (default 1024). */
  streamAboveMB?: number;
  /** snake_case aliases of the book. */
  mini_batch_size?: number;
  optimizer_param?: CreateOptimizerOptions;
  evaluate_sample_num_per_epoch?: number | null;
}

/** Default of `streamAboveMB`: StreamingDataset inputs above this many MiB of decoded data are streamed. */
export const STREAM_ABOVE_MB = 1024;

/** Every key TrainerOptions has (unknown keys are refused). */
export const TRAINER_OPTION_KEYS: readonly (keyof TrainerOptions)[] = [
  'epochs', 'miniBatchSize', 'optimizer', 'optimizerParam', 'evaluateSampleNumPerEpoch', 'evalBatchSize', 'verbose',
  'sampling', 'seed', 'validationSplit', 'validationData', 'classWeights', 'augment', 'callbacks', 'metrics', 'lrSchedule', 'distributed', 'stream', 'streamAboveMB',
  'mini_batch_size', 'optimizer_param', 'evaluate_sample_num_per_epoch',
];

/** Options of `fit()`. */
export interface FitOptions {
  /** Aborting stops training after the current batch (like trainer.stop()); fit still resolves. */
  signal?: AbortSignal;
  /** A checkpoint (ModelCheckpoint / saveCheckpoint) to continue from exactly. */
  resumeFrom?: string;
  /** Run the loop in a worker thread (default true). false: on this thread, yielding between batches. */
  worker?: boolean;
}

/** Every key FitOptions has. */
export const FIT_OPTION_KEYS: readonly (keyof FitOptions)[] = ['signal', 'resumeFrom', 'worker'];

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

/** The checked, resolved form of a Trainer's arguments. */
export interface ResolvedTrainer {
  data: { train: DataPair; val: DataPair | null; test: DataPair | null };
  optimizer: Optimizer;
  callbacks: Callback[];
  lrSchedule: LrSchedule | null;
  log: ((line: string) => void) | null;
  settings: LoopSettings;
}

const CALLBACK_HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/**
 * Checks a Trainer's data and options (every one, before anything is built) and resolves the defaults.
 * @throws {TypeError|RangeError} bad data (shapes, row counts) or options, naming the argument
 */
export function resolveTrainerOptions(
  network: Network,
  xTrain: Tensor | StreamingDataset,
  tTrain: Target,
  xTest: Tensor | StreamingDataset | null,
  tTest: Target | null,
  options: TrainerOptions,
): ResolvedTrainer {
  const opts = readOptions<TrainerOptions>('Trainer', options, TRAINER_OPTION_KEYS);
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

  const epochs = checkInt('epochs', opts.epochs ?? 20, 1);
  const miniBatchSize = checkInt('miniBatchSize', opts.miniBatchSize ?? opts.mini_batch_size ?? 100, 1);
  const evalNum = opts.evaluateSampleNumPerEpoch !== undefined ? opts.evaluateSampleNumPerEpoch : opts.evaluate_sample_num_per_epoch;
  const evaluateSampleNumPerEpoch = evalNum == null ? null : checkInt('evaluateSampleNumPerEpoch', evalNum, 1);
  const evalBatchSize = checkInt('evalBatchSize', opts.evalBatchSize ?? miniBatchSize, 1);
  const sampling = checkOneOf('sampling', opts.sampling ?? 'epoch', ['epoch', 'replacement'] as const);
  const seed = checkInt('seed', opts.seed ?? 0, 0, 0xffffffff);

  const opt = opts.optimizer ?? 'sgd';
  let optimizer: Optimizer;
  if (opt instanceof Optimizer) {
    optimizer = opt;
  } else if (typeof opt === 'string') {
    optimizer = createOptimizer(opt, opts.optimizerParam ?? opts.optimizer_param ?? { lr: 0.01 });
  } else {
    throw invalidType('optimizer', 'an optimizer name or an Optimizer', opt);
  }
  // Every step runs on the network's backend (TrainLoop passes it); an optimizer bound to another one is refused.
  const ob = optimizer.backend;
  if (ob !== undefined && ob !== network.backend) {
    throw invalidRange('optimizer', `an optimizer without a backend or on the network's (${network.backend.name})`, `one on another ${ob.name} backend`);
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
  if (opts.lrSchedule != null && typeof opts.lrSchedule !== 'function') throw invalidType('lrSchedule', 'a function (epoch, initialLr) => lr', opts.lrSchedule);
  const v = opts.verbose ?? false;
  if (typeof v !== 'boolean' && typeof v !== 'function') throw invalidType('verbose', 'a boolean or a function (line) => void', v);

  const stream = opts.stream ?? 'auto';
  if (stream !== 'auto' && typeof stream !== 'boolean') throw invalidType('stream', "'auto' or a boolean", stream);
  const aboveMB = checkNumber('streamAboveMB', opts.streamAboveMB ?? STREAM_ABOVE_MB, { min: 0 });
  const streamed = [train, val, test].filter((p): p is DataPair => p !== null && isStreaming(p.x));
  const mb = streamed.reduce((a, p) => a + (p.x.shape.reduce((x, y) => x * y, 1) * 4) / 2 ** 20, 0);
  // small enough (or stream: false): decoded once into memory, the same values the decode workers would give
  const loadAll = streamed.length > 0 && (stream === false || (stream === 'auto' && mb <= aboveMB));
  const load = (p: DataPair | null): DataPair | null => (loadAll && p && isStreaming(p.x) ? { x: p.x.load(), t: p.t } : p);

  return {
    data: { train: load(train)!, val: load(val), test: load(test) },
    optimizer,
    callbacks: [...callbacks],
    lrSchedule: opts.lrSchedule ?? null,
    log: typeof v === 'function' ? v : v ? (line: string) => console.log(line) : null,
    settings: {
      epochs, miniBatchSize, sampling, seed, evaluateSampleNumPerEpoch, evalBatchSize, augment, classWeights,
      metrics: checkMetrics(opts.metrics, network.accuracyKind, network.outputShape().slice(1).reduce((a, b) => a * b, 1)),
    },
  };
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
    x: isStreaming(data.x) ? data.x.subset(idx) : gatherRows(data.x, idx),
    t: data.t instanceof Int32Array ? Int32Array.from(idx, (i) => (data.t as Int32Array)[i]) : gatherRows(data.t, idx),
  });
  return { train: pick(train), val: pick(validation) };
}
