/**
 * Across a real network interface: two ranks in two network namespaces joined by a veth pair (link-local
 * addresses that exist only inside them; scripts/bench/netns.ts), MPI on TCP only. The result must be the
 * one-process result (as in correctness.test.ts), identical on both ranks, and the veth must have carried at
 * least the gradient traffic. Needs root and ip netns; skipped with a line saying why otherwise.
 */
import { createVethPair, vethUnavailable, type VethPair } from '../../scripts/bench/netns';
import { describeMpi, rankProgram, readRank, run, runRanks, tmpDir, weights } from './helpers';

const why = vethUnavailable();
if (why) process.stdout.write(`distributed veth test SKIPPED: ${why}\n`);

describeMpi('distributed: two ranks in two network namespaces over a veth pair', () => {
  let veth: VethPair | null = null;
  afterAll(() => veth?.cleanup());

  (why ? it.skip : it)('trains to the one-process weights, identical on both ranks, with the traffic on the veth', async () => {
    const cfg = { rows: 601, epochs: 3, batch: 60 };
    const ref = tmpDir('veth-ref');
    expect((await runRanks(0, { ...cfg, mode: 'single', out: ref })).code).toBe(0);
    veth = createVethPair();
    const out = tmpDir('veth');
    const before = veth.bytes();
    const env = { SIMDNET_TEST_CONFIG: JSON.stringify({ ...cfg, mode: 'dist', out }) };
    const m = veth.mpirun(['-x', 'SIMDNET_TEST_CONFIG', '-x', 'PATH']);
    const r = await run(m.cmd, [...m.args, '-np', '2', process.execPath, rankProgram], env, 120000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const moved = veth.bytes() - before;
    const [a, b] = [readRank(out, 'dist', 0), readRank(out, 'dist', 1)];
    expect(b.hashes).toEqual(a.hashes);
    expect(b.params).toEqual(a.params);
    const single = weights(readRank(ref, 'single', 0));
    const w = weights(a);
    for (const k of Object.keys(single)) single[k].forEach((v, i) => expect(Math.abs(v - w[k][i])).toBeLessThanOrEqual(2e-5));
    // 33 steps × (gradient floats × 4 bytes) each way at least, through the veth
    const gradBytes = Object.values(w).reduce((s, x) => s + x.byteLength, 0);
    expect(moved).toBeGreaterThan(33 * gradBytes);
    veth.cleanup();
    veth = null;
  });
});
