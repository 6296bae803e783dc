/**
 * Ctrl-C: SIGINT to mpirun (what a terminal sends on Ctrl-C) ends every rank in bounded time — no rank is left
 * running once mpirun has exited — and the last checkpoint, written atomically by rank 0, still loads, with no
 * temporary file beside it (mpirun ends the ranks with SIGTERM, often in the middle of a checkpoint write: the MPI
 * addon's signal guard removes the temporary, native/dist/signals.h; test/dist/signals.test.ts tests it alone).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../../lib/io/model';
import { describeMpi, mpirunFlags, rankProgram, root, tmpDir } from './helpers';

/** Bound on how long the job may take to end after the SIGINT (generous: the machine is shared). */
const BOUND_MS = 30000;

/** Whether pid is a live process (not gone, not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

describeMpi('distributed: Ctrl-C', () => {
  it('SIGINT to mpirun stops every rank within the bound; none is left running; the last checkpoint loads', async () => {
    const dir = tmpDir('sigint');
    const ck = path.join(dir, 'ck.safetensors');
    const cfg = { rows: 601, epochs: 100000, batch: 60, mode: 'dist', out: dir, checkpoint: ck, pidDir: dir };
    const env = { ...process.env, SIMDNET_TEST_CONFIG: JSON.stringify(cfg) };
    const child = spawn('mpirun', [...mpirunFlags(), '-x', 'SIMDNET_TEST_CONFIG', '-np', '2', process.execPath, rankProgram], { cwd: root, env, detached: true, stdio: 'ignore' });
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const pidFile = (r: number) => path.join(dir, `pid-${r}`);
    let pids: number[] = [];
    try {
      // both ranks running, and an epoch done (a checkpoint written)
      expect(await until(() => fs.existsSync(pidFile(0)) && fs.existsSync(pidFile(1)) && fs.existsSync(ck), 90000)).toBe(true);
      pids = [0, 1].map((r) => Number(fs.readFileSync(pidFile(r), 'utf8')));
      expect(pids.every(alive)).toBe(true);
      const t0 = Date.now();
      process.kill(child.pid!, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([closed, new Promise<null>((r) => (timer = setTimeout(() => r(null), BOUND_MS)))]);
      clearTimeout(timer);
      expect(ended).not.toBeNull(); // mpirun ended within the bound
      expect(Date.now() - t0).toBeLessThan(BOUND_MS);
      expect(await until(() => !pids.some(alive), 5000)).toBe(true); // and took every rank with it
      expect(fs.existsSync(path.join(dir, 'dist-0.json'))).toBe(false); // interrupted, not finished
      // nothing but the checkpoint and the test's own files: no temporary of a write the signal cut short
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
      const state = (loadCheckpoint(ck).extra as { trainer: { epoch: number; parallel: { size: number } } }).trainer;
      expect(state.epoch).toBeGreaterThanOrEqual(1);
      expect(state.parallel.size).toBe(2);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // whatever is left of the job's process group
      } catch {
        /* gone */
      }
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }, 180000);
});
