/**
 * Times the native fused convolution on DeepConvNet's six conv layers (the book's ch08 deep_convnet.py,
 * 3×3 kernels) at batch 100, with 1 and 2 threads. Each layer is first checked against the TypeScript
 * backend on a small batch, then timed (median of several runs after a warm-up). Backward skips dx for
 * the first layer, as training does. Prints ms and GFLOP/s per layer and the totals.
 *
 *   node dist/scripts/bench-conv.js [--batch 100] [--reps 7] [--threads 1,2]
 */
import { nativeBackendInstance, tsBackendInstance } from '../lib/backend';
import type { WindowGeometry } from '../lib/backend/types';
import { Rng } from '../lib/rng';

interface Layer {
  name: string;
  C: number;
  H: number;
  F: number;
  pad: number;
  needDx: boolean;
}

// conv1..conv6 of DeepConvNet: pools after conv2, conv4 and conv6 (conv4's pad 2 turns 14×14 into 16×16).
const LAYERS: Layer[] = [
  { name: 'conv1', C: 1, H: 28, F: 16, pad: 1, needDx: false },
  { name: 'conv2', C: 16, H: 28, F: 16, pad: 1, needDx: true },
  { name: 'conv3', C: 16, H: 14, F: 32, pad: 1, needDx: true },
  { name: 'conv4', C: 32, H: 14, F: 32, pad: 2, needDx: true },
  { name: 'conv5', C: 32, H: 8, F: 64, pad: 1, needDx: true },
  { name: 'conv6', C: 64, H: 8, F: 64, pad: 1, needDx: true },
];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function random(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

function geometry(l: Layer, N: number): WindowGeometry {
  return { N, C: l.C, H: l.H, W: l.H, KH: 3, KW: 3, stride: 1, pad: l.pad };
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const native = nativeBackendInstance();
  if (!native) throw new Error('the native addon does not load (npm run build:native, or set SIMDNET_NATIVE_PATH)');
  const ts = tsBackendInstance();
  const batch = Number(arg('batch', '100'));
  const reps = Number(arg('reps', '7'));
  const threadList = arg('threads', '1,2').split(',').map(Number);
  const rng = new Rng(1);
  const info = native.info();
  console.log(`native conv, DeepConvNet layers, batch ${batch}, isa ${info.isa}, median of ${reps}`);

  // 1. correctness against the TypeScript backend (small batch)
  for (const l of LAYERS) {
    const g = geometry(l, 3);
    const OH = g.H + 2 * g.pad - 2;
    const x = random(g.N * l.C * g.H * g.W, rng);
    const w = random(l.F * l.C * 9, rng);
    const b = random(l.F, rng);
    const dy = random(g.N * l.F * OH * OH, rng);
    const out = (be: typeof ts | typeof native) => {
      const y = new Float32Array(dy.length);
      be.convForward(x, w, b, g, l.F, y);
      const dx = new Float32Array(x.length);
      const dw = new Float32Array(w.length);
      const db = new Float32Array(l.F);
      be.convBackward(dy, x, w, g, l.F, dx, dw, db);
      return [y, dx, dw, db];
    };
    const a = out(native);
    const r = out(ts);
    const err = Math.max(...a.map((v, i) => maxRelErr(v, r[i])));
    if (!(err < 1e-4)) throw new Error(`${l.name}: native and TypeScript disagree (max relative error ${err})`);
  }
  console.log('check: native matches the TypeScript backend on every layer');

  // 2. timing
  const before = info.threads;
  const rows: string[] = [];
  const totals: Record<number, { fwd: number; bwd: number }> = {};
  const data = LAYERS.map((l) => {
    const g = geometry(l, batch);
    const OH = g.H + 2 * g.pad - 2;
    return {
      l,
      g,
      x: random(batch * l.C * g.H * g.W, rng),
      w: random(l.F * l.C * 9, rng),
      b: random(l.F, rng),
      y: new Float32Array(batch * l.F * OH * OH),
      dy: random(batch * l.F * OH * OH, rng),
      dx: l.needDx ? new Float32Array(batch * l.C * g.H * g.W) : null,
      dw: new Float32Array(l.F * l.C * 9),
      db: new Float32Array(l.F),
      flops: 2 * batch * l.F * OH * OH * l.C * 9,
    };
  });
  for (const t of threadList) {
    native.setThreads(t);
    totals[t] = { fwd: 0, bwd: 0 };
    for (const d of data) {
      const time = (fn: () => void): number => {
        fn();
        fn();
        const samples: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t0 = process.hrtime.bigint();
          fn();
          samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        return median(samples);
      };
      const fwd = time(() => native.convForward(d.x, d.w, d.b, d.g, d.l.F, d.y));
      const bwd = time(() => native.convBackward(d.dy, d.x, d.w, d.g, d.l.F, d.dx, d.dw, d.db));
      totals[t].fwd += fwd;
      totals[t].bwd += bwd;
      const bflops = d.flops * (d.l.needDx ? 2 : 1);
      rows.push(
        `${String(t).padStart(7)}  ${d.l.name}  ${`${d.l.C}x${d.g.H}x${d.g.W}->${d.l.F} p${d.g.pad}`.padEnd(16)}` +
          `${fwd.toFixed(2).padStart(8)} ms ${(d.flops / fwd / 1e6).toFixed(1).padStart(6)} GF/s` +
          `${bwd.toFixed(2).padStart(9)} ms ${(bflops / bwd / 1e6).toFixed(1).padStart(6)} GF/s`,
      );
    }
  }
  native.setThreads(before);
  console.log('threads  layer  shape                 forward              backward');
  for (const r of rows) console.log(r);
  for (const t of threadList) {
    const { fwd, bwd } = totals[t];
    console.log(`total, ${t} thread(s): forward ${fwd.toFixed(1)} ms + backward ${bwd.toFixed(1)} ms = ${(fwd + bwd).toFixed(1)} ms per batch`);
  }
}

main();
