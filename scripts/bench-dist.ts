/**
 * `npm run bench:dist`: data-parallel scaling of DeepConvNet at global batch 100 on MNIST.
 *
 * Side by side, in one run: 1 process × 1 thread (the baseline), 1 process × 2 threads, two independent 1-thread
 * processes at batch 50 each running at the same time (the no-communication ceiling: what this host gives two
 * processes, whatever the link), and 2 ranks × 1 thread over shared memory, over TCP on the loopback interface, and
 * (as root, with ip netns) across a veth pair between two network namespaces (scripts/bench/netns.ts).
 *
 * The configurations are interleaved in rounds (A, B, C, … then again, each round starting one further along), so a
 * host that drifts during the run moves all of them alike; each run trains WARMUP + STEPS steps from the same seed,
 * and each configuration's figure is the median over the rounds of its runs' median step, with the min–max over
 * the rounds beside it. The ranks of every distributed run must end with bit-identical weights (SHA-256 compared).
 * Tables: time per step and ratios; where a step goes (per-thread CPU, peer lag, comm tail); on paper, the
 * expected scaling over N machines on 10 and 25 Gbit/s links from the measured one-thread compute time and the
 * ring-allreduce volume 2(N−1)/N × the gradient bytes per step.
 *
 * Flags: --rounds N (default 5; --quick: 2 rounds of 8 steps), SIMDNET_BENCH_STEPS (timed steps per run, default 20);
 * --ab [experiment] [--rounds N]: an A/B of 2 ranks × 1 thread between variants (scripts/bench/dist-ab.ts).
 */
import * as os from 'os';
import { abRun } from './bench/dist-ab';
import { lagAndTail, median, minMax, type Launch, type Run, runRounds, worker, type WorkerConfig } from './bench/dist-runs';
import { createVethPair, vethUnavailable, type VethPair } from './bench/netns';
import { mpiDefaults } from '../lib/dist/tuning';
import { num, printTable, ratio } from './bench/report';

const BATCH = 100;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The configurations of the main table, in the order of a round. */
function configurations(steps: number, veth: VethPair | null): Launch[] {
  const one = (threads: number): WorkerConfig => ({ threads, distributed: false, batch: BATCH, steps });
  const rank: WorkerConfig = { threads: 1, distributed: true, batch: BATCH, steps };
  const out: Launch[] = [
    { label: '1 process × 1 thread', kind: 'single', cfg: one(1) },
    { label: '1 process × 2 threads', kind: 'single', cfg: one(2) },
    { label: 'no-comm ceiling: 2 processes × 1 thread, batch 50 each', kind: 'pair', cfg: { threads: 1, distributed: false, batch: BATCH / 2, steps } },
    { label: '2 ranks × 1 thread, shared memory', kind: 'mpi', link: 'shm', cfg: rank },
    { label: '2 ranks × 1 thread, TCP loopback', kind: 'mpi', link: 'loopback', cfg: rank },
  ];
  if (veth) out.push({ label: '2 ranks × 1 thread, veth (2 netns)', kind: 'mpi', link: 'veth', cfg: rank, veth });
  return out;
}

async function main(): Promise<void> {
  if (process.argv.includes('--ab')) return abRun();
  const quick = process.argv.includes('--quick');
  const rounds = Number(flag('--rounds') ?? (quick ? 2 : 5));
  const steps = Number(process.env.SIMDNET_BENCH_STEPS ?? (quick ? 8 : 20));
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new RangeError(`--rounds: expected an integer >= 1, got ${flag('--rounds')}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`SIMDNET_BENCH_STEPS: expected an integer >= 1, got ${process.env.SIMDNET_BENCH_STEPS}`);
  const why = vethUnavailable();
  const veth = why ? null : createVethPair();
  const load0 = os.loadavg();
  let runs: Map<string, (Run | null)[]>;
  let cfgs: Launch[];
  try {
    cfgs = configurations(steps, veth);
    console.log(`bench:dist — DeepConvNet, global batch ${BATCH}, Adam; ${cfgs.length} configurations interleaved in ${rounds} rounds ` +
      `(each round starts one further along), ${3} warm-up + ${steps} timed steps per run`);
    if (why) console.log(`2 ranks across a veth pair: skipped (${why})`);
    const tuned = Object.entries(mpiDefaults(2)).map(([k, v]) => `${k.replace(/^OMPI_MCA_/, '')}=${v}`).join(', ');
    console.log(`Open MPI settings simdnet applies at 2 ranks where unset (lib/dist/tuning.ts): ${tuned || 'none'}`);
    console.log(`load average at the start: ${load0.map((v) => v.toFixed(1)).join(' ')} (${os.cpus().length} cores); a shared machine: figures are as measured under whatever else runs\n`);
    runs = await runRounds(cfgs, rounds);
  } finally {
    veth?.cleanup();
  }
  console.log('\ncheck: every distributed run ended with bit-identical weights on its ranks (SHA-256) ✓\n');
  const ok = (label: string) => (runs.get(label) ?? []).filter((r): r is Run => r !== null);
  const base = ok(cfgs[0].label);
  const baseMs = median(base.map((r) => r.stepMs));
  const ceilingLabel = cfgs[2].label;
  const ceiling = baseMs / median(ok(ceilingLabel).map((r) => r.stepMs));
  const byRound = (label: string) => runs.get(label) ?? [];
  const paired = (label: string) => byRound(label).flatMap((r, i) => (r && byRound(cfgs[0].label)[i] ? [byRound(cfgs[0].label)[i]!.stepMs / r.stepMs] : []));
  console.log('ms/step: median over the rounds of each run\'s median step (slowest rank), with the min–max over the rounds. "vs 1×1": the');
  console.log('baseline\'s median over this median; "per round": the same ratio within each round (min–max). "of ceiling": vs 1×1 over');
  console.log('the no-comm ceiling\'s — the share of what this host gives two processes that the configuration gets.');
  printTable(
    ['configuration', 'ms/step', 'min–max', 'images/s', 'vs 1×1', 'per round', 'of ceiling', 'comm wait ms/step', 'allreduce B/step/rank', 'link B/step', 'runs'],
    cfgs.map((c) => {
      const rs = ok(c.label);
      if (rs.length === 0) return [c.label, 'failed'];
      const ms = median(rs.map((r) => r.stepMs));
      const [lo, hi] = minMax(rs.map((r) => r.stepMs));
      const pr = minMax(paired(c.label));
      const dist = rs[0].ranks[0].size > 1;
      const vs = baseMs / ms;
      return [
        c.label, num(ms), `${num(lo)}–${num(hi)}`, num((BATCH * 1000) / ms), ratio(vs), c === cfgs[0] ? '—' : `${num(pr[0])}–${num(pr[1])}×`,
        c === cfgs[0] || c.label === ceilingLabel || !Number.isFinite(ceiling) ? '—' : `${Math.round((vs / ceiling) * 100)}%`,
        dist ? num(median(rs.map((r) => Math.max(...r.ranks.map((x) => x.waitMs))))) : '—',
        dist ? `${Math.round(rs[0].ranks[0].bytes)}` : '—',
        c.link === 'veth' ? `${Math.round(median(rs.map((r) => r.link / (3 + steps))))}` : '—',
        String(rs.length),
      ];
    }),
  );
  console.log('\nWhere a step goes (ms per timed step, mean over the ranks, median over the rounds). The main thread computes (1 thread);');
  console.log('"runnable" is time it waited for a CPU (other threads or processes had them); the peer lag is how long after this rank\'s');
  console.log('backward the slower rank\'s ended (imbalance, not communication); the comm tail is from the last rank\'s backward end to');
  console.log('the sums being in (when the rank saw the last one: it updates the buckets already summed meanwhile); poked rounds: the');
  console.log('communication thread\'s MPI progress rounds made on a poke (from backward, and after each bucket\'s update).');
  printTable(
    ['configuration', 'main on CPU', 'main runnable', 'comm thread CPU in compute / in wait', 'MPI lib threads CPU', 'other threads CPU', 'peer lag', 'comm tail', 'poked rounds'],
    cfgs.map((c) => {
      const rs = ok(c.label);
      if (rs.length === 0) return [c.label, 'failed'];
      const med = (f: (x: Run['ranks'][number]) => number) => median(rs.map((r) => r.ranks.reduce((a, x) => a + f(x), 0) / r.ranks.length));
      const dist = rs[0].ranks[0].size > 1;
      const lt = rs.map((r) => lagAndTail(r.ranks));
      const has = lt.every((v) => v !== null);
      return [c.label, num(med((x) => x.threads.main.runMs)), num(med((x) => x.threads.main.waitMs)),
        dist ? `${num(med((x) => x.threads.comm.runMs - x.commInWait.runMs))} / ${num(med((x) => x.commInWait.runMs))}` : '—', dist ? num(med((x) => x.threads.mpilib.runMs)) : '—',
        num(med((x) => x.threads.other.runMs)),
        dist && has ? num(median(lt.map((v) => v!.lag))) : '—', dist && has ? num(median(lt.map((v) => v!.tail))) : '—',
        dist ? num(med((x) => x.pokedRounds)) : '—'];
    }),
  );
  console.log(`\nload average at the end: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
  if (base.length === 0) return;
  // ---- on paper: N machines, ring allreduce ----
  const G = base[0].ranks[0].gradientBytes;
  const perImageMs = baseMs / BATCH;
  console.log(`\nOn paper (ring allreduce, no overlap assumed): compute ${num(perImageMs)} ms/image on 1 thread (the baseline above), ` +
    `gradient ${G} bytes per step; T(N) = ${BATCH}/N × ${num(perImageMs)} ms + 2(N−1)/N × ${G} B / link + 2(N−1) × 50 µs latency`);
  const rowsPaper = [1, 2, 4, 8, 16, 32, 64].map((N) => {
    const compute = (BATCH / N) * perImageMs;
    const cells = [String(N), `${num(BATCH / N)}`, num(compute)];
    for (const gbit of [10, 25]) {
      const comm = N === 1 ? 0 : ((2 * (N - 1)) / N) * G * 8 / (gbit * 1e9) * 1000 + 2 * (N - 1) * 0.05;
      const t = compute + comm;
      cells.push(num(comm), ratio(baseMs / t), `${Math.round((baseMs / t / N) * 100)}%`);
    }
    return cells;
  });
  printTable(['N', 'images/rank', 'compute ms', 'comm ms @10G', 'speed-up @10G', 'eff @10G', 'comm ms @25G', 'speed-up @25G', 'eff @25G'], rowsPaper);
}

if (process.env.SIMDNET_BENCH_DIST_WORKER) worker(JSON.parse(process.env.SIMDNET_BENCH_DIST_WORKER) as WorkerConfig);
else {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}