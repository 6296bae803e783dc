/**
 * SGEMM benchmark (a script, not a test): `npm run bench:gemm` (after `npm run build`).
 *
 * 1. Measures the machine's FMA peak with register-only FMA chains in native code (addon.fmaPeak), per core,
 *    for each SIMD tier the CPU has.
 * 2. For each shape — square 256..2048; the im2col GEMMs of DeepConvNet's six conv layers and SimpleConvNet's
 *    conv at batch 100 in three roles (forward col·Wᵀ, weight-grad colᵀ·dy, input-grad dy·W); and the
 *    per-image GEMMs the fused convolution issues inside pool tasks (single-threaded) — it checks every
 *    path's result against the native reference kernels (max relative error), then times them: median of
 *    several runs after a warm-up, at 1 and 2 threads.
 * Paths: native-<best tier> (when better than avx2), native-avx2, native-reference, ts (only where one call
 * takes under ~10 s; else "skipped"), and numpy (Debian's numpy over OpenBLAS, via /usr/bin/python3, when it is
 * there: a yardstick, never a dependency).
 * Prints one table (shape, role, path, threads, ms, GFLOP/s, % of peak) and writes it to .bench/gemm.json.
 *
 * Options: --no-ts, --no-numpy, --no-reference, --only=square|conv|image (repeatable), --threads=1,2
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { nativeBackendInstance, tsBackendInstance } from '../lib/backend';
import { Rng } from '../lib/rng';

type Group = 'square' | 'conv' | 'image';
type Tier = 'avx512' | 'avx2' | 'reference';

interface Shape {
  group: Group;
  name: string; // e.g. "78400×144×16" (M·K·N of the conv: positions × taps × filters) or "1024³"
  role: string;
  tA: boolean;
  tB: boolean;
  M: number;
  N: number;
  K: number;
}

interface Row {
  shape: string;
  role: string;
  gemm: string; // "M×N×K NT"
  path: string;
  threads: number;
  ms: number | null; // null: skipped
  gflops: number | null;
  pctPeak: number | null;
  relErr: number | null;
  note?: string;
}

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const only = args.filter((a) => a.startsWith('--only=')).map((a) => a.slice(7) as Group);
const threadList = (args.find((a) => a.startsWith('--threads='))?.slice(10) ?? '1,2').split(',').map(Number);

// ---- shapes -------------------------------------------------------------------------------------------
// conv layers as (positions·batch, taps C·KH·KW, filters F), batch 100
const DEEP: [number, number, number][] = [
  [78400, 9, 16], [78400, 144, 16], [19600, 144, 32], [25600, 288, 32], [6400, 288, 64], [6400, 576, 64],
];
const SIMPLE: [number, number, number] = [57600, 25, 30];

function shapes(): Shape[] {
  const out: Shape[] = [];
  for (const n of [256, 512, 1024, 2048]) out.push({ group: 'square', name: `${n}³`, role: 'square', tA: false, tB: false, M: n, N: n, K: n });
  for (const [P, K, F] of [...DEEP, SIMPLE]) {
    const name = `${P}×${K}×${F}`;
    out.push({ group: 'conv', name, role: 'forward', tA: false, tB: true, M: P, N: F, K });
    out.push({ group: 'conv', name, role: 'weight-grad', tA: true, tB: false, M: K, N: F, K: P });
    out.push({ group: 'conv', name, role: 'input-grad', tA: false, tB: false, M: P, N: K, K: F });
  }
  // Per image, as native/core/conv.cpp calls sgemm inside pool tasks: y[F,P] = W·colT, dW += dy·colTᵀ,
  // colT = Wᵀ·dy (P = OH·OW positions of one image).
  for (const [PB, K, F] of [...DEEP, SIMPLE]) {
    const P = PB / 100;
    const name = `${P}×${K}×${F} /img`;
    out.push({ group: 'image', name, role: 'img forward', tA: false, tB: false, M: F, N: P, K });
    out.push({ group: 'image', name, role: 'img weight-grad', tA: false, tB: true, M: F, N: K, K: P });
    out.push({ group: 'image', name, role: 'img input-grad', tA: true, tB: false, M: K, N: P, K: F });
  }
  return out.filter((s) => only.length === 0 || only.includes(s.group));
}

// ---- timing -------------------------------------------------------------------------------------------
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Median ms of one call: warm-up, then samples of enough calls to last ≥ 5 ms each, within ~budget ms. */
function timeIt(fn: () => void, budgetMs = 1500): number {
  let t0 = now();
  fn();
  const first = now() - t0;
  const reps = Math.max(1, Math.ceil(5 / Math.max(first, 1e-3)));
  const samples = Math.max(3, Math.min(9, Math.floor(budgetMs / Math.max(first * reps, 1e-3))));
  const ts: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = now();
    for (let r = 0; r < reps; r++) fn();
    ts.push((now() - t0) / reps);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

function relErr(got: Float32Array, ref: Float32Array): number {
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-30);
}

function randomF32(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

// ---- numpy (optional yardstick) -----------------------------------------------------------------------
const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
shapes = json.load(sys.stdin)
out = []
for s in shapes:
    M, N, K, tA, tB = s['M'], s['N'], s['K'], s['tA'], s['tB']
    rng = np.random.default_rng(1)
    A = rng.random((K, M) if tA else (M, K), dtype=np.float32)
    B = rng.random((N, K) if tB else (K, N), dtype=np.float32)
    a = A.T if tA else A
    b = B.T if tB else B
    C = np.empty((M, N), dtype=np.float32)
    t0 = time.perf_counter(); np.matmul(a, b, out=C); first = (time.perf_counter() - t0) * 1e3
    reps = max(1, int(5 / max(first, 1e-3)) + 1)
    samples = max(3, min(9, int(2500 / max(first * reps, 1e-3))))
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps): np.matmul(a, b, out=C)
        ts.append((time.perf_counter() - t0) * 1e3 / reps)
    ts.sort()
    out.append(ts[len(ts) // 2])
print(json.dumps(out))
`;

function numpyTimes(list: Shape[], threads: number): (number | null)[] | null {
  if (!fs.existsSync('/usr/bin/python3')) return null;
  const r = spawnSync('/usr/bin/python3', ['-c', NUMPY_SCRIPT], {
    input: JSON.stringify(list.map(({ M, N, K, tA, tB }) => ({ M, N, K, tA, tB }))),
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as number[];
  } catch {
    return null;
  }
}

// ---- main ---------------------------------------------------------------------------------------------
function main(): void {
  const native = nativeBackendInstance();
  if (!native) {
    console.error('bench-gemm: the native addon does not load (npm run build:native)');
    process.exit(1);
  }
  const ts = tsBackendInstance();
  const info = native.info();
  const initialThreads = info.threads;
  const initialIsa = info.isa as Tier;
  const best = info.bestIsa as Tier;
  const tiers: Tier[] = best === 'avx512' ? ['avx512', 'avx2', 'reference'] : best === 'avx2' ? ['avx2', 'reference'] : ['reference'];
  const nativeTiers = tiers.filter((t) => t !== 'reference' || !flag('no-reference'));

  // 1. Peak.
  const peak: Record<string, number> = {}; // GFLOP/s per core
  const peakRows: string[] = [];
  for (const isa of ['avx2', 'avx512'] as const) {
    if (isa === 'avx512' && best !== 'avx512') continue;
    if (best === 'reference') break;
    for (const t of threadList) {
      native.setThreads(t);
      const p = native.addon.fmaPeak(t, isa);
      if (!p) continue;
      if (t === 1) peak[isa] = p.perCore;
      peakRows.push(`${isa.padEnd(7)} ${String(p.threads).padStart(2)} thread(s): ${p.gflops.toFixed(1).padStart(7)} GFLOP/s (${p.perCore.toFixed(1)} per core)`);
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`CPU: ${cpu}, ${os.cpus().length} logical cores; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`Kernels: best ${best}; FMA peak (register-only FMA chains):`);
  for (const r of peakRows) console.log(`  ${r}`);
  const peakOf = (p: string, threads: number): number | null => {
    const isa = p === 'native-avx512' || (p === 'numpy' && peak.avx512) ? 'avx512' : 'avx2';
    const v = peak[isa] ?? peak.avx2;
    return v ? v * threads : null;
  };

  // 2. Shapes.
  const list = shapes();
  const rows: Row[] = [];
  let tsRate = 0; // GFLOP/s of the TS path, measured on the first shape it runs, to skip > 10 s calls
  let failures = 0;
  const tsGiveUpMs = 10_000;

  const numpy: Record<number, (number | null)[] | null> = {};
  if (!flag('no-numpy')) for (const t of threadList) numpy[t] = numpyTimes(list, t);

  list.forEach((s, si) => {
    const { tA, tB, M, N, K } = s;
    const lda = tA ? M : K, ldb = tB ? K : N;
    const A = randomF32(M * K, 2 * si + 1);
    const B = randomF32(K * N, 2 * si + 2);
    const flops = 2 * M * N * K;
    const gemm = `${M}×${N}×${K} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
    const threadsFor = s.group === 'image' ? [1] : threadList;

    // Reference result: the scalar reference kernels on all threads.
    native.setKernels('reference');
    native.setThreads(Math.max(...threadList));
    const ref = new Float32Array(M * N);
    native.sgemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, ref, 0, N);

    const push = (pathName: string, threads: number, ms: number | null, err: number | null, note?: string) => {
      const pk = peakOf(pathName, threads);
      const gf = ms === null ? null : flops / ms / 1e6;
      rows.push({ shape: s.name, role: s.role, gemm, path: pathName, threads, ms, gflops: gf, pctPeak: gf !== null && pk ? (100 * gf) / pk : null, relErr: err, note });
      if (err !== null && err > 1e-4) failures++;
    };

    for (const isa of nativeTiers) {
      native.setKernels(isa);
      for (const t of threadsFor) {
        native.setThreads(t);
        const C = new Float32Array(M * N).fill(NaN);
        native.sgemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N);
        const err = relErr(C, ref);
        const ms = timeIt(() => native.sgemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N), isa === 'reference' ? 800 : 1500);
        push(`native-${isa}`, t, ms, err);
      }
    }
    if (!flag('no-ts')) {
      const estimate = tsRate > 0 ? flops / tsRate / 1e6 : 0;
      if (estimate > tsGiveUpMs) {
        push('ts', 1, null, null, `skipped (≈${(estimate / 1000).toFixed(0)} s per call)`);
      } else {
        const C = new Float32Array(M * N).fill(NaN);
        const t0 = now();
        ts.sgemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N);
        const once = now() - t0;
        const err = relErr(C, ref);
        const ms = once > 1000 ? once : timeIt(() => ts.sgemm(tA, tB, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, C, 0, N), 2000);
        if (tsRate === 0 || flops > 1e8) tsRate = flops / ms / 1e6;
        push('ts', 1, ms, err, once > 1000 ? 'one call' : undefined);
      }
    }
    for (const t of threadsFor) {
      const ms = numpy[t]?.[si];
      if (ms !== undefined && ms !== null) push('numpy', t, ms, null, 'OpenBLAS via /usr/bin/python3');
    }
    process.stderr.write(`\r${si + 1}/${list.length} ${s.name} ${s.role}            `);
  });
  process.stderr.write('\n');

  // Was the machine ours? Other processes on the cores make the multi-thread rows meaningless: re-measure
  // the FMA peak on all threads and compare with one thread.
  const busy: string[] = [];
  const twoThreads = Math.max(...threadList);
  if (best !== 'reference' && twoThreads > 1) {
    native.setThreads(twoThreads);
    const p1 = native.addon.fmaPeak(1, 'avx2');
    const pn = native.addon.fmaPeak(twoThreads, 'avx2');
    if (p1 && pn) {
      const ratio = pn.gflops / p1.gflops;
      busy.push(`after the runs: avx2 FMA peak ${pn.gflops.toFixed(1)} GFLOP/s on ${pn.threads} threads = ${ratio.toFixed(2)}× one thread; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      if (ratio < 0.9 * twoThreads) busy.push(`WARNING: the cores were shared with other processes during the run: the ${twoThreads}-thread rows understate the code (and single-thread rows may be noisy too)`);
    }
  }
  native.setThreads(initialThreads);
  native.setKernels(initialIsa);

  // 3. Table.
  const head = ['shape', 'role', 'GEMM M×N×K op', 'path', 'thr', 'ms', 'GFLOP/s', '% peak', 'rel.err'];
  const cells = rows.map((r) => [
    r.shape, r.role, r.gemm, r.path, String(r.threads),
    r.ms === null ? (r.note ?? 'skipped') : r.ms < 1 ? r.ms.toFixed(4) : r.ms.toFixed(2),
    r.gflops === null ? '' : r.gflops.toFixed(1),
    r.pctPeak === null ? '' : r.pctPeak.toFixed(0),
    r.relErr === null ? '' : r.relErr.toExponential(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i >= 4 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ');
  console.log(`\n% peak: of the ${Object.keys(peak).join('/')} FMA peak per core × threads (avx512 paths against the AVX-512 peak, others against AVX2); rel.err: max |C − C_ref| / max |C_ref| against the native reference kernels.`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let prev = '';
  for (let i = 0; i < rows.length; i++) {
    const key = rows[i].shape + rows[i].role;
    if (prev && key !== prev) console.log('');
    prev = key;
    console.log(line(cells[i]));
  }

  for (const b of busy) console.log(b);

  const outDir = path.join(process.cwd(), '.bench');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'gemm.json');
  fs.writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(), cpu, cores: os.cpus().length, loadavg: os.loadavg(), bestIsa: best,
    peakGflopsPerCore: peak, peakRows, machineCheck: busy, rows,
  }, null, 1));
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
  if (failures > 0) {
    console.error(`bench-gemm: ${failures} result(s) differ from the reference kernels by more than 1e-4 (relative)`);
    process.exit(1);
  }
}

main();
