/**
 * `simdnet predict`: classifies PNG/JPEG images (files, or every image in folders) with a saved model. Images are
 * prepared as in training (lib/data/image_file.ts loadImage with the size and colour saved with the model). For
 * MNIST models (grayscale 28×28, light digits on dark), an image whose mean is above 0.5 (dark ink on white paper)
 * is inverted unless --invert says otherwise. Prints the predicted class and the top probabilities, or writes a
 * CSV of file, class, probability (a folder, or --out).
 */
import * as fs from 'fs';
import * as path from 'path';
import { setThreads, useBackend } from '../backend';
import { writeFileAtomic } from '../io/atomic';
import { loadCheckpoint } from '../io/model';
import type { Network } from '../nets/network';
import { Tensor } from '../tensor';
import { choiceFlag, intFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';
import { defaultSpec, fitInput, prepareImage, specOf, type DataSpec } from './datasets';

export const PREDICT_USAGE = `Usage: simdnet predict --model-file FILE [options] IMAGE|FOLDER...

Classifies PNG or JPEG images with a saved model, prepared as in training (size and colour saved with the
model). A folder stands for every image in it (and its sub-folders); folders, or --out, give a CSV of
file,class,probability.

Options:
  --model-file FILE   the model (simdnet train's model.safetensors / best.safetensors; required)
  --top K             probabilities shown per image (default 3)
  --invert MODE       MNIST models: auto (invert light backgrounds) | yes | no  (default auto)
  --out FILE          write the CSV file,class,probability to FILE (atomically)
  --backend NAME      native | ts
  --threads N         native thread count
  --json              one JSON array instead of text
  -h, --help          this help`;

const FLAGS: Record<string, FlagSpec> = {
  'model-file': { type: 'string' },
  top: { type: 'string' },
  invert: { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Every .png/.jpg/.jpeg under `dir`, sorted by path. */
function imagesUnder(dir: string): string[] {
  const out: string[] = [];
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...imagesUnder(p));
    else if (/\.(png|jpe?g)$/i.test(e.name)) out.push(p);
  }
  return out;
}

/** One image file as the model's input [1, …]; `inverted` tells whether it was inverted (MNIST models). */
export function imageInput(file: string, net: Network, spec: DataSpec, invert: 'auto' | 'yes' | 'no'): { x: Tensor; inverted: boolean } {
  if (spec.source === 'csv') throw new UsageError(`the model was trained on CSV rows of shape [${(spec.shape ?? []).join(', ')}], not on images`);
  const img = prepareImage(spec, file);
  let inverted = false;
  if (spec.source === 'mnist') {
    const px = img.data;
    const mean = px.reduce((a, b) => a + b, 0) / px.length;
    inverted = invert === 'yes' || (invert === 'auto' && mean > 0.5);
    if (inverted) for (let i = 0; i < px.length; i++) px[i] = 1 - px[i];
  }
  return { x: fitInput(net, new Tensor(img.data, [1, ...img.shape]), 'the model', file), inverted };
}

/** CSV field quoting (RFC 4180). */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function predictCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags('predict', argv, FLAGS, true);
  if (v.help) {
    process.stdout.write(`${PREDICT_USAGE}\n`);
    return 0;
  }
  const file = strFlag('model-file', v['model-file']);
  if (!file) throw new UsageError('--model-file: required (the model to predict with)');
  if (positionals.length === 0) throw new UsageError('no images given (simdnet predict --model-file FILE IMAGE|FOLDER...)');
  const top = intFlag('top', v.top, 3, 1, 1000);
  const invert = choiceFlag('invert', v.invert, 'auto', ['auto', 'yes', 'no'] as const);
  const out = strFlag('out', v.out);
  if (v.backend !== undefined) useBackend(choiceFlag('backend', v.backend, 'native', ['native', 'ts'] as const));
  if (v.threads !== undefined) setThreads(intFlag('threads', v.threads, 1, 1, 256));
  const ck = loadCheckpoint(file);
  const net = ck.net;
  const spec = specOf(ck.extra) ?? defaultSpec(net);
  if (net.accuracyKind === 'multi-label') throw new UsageError(`the model ${file} is multi-label (several sigmoid outputs); predict handles one class per image`);

  let folder = false;
  const images: string[] = [];
  for (const p of positionals) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      throw new Error(`${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const found = imagesUnder(p);
      if (found.length === 0) throw new Error(`${p}: no .png/.jpg/.jpeg files in this folder`);
      images.push(...found);
      folder = true;
    } else images.push(p);
  }

  const names = spec.classNames;
  const results = images.map((img) => {
    const { x, inverted } = imageInput(img, net, spec, invert);
    const p = net.predictProba(x).data;
    const probs = net.accuracyKind === 'binary' ? [1 - p[0], p[0]] : Array.from(p);
    const order = probs.map((q, c) => [c, q] as const).sort((a, b) => b[1] - a[1]);
    const cls = net.predictClasses(x)[0];
    const label = (c: number) => names[c] ?? String(c);
    return {
      file: img, class: cls, label: label(cls), probability: probs[cls], inverted,
      top: order.slice(0, top).map(([c, q]) => ({ class: c, label: label(c), probability: q })), probabilities: probs,
    };
  });
  if (out !== undefined || folder) {
    const csv = `file,class,probability\n${results.map((r) => `${csvField(r.file)},${csvField(r.label)},${r.probability.toPrecision(6)}`).join('\n')}\n`;
    if (out !== undefined) {
      writeFileAtomic(out, csv);
      if (!v.json) process.stdout.write(`wrote ${results.length} predictions to ${out}\n`);
    } else if (!v.json) process.stdout.write(csv);
  }
  if (v.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else if (out === undefined && !folder) {
    for (const r of results) {
      const tops = r.top.map((t) => `${t.label} ${(t.probability * 100).toFixed(1)}%`).join(', ');
      process.stdout.write(`${r.file}: ${r.label} (${(r.probability * 100).toFixed(1)}%)  top: ${tops}${r.inverted ? '  [inverted]' : ''}\n`);
    }
  }
  return 0;
}
