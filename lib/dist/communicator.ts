/**
 * The process's connection to the other ranks: a thin, validated layer over the MPI addon (lib/dist/mpi.ts).
 * One per process (MPI is initialized once); `Communicator.world()` makes or returns it. Every wait has a time
 * limit, and every failure names this rank and what was pending.
 */
import { checkInt, invalidType } from '../validate';
import { loadMpi, type MpiAddon } from './mpi';
import { applyMpiDefaults } from './tuning';

/** Options of distributed training (`Trainer(..., { distributed: true | DistributedOptions })`). */
export interface DistributedOptions {
  /** Longest wait for any collective, in ms, before the run fails with an error naming what was pending
   * (default 120000, or SIMDNET_DIST_TIMEOUT_MS). A rank that dies is noticed sooner: mpirun ends the job. */
  timeoutMs?: number;
  /** Target size of a gradient bucket in bytes (default 65536): buckets of whole layers, last layer first,
   * each allreduced as soon as its layers' backward is done. The last bucket (the first layers) is what remains
   * to send after backward; 64 KiB keeps it small (DeepConvNet: conv4..conv1, 65 472 bytes, vs 140 KB at 256 KiB). */
  bucketBytes?: number;
}

export const DEFAULT_TIMEOUT_MS = 120000;
export const DEFAULT_BUCKET_BYTES = 64 * 1024;

/** Validated options with defaults. @throws {TypeError|RangeError} naming the option */
export function resolveDistributedOptions(o: boolean | DistributedOptions): Required<DistributedOptions> {
  if (o === true) o = {};
  if (o === null || typeof o !== 'object') throw invalidType('distributed', 'true or { timeoutMs?, bucketBytes? }', o);
  for (const k of Object.keys(o)) {
    if (k !== 'timeoutMs' && k !== 'bucketBytes') throw invalidType(`distributed.${k}`, 'no such option (timeoutMs, bucketBytes)', (o as Record<string, unknown>)[k]);
  }
  const envTimeout = process.env.SIMDNET_DIST_TIMEOUT_MS;
  const timeoutMs = o.timeoutMs ?? (envTimeout ? Number(envTimeout) : DEFAULT_TIMEOUT_MS);
  return {
    timeoutMs: checkInt(o.timeoutMs !== undefined ? 'distributed.timeoutMs' : 'SIMDNET_DIST_TIMEOUT_MS', timeoutMs, 100, 2 ** 31 - 1),
    bucketBytes: checkInt('distributed.bucketBytes', o.bucketBytes ?? DEFAULT_BUCKET_BYTES, 4, 2 ** 31 - 1),
  };
}

let world: Communicator | null = null;

/**
 * MPI_COMM_WORLD of this process: rank, size, and collectives that run on the addon's communication thread.
 *
 * @example
 * const comm = Communicator.world();          // under `mpirun -np 2 node train.js`
 * const v = new Float64Array([comm.rank]);
 * comm.allreduceSum(v, 'ranks');              // v[0] === 1 on both ranks
 * @throws {Error} Open MPI is not installed / the MPI addon is not built (the message says what to install),
 *   MPI_Init failed, or (collectives) a peer stopped answering within timeoutMs
 */
export class Communicator {
  readonly rank: number;
  readonly size: number;
  /** MPI_Get_library_version, first line. */
  readonly library: string;
  private finalized = false;

  private constructor(private readonly mpi: MpiAddon, public timeoutMs: number) {
    applyMpiDefaults(); // Open MPI reads its OMPI_MCA_* settings in MPI_Init (lib/dist/tuning.ts)
    const r = mpi.init(timeoutMs);
    this.rank = r.rank;
    this.size = r.size;
    this.library = r.library.split('\n')[0];
  }

  /** The world communicator (MPI initialized on first use). */
  static world(timeoutMs = DEFAULT_TIMEOUT_MS): Communicator {
    if (!world) world = new Communicator(loadMpi(), timeoutMs);
    else world.timeoutMs = timeoutMs;
    return world;
  }

  /** The world communicator if MPI was initialized in this process, else null. */
  static existing(): Communicator | null {
    return world;
  }

  /** Starts an in-place sum-allreduce (buf *= scale first); it completes on the next wait() (or waitFor of the
   * sequence number returned). */
  startAllreduce(buf: Float32Array | Float64Array, scale: number, label: string): number {
    this.live();
    return this.mpi.allreduceStart(buf, scale, label);
  }

  /** Asks for a round of progress on the started collectives now (cheap; called between layers of backward). */
  poke(): void {
    this.mpi.poke();
  }

  /** Waits for every started collective. @throws {Error} timeout or MPI error, naming the rank and the job */
  wait(): void {
    try {
      this.mpi.waitAll(this.timeoutMs);
    } catch (err) {
      throw this.error((err as Error).message);
    }
  }

  /** Waits for the collectives started up to the one whose sequence number is `seq` (startAllreduce's return);
   * later ones keep going. @throws {Error} as wait() */
  waitFor(seq: number): void {
    try {
      this.mpi.waitUntil(seq, this.timeoutMs);
    } catch (err) {
      throw this.error((err as Error).message);
    }
  }

  /** Sum over the ranks, in place, now. */
  allreduceSum(buf: Float32Array | Float64Array, label: string): void {
    this.startAllreduce(buf, 1, label);
    this.wait();
  }

  /** Every rank's `local` bytes (same length on every rank), in rank order. */
  allgather(local: Uint8Array, label: string): Uint8Array[] {
    this.live();
    const out = new Uint8Array(local.length * this.size);
    this.mpi.allgatherStart(local, out, label);
    this.wait();
    return Array.from({ length: this.size }, (_, r) => out.subarray(r * local.length, (r + 1) * local.length));
  }

  /** Rank `root`'s bytes of `buf` into every rank's `buf`. */
  bcast(buf: ArrayBufferView, root: number, label: string): void {
    this.live();
    this.mpi.bcastStart(buf, root, label);
    this.wait();
  }

  /**
   * Since MPI started: collectives completed, bytes handed to them, time spent waiting for them; poke() calls, and
   * the progress rounds the communication thread made because a poke woke it (0 with SIMDNET_MPI_PROGRESS=poll).
   */
  stats(): { jobs: number; payloadBytes: number; waitMs: number; pokes: number; pokedRounds: number } {
    return this.mpi.stats();
  }

  /** An Error whose message says which rank failed and why. */
  error(message: string): Error {
    return new Error(`simdnet distributed, rank ${this.rank} of ${this.size}: ${message}`);
  }

  /** Ends the job on every rank (MPI_Abort): after an error the collectives cannot recover from. */
  abort(code = 1): never {
    this.mpi.abort(code);
    process.exit(code); // not reached: MPI_Abort ends the process
  }

  /** MPI_Finalize (every rank must call it; done by the CLI and at exit). No collective may follow. */
  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.mpi.finalize();
  }

  private live(): void {
    if (this.finalized) throw this.error('MPI was finalized; no collective can follow');
  }
}
