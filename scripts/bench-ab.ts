/**
 * `npm run bench:ab -- <a.node> <b.node> [--contention[=N]] [--rounds R] [--net deep] [--steps S] [--torch]`:
 * two builds of the addon (say main's and a branch's) side by side in ONE process, each with its own thread pool
 * (Node loads addons RTLD_LOCAL: two files are two copies), and the training step of the bench's network
 * (scripts/bench/nets.ts, Adam) timed in blocks of S steps, A 1 thread, A 2 threads, B 1 thread, B 2 threads —
 * the order rotating every round — for R rounds after a warm-up, so a load that comes and goes on a shared
 * machine moves all four alike. With --torch, PyTorch's 2-thread step (scripts/bench_torch.py, S steps) after each
 * round. With --contention the whole run goes beside one busy process per N cores (default 2;
 * scripts/bench/contention.ts). Prints, per build, the median step at 1 and 2 threads over all timed steps, 2t / 1t,
 * the median of the per-round 2t / 1t ratios, B / A, and each build's 2t against PyTorch's 2t; load averages.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NativeBackend } from '../lib/backend';
import { checkAddon } from '../lib/backend/addon';
import { createOptimizer } from '../lib/optimizers';
import { packageRoot } from '../lib/package-root';
import { parseContention, startContention, type Contention } from './bench/contention';
import { isNetKind, makeBatch, makeNet, type NetKind } from './bench/nets';
import { num, printTable, ratio } from './bench/report';
import { median, nowMs } from './bench/timing';
import { runTorch, torchVersion } from './bench/torch';

function parse(argv: string[]) {
  const builds: string[] = [];
  let contention: number | null = null;
  let rounds = 5;
  let net: NetKind = 'deep';
  let steps = 10;
  let torch = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`bench:ab: ${a} needs a value`);
      return v;
    };
    if (a === '--contention' || a.startsWith('--contention=')) contention = parseContention(a.includes('=') ? a.slice(13) : undefined);
    else if (a === '--rounds') rounds = Number(next());
    else if (a === '--steps') steps = Number(next());
    else if (a === '--net') {
      const v = next();
      if (!isNetKind(v)) throw new RangeError(`bench:ab: --net: expected simple, deep, resnet or resnet-rgb; got '${v}'`);
      net = v;
    } else if (a === '--torch') torch = true;
    else if (a.startsWith('--')) throw new RangeError(`bench:ab: unknown flag '${a}' (expected --contention[=N], --rounds R, --net NAME, --steps S, --torch)`);
    else builds.push(a);
  }
  if (builds.length !== 2) throw new RangeError(`bench:ab: expected two addon files (a.node b.node); got ${builds.length}`);
  for (const b of builds) if (!fs.existsSync(b)) throw new RangeError(`bench:ab: ${b}: no such file`);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) throw new RangeError(`bench:ab: --rounds: expected an integer 1..100; got ${rounds}`);
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new RangeError(`bench:ab: --steps: expected an integer 1..1000; got ${steps}`);
  return { builds: builds.map((b) => path.resolve(b)), contention, rounds, net, steps, torch };
}

/** A network + Adam on one build, stepping on the bench's batch. */
function stepper(backend: NativeBackend, net: NetKind): () => void {
  const model = makeNet(net, backend);
  const batch = makeBatch(net);
  const opt = createOptimizer('adam', { lr: 0.001, backend });
  return () => {
    model.gradient(batch.x, batch.t);
    opt.step(model.namedParams());
  };
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const load0 = os.loadavg();
  console.log(`bench:ab — ${o.net}, ${o.rounds} rounds × (A 1t, A 2t, B 1t, B 2t in rotating order${o.torch ? ', then torch 2t' : ''}), ${o.steps} timed steps each; load ${load0.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(`A = ${o.builds[0]}\nB = ${o.builds[1]}`);
  const torchOk = o.torch ? torchVersion().version : null;
  if (o.torch && !torchOk) console.log('PyTorch: not available, skipped');
  let contention: Contention | null = null;
  if (o.contention !== null) {
    contention = startContention(o.contention);
    console.log(`contention: ${contention.procs} busy process(es), one per ${o.contention} cores, same priority`);
  }
  const builds = o.builds.map((f) => new NativeBackend(checkAddon(require(f), f)));
  const variants = ['A1', 'A2', 'B1', 'B2'].map((k) => ({ k, backend: builds[k[0] === 'A' ? 0 : 1], threads: Number(k[1]) }));
  const steps = Object.fromEntries(variants.map((v) => [v.k, stepper(v.backend, o.net)]));
  const got: Record<string, number[]> = {};
  const ratios: Record<string, number[]> = {};
  const push = (rec: Record<string, number[]>, k: string, v: number) => (rec[k] ??= []).push(v);
  try {
    for (const v of variants) { // warm-up: JIT, buffers, optimizer state, both pools' threads
      v.backend.setThreads(v.threads);
      for (let i = 0; i < 5; i++) steps[v.k]();
    }
    for (let r = 0; r < o.rounds; r++) {
      const order = variants.map((_, i) => variants[(i + r) % variants.length]);
      const round: Record<string, number[]> = {};
      for (const v of order) {
        v.backend.setThreads(v.threads);
        steps[v.k](); // one untimed step after the thread-count change
        for (let i = 0; i < o.steps; i++) {
          const t0 = nowMs();
          steps[v.k]();
          const dt = nowMs() - t0;
          push(got, v.k, dt);
          push(round, v.k, dt);
        }
      }
      for (const b of 'AB') push(ratios, b, median(round[`${b}2`]) / median(round[`${b}1`]));
      const line = variants.map((v) => `${v.k} ${num(median(round[v.k]))}`);
      if (torchOk) {
        const tr = runTorch(packageRoot(), o.net, 2, 100, o.steps, 3);
        push(got, 'T2', tr.train_step_ms);
        line.push(`torch 2t ${num(tr.train_step_ms)}`);
      }
      console.log(`round ${r + 1}: ${line.join(', ')} ms (load ${os.loadavg()[0].toFixed(2)})`);
    }
  } finally {
    await contention?.stop();
  }
  const med = (k: string) => (got[k] ? median(got[k]) : NaN);
  console.log(`\nmedians over ${o.rounds} rounds × ${o.steps} steps (step ms)${contention ? `, beside ${contention.procs} busy process(es)` : ''}`);
  printTable(
    ['build', '1t ms', '2t ms', '2t / 1t', 'per-round 2t / 1t (median, range)', '2t / torch 2t'],
    [0, 1].map((b) => {
      const k = 'AB'[b];
      const rr = ratios[k] ?? [];
      return [k, num(med(`${k}1`)), num(med(`${k}2`)), ratio(med(`${k}2`) / med(`${k}1`)),
        `${ratio(median(rr))} (${ratio(Math.min(...rr))}–${ratio(Math.max(...rr))})`, ratio(med(`${k}2`) / med('T2'))];
    }),
  );
  console.log(`B / A: 1t ${ratio(med('B1') / med('A1'))}, 2t ${ratio(med('B2') / med('A2'))}${got.T2 ? `; torch 2t ${num(med('T2'))} ms` : ''}`);
  console.log(`load average ${load0.map((v) => v.toFixed(2)).join(' ')} at start, ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} at end (${os.cpus().length} cores)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
