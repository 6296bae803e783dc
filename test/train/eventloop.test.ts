/**
 * fit() keeps the calling thread's event loop responsive: while 2.5 s of training run in the worker, a 10 ms
 * setInterval on this thread keeps its pace and the event-loop delay stays low; stop() from a timer on this thread
 * ends the run promptly.
 *
 * perf_hooks.monitorEventLoopDelay({ resolution: 10 }) samples with a 10 ms timer; on Node 20 each recorded
 * value is the whole interval between two samples (≈ 10 ms when idle), on some versions only the delay beyond
 * it. We measure the idle histogram first to learn which, and assert on the delay beyond the timer period.
 */
import { monitorEventLoopDelay } from 'perf_hooks';
import { getBackend } from '../../lib/backend';
import { Trainer } from '../../lib/train/trainer';
import { mnistSubset, smallMlp } from './fixtures';

const RES_MS = 10;
const RUN_MS = 2500;

function histogram(): ReturnType<typeof monitorEventLoopDelay> {
  const h = monitorEventLoopDelay({ resolution: RES_MS });
  h.enable();
  return h;
}

/** The sampling-timer offset included in recorded values: ≈ RES_MS or ≈ 0 depending on the Node version. */
async function idleOffsetMs(): Promise<number> {
  const h = histogram();
  await new Promise((r) => setTimeout(r, 300));
  h.disable();
  return h.percentile(50) / 1e6 > RES_MS / 2 ? RES_MS : 0;
}

interface Measurement {
  wallMs: number;
  /** From stop() to fit() resolving. */
  stopMs: number;
  batches: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  ticks: number;
  gapP99: number;
  result: Awaited<ReturnType<Trainer['fit']>>;
}

/**
 * One fit() of a small MLP, stopped from this thread after RUN_MS (so the measurement lasts
 * about as long on the fast native backend as on the TypeScript one), while this thread measures its own
 * event-loop delay.
 */
async function measure(data: ReturnType<typeof mnistSubset>, offset: number): Promise<Measurement> {
  const { x, t, xTest, tTest } = data;
  const trainer = new Trainer(smallMlp(3), x, t, xTest, tTest, {
    epochs: 1000, miniBatchSize: 50, optimizer: 'adam', optimizerParam: { lr: 0.002 }, evaluateSampleNumPerEpoch: 500,
  });
  let batches = 0;
  trainer.callbacks.push({ onBatchEnd: () => void batches++ });
  const gaps: number[] = [];
  let last = performance.now();
  const iv = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  let stopAt = 0;
  const stopper = setTimeout(() => {
    stopAt = performance.now();
    trainer.stop();
  }, RUN_MS);
  const h = histogram();
  const t0 = performance.now();
  let result;
  try {
    result = await trainer.fit();
  } finally {
    h.disable();
    clearInterval(iv);
    clearTimeout(stopper);
  }
  const end = performance.now();
  gaps.sort((a, b) => a - b);
  return {
    wallMs: end - t0,
    stopMs: end - stopAt,
    batches,
    p50: h.percentile(50) / 1e6 - offset,
    p99: h.percentile(99) / 1e6 - offset,
    max: h.max / 1e6 - offset,
    samples: h.count,
    ticks: gaps.length,
    gapP99: gaps[Math.floor(gaps.length * 0.99)],
    result,
  };
}

test('fit() trains in a worker while the main event loop stays responsive (p99 delay < 20 ms)', async () => {
  // epochs long enough that per-epoch work (evaluation, the weight copy back to this thread) is a small share
  const data = mnistSubset(getBackend().name === 'native' ? 20000 : 2000, 500);
  const offset = await idleOffsetMs();
  // The machine is shared (2 cores, other jobs): a busy moment can delay any thread. Up to 3 attempts; the best
  // one must meet the bound (a main thread that trains or blocks fails every attempt by far).
  let m: Measurement | null = null;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const cur = await measure(data, offset);
    console.log(
      `attempt ${attempt}: fit ${cur.wallMs.toFixed(0)} ms (stopped after ${RUN_MS} ms, resolved ${cur.stopMs.toFixed(0)} ms later), ` +
      `${cur.batches} batches, ${cur.result.epochs} epochs, test acc ${cur.result.testAcc}; ` +
      `event-loop delay beyond the ${RES_MS} ms timer: p50 ${cur.p50.toFixed(2)} ms, p99 ${cur.p99.toFixed(2)} ms, ` +
      `max ${cur.max.toFixed(2)} ms (${cur.samples} samples); 10 ms interval: ${cur.ticks} ticks, p99 gap ${cur.gapP99.toFixed(1)} ms`,
    );
    if (!m || cur.p99 < m.p99) m = cur;
    if (m.p99 < 20) break;
  }
  const { result } = m!;

  // training really happened, in the worker, for the whole measurement, and stop() ended it promptly
  expect(m!.result.stopped).toBe(true);
  expect(m!.batches).toBe(result.iterations);
  expect(result.epochs).toBeGreaterThanOrEqual(2);
  expect(result.history.loss.at(-1)!).toBeLessThan(result.history.loss[0]);
  expect(result.testAcc!).toBeGreaterThan(0.7);
  expect(m!.wallMs).toBeGreaterThan(RUN_MS);
  expect(m!.stopMs).toBeLessThan(1500);
  expect(m!.samples).toBeGreaterThan((m!.wallMs / RES_MS) * 0.5);
  // the main thread kept its pace
  expect(m!.p99).toBeLessThan(20);
  expect(m!.gapP99).toBeLessThan(RES_MS + 30);
  expect(m!.ticks).toBeGreaterThan((m!.wallMs / 10) * 0.5);
});
