/**
 * `simdnet train --distributed`: the parts of a data-parallel CLI run that differ from one process. MPI starts
 * before anything else (a missing Open MPI is reported before data loads); rank 0 alone writes --out and prints;
 * at the end every rank finalizes MPI; after an error the job is aborted (MPI_Abort), so no rank waits forever on
 * one that gave up.
 */
import { Communicator } from '../dist/communicator';
import type { DataParallel } from '../dist/parallel';
import type { Trainer } from '../train/trainer';

/** Initializes MPI (Communicator.world) for a `--distributed` run. @throws {Error} no Open MPI: what to install */
export function startDistributed(): { rank: number; size: number } {
  const comm = Communicator.world();
  return { rank: comm.rank, size: comm.size };
}

/** Communication figures of a finished run, for summary.json. */
export function distributedSummary(dp: DataParallel): Record<string, unknown> {
  const s = dp.stepStats;
  return {
    ranks: dp.size,
    library: dp.comm.library,
    gradientBytesPerStep: dp.gradientBytes,
    commWaitMsPerStep: s.steps > 0 ? s.waitMs / s.steps : null,
    steps: s.steps,
    weightsHash: dp.weightsHash,
  };
}

/** Finalizes MPI on every rank at the end of a run; returns `code`. */
export function finishDistributed(trainer: Trainer, code: number): number {
  if (trainer.parallel) trainer.parallel.comm.finalize();
  return code;
}

/** After an error in a run of several ranks: ends the whole job (does not return then). */
export function abortDistributed(code: number): void {
  const comm = Communicator.existing();
  if (comm && comm.size > 1) comm.abort(code);
}
