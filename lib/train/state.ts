/**
 * Validation of a saved training position (`LoopState`, stored in a checkpoint's `extra.trainer`) before a
 * resume trusts any of it: every field's type and range, and the invariants the loop keeps (one history entry
 * per finished epoch, one loss per batch, iteration = epoch · batchesPerEpoch + batch). A checkpoint is a file
 * anyone can edit, so each failure is a RangeError naming the field ("training state <field>: expected …, got …").
 */
import { describe, invalidRange } from '../validate';
import type { RngState } from '../rng';
import type { History, LoopState } from './loop';

const HISTORY_KEYS = ['loss', 'acc', 'valLoss', 'valAcc', 'testAcc', 'lr', 'epochTimeMs'] as const;
const U32 = 0xffffffff;

function bad(field: string, expected: string, value: unknown): RangeError {
  return invalidRange(`training state ${field}`, expected, describe(value));
}

function int(field: string, v: unknown, min: number, max: number, what = ''): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(field, `an integer in [${min}, ${max}]${what}`, v);
  }
  return v;
}

function finite(field: string, v: unknown, min = -Infinity, exclusiveMin = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (exclusiveMin && v === min)) {
    throw bad(field, Number.isFinite(min) ? `a finite number ${exclusiveMin ? '>' : '>='} ${min}` : 'a finite number', v);
  }
  return v;
}

/** An Rng state { seed, counter, index, spare } (see lib/rng.ts). */
export function checkRngStateField(field: string, v: unknown): RngState {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(field, 'an Rng state { seed, counter, index, spare }', v);
  const o = v as Record<string, unknown>;
  int(`${field}.seed`, o.seed, 0, U32);
  int(`${field}.counter`, o.counter, 0, U32);
  int(`${field}.index`, o.index, 0, U32);
  if (o.spare !== null) finite(`${field}.spare`, o.spare);
  return { seed: o.seed as number, counter: o.counter as number, index: o.index as number, spare: o.spare as number | null };
}

/** Numbers, or null where a NaN was saved (JSON writes NaN as null). */
function series(field: string, v: unknown, length: number | readonly number[], min = -Infinity): number[] {
  if (!Array.isArray(v)) throw bad(field, 'an array of numbers', v);
  const lengths = typeof length === 'number' ? [length] : length;
  if (!lengths.includes(v.length)) throw invalidRange(`training state ${field}`, `an array of ${lengths.join(' or ')} values`, `${v.length} values`);
  v.forEach((x, i) => {
    if (x !== null && (typeof x !== 'number' || !Number.isFinite(x) || x < min)) {
      throw bad(`${field}[${i}]`, `a finite number${Number.isFinite(min) ? ` >= ${min}` : ''} (or null for NaN)`, x);
    }
  });
  return v as number[];
}

/**
 * Checks a saved training position against itself (batches per epoch from its own trainSize and miniBatchSize,
 * which `TrainLoop.setState` then compares with the trainer's settings).
 * @throws {RangeError} naming the first bad field
 */
export function checkLoopState(st: unknown): LoopState {
  if (st === null || typeof st !== 'object' || Array.isArray(st)) throw invalidRange('training state', 'a version 1 LoopState object', describe(st));
  const o = st as Record<string, unknown>;
  if (o.version !== 1) throw bad('version', '1', o.version);
  const trainSize = int('trainSize', o.trainSize, 1, 2 ** 31 - 1);
  const miniBatchSize = int('miniBatchSize', o.miniBatchSize, 1, 2 ** 31 - 1);
  const batchesPerEpoch = Math.max(1, Math.ceil(trainSize / miniBatchSize)); // as TrainLoop computes it
  if (o.sampling !== 'epoch' && o.sampling !== 'replacement') throw bad('sampling', "'epoch' or 'replacement'", o.sampling);
  int('seed', o.seed, 0, U32);
  const epochs = int('epochs', o.epochs, 1, Number.MAX_SAFE_INTEGER);
  const epoch = int('epoch', o.epoch, 0, epochs, ' (at most the saved epochs)');
  const batch = int('batch', o.batch, 0, batchesPerEpoch, ` (${batchesPerEpoch} batches per epoch)`);
  const iteration = epoch * batchesPerEpoch + batch;
  if (o.iteration !== iteration) throw bad('iteration', `${iteration} (epoch ${epoch} · ${batchesPerEpoch} batches + batch ${batch})`, o.iteration);
  checkRngStateField('rng', o.rng);
  if (o.permRng !== null) checkRngStateField('permRng', o.permRng);
  checkRngStateField('augRng', o.augRng);
  checkRngStateField('netRng', o.netRng);
  finite('lr', o.lr, 0, true);
  finite('initialLr', o.initialLr, 0, true);
  finite('epochLossSum', o.epochLossSum, 0);
  // the samples of the current epoch so far (of the epoch just finished, at an epoch boundary)
  int('epochSamples', o.epochSamples, 0, batchesPerEpoch * miniBatchSize, ` (${batchesPerEpoch} batches of ${miniBatchSize})`);
  const h = o.history;
  if (h === null || typeof h !== 'object' || Array.isArray(h)) throw bad('history', `an object of ${HISTORY_KEYS.join(', ')}`, h);
  const hr = h as Record<string, unknown>;
  for (const k of Object.keys(hr)) {
    if (!(HISTORY_KEYS as readonly string[]).includes(k) && k !== 'metrics') throw invalidRange('training state history', `only ${HISTORY_KEYS.join(', ')}, metrics`, `'${k}'`);
  }
  if (hr.metrics !== undefined) {
    const m = hr.metrics;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw bad('history.metrics', 'an object of per-epoch series', m);
    // a series starts at the epoch its data first gave a value (validation metrics: with validation data)
    for (const [k, v] of Object.entries(m)) series(`history.metrics.${k}`, v, Array.from({ length: epoch + 1 }, (_, i) => i));
  }
  // one entry per finished epoch; validation and test entries only when the run had such data
  series('history.loss', hr.loss, epoch, 0);
  series('history.acc', hr.acc, epoch, 0);
  series('history.lr', hr.lr, epoch, 0);
  series('history.epochTimeMs', hr.epochTimeMs, epoch, 0);
  series('history.valLoss', hr.valLoss, [epoch, 0], 0);
  series('history.valAcc', hr.valAcc, [epoch, 0], 0);
  series('history.testAcc', hr.testAcc, [epoch, 0], 0);
  const tl = o.trainLossList;
  if (!Array.isArray(tl)) throw bad('trainLossList', 'an array of numbers', tl);
  if (tl.length !== iteration) throw invalidRange('training state trainLossList', `${iteration} losses (one per batch so far)`, `${tl.length} values`);
  tl.forEach((x, i) => finite(`trainLossList[${i}]`, x, 0));
  return st as LoopState;
}

/** NaN where JSON gave null, so a restored history is what was saved. */
export function historyFromJson(h: History): History {
  const fix = (a: number[]) => a.map((x) => (x === null ? NaN : x));
  return {
    loss: fix(h.loss), acc: fix(h.acc), valLoss: fix(h.valLoss), valAcc: fix(h.valAcc), testAcc: fix(h.testAcc),
    lr: fix(h.lr), epochTimeMs: fix(h.epochTimeMs),
    ...(h.metrics ? { metrics: Object.fromEntries(Object.entries(h.metrics).map(([k, v]) => [k, fix(v)])) } : {}),
  };
}
