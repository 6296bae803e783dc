/**
 * `npm run bench -- --contention[=N]`: the bench on a busy machine. One competing busy process per N cores
 * (default N = 2: one busy process on a 2-core machine, as in issue #14's measurement), each a plain CPU loop at
 * the bench's own priority (same nice value: an ordinary job sharing the server), started before the timings and
 * stopped after them by the bench itself.
 *
 * The busy processes are never left running: stop() kills them; so do the process's 'exit' handler (normal end,
 * process.exit, an uncaught error) and SIGINT/SIGTERM/SIGHUP handlers; and each child polls its parent's pid and
 * exits on its own when the bench is gone (killed with SIGKILL, say).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as os from 'os';

/** The busy loop: spins, and every ~50 ms checks that its parent is still the bench (else exits). */
const BUSY_LOOP = `
const parent = Number(process.argv[1]);
let x = 0;
for (;;) {
  const t = Date.now();
  while (Date.now() - t < 50) x = (x * 1103515245 + 12345) | 0;
  if (process.ppid !== parent) process.exit(0);
}`;

export interface Contention {
  /** busy processes running */
  readonly procs: number;
  /** one per this many cores */
  readonly perCores: number;
  readonly pids: number[];
  /** Kills the busy processes (idempotent) and waits until they are gone. */
  stop(): Promise<void>;
}

/** Parses the value of --contention (undefined: the flag without a value): cores per busy process, 1..1024. */
export function parseContention(v: string | undefined): number {
  if (v === undefined || v === '') return 2;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new RangeError(`--contention: expected cores per busy process, an integer 1..1024 (e.g. --contention=2); got '${v}'`);
  return n;
}

/** How many busy processes --contention=perCores starts on a machine with `cores` cores (at least 1). */
export function busyProcesses(cores: number, perCores: number): number {
  return Math.max(1, Math.ceil(cores / perCores));
}

/** Starts ceil(cores / perCores) busy processes at this process's priority. */
export function startContention(perCores: number, cores = os.cpus().length): Contention {
  const n = busyProcesses(cores, perCores);
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          c.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.on('exit', killAll);
  for (const s of signals) process.on(s, onSignal);
  for (let i = 0; i < n; i++) {
    const c = spawn(process.execPath, ['-e', BUSY_LOOP, String(process.pid)], { stdio: 'ignore' });
    c.on('error', () => undefined); // a failed spawn is reported by stop()'s count, not as an uncaught error
    children.push(c);
  }
  let stopped: Promise<void> | null = null;
  return {
    procs: n,
    perCores,
    pids: children.map((c) => c.pid ?? -1),
    stop() {
      if (!stopped) {
        stopped = Promise.all(children.map((c) => new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }))).then(() => {
          process.off('exit', killAll);
          for (const s of signals) process.off(s, onSignal);
        });
      }
      return stopped;
    },
  };
}
