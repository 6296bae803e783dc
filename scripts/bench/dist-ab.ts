/**
 * `npm run bench:dist -- --ab [experiment] [--rounds N] [--links shm,loopback,veth]`: 2 ranks × 1 thread of DeepConvNet
 * at global batch 100, variants of the communication A/B'd in one run — every (link, variant) pair once per round,
 * rounds rotating the order — and medians per pair. Experiments:
 *  - progress (the default): the communication thread poked by backward after every layer vs polling on a 20 µs
 *    timer (SIMDNET_MPI_PROGRESS=poll, the first design);
 *  - allreduce: simdnet's choice of Open MPI's non-blocking allreduce algorithm (recursive doubling at 2 ranks,
 *    lib/dist/tuning.ts) vs Open MPI's own (binomial tree at 2 ranks: OMPI_MCA_coll_libnbc_iallreduce_algorithm=0);
 *  - env:NAME=VALUE[,NAME=VALUE…]: the defaults vs those environment variables (e.g. Open MPI's OMPI_MCA_*);
 *  - bucket:BYTES[,BYTES…]: the default 64 KiB gradient buckets vs other sizes;
 *  - bind: unpinned ranks (the default, mpirun --bind-to none) vs rank i pinned to CPU i with taskset (no other rank's
 *    communication thread can then take this rank's CPU, as on separate machines);
 *  - tree:DIR: this checkout vs another built checkout of simdnet (DIR/dist/scripts/bench-dist.js, with DIR's own
 *    addons): a code change A/B'd in one interleaved run (e.g. DIR = a copy of main before the change).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createVethPair, vethUnavailable } from './netns';
import { lagAndTail, median, minMax, type Launch, type Run, runRounds, type WorkerConfig } from './dist-runs';
import { num, printTable, ratio } from './report';

interface Variant {
  name: string;
  env: Record<string, string | undefined>;
  bucketBytes?: number;
  script?: string;
  bind?: boolean;
}

const BATCH = 100;

function experiment(what: string): Variant[] {
  if (what === 'progress') {
    return [{ name: 'poked (default)', env: { SIMDNET_MPI_PROGRESS: undefined } }, { name: 'timer polling', env: { SIMDNET_MPI_PROGRESS: 'poll' } }];
  }
  if (what === 'allreduce') {
    return [
      { name: 'simdnet default', env: { OMPI_MCA_coll_libnbc_iallreduce_algorithm: undefined } },
      { name: 'Open MPI\'s choice', env: { OMPI_MCA_coll_libnbc_iallreduce_algorithm: '0' } },
    ];
  }
  if (what.startsWith('env:')) {
    const env: Record<string, string> = {};
    for (const kv of what.slice(4).split(',')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new RangeError(`--ab env: expected NAME=VALUE[,NAME=VALUE…], got ${kv}`);
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const unset = Object.fromEntries(Object.keys(env).map((k) => [k, undefined]));
    return [{ name: 'default', env: unset }, { name: what.slice(4), env }];
  }
  if (what.startsWith('bucket:')) {
    const sizes = what.slice(7).split(',').map(Number);
    if (sizes.some((b) => !Number.isInteger(b) || b < 4)) throw new RangeError(`--ab bucket: expected byte sizes >= 4, got ${what.slice(7)}`);
    return [{ name: 'bucket 64 KiB (default)', env: {} }, ...sizes.map((b) => ({ name: `bucket ${b} B`, env: {}, bucketBytes: b }))];
  }
  if (what === 'bind') {
    return [{ name: 'unpinned (default)', env: {} }, { name: 'rank i pinned to CPU i', env: {}, bind: true }];
  }
  if (what.startsWith('tree:')) {
    const dir = path.resolve(what.slice(5));
    const script = path.join(dir, 'dist', 'scripts', 'bench-dist.js');
    if (!fs.existsSync(script)) throw new RangeError(`--ab tree: expected a built simdnet checkout (${script} is missing), got ${what.slice(5)}`);
    return [{ name: 'this checkout', env: {} }, { name: `tree ${dir}`, env: {}, script }];
  }
  throw new RangeError(`--ab: expected progress, allreduce, bind, env:NAME=VALUE, bucket:BYTES or tree:DIR, got ${what}`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v && !v.startsWith('--') ? v : undefined;
}

export async function abRun(): Promise<void> {
  let what = arg('--ab') ?? 'progress';
  let rounds = Number(arg('--rounds') ?? 4);
  if (/^\d+$/.test(what)) [what, rounds] = ['progress', Number(what)]; // the older `--ab 5`
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new RangeError(`--rounds: expected an integer >= 1, got ${arg('--rounds')}`);
  const steps = Number(process.env.SIMDNET_BENCH_STEPS ?? 20);
  const variants = experiment(what);
  const why = vethUnavailable();
  const wanted = (arg('--links') ?? 'loopback,veth').split(',');
  for (const l of wanted) if (!['shm', 'loopback', 'veth'].includes(l)) throw new RangeError(`--links: expected shm, loopback or veth, got ${l}`);
  const links = wanted.filter((l) => l !== 'veth' || !why) as ('shm' | 'loopback' | 'veth')[];
  const veth = links.includes('veth') ? createVethPair() : null;
  console.log(`bench:dist --ab ${what} — DeepConvNet, global batch ${BATCH}, 2 ranks × 1 thread; ${rounds} rounds of 3 warm-up + ${steps} timed steps ` +
    `per (link, variant)${wanted.includes('veth') && why ? `; veth skipped (${why})` : ''}`);
  console.log(`load average at the start: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (${os.cpus().length} cores)\n`);
  const cfgs: (Launch & { linkName: string; variant: Variant })[] = [];
  for (const link of links) {
    for (const v of variants) {
      const cfg: WorkerConfig = { threads: 1, distributed: true, batch: BATCH, steps, ...(v.bucketBytes ? { bucketBytes: v.bucketBytes } : {}) };
      cfgs.push({ label: `${link}, ${v.name}`, kind: 'mpi', link, cfg, env: v.env, ...(v.script ? { script: v.script } : {}), ...(v.bind ? { bind: true } : {}), ...(link === 'veth' ? { veth: veth! } : {}), linkName: link, variant: v });
    }
  }
  let runs: Map<string, (Run | null)[]>;
  try {
    runs = await runRounds(cfgs, rounds);
  } finally {
    veth?.cleanup();
  }
  console.log('\nMedians over the rounds (ms per step; "vs A": the first variant\'s median over this one\'s, >1 = faster; "per round": the same');
  console.log('ratio within each round; the main thread\'s CPU per step (it computes at 1 thread: extra work per step shows there, and');
  console.log('less load-dependent than ms/step); the comm thread\'s CPU and wake-ups per step while its rank computes — what it takes');
  console.log('from the compute threads —, peer lag, comm tail and poked progress rounds as in the main table, mean over the ranks):');
  const rowsOut = cfgs.map((c) => {
    const all = runs.get(c.label) ?? [];
    const rs = all.filter((r): r is Run => r !== null);
    if (rs.length === 0) return [c.linkName, c.variant.name, 'failed'];
    const first = runs.get(`${c.linkName}, ${variants[0].name}`) ?? [];
    const med = (f: (x: Run['ranks'][number]) => number) => median(rs.map((r) => r.ranks.reduce((a, x) => a + f(x), 0) / r.ranks.length));
    const ms = median(rs.map((r) => r.stepMs));
    const [lo, hi] = minMax(rs.map((r) => r.stepMs));
    const a = first.filter((r): r is Run => r !== null);
    const paired = minMax(all.flatMap((r, i) => (r && first[i] ? [first[i]!.stepMs / r.stepMs] : [])));
    const lt = rs.map((r) => lagAndTail(r.ranks)).filter((v): v is NonNullable<typeof v> => v !== null);
    const isA = c.variant === variants[0];
    return [c.linkName, c.variant.name, num(ms), `${num(lo)}–${num(hi)}`, isA ? '—' : ratio(median(a.map((r) => r.stepMs)) / ms), isA ? '—' : `${num(paired[0])}–${num(paired[1])}×`,
      num(median(rs.map((r) => Math.max(...r.ranks.map((x) => x.waitMs))))), num(med((x) => x.threads.main.runMs)), num(med((x) => x.threads.comm.runMs - x.commInWait.runMs)),
      num(med((x) => x.threads.comm.slices - x.commInWait.slices)), num(med((x) => x.threads.main.waitMs)),
      num(median(lt.map((v) => v.lag))), num(median(lt.map((v) => v.tail))), num(med((x) => x.pokedRounds)), String(rs.length)];
  });
  printTable(['link', 'variant', 'ms/step', 'min–max', 'vs A', 'per round', 'comm wait', 'main on CPU', 'comm CPU in compute', 'comm wake-ups in compute', 'main runnable',
    'peer lag', 'comm tail', 'poked rounds', 'runs'], rowsOut, [0, 1]);
  console.log(`load average at the end: ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
}
