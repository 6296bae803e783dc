/**
 * Peak memory of training steps, in a process of its own (so the rest of `npm run bench` does not count):
 * `node dist/scripts/bench/rss.js <net> <threads> <steps>` builds the bench's network (scripts/bench/nets.ts),
 * runs `steps` training steps (gradient + Adam) at batch 100 on the native backend, and prints one JSON line
 * { maxRssMB, baselineRssMB } — the peak resident set size after the steps, and before building. The peak is
 * Linux's VmHWM (/proc/self/status), which starts afresh at exec; getrusage's ru_maxrss does not (it keeps the
 * forking parent's high-water mark: a child of the bench process would report the bench's own size).
 */
import * as fs from 'fs';
import { nativeBackendInstance } from '../../lib/backend';
import { createOptimizer } from '../../lib/optimizers';
import { BATCH, isNetKind, makeBatch, makeNet } from './nets';

/** Peak RSS in MB: VmHWM where /proc exists, else getrusage (may include a forking parent's peak). */
export function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS / 1024;
}

function main(): void {
  const [kind, threadsArg, stepsArg] = process.argv.slice(2);
  if (!isNetKind(kind)) throw new RangeError(`rss: expected a net kind, got '${kind}'`);
  const native = nativeBackendInstance();
  if (!native) throw new Error('rss: the native addon does not load');
  native.setThreads(Number(threadsArg ?? 2));
  const baselineRssMB = peakRssMB();
  const net = makeNet(kind, native);
  const batch = makeBatch(kind);
  const opt = createOptimizer('adam', { lr: 0.001, backend: native });
  for (let s = 0; s < Number(stepsArg ?? 3); s++) {
    net.gradient(batch.x, batch.t);
    opt.step(net.namedParams());
  }
  console.log(JSON.stringify({ net: kind, batch: BATCH, maxRssMB: peakRssMB(), baselineRssMB }));
}

if (require.main === module) main();
