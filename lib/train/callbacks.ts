/**
 * Training callbacks (Keras-style): hooks the Trainer calls on the thread that owns the network, in this order:
 * onTrainBegin, then per epoch onEpochBegin, onBatchEnd × batches, onEpochEnd, and finally onTrainEnd.
 * onEpochEnd (and the other non-batch hooks) may return a Promise: `fit()` awaits it before the next epoch
 * starts; the synchronous `train()` rejects it (use fit). onBatchEnd is synchronous (in `fit()` it runs while
 * the worker already computes the next batch). Built-ins: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
 * LambdaCallback.
 */
import * as path from 'path';
import { makeDirs } from '../io/atomic';
import { checkInt, checkNumber, checkOneOf, invalidRange, invalidType, nearestKey } from '../validate';
import { METRIC_NAMES } from '../metrics/epoch_metrics';
import type { Network } from '../nets/network';
import type { Optimizer } from '../optimizers/optimizer';
import type { Tensor } from '../tensor';
import type { BatchLogs, EpochLogs, History } from './loop';
import { checkOptions, readOptions } from '../validate';

/** What a callback can see and do: the Trainer (or the fit run) that calls it. */
export interface TrainerControl {
  /** The network; in fit() its weights are those at the end of the last completed epoch. */
  readonly network: Network;
  readonly optimizer: Optimizer;
  readonly history: History;
  readonly epochs: number;
  /** True once stop() was called (or a callback asked to stop). */
  readonly stopTraining: boolean;
  /** Stops after the current batch (train/fit resolve normally with what was done). */
  stop(): void;
  /** The learning rate in use. */
  readonly learningRate: number;
  /** Changes the learning rate from the next batch on. */
  setLearningRate(lr: number): void;
  /**
   * Saves weights, optimizer state and the exact training position (atomically) as a checkpoint that
   * `Trainer.resume(path)` / `fit({ resumeFrom })` continues from.
   */
  saveCheckpoint(path: string): void;
}

export interface Callback {
  onTrainBegin?(trainer: TrainerControl): void | Promise<void>;
  onEpochBegin?(info: { epoch: number }, trainer: TrainerControl): void | Promise<void>;
  onBatchEnd?(info: BatchLogs, trainer: TrainerControl): void;
  onEpochEnd?(info: { epoch: number; logs: EpochLogs }, trainer: TrainerControl): void | Promise<void>;
  onTrainEnd?(info: { history: History; testAcc: number | null; stopped: boolean }, trainer: TrainerControl): void | Promise<void>;
}

export type Mode = 'auto' | 'min' | 'max';

/** The logs key for a monitor name: 'val_loss', 'valLoss' -> 'val_loss'; 'accuracy' -> 'acc'. */
export function monitorKey(monitor: string): string {
  return monitor.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/accuracy$/, 'acc');
}

/** 'max' for accuracies and the `metrics` extras (precision, recall, f1, auc), 'min' for the rest (losses). */
function resolveMode(mode: Mode, key: string): 'min' | 'max' {
  return mode === 'auto' ? (/acc|precision|recall|f1|auc/.test(key) ? 'max' : 'min') : mode;
}

/** What the epoch logs can hold (lib/train/loop.ts EpochLogs, plus the `metrics` extras with and without `val_`). */
const MONITOR_KEYS: readonly string[] = [
  'loss', 'acc', 'val_loss', 'val_acc', 'test_acc', 'lr',
  ...METRIC_NAMES.flatMap((m) => [m, `val_${m}`]),
];

/** Tracks the best value of a monitored log entry. */
class Monitor {
  readonly key: string;
  readonly mode: 'min' | 'max';
  best: number;
  private warned = false;

  constructor(readonly who: string, monitor: unknown, mode: unknown, readonly minDelta = 0) {
    if (typeof monitor !== 'string' || monitor === '') throw invalidType(`${who} monitor`, "a log name such as 'val_loss'", monitor);
    this.key = monitorKey(monitor);
    if (!MONITOR_KEYS.includes(this.key)) {
      const near = nearestKey(this.key, MONITOR_KEYS);
      throw invalidRange(`${who} monitor`, `one of the epoch logs (${MONITOR_KEYS.join(', ')})${near ? ` (did you mean '${near}'?)` : ''}`, monitor);
    }
    this.mode = resolveMode(checkOneOf(`${who} mode`, mode, ['auto', 'min', 'max'] as const), this.key);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** The current value, or undefined (with one warning) when the logs lack it. */
  value(logs: EpochLogs): number | undefined {
    const v = logs[this.key];
    if (typeof v === 'number' && !Number.isNaN(v)) return v;
    if (!this.warned) {
      this.warned = true;
      process.emitWarning(`${this.who}: '${this.key}' is not in the epoch logs (available: ${Object.keys(logs).join(', ')}); skipping`);
    }
    return undefined;
  }

  /** True (and recorded) when v improves on the best by more than minDelta. */
  improved(v: number): boolean {
    const better = this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
    if (better) this.best = v;
    return better;
  }
}

/** Copies of a network's parameters and buffers. */
function snapshot(net: Network): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, p] of Object.entries(net.namedParams())) out.set(k, p.value.data.slice());
  for (const [k, b] of Object.entries(net.namedBuffers())) out.set(k, b.data.slice());
  return out;
}

function restore(net: Network, snap: Map<string, Float32Array>): void {
  const targets: Record<string, Tensor> = { ...net.namedBuffers() };
  for (const [k, p] of Object.entries(net.namedParams())) targets[k] = p.value;
  for (const [k, data] of snap) targets[k].data.set(data);
}

export interface EarlyStoppingOptions {
  /** Log to watch (default 'val_loss'; also 'loss', 'acc', 'val_acc', 'test_acc'). */
  monitor?: string;
  /** Epochs without improvement after which training stops (default 0: at the first epoch that does not improve). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** 'min', 'max' or 'auto' (max for accuracies, min otherwise). */
  mode?: Mode;
  /** At the end of training, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
}

/**
 * Stops training when a monitored value has not improved for `patience` epochs.
 *
 * @example
 * const es = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * await trainer.fit({ callbacks: [es] });
 * es.stoppedEpoch; // the epoch it stopped after (-1: never)
 * @throws {TypeError|RangeError} bad options
 */
export class EarlyStopping implements Callback {
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Epoch it stopped training after, or -1. */
  stoppedEpoch = -1;
  /** Epoch of the best value, or -1. */
  bestEpoch = -1;
  private readonly monitor: Monitor;
  private bestWeights: Map<string, Float32Array> | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    opts = readOptions<EarlyStoppingOptions>('EarlyStopping', opts, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights']);
    this.patience = checkInt('EarlyStopping patience', opts.patience ?? 0, 0);
    const minDelta = Math.abs(checkNumber('EarlyStopping minDelta', opts.minDelta ?? 0));
    this.monitor = new Monitor('EarlyStopping', opts.monitor ?? 'val_loss', opts.mode ?? 'auto', minDelta);
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    if (typeof this.restoreBestWeights !== 'boolean') throw invalidType('EarlyStopping restoreBestWeights', 'a boolean', opts.restoreBestWeights);
  }

  /** Best value seen. */
  get best(): number {
    return this.monitor.best;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.bestEpoch = -1;
    this.bestWeights = null;
    this.monitor.best = this.monitor.mode === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd({ epoch, logs }: { epoch: number; logs: EpochLogs }, trainer: TrainerControl): void {
    const v = this.monitor.value(logs);
    if (v === undefined) return;
    if (this.monitor.improved(v)) {
      this.wait = 0;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = snapshot(trainer.network);
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      trainer.stop();
    }
  }

  onTrainEnd(_info: unknown, trainer: TrainerControl): void {
    if (this.restoreBestWeights && this.bestWeights) restore(trainer.network, this.bestWeights);
  }
}

export interface ModelCheckpointOptions {
  /** File to write; `{epoch}` is replaced by the 1-based epoch number (e.g. 'ckpt-{epoch}.safetensors'). */
  path: string;
  /** Log compared when saveBestOnly (default 'val_loss'). */
  monitor?: string;
  /** Only write when the monitored value improves (default false: every epoch). */
  saveBestOnly?: boolean;
  mode?: Mode;
}

/**
 * Writes a checkpoint (weights, optimizer state, exact training position; see TrainerControl.saveCheckpoint)
 * at the end of epochs, atomically: a reader never sees a half-written file.
 *
 * @example
 * new ModelCheckpoint({ path: 'out/best.safetensors', monitor: 'val_acc', saveBestOnly: true })
 * @throws {TypeError|RangeError} bad options
 */
export class ModelCheckpoint implements Callback {
  readonly path: string;
  readonly saveBestOnly: boolean;
  /** Paths written, in order. */
  readonly saved: string[] = [];
  /** Epoch of the last write, or -1. */
  lastSavedEpoch = -1;
  private readonly monitor: Monitor;

  constructor(opts: ModelCheckpointOptions) {
    if (opts === null || typeof opts !== 'object') throw invalidType('ModelCheckpoint options', 'an object with a path', opts);
    opts = readOptions<ModelCheckpointOptions>('ModelCheckpoint', opts, ['path', 'monitor', 'saveBestOnly', 'mode']);
    if (typeof opts.path !== 'string' || opts.path === '') throw invalidType('ModelCheckpoint path', 'a file path', opts.path);
    this.path = opts.path;
    this.saveBestOnly = opts.saveBestOnly ?? false;
    if (typeof this.saveBestOnly !== 'boolean') throw invalidType('ModelCheckpoint saveBestOnly', 'a boolean', opts.saveBestOnly);
    this.monitor = new Monitor('ModelCheckpoint', opts.monitor ?? 'val_loss', opts.mode ?? 'auto');
  }

  get best(): number {
    return this.monitor.best;
  }

  onEpochEnd({ epoch, logs }: { epoch: number; logs: EpochLogs }, trainer: TrainerControl): void {
    if (this.saveBestOnly) {
      const v = this.monitor.value(logs);
      if (v === undefined || !this.monitor.improved(v)) return;
    }
    const file = this.path.replace(/\{epoch\}/g, String(epoch + 1));
    makeDirs(path.dirname(path.resolve(file)));
    trainer.saveCheckpoint(file);
    this.saved.push(file);
    this.lastSavedEpoch = epoch;
  }
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  /** New lr = lr · factor (default 0.1; in (0, 1)). */
  factor?: number;
  /** Epochs without improvement after which the rate is reduced (default 10). */
  patience?: number;
  /** Floor of the learning rate (default 0). */
  minLr?: number;
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  mode?: Mode;
}

/**
 * Multiplies the learning rate by `factor` when a monitored value has not improved for `patience` epochs.
 *
 * @example
 * new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2, minLr: 1e-5 })
 * @throws {TypeError|RangeError} bad options
 */
export class ReduceLROnPlateau implements Callback {
  readonly factor: number;
  readonly patience: number;
  readonly minLr: number;
  readonly cooldown: number;
  wait = 0;
  private cooldownLeft = 0;
  private readonly monitor: Monitor;
  /** (epoch, new lr) of every reduction. */
  readonly reductions: { epoch: number; lr: number }[] = [];

  constructor(opts: ReduceLROnPlateauOptions = {}) {
    opts = readOptions<ReduceLROnPlateauOptions>('ReduceLROnPlateau', opts, ['monitor', 'factor', 'patience', 'minLr', 'minDelta', 'cooldown', 'mode']);
    this.factor = checkNumber('ReduceLROnPlateau factor', opts.factor ?? 0.1, { min: 0, max: 1, exclusiveMin: true });
    if (this.factor >= 1) throw new RangeError(`ReduceLROnPlateau factor: expected a number in (0, 1), got number ${this.factor}`);
    this.patience = checkInt('ReduceLROnPlateau patience', opts.patience ?? 10, 0);
    this.minLr = checkNumber('ReduceLROnPlateau minLr', opts.minLr ?? 0, { min: 0 });
    this.cooldown = checkInt('ReduceLROnPlateau cooldown', opts.cooldown ?? 0, 0);
    const minDelta = Math.abs(checkNumber('ReduceLROnPlateau minDelta', opts.minDelta ?? 1e-4));
    this.monitor = new Monitor('ReduceLROnPlateau', opts.monitor ?? 'val_loss', opts.mode ?? 'auto', minDelta);
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownLeft = 0;
  }

  onEpochEnd({ epoch, logs }: { epoch: number; logs: EpochLogs }, trainer: TrainerControl): void {
    const v = this.monitor.value(logs);
    if (v === undefined) return;
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.monitor.improved(v)) {
      this.wait = 0;
      return;
    }
    if (this.cooldownLeft > 0) return;
    this.wait++;
    if (this.wait >= this.patience) {
      const lr = trainer.learningRate;
      const next = Math.max(lr * this.factor, this.minLr);
      if (next < lr && next > 0) {
        trainer.setLearningRate(next);
        this.reductions.push({ epoch, lr: next });
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

/**
 * A callback from plain functions.
 *
 * @example
 * new LambdaCallback({ onEpochEnd: ({ epoch, logs }) => console.log(epoch, logs.val_acc) })
 */
const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

export class LambdaCallback implements Callback {
  constructor(hooks: Callback) {
    if (hooks === null || typeof hooks !== 'object') throw invalidType('LambdaCallback hooks', 'an object of hook functions', hooks);
    checkOptions('LambdaCallback hooks', hooks, HOOKS);
    for (const k of HOOKS) {
      const f = (hooks as Record<string, unknown>)[k];
      if (f !== undefined && typeof f !== 'function') throw invalidType(`LambdaCallback hooks.${k}`, 'a function', f);
    }
    Object.assign(this, hooks);
  }
}
