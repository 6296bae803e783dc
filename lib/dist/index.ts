/**
 * Data-parallel training over MPI (optional: needs Open MPI at install time; see README "Distributed training").
 */
export { Communicator, resolveDistributedOptions, type DistributedOptions } from './communicator';
export { DataParallel } from './parallel';
export { loadMpi, mpiAvailable, mpiAddonPath, MPI_INSTALL_HINT } from './mpi';

import type { Network } from '../nets/network';
import type { TrainLoop } from '../train/loop';
import { Communicator, resolveDistributedOptions, type DistributedOptions } from './communicator';
import { DataParallel } from './parallel';

/**
 * Makes `loop` one rank of a data-parallel run over MPI_COMM_WORLD (initializing MPI on first use).
 * @throws {Error} Open MPI missing (the message says what to install), MPI_Init failed
 * @throws {TypeError|RangeError} bad options
 */
export function makeParallel(network: Network, loop: TrainLoop, opts: boolean | DistributedOptions): DataParallel {
  const o = resolveDistributedOptions(opts);
  const comm = Communicator.world(o.timeoutMs);
  const dp = new DataParallel(network, comm, o.bucketBytes);
  loop.useParallel(dp);
  return dp;
}
