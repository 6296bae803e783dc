/**
 * Training: the Trainer (sync `train()` like the book, async `fit()` in a worker thread), callbacks,
 * learning-rate schedules, and shared-memory helpers for large data sets.
 */
export { Trainer, fit, type FitOptions, type TrainerOptions, type TrainResult } from './trainer';
export {
  EarlyStopping, LambdaCallback, ModelCheckpoint, ReduceLROnPlateau,
  type Callback, type EarlyStoppingOptions, type ModelCheckpointOptions, type Mode, type ReduceLROnPlateauOptions, type TrainerControl,
} from './callbacks';
export { cosineDecay, exponentialDecay, stepDecay, type LrSchedule } from './schedules';
export type { BatchLogs, EpochLogs, History, LoopState, Sampling } from './loop';
export { shareTarget, shareTensor, type DataPair } from './data';
