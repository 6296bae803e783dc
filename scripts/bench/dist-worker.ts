/**
 * One process (or rank) of `npm run bench:dist`: trains WARMUP + steps steps of DeepConvNet (Adam, seed 0) on its
 * batch and prints its figures as one `BENCH {json}` line on stdout. scripts/bench-dist.ts launches it (alone, as
 * two independent processes, or under mpirun) with its configuration in SIMDNET_BENCH_DIST_WORKER.
 */
import * as fs from 'fs';
import * as path from 'path';
import { setThreads, useBackend } from '../../lib/backend';
import { loadMnist } from '../../lib/data/mnist';
import { Communicator } from '../../lib/dist/communicator';
import { DeepConvNet } from '../../lib/nets/deep_convnet';
import { sliceRows } from '../../lib/train/data';
import { Trainer } from '../../lib/train/trainer';
import { commThreadStat, perStep, threadTimes, type ThreadRole } from './threads';
import { median } from './timing';

export const WARMUP = 3;

export interface WorkerConfig {
  threads: number;
  distributed: boolean;
  /** this process's batch (the global batch when distributed) */
  batch: number;
  steps: number;
  bucketBytes?: number;
  /** independent processes that must start their steps together: each writes `ready-<index>` into dir and
   * waits until `parties` such files exist (the no-communication ceiling: two processes side by side) */
  barrier?: { dir: string; parties: number; index: number };
}

export interface WorkerResult {
  rank: number;
  size: number;
  stepMs: number;
  waitMs: number;
  bytes: number;
  gradientBytes: number;
  hash: string;
  /** per role: ms on a CPU and ms runnable without one, per timed step (scripts/bench/threads.ts) */
  threads: Record<ThreadRole, { runMs: number; waitMs: number; slices: number }>;
  /** per timed step: when this rank's backward ended (it called finish) and when the gradient sums were all in (ms,
   * CLOCK_MONOTONIC; the optimizer updates the buckets whose sums are in meanwhile, so this is the last bucket's
   * arrival, not the end of finish) */
  backwardEnd: number[];
  reduced: number[];
  /** the communication thread's CPU ms and wake-ups per timed step while this rank waited for the sums (the rest: during compute) */
  commInWait: { runMs: number; slices: number };
  /** the communication thread's progress rounds made on a poke, per timed step */
  pokedRounds: number;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function barrier(b: NonNullable<WorkerConfig['barrier']>): void {
  fs.writeFileSync(path.join(b.dir, `ready-${b.index}`), '');
  const t0 = Date.now();
  while (fs.readdirSync(b.dir).filter((f) => f.startsWith('ready-')).length < b.parties) {
    if (Date.now() - t0 > 120000) throw new Error(`bench:dist worker ${b.index}: the other processes did not get ready within 120 s`);
    sleepMs(1);
  }
}

export function worker(cfg: WorkerConfig): void {
  const { batch, steps } = cfg;
  useBackend('native');
  setThreads(cfg.threads);
  const rows = (WARMUP + steps) * batch;
  const m = loadMnist({ flatten: false });
  const first = cfg.barrier ? cfg.barrier.index * rows : 0; // side-by-side processes: different images
  const x = sliceRows(m.train.images, first, first + rows);
  const t = m.train.labels.subarray(first, first + rows);
  const net = new DeepConvNet({ seed: 0 });
  const times: number[] = [];
  let t0 = 0;
  let mark = { waitMs: 0, bytes: 0, steps: 0 };
  let pokes0 = 0;
  let pokes1 = 0;
  let cpu0 = threadTimes();
  let cpu1 = cpu0;
  const backwardEnd: number[] = [];
  const commInWait = { runMs: 0, slices: 0 };
  const reduced: number[] = [];
  const mono = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: one clock for every process (and namespace) of the host
  const pokedRounds = () => Communicator.existing()?.stats().pokedRounds ?? 0;
  const trainer: Trainer = new Trainer(net, x, t, null, null, {
    epochs: 1, miniBatchSize: batch, optimizer: 'adam', optimizerParam: { lr: 0.001 }, seed: 0, evaluateSampleNumPerEpoch: 1,
    distributed: cfg.distributed && cfg.bucketBytes ? { bucketBytes: cfg.bucketBytes } : cfg.distributed,
    callbacks: [{
      onTrainBegin: () => {
        t0 = performance.now();
      },
      onBatchEnd: (b) => {
        const now = performance.now();
        if (b.batch >= WARMUP) times.push(now - t0);
        t0 = now;
        if (b.batch === WARMUP - 1 && trainer.parallel) mark = { ...trainer.parallel.stepStats };
        if (b.batch === WARMUP - 1) {
          cpu0 = threadTimes();
          pokes0 = pokedRounds();
        }
        if (b.batch === WARMUP + steps - 1) {
          cpu1 = threadTimes();
          pokes1 = pokedRounds();
        }
      },
    }],
  });
  if (trainer.parallel) {
    // the moment backward ends on this rank and the moment its gradient sums are in (a bench-only look inside)
    const buckets = (trainer.parallel as unknown as { buckets: { finish(update?: (names: string[]) => void): void } }).buckets;
    const finish = buckets.finish.bind(buckets);
    const comm = trainer.parallel.comm;
    const waitFor = comm.waitFor.bind(comm);
    const wait = comm.wait.bind(comm);
    let sumsIn = 0;
    // the sums are in when the last bucket's wait returns (waitFor per bucket while the optimizer updates the others)
    comm.waitFor = (seq: number) => {
      waitFor(seq);
      sumsIn = mono();
    };
    let step = 0;
    buckets.finish = (update) => {
      const timed = step++ >= WARMUP && step <= WARMUP + steps;
      const c0 = timed ? commThreadStat() : null;
      if (timed) backwardEnd.push(mono());
      sumsIn = 0;
      comm.wait = () => {
        wait();
        if (!update) sumsIn = mono(); // no optimizer in finish: the final wait is the last arrival
      };
      finish(update);
      comm.wait = wait;
      if (timed) reduced.push(sumsIn || mono());
      const c1 = c0 ? commThreadStat() : null;
      if (c0 && c1) {
        commInWait.runMs += (c1.runNs - c0.runNs) / 1e6 / steps;
        commInWait.slices += (c1.slices - c0.slices) / steps;
      }
    };
  }
  if (cfg.barrier) barrier(cfg.barrier);
  trainer.train();
  const dp = trainer.parallel;
  const done = dp ? dp.stepStats.steps - mark.steps : 1;
  const out: WorkerResult = {
    rank: dp ? dp.rank : cfg.barrier?.index ?? 0,
    size: dp ? dp.size : 1,
    stepMs: median(times),
    waitMs: dp ? (dp.stepStats.waitMs - mark.waitMs) / done : 0,
    bytes: dp ? (dp.stepStats.bytes - mark.bytes) / done : 0,
    gradientBytes: dp ? dp.gradientBytes : Object.values(net.namedParams()).reduce((s, p) => s + p.value.size * 4, 0),
    hash: dp ? dp.weightsHash : '',
    threads: perStep(cpu0, cpu1, steps),
    backwardEnd,
    reduced,
    commInWait,
    pokedRounds: (pokes1 - pokes0) / steps,
  };
  process.stdout.write(`BENCH ${JSON.stringify(out)}\n`);
  Communicator.existing()?.finalize();
}
