/**
 * Progress during backward (native/dist/comm.cpp): Open MPI advances a non-blocking collective only inside an MPI
 * call, so backward pokes the communication thread after every layer and the thread makes a round of progress on
 * each poke. The addon counts the pokes and the rounds they caused: both > 0 by default, and no round caused by a
 * poke with SIMDNET_MPI_PROGRESS=poll (timer polling; the pokes still arrive and are ignored).
 */
import { describeMpi, readRank, runRanks, tmpDir } from './helpers';

interface CommStats { jobs: number; pokes: number; pokedRounds: number }

async function stats(env: NodeJS.ProcessEnv): Promise<(CommStats & { probe: string[] | null })[]> {
  const dir = tmpDir('progress');
  // one layer per bucket: a bucket starts after each Affine's backward, then the poke
  const cfg = { rows: 400, epochs: 1, batch: 40, mode: 'dist', out: dir, distributed: { bucketBytes: 4 }, probeWaitUntil: true };
  const r = await runRanks(2, cfg, 90000, env);
  expect(r.stderr).not.toMatch(/rank \d:/);
  expect(r.code).toBe(0);
  return [0, 1].map((rank) => {
    const out = readRank(dir, 'dist', rank) as unknown as { comm: CommStats; probe: string[] | null };
    return { ...out.comm, probe: out.probe };
  });
}

describeMpi('distributed: progress poked from backward', () => {
  it('every rank is poked after each layer and makes progress rounds on the pokes', async () => {
    for (const s of await stats({})) {
      expect(s.pokes).toBeGreaterThanOrEqual(10 * 5); // 10 steps × 5 layers (Affine, Relu, Affine, Relu, Affine)
      expect(s.pokedRounds).toBeGreaterThan(0);
      expect(s.pokedRounds).toBeLessThanOrEqual(s.pokes);
      // waitUntil (per-bucket waits, lib/dist/buckets.ts) refuses what is not a sequence number, without aborting
      expect(s.probe).toEqual([
        expect.stringMatching(/^RangeError: seq: expected a sequence number .*got -1/),
        expect.stringMatching(/^RangeError: seq: expected a sequence number .*got 1\.5/),
        expect.stringMatching(/^RangeError: seq: expected a sequence number .*got nan/),
        'TypeError: seq: expected a number',
        'beyond: returned',
      ]);
    }
  }, 120000);

  it('with SIMDNET_MPI_PROGRESS=poll the pokes arrive but cause no progress round (the timer does the work)', async () => {
    for (const s of await stats({ SIMDNET_MPI_PROGRESS: 'poll' })) {
      expect(s.pokes).toBeGreaterThanOrEqual(10 * 5);
      expect(s.pokedRounds).toBe(0);
      expect(s.jobs).toBeGreaterThan(10 * 3); // the collectives still completed
    }
  }, 120000);
});
