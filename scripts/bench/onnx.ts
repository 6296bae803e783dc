/**
 * `npm run bench`: inference of each benchmarked network exported to ONNX and run by onnxruntime-node (a dev
 * dependency), beside simdnet's own predict, in the same run and at the same thread count (2).
 *
 * First a check: the onnxruntime output must equal simdnet's within 1e-4 of the output's scale, else the row says
 * so and is not timed. Then three contenders are timed in blocks, alternating in rounds so that all see the same
 * machine load: simdnet; onnxruntime with its intra-op spinning off; onnxruntime with its defaults (spinning on).
 *
 * Why blocks with idle gaps, not back-to-back calls: onnxruntime's intra-op threads spin after each run — measured
 * here, a default 2-thread session keeps about one core busy for ~40 ms after a DeepConvNet run returns — and on a
 * 2-core machine that spinning steals the next runtime's cores (simdnet measured 13.0 ms per batch right after
 * onnxruntime calls vs 7.3–8.2 ms alone in the same run). simdnet's own pool spins 1 ms after each job. So each
 * block is: an idle gap (QUIET_MS, then the process's CPU use over a probe window is recorded: ~0 means no thread
 * of the previous block was still spinning), one warm call, then the timed calls. Inside its own block each
 * runtime keeps whatever its threads do between its back-to-back calls, which is what a user running one of them
 * gets. The spinning-off session uses the session config entry `session.intra_op.allow_spinning` = "0" (passed
 * through `extra`, which onnxruntime-node maps to AddConfigEntry); the default session is what users get.
 * Medians over all timed calls of each contender.
 */
import type { NativeBackend } from '../../lib/backend/native';
import type { Network } from '../../lib/nets';
import { encodeOnnx } from '../../lib/onnx';
import type { Tensor } from '../../lib/tensor';
import { median, nowMs } from './timing';

export interface OnnxBenchRow {
  net: string;
  threads: number;
  /** onnxruntime-node version, or null when it is not installed */
  ortVersion: string | null;
  simdnetInferMs: number | null;
  /** onnxruntime with its defaults (intra-op spinning on) */
  ortInferMs: number | null;
  /** onnxruntime with session.intra_op.allow_spinning = "0" */
  ortNoSpinInferMs: number | null;
  simdnetImagesPerS: number | null;
  ortImagesPerS: number | null;
  ortNoSpinImagesPerS: number | null;
  /** max |onnxruntime − simdnet| over the batch's logits, and the output's max |value| */
  maxDiff: number | null;
  scale: number | null;
  /** timed calls per contender */
  samples: number;
  /** the highest CPU use of this process (cores) in the probe window ending an idle gap before a block */
  maxIdleCores: number | null;
  error?: string;
}

type Ort = typeof import('onnxruntime-node');

/** Idle time before each block, then the probe window: onnxruntime's spinning measured ~40 ms here. */
const QUIET_MS = 100;
const PROBE_MS = 20;

function loadOrt(): { ort: Ort; version: string } | { reason: string } {
  try {
    const ort = require('onnxruntime-node') as Ort;
    const version = (require('onnxruntime-node/package.json') as { version: string }).version;
    return { ort, version };
  } catch (err) {
    return { reason: `onnxruntime-node not installed (${(err as Error).message.split('\n')[0]}); it is a dev dependency: npm install` };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits QUIET_MS, then returns the cores this process used over the next PROBE_MS (all its threads). */
async function quietGap(): Promise<number> {
  await sleep(QUIET_MS);
  const c0 = process.cpuUsage();
  const t0 = nowMs();
  await sleep(PROBE_MS);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e3 / (nowMs() - t0);
}

/**
 * Times `nets` (built on the native backend) through simdnet and onnxruntime (spinning off, and defaults) at
 * `threads` threads, each on its batch `x`: `rounds` rounds of one block per contender, `perRound` timed calls each.
 */
export async function benchOnnxInference(
  nets: { name: string; make: () => Network; x: Tensor }[],
  native: NativeBackend,
  opts: { threads: number; rounds: number; perRound: number },
): Promise<{ rows: OnnxBenchRow[]; note: string }> {
  const loaded = loadOrt();
  if ('reason' in loaded) return { rows: [], note: loaded.reason };
  const { ort, version } = loaded;
  native.setThreads(opts.threads);
  const rows: OnnxBenchRow[] = [];
  for (const { name, make, x } of nets) {
    const N = x.shape[0];
    const row: OnnxBenchRow = {
      net: name, threads: opts.threads, ortVersion: version, simdnetInferMs: null, ortInferMs: null, ortNoSpinInferMs: null,
      simdnetImagesPerS: null, ortImagesPerS: null, ortNoSpinImagesPerS: null, maxDiff: null, scale: null, samples: 0, maxIdleCores: null,
    };
    rows.push(row);
    process.stdout.write(`timing ${name} inference: simdnet vs onnxruntime-node ${version} (spinning off, defaults), ${opts.threads}t … `);
    const sessions: { release(): Promise<void> }[] = [];
    try {
      const net = make();
      // a fresh network's BatchNorm statistics are 0-variance (NaN through a deep ResNet): unit variance instead
      for (const [k, b] of Object.entries(net.namedBuffers())) if (k.includes('running_var')) b.data.fill(1);
      const model = encodeOnnx(net);
      const base: import('onnxruntime-node').InferenceSession.SessionOptions = {
        intraOpNumThreads: opts.threads, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all',
      };
      const noSpin = await ort.InferenceSession.create(model, { ...base, extra: { session: { intra_op: { allow_spinning: '0' } } } });
      sessions.push(noSpin);
      const defaults = await ort.InferenceSession.create(model, base);
      sessions.push(defaults);
      const runner = (s: typeof noSpin) => {
        const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x.data, [...x.shape]) };
        return async () => (await s.run(feeds))[s.outputNames[0]].data as Float32Array;
      };
      const runNoSpin = runner(noSpin);
      const runDefaults = runner(defaults);
      const ref = net.predict(x).data;
      let maxDiff = 0;
      let scale = 1;
      let sameLength = true;
      for (const got of [await runNoSpin(), await runDefaults()]) {
        sameLength &&= got.length === ref.length;
        for (let i = 0; i < ref.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
          scale = Math.max(scale, Math.abs(ref[i]));
        }
      }
      row.maxDiff = maxDiff;
      row.scale = scale;
      if (!(maxDiff <= 1e-4 * scale) || !sameLength) {
        row.error = `onnxruntime output differs from simdnet's (max |diff| ${maxDiff.toExponential(2)}): not timed`;
        console.log(row.error);
        continue;
      }
      const contenders: { run: () => unknown; ms: number[] }[] = [
        { run: () => net.predict(x), ms: [] },
        { run: runNoSpin, ms: [] },
        { run: runDefaults, ms: [] },
      ];
      let maxIdle = 0;
      for (let r = 0; r < opts.rounds; r++) {
        for (const c of contenders) {
          maxIdle = Math.max(maxIdle, await quietGap());
          await c.run();
          for (let i = 0; i < opts.perRound; i++) {
            const t0 = nowMs();
            await c.run();
            c.ms.push(nowMs() - t0);
          }
        }
      }
      const [ours, theirsNoSpin, theirs] = contenders.map((c) => median(c.ms));
      row.simdnetInferMs = ours;
      row.ortNoSpinInferMs = theirsNoSpin;
      row.ortInferMs = theirs;
      row.simdnetImagesPerS = (N / ours) * 1e3;
      row.ortNoSpinImagesPerS = (N / theirsNoSpin) * 1e3;
      row.ortImagesPerS = (N / theirs) * 1e3;
      row.samples = contenders[0].ms.length;
      row.maxIdleCores = maxIdle;
      console.log(`simdnet ${ours.toFixed(2)} ms, onnxruntime ${theirsNoSpin.toFixed(2)} ms (spinning off), ${theirs.toFixed(2)} ms (defaults) per batch`);
    } catch (err) {
      row.error = (err as Error).message.split('\n')[0];
      console.log(`failed: ${row.error}`);
    } finally {
      for (const s of sessions) await s.release();
    }
  }
  return {
    rows,
    note: `onnxruntime-node ${version} (CPU execution provider, intra-op threads ${opts.threads}; session.intra_op.allow_spinning "0", and its defaults), `
      + `models from exportOnnx (opset 17, float32); blocks of ${opts.perRound} timed calls after a ${QUIET_MS} ms idle gap and a warm call, ${opts.rounds} rounds`,
  };
}
