/**
 * `node dist/scripts/bench-step-nodes.js [--net resnet] [--threads 1] [--steps 20] [--warmup 5] [--cpu] [--json]`: where one
 * training step (net.gradient + Adam, the bench's network and batch: scripts/bench/nets.ts) spends its time, by layer
 * type, with the time outside the nodes (the network's loop: gradient accumulation, bookkeeping) as a row of its own.
 * Every node's forward/backward methods are wrapped with a timer (scripts/bench/breakdown.ts's timeNodes); per step,
 * the whole `gradient` call and the Adam step are timed too, and the process CPU time of the step (process.cpuUsage:
 * at 1 thread, not inflated by other processes' load). With --cpu every timer reads the process CPU time instead of
 * the wall clock (process.cpuUsage, µs; at 1 thread the node rows are then CPU time too, which a loaded machine does
 * not inflate; at 2 threads they include the pool's spinning). Medians over the steps. With --json one line of JSON (what
 * scripts/bench-step-ab.ts reads, running two builds alternately).
 */
import * as os from 'os';
import { nativeBackendInstance } from '../lib/backend';
import { createOptimizer } from '../lib/optimizers';
import { isNetKind, makeBatch, makeNet, type NetKind } from './bench/nets';
import { num, printTable } from './bench/report';
import { median, nowMs } from './bench/timing';

export interface StepNodesResult {
  net: NetKind;
  threads: number;
  isa: string;
  /** per layer type: median over steps of the summed forward / backward ms of its nodes */
  types: Record<string, { nodes: number; fwdMs: number; bwdMs: number }>;
  /** median of (gradient wall − the nodes' time): the network's loop */
  outsideMs: number;
  adamMs: number;
  /** whether the timers read process CPU time (--cpu) rather than the wall clock */
  cpu: boolean;
  /** median ms of gradient + Adam (wall, or CPU with --cpu) */
  stepMs: number;
  /** median process CPU ms of gradient + Adam */
  stepCpuMs: number;
  loss: number;
  load1: number;
}

function parse(argv: string[]) {
  let net: NetKind = 'resnet';
  let threads = 1;
  let steps = 20;
  let warmup = 5;
  let json = false;
  let cpu = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`bench-step-nodes: ${a} needs a value`);
      return v;
    };
    if (a === '--net') {
      const v = next();
      if (!isNetKind(v)) throw new RangeError(`bench-step-nodes: --net: expected simple, deep, resnet or resnet-rgb; got '${v}'`);
      net = v;
    } else if (a === '--threads') threads = Number(next());
    else if (a === '--steps') steps = Number(next());
    else if (a === '--warmup') warmup = Number(next());
    else if (a === '--json') json = true;
    else if (a === '--cpu') cpu = true;
    else throw new RangeError(`bench-step-nodes: unknown argument '${a}' (expected --net, --threads, --steps, --warmup, --cpu, --json)`);
  }
  for (const [k, v, lo, hi] of [['threads', threads, 1, 64], ['steps', steps, 1, 10_000], ['warmup', warmup, 0, 10_000]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`bench-step-nodes: --${k}: expected an integer ${lo}..${hi}; got ${v}`);
  }
  return { net, threads, steps, warmup, json, cpu };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export function stepNodes(kind: NetKind, threads: number, warmup: number, steps: number, cpu = false): StepNodesResult {
  const clock = cpu ? cpuMs : nowMs;
  const be = nativeBackendInstance();
  if (!be) throw new Error('bench-step-nodes: the native addon does not load');
  be.setThreads(threads);
  const net = makeNet(kind, be);
  const opt = createOptimizer('adam', { lr: 0.001, backend: be });
  const { x, t } = makeBatch(kind);
  const layers = [...net.nodes.map((n) => n.layer), net.lossLayer];
  const cur = { f: new Array<number>(layers.length).fill(0), b: new Array<number>(layers.length).fill(0) };
  layers.forEach((layer, i) => {
    const obj = layer as unknown as Record<string, unknown>;
    for (const [m, side] of [['forward', 'f'], ['forwardMany', 'f'], ['forwardMaxPool', 'f'], ['forwardLoss', 'f'], ['backward', 'b'], ['backwardMany', 'b'], ['backwardManySum', 'b'], ['backwardMaxPool', 'b'], ['backwardLoss', 'b']] as const) {
      const orig = obj[m];
      if (typeof orig !== 'function') continue;
      obj[m] = (...args: unknown[]) => {
        const t0 = clock();
        const r = (orig as (...a: unknown[]) => unknown).apply(layer, args);
        cur[side][i] += clock() - t0;
        return r;
      };
    }
  });
  const typeOf = layers.map((l, i) => (i === layers.length - 1 ? `${l.type} (loss)` : l.type));
  const typeNames = [...new Set(typeOf)];
  const perType = new Map(typeNames.map((k) => [k, { f: [] as number[], b: [] as number[] }]));
  const outside: number[] = [];
  const adam: number[] = [];
  const wall: number[] = [];
  const cpuT: number[] = [];
  let loss = NaN;
  for (let s = 0; s < warmup + steps; s++) {
    cur.f.fill(0);
    cur.b.fill(0);
    const c0 = process.cpuUsage();
    const t0 = clock();
    net.gradient(x, t);
    const t1 = clock();
    opt.step(net.namedParams());
    const t2 = clock();
    const c = process.cpuUsage(c0);
    loss = net.lastLoss;
    if (s < warmup) continue;
    for (const k of typeNames) {
      const p = perType.get(k)!;
      let f = 0;
      let b = 0;
      typeOf.forEach((ty, i) => {
        if (ty === k) {
          f += cur.f[i];
          b += cur.b[i];
        }
      });
      p.f.push(f);
      p.b.push(b);
    }
    outside.push(t1 - t0 - cur.f.reduce((a, v) => a + v, 0) - cur.b.reduce((a, v) => a + v, 0));
    adam.push(t2 - t1);
    wall.push(t2 - t0);
    cpuT.push((c.user + c.system) / 1000);
  }
  const types: StepNodesResult['types'] = {};
  for (const k of typeNames) {
    const p = perType.get(k)!;
    types[k] = { nodes: typeOf.filter((ty) => ty === k).length, fwdMs: median(p.f), bwdMs: median(p.b) };
  }
  return {
    net: kind, threads, isa: be.info().isa, cpu, types, outsideMs: median(outside), adamMs: median(adam), stepMs: median(wall),
    stepCpuMs: median(cpuT), loss, load1: Number(os.loadavg()[0].toFixed(2)),
  };
}

export function printStepNodes(r: StepNodesResult): void {
  console.log(`${r.net}, native ${r.isa}, ${r.threads} thread(s), batch 100, Adam, ${r.cpu ? 'process CPU time' : 'wall time'}; load ${r.load1}; loss ${r.loss}`);
  const rows = Object.entries(r.types).map(([k, v]) => [k, String(v.nodes), num(v.fwdMs), num(v.bwdMs), num(v.fwdMs + v.bwdMs)]);
  rows.push(['outside the nodes (the loop)', '', '', '', num(r.outsideMs)]);
  rows.push(['adam update', '', '', '', num(r.adamMs)]);
  rows.push([`step (${r.cpu ? 'CPU' : 'wall'})`, '', '', '', num(r.stepMs)]);
  rows.push(['step (process CPU)', '', '', '', num(r.stepCpuMs)]);
  printTable(['layer type', 'nodes', 'fwd ms', 'bwd ms', 'ms'], rows, [0]);
}

if (require.main === module) {
  const o = parse(process.argv.slice(2));
  const r = stepNodes(o.net, o.threads, o.warmup, o.steps, o.cpu);
  if (o.json) console.log(JSON.stringify(r));
  else printStepNodes(r);
}
