/**
 * Loads the optional MPI addon (build/mpi/simdnet_mpi.node, built by scripts/build-mpi.js from native/dist/
 * when Open MPI was installed at install time). The main addon and the TypeScript backend never need it: only
 * distributed training asks for it, and without it gets one error that says what to install.
 *
 * SIMDNET_MPI=0 hides it (as on a machine without MPI); SIMDNET_MPI_PATH loads another build of it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { setTempGuard } from '../io/atomic';

/** Every export of simdnet_mpi.node (native/dist/addon.cpp). All MPI calls run on the addon's own thread. */
export interface MpiAddon {
  /** MPI_Init_thread(FUNNELED) on the communication thread; fails after timeoutMs. */
  init(timeoutMs: number): { rank: number; size: number; threadLevel: number; library: string };
  /** Starts a sum-allreduce in place (buf *= scale first, Float32Array only); returns its sequence number (1, 2, …). */
  allreduceStart(buf: Float32Array | Float64Array, scale: number, label: string): number;
  /** Starts an allgather of `local` (bytes) into `out` (size × local bytes). */
  allgatherStart(local: ArrayBufferView, out: ArrayBufferView, label: string): void;
  /** Starts a broadcast of `buf` (bytes) from `root`. */
  bcastStart(buf: ArrayBufferView, root: number, label: string): void;
  /** Waits until every started collective completed; throws after timeoutMs or on an MPI error. */
  waitAll(timeoutMs: number): void;
  /** Waits until every collective up to sequence number `seq` completed (later ones may still run); as waitAll. */
  waitUntil(seq: number, timeoutMs: number): void;
  /** Asks the communication thread for a round of progress on the outstanding collectives (between layers). */
  poke(): void;
  /** Collectives completed, bytes handed to them, ms callers waited; poke() calls and the progress rounds they caused. */
  stats(): { jobs: number; payloadBytes: number; waitMs: number; pokes: number; pokedRounds: number };
  /** MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job (does not return). */
  abort(code: number): void;
  finalize(): void;
  failed(): boolean;
  /** Registers a temporary file to remove if one of the `ending` signals (1 SIGINT, 2 SIGTERM, 4 SIGHUP) ends the
   * process mid-write (native/dist/signals.h); a slot for unguardFile, or -1 (not guarded). */
  guardFile(path: string, ending: number): number;
  unguardFile(slot: number): void;
  /** Temporary files registered now. */
  guardedFiles(): number;
}

const EXPORTS: readonly (keyof MpiAddon)[] = [
  'init', 'allreduceStart', 'allgatherStart', 'bcastStart', 'waitAll', 'waitUntil', 'poke', 'stats', 'abort', 'finalize', 'failed',
  'guardFile', 'unguardFile', 'guardedFiles',
];

/** What to do when MPI is missing: the one sentence every such error ends with. */
export const MPI_INSTALL_HINT =
  'install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), then rebuild simdnet ' +
  '(npm rebuild simdnet; in a checkout: npm run build:mpi), and launch with mpirun -np N';

/** The package root (dist/lib/dist -> root, or lib/dist -> root under ts-jest). */
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    dir = path.dirname(dir);
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'native', 'dist'))) return dir;
  }
  return path.join(__dirname, '..', '..');
}

/** Where the MPI addon is (or would be). */
export function mpiAddonPath(): string {
  return process.env.SIMDNET_MPI_PATH || path.join(packageRoot(), 'build', 'mpi', 'simdnet_mpi.node');
}

let cached: MpiAddon | null = null;
let cachedError: Error | null = null;

/**
 * The MPI addon, or a clear Error saying what is missing and what to install.
 * @throws {Error} MPI disabled (SIMDNET_MPI=0), the addon not built, or libmpi not loadable
 */
export function loadMpi(): MpiAddon {
  if (cached) return cached;
  if (cachedError) throw cachedError;
  const file = mpiAddonPath();
  let why: string | null = null;
  if (process.env.SIMDNET_MPI === '0') why = 'SIMDNET_MPI=0 disables it';
  else if (!fs.existsSync(file)) why = `the MPI addon was not built (${file} is missing: Open MPI was not found when simdnet was installed)`;
  if (why === null) {
    try {
      const m = require(file) as MpiAddon;
      const missing = EXPORTS.filter((k) => typeof m[k] !== 'function');
      if (missing.length) why = `${file} is stale (missing ${missing.join(', ')}): rebuild it`;
      else {
        cached = m;
        // mpirun ends the ranks of an interrupted job with SIGTERM: a checkpoint being written then leaves no
        // temporary file behind (lib/io/atomic.ts registers each one)
        setTempGuard({ guard: (file, ending) => m.guardFile(file, ending), unguard: (slot) => m.unguardFile(slot) });
      }
    } catch (err) {
      why = `${file} does not load (${(err as Error).message.split('\n')[0]})`;
    }
  }
  if (cached) return cached;
  cachedError = new Error(`simdnet: distributed training needs Open MPI, and ${why}. To enable it: ${MPI_INSTALL_HINT}.`);
  throw cachedError;
}

/** True when the MPI addon loads here (for tests and tools; does not initialize MPI). */
export function mpiAvailable(): boolean {
  try {
    loadMpi();
    return true;
  } catch {
    return false;
  }
}
