/**
 * Resume validates the training state inside a checkpoint (issue 9): every field of a hand-edited state is
 * checked, and a bad one is a RangeError naming it, before anything changes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors';
import { MultiLayerNet } from '../../lib/nets';
import { Tensor } from '../../lib/tensor';
import { Trainer } from '../../lib/train/trainer';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-resume-state-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const N = 40;
const x = new Tensor(Float32Array.from({ length: N * 4 }, (_, i) => Math.sin(i)), [N, 4]);
const t = Int32Array.from({ length: N }, (_, i) => i % 3);
const trainer = () => new Trainer(new MultiLayerNet({ inputSize: 4, hiddenSizeList: [5], outputSize: 3, seed: 2 }), x, t, x, t, {
  epochs: 3, miniBatchSize: 15, optimizer: 'sgd', optimizerParam: { lr: 0.1 }, seed: 1, evaluateSampleNumPerEpoch: 10,
});

let good: string;
let saved: Record<string, unknown>;
beforeAll(() => {
  const tr = trainer();
  tr.callbacks.push({ onBatchEnd: (b, ctl) => { if (b.iteration === 4) ctl.stop(); } }); // epoch 1, batch 1
  tr.train();
  good = path.join(tmp, 'good.safetensors');
  tr.saveCheckpoint(good);
  saved = (JSON.parse(decodeSafetensors(fs.readFileSync(good)).metadata.extra) as { trainer: Record<string, unknown> }).trainer;
});

/** `good` with the training state changed by `edit`. */
function edited(name: string, edit: (st: Record<string, unknown>) => void): string {
  const { tensors, metadata } = decodeSafetensors(fs.readFileSync(good));
  const extra = JSON.parse(metadata.extra) as { trainer: Record<string, unknown> };
  edit(extra.trainer);
  metadata.extra = JSON.stringify(extra);
  const file = path.join(tmp, `${name}.safetensors`);
  fs.writeFileSync(file, encodeSafetensors(tensors, metadata));
  return file;
}

test('the saved position is the one expected (epoch 1, batch 1, iteration 4)', () => {
  expect([saved.epoch, saved.batch, saved.iteration]).toEqual([1, 1, 4]);
  const tr = trainer();
  tr.resume(good);
  expect(tr.getState().iteration).toBe(4);
});

const cases: [string, (st: Record<string, unknown>) => void, RegExp][] = [
  ['fractional batch', (st) => { st.batch = 1.5; }, /training state batch: expected an integer in \[0, 3\]/],
  ['epoch of 10^9', (st) => { st.epoch = 1e9; }, /training state epoch: expected an integer in \[0, 3\] \(at most the saved epochs\), got number 1000000000/],
  ['loss sum null', (st) => { st.epochLossSum = null; }, /training state epochLossSum: expected a finite number >= 0, got null/],
  ['negative lr', (st) => { st.lr = -1; }, /training state lr: expected a finite number > 0, got number -1/],
  ['string lr', (st) => { st.initialLr = '0.1'; }, /training state initialLr: expected a finite number > 0, got string "0.1"/],
  ['iteration inconsistent', (st) => { st.iteration = 7; }, /training state iteration: expected 4 \(epoch 1 · 3 batches \+ batch 1\), got number 7/],
  ['version', (st) => { st.version = 2; }, /training state version: expected 1, got number 2/],
  ['sampling', (st) => { st.sampling = 'shuffle'; }, /training state sampling: expected 'epoch' or 'replacement', got string "shuffle"/],
  ['rng null', (st) => { st.rng = null; }, /training state rng: expected an Rng state/],
  ['rng seed', (st) => { (st.netRng as Record<string, unknown>).seed = -1; }, /training state netRng\.seed: expected an integer in \[0, 4294967295\]/],
  ['permRng spare', (st) => { (st.permRng as Record<string, unknown>).spare = 'x'; }, /training state permRng\.spare: expected a finite number/],
  ['history null', (st) => { st.history = null; }, /training state history: expected an object/],
  ['history length', (st) => { (st.history as Record<string, unknown>).loss = [1, 2, 3]; }, /training state history\.loss: expected an array of 1 values, got 3 values/],
  ['history value', (st) => { (st.history as Record<string, unknown[]>).acc[0] = 'high'; }, /training state history\.acc\[0\]: expected a finite number >= 0/],
  ['trainLossList', (st) => { (st.trainLossList as unknown[])[2] = null; }, /training state trainLossList\[2\]: expected a finite number >= 0, got null/],
  ['epochSamples', (st) => { st.epochSamples = 1e12; }, /training state epochSamples: expected an integer in \[0, 45\]/],
  ['not an object', (st) => { for (const k of Object.keys(st)) delete st[k]; Object.assign(st, { version: 1, trainSize: 'all' }); }, /training state trainSize: expected an integer/],
];

test.each(cases)('%s: RangeError naming the field, trainer unchanged', (name, edit, message) => {
  const file = edited(name.replace(/\W+/g, '-'), edit);
  const tr = trainer();
  const before = tr.getState();
  const w = tr.network.namedParams().W1.value.data.slice();
  let err: unknown;
  try {
    tr.resume(file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RangeError);
  expect((err as Error).message).toMatch(message);
  expect(tr.getState()).toEqual(before);
  expect(tr.network.namedParams().W1.value.data).toEqual(w);
});
