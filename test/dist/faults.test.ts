/**
 * Faults: a rank killed mid-epoch ends the job in bounded time (mpirun's default reaction to a dead rank) and
 * the last checkpoint loads and resumes exactly; a stopped (not dead) rank trips the collective time limit on
 * the others, which then abort the job; ranks started with different settings are refused at the start, naming
 * the settings; a checkpoint of another world size is refused on resume.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCheckpoint } from '../../lib/io/model';
import { describeMpi, readRank, runRanks, tmpDir } from './helpers';

/** Bound on how long the job may take to end after a fault (generous: the machine is shared). */
const BOUND_MS = 45000;

describeMpi('distributed: faults', () => {
  const cfg = { rows: 601, epochs: 4, batch: 60, model: 'bn-dropout', optimizer: 'adam', lr: 0.001 };

  it('a rank killed mid-epoch ends the job in bounded time; the last checkpoint loads and resumes exactly', async () => {
    const dir = tmpDir('kill');
    const ck = path.join(dir, 'ck.safetensors');
    const killed = await runRanks(2, { ...cfg, mode: 'dist', out: dir, checkpoint: ck, killAt: { rank: 1, epoch: 2, batch: 4, signal: 'SIGKILL' } }, 120000);
    expect(killed.timedOut).toBe(false);
    expect(killed.code).not.toBe(0);
    expect(killed.ms).toBeLessThan(BOUND_MS);
    expect(killed.stderr).toMatch(/rank 1 .*exited on signal 9/);
    expect(fs.existsSync(path.join(dir, 'dist-0.json'))).toBe(false); // nobody finished
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]); // no half-written checkpoint left
    const saved = loadCheckpoint(ck);
    const state = (saved.extra as { trainer: { epoch: number; parallel: { size: number } } }).trainer;
    expect(state.epoch).toBe(2); // written at the end of epoch 2 (of 4), before the kill
    expect(state.parallel.size).toBe(2);

    const resumed = await runRanks(2, { ...cfg, mode: 'dist', out: dir, resume: ck }, 120000);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const whole = tmpDir('whole');
    const ref = await runRanks(2, { ...cfg, mode: 'dist', out: whole }, 120000);
    expect(ref.code).toBe(0);
    // per-rank dropout streams restored: the resumed run ends with the uninterrupted run's weights, bit for bit
    expect(readRank(dir, 'dist', 0).params).toEqual(readRank(whole, 'dist', 0).params);
    expect(readRank(dir, 'dist', 1).params).toEqual(readRank(whole, 'dist', 0).params);
  });

  it('a stopped rank: the others fail after the collective time limit, naming what was pending, and end the job', async () => {
    const dir = tmpDir('stop');
    const r = await runRanks(2, { ...cfg, mode: 'dist', out: dir, killAt: { rank: 1, epoch: 1, batch: 3, signal: 'SIGSTOP' } }, 120000,
      { SIMDNET_DIST_TIMEOUT_MS: '3000' });
    expect(r.timedOut).toBe(false);
    expect(r.code).not.toBe(0);
    expect(r.ms).toBeLessThan(BOUND_MS);
    expect(r.stderr).toMatch(/rank 0 of 2: no progress on .* for 3000 ms .*a peer rank is stopped, overloaded or unreachable \(in training step 16 /);
  });

  it.each([
    ['batch size', { batch: 50 }, /batch size: rank 0 has 60, rank 1 has 50/],
    ['seed', { seed: 8 }, /seed: rank 0 has 7, rank 1 has 8/],
    ['model', { hidden: [32, 16] }, /model: rank 0 has .*rank 1 has /],
  ])('ranks started with a different %s are refused at the start, naming it', async (_what, override, message) => {
    const dir = tmpDir('mismatch');
    const r = await runRanks(2, { ...cfg, mode: 'dist', out: dir, perRank: { 1: override } }, 60000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the ranks were started with different configurations/);
    expect(r.stderr).toMatch(message);
  });

  it('resuming a checkpoint of 2 ranks on 3 is refused, naming both world sizes', async () => {
    const dir = tmpDir('size');
    const ck = path.join(dir, 'ck.safetensors');
    expect((await runRanks(2, { ...cfg, epochs: 1, mode: 'dist', out: dir, checkpoint: ck }, 60000)).code).toBe(0);
    const r = await runRanks(3, { ...cfg, mode: 'dist', out: dir, resume: ck }, 60000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/a run of 3 ranks \(this job's world size\), got a checkpoint of 2 ranks; resume with mpirun -np 2/);
  });
});
