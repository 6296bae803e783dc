/**
 * Per-thread CPU accounting of this process from Linux's /proc/self/task/<tid>/schedstat (nanoseconds on a CPU,
 * nanoseconds runnable but waiting for one): where the time of a step goes (`npm run bench:dist`). Threads are
 * grouped by role: the main (JS) thread, which computes at 1 thread; simdnet's MPI communication thread
 * ("simdnet-comm", native/dist/comm.cpp); the threads Open MPI starts inside MPI_Init ("simdnet-mpilib"); and the
 * rest (V8's platform workers, libuv). Empty on systems without /proc schedstat.
 */
import * as fs from 'fs';

export type ThreadRole = 'main' | 'comm' | 'mpilib' | 'other';
export const THREAD_ROLES: readonly ThreadRole[] = ['main', 'comm', 'mpilib', 'other'];

/** run and runnable-wait nanoseconds per role, summed over the role's threads */
export type ThreadTimes = Record<ThreadRole, { runNs: number; waitNs: number; slices: number }>;

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null; // the thread ended between listing and reading, or no schedstat here
  }
}

/** A snapshot of every thread of this process (threads that ended since are lost: fine for deltas of long-lived ones). */
export function threadTimes(): ThreadTimes {
  const out = Object.fromEntries(THREAD_ROLES.map((r) => [r, { runNs: 0, waitNs: 0, slices: 0 }])) as ThreadTimes;
  let tids: string[] = [];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    const stat = read(`/proc/self/task/${tid}/schedstat`);
    if (!stat) continue;
    const [run, wait, slices] = stat.trim().split(/\s+/).map(Number);
    const name = (read(`/proc/self/task/${tid}/comm`) ?? '').trim();
    const role: ThreadRole = Number(tid) === process.pid ? 'main' : name === 'simdnet-comm' ? 'comm' : name === 'simdnet-mpilib' ? 'mpilib' : 'other';
    out[role].runNs += run;
    out[role].waitNs += wait;
    out[role].slices += slices;
  }
  return out;
}

/** b − a per role, in ms divided by `steps`. */
export function perStep(a: ThreadTimes, b: ThreadTimes, steps: number): Record<ThreadRole, { runMs: number; waitMs: number; slices: number }> {
  return Object.fromEntries(THREAD_ROLES.map((r) => [r, {
    runMs: (b[r].runNs - a[r].runNs) / 1e6 / steps, waitMs: (b[r].waitNs - a[r].waitNs) / 1e6 / steps, slices: (b[r].slices - a[r].slices) / steps,
  }])) as Record<ThreadRole, { runMs: number; waitMs: number; slices: number }>;
}

let commTid: string | null = null;

/** Run ns and time slices of simdnet's MPI communication thread alone (cheap: one file), or null before MPI starts. */
export function commThreadStat(): { runNs: number; slices: number } | null {
  if (commTid === null) {
    try {
      commTid = fs.readdirSync('/proc/self/task').find((t) => (read(`/proc/self/task/${t}/comm`) ?? '').trim() === 'simdnet-comm') ?? null;
    } catch {
      return null;
    }
    if (commTid === null) return null;
  }
  const stat = read(`/proc/self/task/${commTid}/schedstat`);
  if (!stat) return null;
  const [run, , slices] = stat.trim().split(/\s+/).map(Number);
  return { runNs: run, slices };
}
