/**
 * `npm run bench`: inference of each benchmarked network exported to ONNX and run by onnxruntime-node (a dev
 * dependency), beside simdnet's own predict, in the same run and at the same thread count. First a check: the
 * onnxruntime output must equal simdnet's within 1e-4 of the output's scale, else the row says so and is not
 * timed. Then rounds alternate simdnet and onnxruntime (each round: one warm call, then the timed ones), so both
 * see the same load on a shared machine; medians over all timed calls.
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
  ortInferMs: number | null;
  simdnetImagesPerS: number | null;
  ortImagesPerS: number | null;
  /** max |onnxruntime − simdnet| over the batch's logits, and the output's max |value| */
  maxDiff: number | null;
  scale: number | null;
  samples: number;
  error?: string;
}

type Ort = typeof import('onnxruntime-node');

function loadOrt(): { ort: Ort; version: string } | { reason: string } {
  try {
    const ort = require('onnxruntime-node') as Ort;
    const version = (require('onnxruntime-node/package.json') as { version: string }).version;
    return { ort, version };
  } catch (err) {
    return { reason: `onnxruntime-node not installed (${(err as Error).message.split('\n')[0]}); it is a dev dependency: npm install` };
  }
}

/**
 * Times `nets` (built on the native backend) through simdnet and onnxruntime at `threads` threads, each on its
 * batch `x`. `rounds` alternations of `perRound` timed calls each.
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
      net: name, threads: opts.threads, ortVersion: version, simdnetInferMs: null, ortInferMs: null, simdnetImagesPerS: null, ortImagesPerS: null,
      maxDiff: null, scale: null, samples: 0,
    };
    rows.push(row);
    process.stdout.write(`timing ${name} inference: simdnet vs onnxruntime-node ${version}, ${opts.threads}t … `);
    try {
      const net = make();
      // a fresh network's BatchNorm statistics are 0-variance (NaN through a deep ResNet): unit variance instead
      for (const [k, b] of Object.entries(net.namedBuffers())) if (k.includes('running_var')) b.data.fill(1);
      const session = await ort.InferenceSession.create(encodeOnnx(net), {
        intraOpNumThreads: opts.threads, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all',
      });
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, [...x.shape]) };
      const runOrt = async () => (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
      const ref = net.predict(x).data;
      const got = await runOrt();
      let maxDiff = 0;
      let scale = 1;
      for (let i = 0; i < ref.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
        scale = Math.max(scale, Math.abs(ref[i]));
      }
      row.maxDiff = maxDiff;
      row.scale = scale;
      if (!(maxDiff <= 1e-4 * scale) || got.length !== ref.length) {
        row.error = `onnxruntime output differs from simdnet's (max |diff| ${maxDiff.toExponential(2)}): not timed`;
        console.log(row.error);
        await session.release();
        continue;
      }
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < opts.rounds; r++) {
        net.predict(x);
        for (let i = 0; i < opts.perRound; i++) {
          const t0 = nowMs();
          net.predict(x);
          ours.push(nowMs() - t0);
        }
        await runOrt();
        for (let i = 0; i < opts.perRound; i++) {
          const t0 = nowMs();
          await runOrt();
          theirs.push(nowMs() - t0);
        }
      }
      await session.release();
      row.simdnetInferMs = median(ours);
      row.ortInferMs = median(theirs);
      row.simdnetImagesPerS = (N / row.simdnetInferMs) * 1e3;
      row.ortImagesPerS = (N / row.ortInferMs) * 1e3;
      row.samples = ours.length;
      console.log(`simdnet ${row.simdnetInferMs.toFixed(2)} ms, onnxruntime ${row.ortInferMs.toFixed(2)} ms per batch`);
    } catch (err) {
      row.error = (err as Error).message.split('\n')[0];
      console.log(`failed: ${row.error}`);
    }
  }
  return { rows, note: `onnxruntime-node ${version} (CPU execution provider, intra-op threads ${opts.threads}), models from exportOnnx (opset 17, float32)` };
}
