/**
 * `npm run bench:dist`: data-parallel scaling of DeepConvNet at global batch 100 on MNIST.
 *
 * Side by side, in one run: 1 process × 1 thread (the baseline), 1 process × 2 threads, and 2 ranks × 1 thread
 * over shared memory, over TCP on the loopback interface, and (as root, with ip netns) across a veth pair between
 * two network namespaces (scripts/bench/netns.ts). Each configuration trains WARMUP + STEPS steps from the same
 * seed; the table gives the median time per step after the warm-up, the time per step spent waiting for the
 * collectives, the bytes each rank hands to the allreduce per step, and what crossed the veth. First, the check:
 * the ranks of every distributed run must end with bit-identical weights (SHA-256 compared).
 *
 * Then, on paper: the expected scaling over N machines on 10 and 25 Gbit/s links, from the measured one-thread
 * compute time per image and the ring-allreduce volume 2(N−1)/N × the gradient bytes per step.
 */
import { spawn } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { setThreads, useBackend } from '../lib/backend';
import { loadMnist } from '../lib/data/mnist';
import { Communicator } from '../lib/dist/communicator';
import { DeepConvNet } from '../lib/nets/deep_convnet';
import { sliceRows } from '../lib/train/data';
import { Trainer } from '../lib/train/trainer';
import { createVethPair, vethUnavailable } from './bench/netns';
import { num, printTable, ratio } from './bench/report';
import { commThreadStat, perStep, threadTimes, type ThreadRole } from './bench/threads';

const BATCH = 100;
const WARMUP = 3;
const STEPS = Number(process.env.SIMDNET_BENCH_STEPS ?? 15);

interface WorkerResult {
  rank: number;
  size: number;
  stepMs: number;
  waitMs: number;
  bytes: number;
  gradientBytes: number;
  hash: string;
  /** per role: ms on a CPU and ms runnable without one, per timed step (scripts/bench/threads.ts) */
  threads: Record<ThreadRole, { runMs: number; waitMs: number; slices: number }>;
  /** per timed step: when this rank's backward ended (it called finish) and when the allreduces were done (ms, CLOCK_MONOTONIC) */
  backwardEnd: number[];
  reduced: number[];
  /** the communication thread's CPU ms and wake-ups per timed step while this rank waited for the sums (the rest: during compute) */
  commInWait: { runMs: number; slices: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One process (or rank): trains WARMUP + STEPS steps and prints its figures as one JSON line. */
function worker(): void {
  const cfg = JSON.parse(process.env.SIMDNET_BENCH_DIST_WORKER!) as { threads: number; distributed: boolean; bucketBytes?: number };
  useBackend('native');
  setThreads(cfg.threads);
  const rows = (WARMUP + STEPS) * BATCH;
  const m = loadMnist({ flatten: false });
  const x = sliceRows(m.train.images, 0, rows);
  const t = m.train.labels.subarray(0, rows);
  const net = new DeepConvNet({ seed: 0 });
  const times: number[] = [];
  let t0 = 0;
  let mark = { waitMs: 0, bytes: 0, steps: 0 };
  let cpu0 = threadTimes();
  let cpu1 = cpu0;
  const backwardEnd: number[] = [];
  const commInWait = { runMs: 0, slices: 0 };
  const reduced: number[] = [];
  const mono = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: one clock for every process (and namespace) of the host
  const trainer: Trainer = new Trainer(net, x, t, null, null, {
    epochs: 1, miniBatchSize: BATCH, optimizer: 'adam', optimizerParam: { lr: 0.001 }, seed: 0, evaluateSampleNumPerEpoch: 1,
    distributed: cfg.distributed && cfg.bucketBytes ? { bucketBytes: cfg.bucketBytes } : cfg.distributed,
    callbacks: [{
      onTrainBegin: () => {
        t0 = performance.now();
      },
      onBatchEnd: (b) => {
        const t = performance.now();
        if (b.batch >= WARMUP) times.push(t - t0);
        t0 = t;
        if (b.batch === WARMUP - 1 && trainer.parallel) mark = { ...trainer.parallel.stepStats };
        if (b.batch === WARMUP - 1) cpu0 = threadTimes();
        if (b.batch === WARMUP + STEPS - 1) cpu1 = threadTimes();
      },
    }],
  });
  if (trainer.parallel) {
    // the moment backward ends on this rank and the moment its gradient sums are in (a bench-only look inside)
    const buckets = (trainer.parallel as unknown as { buckets: { finish(): void } }).buckets;
    const finish = buckets.finish.bind(buckets);
    let step = 0;
    buckets.finish = () => {
      const timed = step++ >= WARMUP && step <= WARMUP + STEPS;
      const c0 = timed ? commThreadStat() : null;
      if (timed) backwardEnd.push(mono());
      finish();
      if (timed) reduced.push(mono());
      const c1 = c0 ? commThreadStat() : null;
      if (c0 && c1) {
        commInWait.runMs += (c1.runNs - c0.runNs) / 1e6 / STEPS;
        commInWait.slices += (c1.slices - c0.slices) / STEPS;
      }
    };
  }
  trainer.train();
  const dp = trainer.parallel;
  const steps = dp ? dp.stepStats.steps - mark.steps : 1;
  const out: WorkerResult = {
    rank: dp ? dp.rank : 0,
    size: dp ? dp.size : 1,
    stepMs: median(times),
    waitMs: dp ? (dp.stepStats.waitMs - mark.waitMs) / steps : 0,
    bytes: dp ? (dp.stepStats.bytes - mark.bytes) / steps : 0,
    gradientBytes: dp ? dp.gradientBytes : Object.values(net.namedParams()).reduce((s, p) => s + p.value.size * 4, 0),
    hash: dp ? dp.weightsHash : '',
    threads: perStep(cpu0, cpu1, STEPS),
    backwardEnd,
    reduced,
    commInWait,
  };
  process.stdout.write(`BENCH ${JSON.stringify(out)}\n`);
  Communicator.existing()?.finalize();
}

function runCmd(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

async function measure(
  label: string, cmd: string, args: string[], cfg: object, extra: () => number = () => 0, env: NodeJS.ProcessEnv = {},
): Promise<{ label: string; ranks: WorkerResult[]; link: number } | null> {
  process.stdout.write(`  ${label} …\n`);
  const before = extra();
  const r = await runCmd(cmd, args, { SIMDNET_BENCH_DIST_WORKER: JSON.stringify(cfg), ...env });
  const link = extra() - before;
  const ranks = r.out.split('\n').filter((l) => l.startsWith('BENCH ')).map((l) => JSON.parse(l.slice(6)) as WorkerResult);
  if (r.code !== 0 || ranks.length === 0) {
    process.stdout.write(`    failed (exit ${r.code}): ${r.err.trim().split('\n').slice(-3).join(' | ')}\n`);
    return null;
  }
  ranks.sort((a, b) => a.rank - b.rank);
  if (ranks.some((x) => x.hash !== ranks[0].hash)) throw new Error(`${label}: the ranks' weights differ (${ranks.map((x) => x.hash.slice(0, 12)).join(' ')})`);
  return { label, ranks, link };
}

/** Peer lag and comm tail (ms, medians over the steps, mean over the ranks): see the "where a step goes" table. */
function lagAndTail(ranks: WorkerResult[]): { lag: number; tail: number } | null {
  if (ranks.length < 2 || !ranks.every((x) => x.backwardEnd.length === ranks[0].backwardEnd.length && x.reduced.length === x.backwardEnd.length)) return null;
  const last = ranks[0].backwardEnd.map((_, k) => Math.max(...ranks.map((x) => x.backwardEnd[k])));
  const mean = (f: (x: WorkerResult) => number) => ranks.reduce((a, x) => a + f(x), 0) / ranks.length;
  return { lag: mean((x) => median(x.backwardEnd.map((b, k) => last[k] - b))), tail: mean((x) => median(x.reduced.map((e, k) => e - last[k]))) };
}

/**
 * `--ab [rounds]`: how the communication thread makes progress while backward runs, A/B in one run: poked after
 * every layer (the default) vs polling on a 20 µs timer (SIMDNET_MPI_PROGRESS=poll, the first design), 2 ranks ×
 * 1 thread over TCP loopback and (as root) across the veth pair, alternating in rounds; medians per variant.
 */
async function abRun(rounds: number): Promise<void> {
  const self = [path.join(__dirname, 'bench-dist.js')];
  const node = process.execPath;
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  const variants = [{ name: 'poked (default)', env: {} }, { name: 'timer polling', env: { SIMDNET_MPI_PROGRESS: 'poll' } }];
  const xs = ['-x', 'SIMDNET_MPI_PROGRESS'];
  const why = vethUnavailable();
  const veth = why ? null : createVethPair();
  console.log(`bench:dist --ab — DeepConvNet, global batch ${BATCH}, 2 ranks × 1 thread; ${rounds} rounds of ${WARMUP} warm-up + ${STEPS} timed steps per variant${why ? `; veth skipped (${why})` : ''}\n`);
  const got = new Map<string, { step: number; wait: number; comm: number; wakeups: number; runnable: number; lag: number; tail: number }[]>(); // comm, wakeups: during compute
  try {
    for (let r = 0; r < rounds; r++) {
      for (const link of veth ? ['TCP loopback', 'veth'] : ['TCP loopback']) {
        for (const v of variants) {
          let cmd: string;
          let args: string[];
          if (link === 'veth') {
            const m = veth!.mpirun(['-x', 'SIMDNET_BENCH_DIST_WORKER', '-x', 'PATH', '-x', 'SIMDNET_BENCH_STEPS', ...xs, '--bind-to', 'none']);
            [cmd, args] = [m.cmd, [...m.args, '-np', '2', node, ...self]];
          } else {
            [cmd, args] = ['mpirun', [...root, '-np', '2', '--bind-to', 'none', ...xs, '--mca', 'btl', 'self,tcp', '--mca', 'btl_tcp_if_include', 'lo', node, ...self]];
          }
          const res = await measure(`round ${r + 1}, ${link}, ${v.name}`, cmd, args, { threads: 1, distributed: true }, () => 0, { SIMDNET_MPI_PROGRESS: '', ...v.env });
          if (!res) continue;
          const mean = (f: (x: WorkerResult) => number) => res.ranks.reduce((a, x) => a + f(x), 0) / res.ranks.length;
          const lt = lagAndTail(res.ranks);
          const key = `${link}\t${v.name}`;
          got.set(key, [...(got.get(key) ?? []), {
            step: Math.max(...res.ranks.map((x) => x.stepMs)), wait: mean((x) => x.waitMs), comm: mean((x) => x.threads.comm.runMs - x.commInWait.runMs),
            wakeups: mean((x) => x.threads.comm.slices - x.commInWait.slices), runnable: mean((x) => x.threads.main.waitMs), lag: lt?.lag ?? NaN, tail: lt?.tail ?? NaN,
          }]);
        }
      }
    }
  } finally {
    veth?.cleanup();
  }
  console.log('\nMedians over the rounds (ms per step; the comm thread\'s CPU and wake-ups per step while its rank computes, i.e. not');
  console.log('waiting for the sums — what it takes from the compute threads —, mean over the ranks):');
  const rowsOut = [...got.entries()].map(([key, xs]) => {
    const [link, name] = key.split('\t');
    const m = (f: (x: (typeof xs)[number]) => number) => median(xs.map(f));
    const other = got.get(`${link}\t${name === variants[0].name ? variants[1].name : variants[0].name}`);
    return [link, name, num(m((x) => x.step)), name === variants[0].name && other ? ratio(median(other.map((x) => x.step)) / m((x) => x.step)) : '',
      num(m((x) => x.wait)), num(m((x) => x.comm)), num(m((x) => x.wakeups)), num(m((x) => x.runnable)), num(m((x) => x.lag)), num(m((x) => x.tail)), String(xs.length)];
  });
  printTable(['link', 'progress', 'ms/step', 'speed-up', 'comm wait', 'comm CPU in compute', 'comm wake-ups in compute', 'main runnable', 'peer lag', 'comm tail', 'runs'], rowsOut);
  console.log(`load average at the end: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
}

async function main(): Promise<void> {
  const ab = process.argv.indexOf('--ab');
  if (ab >= 0) return abRun(Number(process.argv[ab + 1] ?? 3) || 3);
  const self = [path.join(__dirname, 'bench-dist.js')];
  const node = process.execPath;
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  console.log(`bench:dist — DeepConvNet, global batch ${BATCH}, Adam; ${WARMUP} warm-up + ${STEPS} timed steps per configuration`);
  console.log('(a shared machine: figures are as measured under whatever else runs)\n');
  const rows: ({ label: string; ranks: WorkerResult[]; link: number } | null)[] = [];
  rows.push(await measure('1 process × 1 thread', node, self, { threads: 1, distributed: false }));
  rows.push(await measure('1 process × 2 threads', node, self, { threads: 2, distributed: false }));
  const mpi = ['mpirun', ...root, '-np', '2', '--bind-to', 'none'];
  rows.push(await measure('2 ranks × 1 thread, shared memory', mpi[0], [...mpi.slice(1), '--mca', 'btl', 'self,vader', node, ...self], { threads: 1, distributed: true }));
  rows.push(await measure('2 ranks × 1 thread, TCP loopback', mpi[0], [...mpi.slice(1), '--mca', 'btl', 'self,tcp', '--mca', 'btl_tcp_if_include', 'lo', node, ...self], { threads: 1, distributed: true }));
  const why = vethUnavailable();
  if (why) {
    console.log(`  2 ranks across a veth pair: skipped (${why})`);
  } else {
    const veth = createVethPair();
    try {
      const m = veth.mpirun(['-x', 'SIMDNET_BENCH_DIST_WORKER', '-x', 'PATH', '-x', 'SIMDNET_BENCH_STEPS', '--bind-to', 'none']);
      rows.push(await measure('2 ranks × 1 thread, veth (2 netns)', m.cmd, [...m.args, '-np', '2', node, ...self], { threads: 1, distributed: true }, veth.bytes));
    } finally {
      veth.cleanup();
    }
  }
  const ok = rows.filter((r): r is NonNullable<typeof r> => r !== null);
  const base = ok.find((r) => r.label === '1 process × 1 thread');
  console.log('\ncheck: every distributed run ended with bit-identical weights on its ranks (SHA-256) ✓\n');
  const totalSteps = WARMUP + STEPS;
  printTable(
    ['configuration', 'ms/step', 'images/s', 'vs 1×1', 'comm wait ms/step', 'allreduce bytes/step/rank', 'link bytes/step'],
    ok.map((r) => {
      const ms = Math.max(...r.ranks.map((x) => x.stepMs));
      return [
        r.label, num(ms), num((BATCH * 1000) / ms), base ? ratio(base.ranks[0].stepMs / ms) : '—',
        r.ranks[0].size > 1 ? num(Math.max(...r.ranks.map((x) => x.waitMs))) : '—',
        r.ranks[0].size > 1 ? `${Math.round(r.ranks[0].bytes)}` : '—',
        r.link > 0 ? `${Math.round(r.link / totalSteps)}` : '—',
      ];
    }),
  );
  console.log('\nWhere a step goes (ms per timed step, mean over the ranks). The main thread computes (1 thread); "runnable" is time it');
  console.log('waited for a CPU (other threads or processes had them); the peer lag is how long after this rank\'s backward the slower');
  console.log('rank\'s ended (imbalance, not communication); the comm tail is from the last rank\'s backward end to the sums being in.');
  printTable(
    ['configuration', 'main on CPU', 'main runnable', 'comm thread CPU in compute / in wait', 'MPI lib threads CPU', 'other threads CPU', 'peer lag', 'comm tail'],
    ok.map((r) => {
      const mean = (f: (x: WorkerResult) => number) => r.ranks.reduce((a, x) => a + f(x), 0) / r.ranks.length;
      const cells = [r.label, num(mean((x) => x.threads.main.runMs)), num(mean((x) => x.threads.main.waitMs)),
        r.ranks[0].size > 1 ? `${num(mean((x) => x.threads.comm.runMs - x.commInWait.runMs))} / ${num(mean((x) => x.commInWait.runMs))}` : '—', r.ranks[0].size > 1 ? num(mean((x) => x.threads.mpilib.runMs)) : '—',
        num(mean((x) => x.threads.other.runMs))];
      const lt = lagAndTail(r.ranks);
      cells.push(lt ? num(lt.lag) : '—', lt ? num(lt.tail) : '—');
      return cells;
    }),
  );
  if (!base) return;
  // ---- on paper: N machines, ring allreduce ----
  const G = base.ranks[0].gradientBytes;
  const perImageMs = base.ranks[0].stepMs / BATCH;
  console.log(`\nOn paper (ring allreduce, no overlap assumed): compute ${num(perImageMs)} ms/image on 1 thread (measured above), ` +
    `gradient ${G} bytes per step; T(N) = ${BATCH}/N × ${num(perImageMs)} ms + 2(N−1)/N × ${G} B / link + 2(N−1) × 50 µs latency`);
  const Ns = [1, 2, 4, 8, 16, 32, 64];
  const rowsPaper = Ns.map((N) => {
    const compute = (BATCH / N) * perImageMs;
    const cells = [String(N), `${num(BATCH / N)}`, num(compute)];
    for (const gbit of [10, 25]) {
      const comm = N === 1 ? 0 : ((2 * (N - 1)) / N) * G * 8 / (gbit * 1e9) * 1000 + 2 * (N - 1) * 0.05;
      const t = compute + comm;
      cells.push(num(comm), ratio(base.ranks[0].stepMs / t), `${Math.round((base.ranks[0].stepMs / t / N) * 100)}%`);
    }
    return cells;
  });
  printTable(['N', 'images/rank', 'compute ms', 'comm ms @10G', 'speed-up @10G', 'eff @10G', 'comm ms @25G', 'speed-up @25G', 'eff @25G'], rowsPaper);
}

if (process.env.SIMDNET_BENCH_DIST_WORKER) worker();
else main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
