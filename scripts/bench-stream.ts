/**
 * Streaming input benchmark (a script, not a test): `npm run bench:stream [-- --count N --workers W --keep]`
 * (after `npm run build`).
 *
 * Generates a folder of N (default 100,000) 32×32 RGB PNGs of noise in 10 class folders under the temp dir
 * (never in the repository), checks that the streaming pipeline gives the loader's pixels for a sample of files,
 * then runs each measurement in its own child process, so each peak RSS (process.resourceUsage().maxRSS) is its
 * own:
 *   - pipeline: the input pipeline alone — streamImageFolder + decode workers + prefetch, one shuffled epoch with
 *     augmentation (hflip, shift), nothing trained: images/s;
 *   - step:     the training step alone — SimpleConvNet 3×32×32 on in-memory random batches (no loading):
 *     images/s;
 *   - stream:   one epoch of training on the streamed folder (fit({ worker: false }), so the prefetcher's
 *     counters are readable): images/s, the share of steps that found their batch already decoded, peak RSS;
 *   - memory:   loadImageFolder of the same folder (every image decoded into one tensor) then the same epoch
 *     in memory: load time, images/s, peak RSS.
 * The folder is deleted at the end unless --keep. Timings on a shared machine are noisy: the load average is
 * printed with them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { loadImageFolder } from '../lib/data/images';
import { streamImageFolder } from '../lib/data/stream/dataset';
import { DecodePool } from '../lib/data/stream/pool';
import { Prefetcher, type BatchRequest } from '../lib/data/stream/prefetch';
import { resolveAugmentOptions } from '../lib/data/augment';
import { SimpleConvNet } from '../lib/nets';
import { createOptimizer } from '../lib/optimizers';
import { Rng } from '../lib/rng';
import { Tensor } from '../lib/tensor';
import { trainGradient } from '../lib/train/loop';
import { Trainer } from '../lib/train/trainer';
import { getBackend } from '../lib/backend';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const has = (name: string) => process.argv.includes(`--${name}`);

const BATCH = 100;
const AUG = { flipHorizontal: true, shift: 0.1 };

function makeFolder(dir: string, n: number): void {
  const rng = new Rng(1);
  for (let c = 0; c < 10; c++) fs.mkdirSync(path.join(dir, `class${c}`), { recursive: true });
  const png = new PNG({ width: 32, height: 32 });
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    for (let p = 0; p < 32 * 32; p++) {
      png.data[4 * p] = (c * 25 + rng.int(64)) & 255;
      png.data[4 * p + 1] = rng.int(256);
      png.data[4 * p + 2] = rng.int(256);
      png.data[4 * p + 3] = 255;
    }
    fs.writeFileSync(path.join(dir, `class${c}`, `${String(i).padStart(6, '0')}.png`), PNG.sync.write(png, { colorType: 2 }));
  }
}

function maxRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function net(): SimpleConvNet {
  return new SimpleConvNet({ inputDim: [3, 32, 32], outputSize: 10, seed: 1 });
}

async function child(mode: string, dir: string, workers: number | undefined): Promise<Record<string, unknown>> {
  const t0 = process.hrtime.bigint();
  const secs = () => Number(process.hrtime.bigint() - t0) / 1e9;
  if (mode === 'pipeline') {
    const d = await streamImageFolder(dir, { workers, seed: 1 });
    const pool = new DecodePool(d.train.workers, d.train.prefetch, getBackend().name);
    const p = new Prefetcher(pool.endpoint());
    const cfg = resolveAugmentOptions(AUG);
    const perm = new Rng(1).permutation(d.train.length);
    const start = process.hrtime.bigint();
    const req = (b: number): BatchRequest => ({
      key: String(b), files: Array.from(perm.subarray(b * BATCH, (b + 1) * BATCH), (i) => d.train.files[i]), spec: d.train.spec,
      aug: { cfg, seed: 7, counter: b + 1, chw: [3, 32, 32] },
    });
    const batches = Math.ceil(d.train.length / BATCH);
    let images = 0;
    for (let b = 0; b < batches; b++) {
      const ahead: BatchRequest[] = [];
      for (let j = 1; j <= p.depth && b + j < batches; j++) ahead.push(req(b + j));
      images += p.take(req(b), ahead).length / (3 * 32 * 32);
    }
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    p.close();
    await pool.close();
    return { images, seconds: s, imagesPerSecond: images / s, workers: d.train.workers, prefetch: d.train.prefetch, maxHeld: p.maxHeld, peakRssMB: maxRssMB() };
  }
  if (mode === 'step') {
    const n = net();
    const opt = createOptimizer('adam', { lr: 0.001 });
    const rng = new Rng(2);
    const x = new Tensor(Float32Array.from({ length: BATCH * 3 * 32 * 32 }, () => rng.uniform()), [BATCH, 3, 32, 32]);
    const t = Int32Array.from({ length: BATCH }, () => rng.int(10));
    const steps = Number(arg('steps', '100'));
    trainGradient(n, x, t, n.accuracyKind, null); // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) {
      trainGradient(n, x, t, n.accuracyKind, null);
      opt.step(n.namedParams(), undefined, n.backend);
    }
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    return { images: steps * BATCH, seconds: s, imagesPerSecond: (steps * BATCH) / s, peakRssMB: maxRssMB() };
  }
  const limit = Number(arg('train-limit', '0'));
  const opts = { epochs: 1, miniBatchSize: BATCH, optimizer: 'adam', optimizerParam: { lr: 0.001 }, augment: AUG, evaluateSampleNumPerEpoch: 1000, seed: 1 };
  if (mode === 'stream') {
    const d = await streamImageFolder(dir, { workers, seed: 1 });
    const train = limit > 0 ? d.train.subset(Int32Array.from({ length: limit }, (_, i) => i)) : d.train;
    const tr = new Trainer(net(), train, train.labels, null, null, { ...opts, stream: true }); // streamed whatever the size
    const start = process.hrtime.bigint();
    await tr.fit({ worker: false });
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    const st = tr.lastStreamStats!;
    return { images: train.length, seconds: s, imagesPerSecond: train.length / s, readyShare: st.hits / st.taken, maxHeld: st.maxHeld, prefetch: st.depth, peakRssMB: maxRssMB() };
  }
  if (mode === 'memory') {
    const d = await loadImageFolder(dir, { seed: 1 });
    const loadS = secs();
    const idx = limit > 0 ? limit : d.train.labels.length;
    const x = new Tensor(d.train.images.data.subarray(0, idx * 3 * 32 * 32), [idx, 3, 32, 32]);
    const tr = new Trainer(net(), x, d.train.labels.subarray(0, idx), null, null, opts);
    const start = process.hrtime.bigint();
    await tr.fit({ worker: false });
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    return { images: idx, loadSeconds: loadS, seconds: s, imagesPerSecond: idx / s, peakRssMB: maxRssMB() };
  }
  throw new Error(`bench-stream: unknown mode ${mode}`);
}

async function main(): Promise<void> {
  const mode = arg('mode', '');
  const workers = Number(arg('workers', '0')) || undefined;
  if (mode) {
    process.stdout.write(`${JSON.stringify(await child(mode, arg('dir', ''), workers))}\n`);
    return;
  }
  const count = Number(arg('count', '100000'));
  const dir = arg('dir', path.join(os.tmpdir(), `simdnet-bench-stream-${process.pid}`));
  const made = !fs.existsSync(dir);
  try {
    if (made) {
      const t = Date.now();
      process.stdout.write(`generating ${count} 32x32 RGB PNGs in ${dir} … `);
      makeFolder(dir, count);
      process.stdout.write(`${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    }
    // check first: the decode workers give the loader's pixels (sample.load() runs the loader's code on this thread)
    const s = await streamImageFolder(dir, { seed: 1 });
    const sample = s.train.subset([0, 1, 2, s.train.length - 1]);
    const a = sample.load().data;
    const pool = new DecodePool(1, 1, getBackend().name);
    const p = new Prefetcher(pool.endpoint());
    const b = p.take({ key: 'check', files: [...sample.files], spec: sample.spec, aug: null });
    p.close();
    await pool.close();
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error('bench-stream: the decode workers disagree with the loader');

    const rows: [string, Record<string, unknown>][] = [];
    const modes = (arg('modes', 'pipeline,step,stream,memory')).split(',');
    for (const m of modes) {
      const args = [__filename, '--mode', m, '--dir', dir, ...(workers ? ['--workers', String(workers)] : []),
        ...(has('train-limit') ? ['--train-limit', arg('train-limit', '0')] : []), ...(has('steps') ? ['--steps', arg('steps', '100')] : [])];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`bench-stream: mode ${m} failed (exit ${r.status}):\n${r.stderr}`);
      const row = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      rows.push([m, row]);
      process.stdout.write(`${m.padEnd(9)} ${JSON.stringify(row)}\n`);
    }
    const f = (v: unknown, d = 0) => (typeof v === 'number' ? v.toFixed(d) : '-');
    process.stdout.write(`\n${count} images, batch ${BATCH}, backend ${getBackend().name}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    process.stdout.write('mode       images/s   peak RSS MB  notes\n');
    for (const [m, r] of rows) {
      const notes = m === 'pipeline' ? `${r.workers} workers, prefetch ${r.prefetch} (max held ${r.maxHeld})`
        : m === 'stream' ? `${f((r.readyShare as number) * 100)}% of steps found their batch decoded; max held ${r.maxHeld}/${r.prefetch}`
          : m === 'memory' ? `load ${f(r.loadSeconds, 1)} s, then train` : 'no data loading';
      process.stdout.write(`${m.padEnd(9)} ${f(r.imagesPerSecond).padStart(9)} ${f(r.peakRssMB).padStart(12)}  ${notes}\n`);
    }
  } finally {
    if (made && !has('keep')) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
