/** The Trainer's `metrics` option: per-epoch precision/recall/F1/AUC in the logs, equal to Network.evaluate's. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Affine, Relu, SigmoidWithLoss, SoftmaxWithLoss } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import { EarlyStopping, Trainer, type EpochLogs } from '../../lib/train';
import { blobs } from '../helpers';

const net = (out: number, loss: 'softmax' | 'sigmoid') =>
  new Sequential([new Affine(2, 8), new Relu(), new Affine(8, out), loss === 'softmax' ? new SoftmaxWithLoss() : new SigmoidWithLoss()], { inputShape: [2], seed: 5 });

describe('Trainer metrics', () => {
  test('precision/recall/f1 per epoch on train and validation = evaluate() macro averages; EarlyStopping maximizes val_f1', async () => {
    const tr = blobs(200, 1, 3, 0.8);
    const va = blobs(90, 2, 3, 0.8);
    const n = net(3, 'softmax');
    const seen: EpochLogs[] = [];
    const es = new EarlyStopping({ monitor: 'val_f1', patience: 50 });
    const trainer = new Trainer(n, tr.x, tr.t, null, null, {
      epochs: 3, miniBatchSize: 20, optimizer: 'adam', optimizerParam: { lr: 0.01 }, validationData: [va.x, va.t],
      metrics: ['precision', 'recall', 'f1'], callbacks: [es, { onEpochEnd: ({ logs }) => void seen.push(logs) }],
    });
    trainer.train();
    const last = seen[2];
    const ev = n.evaluate(va.x, va.t);
    expect(last.val_f1).toBeCloseTo(ev.macro.f1, 12);
    expect(last.val_precision).toBeCloseTo(ev.macro.precision, 12);
    expect(last.val_recall).toBeCloseTo(ev.macro.recall, 12);
    expect(last.f1).toBeCloseTo(n.evaluate(tr.x, tr.t).macro.f1, 12);
    expect(es.best).toBe(Math.max(...seen.map((l) => l.val_f1!)));
    // recorded in the history, per epoch, under the log names (Keras' history.history)
    const h = trainer.history.metrics!;
    expect(Object.keys(h).sort()).toEqual(['f1', 'precision', 'recall', 'val_f1', 'val_precision', 'val_recall']);
    for (const k of Object.keys(h)) expect(h[k]).toEqual(seen.map((l) => l[k]));
    // and kept by a checkpoint: a resumed trainer continues the same series
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-metrics-')), 'ck.safetensors');
    trainer.saveCheckpoint(file);
    const again = new Trainer(net(3, 'softmax'), tr.x, tr.t, null, null, {
      epochs: 4, miniBatchSize: 20, optimizer: 'adam', optimizerParam: { lr: 0.01 }, validationData: [va.x, va.t], metrics: ['precision', 'recall', 'f1'],
    });
    again.resume(file);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    expect(again.history.metrics).toEqual(h);
    again.train();
    expect(again.history.metrics!.val_f1.slice(0, 3)).toEqual(h.val_f1);
    expect(again.history.metrics!.val_f1).toHaveLength(4);
    // the worker path gives the same logs and history
    const seen2: EpochLogs[] = [];
    const r2 = await new Trainer(net(3, 'softmax'), tr.x, tr.t, null, null, {
      epochs: 3, miniBatchSize: 20, optimizer: 'adam', optimizerParam: { lr: 0.01 }, validationData: [va.x, va.t],
      metrics: ['precision', 'recall', 'f1'], callbacks: [{ onEpochEnd: ({ logs }) => void seen2.push(logs) }],
    }).fit();
    expect(seen2.map((l) => l.val_f1)).toEqual(seen.map((l) => l.val_f1));
    expect(r2.history.metrics).toEqual(h);
  });

  test('auc for one sigmoid output = evaluate().rocAuc; refused for three classes; unknown names refused', () => {
    const tr = blobs(200, 3, 2, 0.8);
    const va = blobs(80, 4, 2, 0.8);
    const n = net(1, 'sigmoid');
    let last: EpochLogs | null = null;
    new Trainer(n, tr.x, tr.t, null, null, {
      epochs: 2, miniBatchSize: 25, optimizer: 'adam', optimizerParam: { lr: 0.01 }, validationData: [va.x, va.t], metrics: ['auc'],
      callbacks: [{ onEpochEnd: ({ logs }) => void (last = logs) }],
    }).train();
    expect(last!.val_auc).toBeCloseTo(n.evaluate(va.x, va.t).rocAuc!, 12);
    expect(() => new Trainer(net(3, 'softmax'), tr.x, tr.t, null, null, { metrics: ['auc'] })).toThrow(/metrics: expected 'auc' only for a binary problem/);
    expect(() => new Trainer(net(3, 'softmax'), tr.x, tr.t, null, null, { metrics: ['f2' as never] })).toThrow(/metrics\[0\]: expected one of 'precision', 'recall', 'f1', 'auc'/);
  });
});
