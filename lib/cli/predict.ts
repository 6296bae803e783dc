/**
 * `simdnet predict`: classifies PNG/JPEG images with a saved model. Each image is decoded, converted to
 * grayscale, resized to the model's input (28×28 for MNIST models) and scaled to [0, 1]; MNIST digits are light
 * on dark, so an image whose mean is above 0.5 (dark ink on white paper) is inverted unless --invert says
 * otherwise. Prints the predicted class and the top probabilities (softmax of the logits).
 */
import * as fs from 'fs';
import { setThreads, useBackend } from '../backend';
import { decodeImage, imageToPlanes } from '../data/images';
import { loadModel } from '../io/model';
import type { Network } from '../nets/network';
import { Tensor } from '../tensor';
import { choiceFlag, intFlag, parseFlags, strFlag, UsageError, type FlagSpec } from './args';

export const PREDICT_USAGE = `Usage: simdnet predict --model-file FILE [options] IMAGE...

Classifies PNG or JPEG images with a saved model (grayscale, resized to the model's input, e.g. 28×28).

Options:
  --model-file FILE   the model (simdnet train's model.safetensors / best.safetensors; required)
  --top K             probabilities shown per image (default 3)
  --invert MODE       auto (invert light backgrounds, as MNIST digits are light on dark) | yes | no  (default auto)
  --backend NAME      native | ts
  --threads N         native thread count
  --json              one JSON array instead of text
  -h, --help          this help`;

const FLAGS: Record<string, FlagSpec> = {
  'model-file': { type: 'string' },
  top: { type: 'string' },
  invert: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** [H, W] of a grayscale image input: [1, H, W] or a flat square [H·W]. */
function inputSize(net: Network): { h: number; w: number; shape: number[] } {
  const s = net.inputShape;
  if (s.length === 3 && s[0] === 1) return { h: s[1], w: s[2], shape: [1, s[1], s[2]] };
  if (s.length === 1) {
    const side = Math.round(Math.sqrt(s[0]));
    if (side * side === s[0]) return { h: side, w: side, shape: [s[0]] };
  }
  throw new UsageError(`the model's input [${s.join(', ')}] is not a grayscale image ([1, H, W] or a square number of pixels)`);
}

/** One image file as the model's input [1, …] in [0, 1]; `inverted` tells whether it was inverted. */
export function imageInput(file: string, net: Network, invert: 'auto' | 'yes' | 'no'): { x: Tensor; inverted: boolean } {
  const { h, w, shape } = inputSize(net);
  const img = decodeImage(fs.readFileSync(file), file);
  const px = new Float32Array(h * w);
  imageToPlanes(img, px, 0, [h, w], 'grayscale', 'bilinear', 'white');
  let mean = 0;
  for (let i = 0; i < px.length; i++) mean += px[i];
  mean /= px.length;
  const inverted = invert === 'yes' || (invert === 'auto' && mean > 0.5);
  if (inverted) for (let i = 0; i < px.length; i++) px[i] = 1 - px[i];
  return { x: new Tensor(px, [1, ...shape]), inverted };
}

/** Softmax of one row of logits (float64). */
function softmax(logits: Float32Array): number[] {
  const m = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export async function predictCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseFlags('predict', argv, FLAGS, true);
  if (v.help) {
    process.stdout.write(`${PREDICT_USAGE}\n`);
    return 0;
  }
  const file = strFlag('model-file', v['model-file']);
  if (!file) throw new UsageError('--model-file: required (the model to predict with)');
  if (positionals.length === 0) throw new UsageError('no images given (simdnet predict --model-file FILE IMAGE...)');
  const top = intFlag('top', v.top, 3, 1, 1000);
  const invert = choiceFlag('invert', v.invert, 'auto', ['auto', 'yes', 'no'] as const);
  if (v.backend !== undefined) useBackend(choiceFlag('backend', v.backend, 'native', ['native', 'ts'] as const));
  if (v.threads !== undefined) setThreads(intFlag('threads', v.threads, 1, 1, 256));
  const net = loadModel(file);
  inputSize(net);

  const results = positionals.map((img) => {
    const { x, inverted } = imageInput(img, net, invert);
    const probs = softmax(net.predict(x, false).data);
    const order = probs.map((p, c) => [c, p] as const).sort((a, b) => b[1] - a[1]);
    return { file: img, class: order[0][0], probability: order[0][1], top: order.slice(0, top).map(([c, p]) => ({ class: c, probability: p })), inverted, probabilities: probs };
  });
  if (v.json) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else {
    for (const r of results) {
      const tops = r.top.map((t) => `${t.class} ${(t.probability * 100).toFixed(1)}%`).join(', ');
      process.stdout.write(`${r.file}: ${r.class} (${(r.probability * 100).toFixed(1)}%)  top: ${tops}${r.inverted ? '  [inverted]' : ''}\n`);
    }
  }
  return 0;
}
