/**
 * A/B of Winograd F(4x4, 3x3) against the direct forward in the inference ops (native/core/winograd.h), in one
 * process, alternating (setWinograd(false) is A, the default B), several rounds, medians:
 *   - per DeepConvNet layer conv2..conv6: convMaxPoolForward at batch N, 1 thread, CPU time (process.cpuUsage);
 *   - DeepConvNet predict() at batch N, 1 thread CPU time and 2 threads wall time.
 * Each layer is first checked against the TypeScript backend (Winograd's error: max |diff| / max |z|).
 *
 *   node dist/scripts/bench-winograd.js [--batch 100] [--rounds 7] [--reps 5]
 */
import { loadavg } from 'os';

import { nativeBackendInstance, tsBackendInstance } from '../lib/backend';
import type { WindowGeometry } from '../lib/backend/types';
import { DeepConvNet } from '../lib/nets';
import { Rng } from '../lib/rng';
import { Tensor } from '../lib/tensor';

const LAYERS = [
  { name: 'conv2', C: 16, H: 28, F: 16, pad: 1 },
  { name: 'conv3', C: 16, H: 14, F: 32, pad: 1 },
  { name: 'conv4', C: 32, H: 14, F: 32, pad: 2 },
  { name: 'conv5', C: 32, H: 8, F: 64, pad: 1 },
  { name: 'conv6', C: 64, H: 8, F: 64, pad: 1 },
];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function random(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}


/** ms per call: CPU time (1 thread) or wall time, `reps` calls */
function measure(fn: () => void, reps: number, cpu: boolean): number {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  if (cpu) {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e3 / reps;
  }
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

/** alternating A (direct) and B (Winograd) for `rounds` rounds: [median A, median B] */
function ab(setWinograd: (on: boolean) => unknown, fn: () => void, rounds: number, reps: number, cpu: boolean): [number, number] {
  const a: number[] = [], b: number[] = [];
  for (const on of [false, true]) { setWinograd(on); fn(); }
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
      setWinograd(on);
      (on ? b : a).push(measure(fn, reps, cpu));
    }
  }
  setWinograd(true);
  return [median(a), median(b)];
}

function main(): void {
  const native = nativeBackendInstance();
  if (!native) throw new Error('the native addon does not load (npm run build:native)');
  const ts = tsBackendInstance();
  const N = Number(arg('batch', '100'));
  const rounds = Number(arg('rounds', '7'));
  const reps = Number(arg('reps', '5'));
  const rng = new Rng(1);
  const load = loadavg()[0].toFixed(1);
  console.log(`Winograd F(4x4,3x3) vs direct, isa ${native.info().isa}, batch ${N}, ${rounds} alternating rounds of ${reps} calls, medians; load average ${load}`);
  const pool = { KH: 2, KW: 2, stride: 2, pad: 0 };
  let sumA = 0, sumB = 0;
  native.setThreads(1);
  for (const l of LAYERS) {
    const g: WindowGeometry = { N, C: l.C, H: l.H, W: l.H, KH: 3, KW: 3, stride: 1, pad: l.pad };
    const OH = l.H + 2 * l.pad - 2;
    const p: WindowGeometry = { N, C: l.F, H: OH, W: OH, ...pool };
    const x = random(N * l.C * l.H * l.H, rng), w = random(l.F * l.C * 9, rng).map((v) => v * 0.3), b = random(l.F, rng);
    const z = new Float32Array(N * l.F * (OH / 2) * (OH / 2));
    const run = () => native.convMaxPoolForward(x, w, b, g, l.F, true, p, z);
    // check on 4 images against the TypeScript backend
    const g4 = { ...g, N: 4 }, p4 = { ...p, N: 4 };
    const z4 = new Float32Array(4 * l.F * (OH / 2) * (OH / 2)), zt = new Float32Array(z4.length);
    native.setThreads(1);
    native.convMaxPoolForward(x.subarray(0, 4 * l.C * l.H * l.H), w, b, g4, l.F, true, p4, z4);
    ts.convMaxPoolForward(x.subarray(0, 4 * l.C * l.H * l.H), w, b, g4, l.F, true, p4, zt);
    let err = 0, top = 0;
    for (let i = 0; i < zt.length; i++) { err = Math.max(err, Math.abs(z4[i] - zt[i])); top = Math.max(top, Math.abs(zt[i])); }
    const plan = native.convPlan(g, l.F, false).inference;
    const [ta, tb] = ab((on) => native.setWinograd(on), run, rounds, reps, true);
    sumA += ta;
    sumB += tb;
    console.log(`${l.name} ${l.C}x${l.H}x${l.H}->${l.F} p${l.pad} (${plan}, error ${(err / top).toExponential(1)}): direct ${ta.toFixed(2)} ms, winograd ${tb.toFixed(2)} ms CPU, 1 thread: ${(ta / tb).toFixed(2)}x`);
  }
  console.log(`conv2..conv6 (+ pool): direct ${sumA.toFixed(2)} ms, winograd ${sumB.toFixed(2)} ms: ${(sumA / sumB).toFixed(2)}x`);
  const net = new DeepConvNet({ seed: 1, backend: native });
  const xs = new Tensor(random(N * 784, rng).map((v) => (v + 1) / 2), [N, 1, 28, 28]);
  for (const threads of [1, 2]) {
    native.setThreads(threads);
    const [ta, tb] = ab((on) => native.setWinograd(on), () => net.predict(xs), rounds, reps, threads === 1);
    console.log(`DeepConvNet predict ${N} images, ${threads} thread${threads > 1 ? 's' : ''} (${threads === 1 ? 'CPU' : 'wall'}): direct ${ta.toFixed(2)} ms, winograd ${tb.toFixed(2)} ms: ${(ta / tb).toFixed(2)}x`);
  }
}

main();
