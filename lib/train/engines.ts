/**
 * The ways of running the training loop, behind one interface the Trainer drives: on this thread
 * synchronously (`train()`), on this thread yielding to the event loop after every batch
 * (`fit({ worker: false })`), or in a worker thread (`fit()`, lib/train/remote.ts).
 */
import type { BatchLogs, EpochLogs, TrainLoop } from './loop';

type R<T> = T | Promise<T>;

/** One way of running the loop: here (sync or yielding) or in a worker (lib/train/remote.ts). */
export interface Engine {
  /** Runs the batches left in the current epoch; false when stopped before its end. */
  runEpoch(onBatch: (b: BatchLogs) => void): R<boolean>;
  endEpoch(): R<EpochLogs>;
  finalTestAccuracy(): R<number | null>;
  /** Called once at the end (also after errors): bring back the final state, release resources. */
  finish(ok: boolean): R<void>;
}

/** The loop on this thread, synchronously; `stopped()` is asked after every batch. */
export function localEngine(loop: TrainLoop, stopped: () => boolean): Engine {
  return {
    runEpoch: (onBatch) => loop.runEpoch(onBatch, stopped),
    endEpoch: () => loop.endEpoch(),
    finalTestAccuracy: () => loop.finalTestAccuracy(),
    finish: () => undefined,
  };
}

/** The loop on this thread, giving the event loop a turn after every batch (so stop() and aborts get in). */
export function yieldingEngine(loop: TrainLoop, stopped: () => boolean): Engine {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    runEpoch: async (onBatch) => {
      while (!loop.epochComplete) {
        onBatch(loop.step());
        if (loop.epochComplete) break;
        await tick();
        if (stopped()) return false;
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
