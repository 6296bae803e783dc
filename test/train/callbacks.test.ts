/**
 * Callbacks: order and contents of the hooks (train() and fit() alike), EarlyStopping (incl. restoring the best
 * weights), ModelCheckpoint (atomic writes, best only, loadable), ReduceLROnPlateau, LR schedules in the loop,
 * stop() and AbortSignal.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadModel } from '../../lib/io/model';
import { EarlyStopping, LambdaCallback, ModelCheckpoint, ReduceLROnPlateau, type Callback, type TrainerControl } from '../../lib/train/callbacks';
import type { EpochLogs } from '../../lib/train/loop';
import { stepDecay } from '../../lib/train/schedules';
import { Trainer, type TrainerOptions } from '../../lib/train/trainer';
import { expectSameWeights, mnistSubset, smallMlp, weightsDiffer, weightsOf } from './fixtures';

const data = mnistSubset(300, 100);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-callbacks-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function trainer(opts: TrainerOptions, net = smallMlp()): Trainer {
  return new Trainer(net, data.x, data.t, data.xTest, data.tTest, { epochs: 2, miniBatchSize: 100, ...opts });
}

/** A callback that records every hook call as a string. */
function recorder(): Callback & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    onTrainBegin: () => void calls.push('trainBegin'),
    onEpochBegin: ({ epoch }) => void calls.push(`epochBegin ${epoch}`),
    onBatchEnd: (b) => void calls.push(`batch ${b.epoch}.${b.batch}/${b.batches} n=${b.size} it=${b.iteration} ${Number.isFinite(b.loss) && b.acc >= 0 && b.acc <= 1}`),
    onEpochEnd: ({ epoch, logs }) => void calls.push(`epochEnd ${epoch} ${Object.keys(logs).sort().join(',')}`),
    onTrainEnd: ({ history, stopped }) => void calls.push(`trainEnd ${history.loss.length} ${stopped}`),
  };
}

/** A fake TrainerControl around a network, for driving callbacks by hand. */
function control(net = smallMlp()): TrainerControl & { stopped: boolean; lr: number } {
  const c = {
    network: net, optimizer: null as never, history: null as never, epochs: 10, stopped: false, lr: 0.1,
    get stopTraining() { return c.stopped; },
    stop() { c.stopped = true; },
    get learningRate() { return c.lr; },
    setLearningRate(lr: number) { c.lr = lr; },
    saveCheckpoint: () => undefined,
  };
  return c;
}

const logs = (o: Partial<EpochLogs>): EpochLogs => ({ loss: 1, acc: 0.5, lr: 0.1, time_ms: 1, ...o });

describe('callbacks', () => {
  const expected = [
    'trainBegin',
    'epochBegin 0', 'batch 0.0/3 n=100 it=1 true', 'batch 0.1/3 n=100 it=2 true', 'batch 0.2/3 n=100 it=3 true',
    'epochEnd 0 acc,loss,lr,test_acc,time_ms',
    'epochBegin 1', 'batch 1.0/3 n=100 it=4 true', 'batch 1.1/3 n=100 it=5 true', 'batch 1.2/3 n=100 it=6 true',
    'epochEnd 1 acc,loss,lr,test_acc,time_ms',
    'trainEnd 2 false',
  ];

  test('hooks run in order with their contents, in train() and in fit()', async () => {
    const a = recorder();
    trainer({ callbacks: [a] }).train();
    expect(a.calls).toEqual(expected);
    const b = recorder();
    await trainer({ callbacks: [b] }).fit();
    expect(b.calls).toEqual(expected);
  });

  test('fit() awaits async onEpochEnd before the next epoch; train() refuses a Promise', async () => {
    const events: string[] = [];
    const slow = new LambdaCallback({
      onEpochBegin: ({ epoch }) => void events.push(`begin ${epoch}`),
      onEpochEnd: async ({ epoch }) => {
        await new Promise((r) => setTimeout(r, 30));
        events.push(`end ${epoch} done`);
      },
    });
    await trainer({ callbacks: [slow] }).fit();
    expect(events).toEqual(['begin 0', 'end 0 done', 'begin 1', 'end 1 done']);
    expect(() => trainer({ callbacks: [slow] }).train()).toThrow(/onEpochEnd returned a Promise; use `await trainer.fit\(\)`/);
  });

  test('a callback that throws rejects fit() (and the worker is closed)', async () => {
    const bad = new LambdaCallback({ onBatchEnd: (b) => { if (b.iteration === 2) throw new Error('boom in batch'); } });
    await expect(trainer({ callbacks: [bad] }).fit()).rejects.toThrow('boom in batch');
    const bad2 = new LambdaCallback({ onEpochEnd: () => { throw new RangeError('boom at epoch end'); } });
    await expect(trainer({ callbacks: [bad2] }).fit()).rejects.toThrow(RangeError);
  });

  test('EarlyStopping: stops after `patience` epochs without improvement and restores the best weights', () => {
    const ctl = control();
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    es.onTrainBegin();
    const best = weightsOf(ctl.network);
    es.onEpochEnd({ epoch: 0, logs: logs({ val_loss: 1.0 }) }, ctl);
    ctl.network.namedParams().W1.value.data.fill(0.5); // training moves the weights
    es.onEpochEnd({ epoch: 1, logs: logs({ val_loss: 1.2 }) }, ctl);
    expect(ctl.stopped).toBe(false);
    es.onEpochEnd({ epoch: 2, logs: logs({ val_loss: 1.1 }) }, ctl);
    expect(ctl.stopped).toBe(true);
    expect([es.stoppedEpoch, es.bestEpoch, es.best]).toEqual([2, 0, 1.0]);
    expect(weightsDiffer(weightsOf(ctl.network), best)).toBe(true);
    es.onTrainEnd(undefined, ctl);
    expectSameWeights(weightsOf(ctl.network), best);
  });

  test("EarlyStopping: mode auto is 'max' for accuracies; minDelta; a missing monitor warns and never stops", () => {
    const ctl = control();
    const es = new EarlyStopping({ monitor: 'valAccuracy', patience: 1, minDelta: 0.01 });
    es.onTrainBegin();
    es.onEpochEnd({ epoch: 0, logs: logs({ val_acc: 0.9 }) }, ctl);
    es.onEpochEnd({ epoch: 1, logs: logs({ val_acc: 0.905 }) }, ctl); // +0.005 < minDelta: no improvement
    expect(ctl.stopped).toBe(true);
    const ctl2 = control();
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const es2 = new EarlyStopping({ patience: 0 });
    for (let e = 0; e < 3; e++) es2.onEpochEnd({ epoch: e, logs: logs({}) }, ctl2);
    expect(ctl2.stopped).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/'val_loss' is not in the epoch logs/);
    warn.mockRestore();
  });

  test('EarlyStopping inside training: stops the run, history has only the epochs done, best weights back', () => {
    // 'loss' in mode max: the first epoch is the best, every later one is worse
    const snaps: Record<string, Float32Array>[] = [];
    const keep = new LambdaCallback({ onEpochEnd: (_i, tr) => void snaps.push(weightsOf(tr.network)) });
    const es = new EarlyStopping({ monitor: 'loss', mode: 'max', patience: 1, restoreBestWeights: true });
    const tr = trainer({ epochs: 5, callbacks: [keep, es], optimizer: 'adam', optimizerParam: { lr: 0.01 } });
    const r = tr.train();
    expect(r.stopped).toBe(true);
    expect(r.history.loss).toHaveLength(2);
    expect(es.stoppedEpoch).toBe(1);
    expectSameWeights(weightsOf(tr.network), snaps[0]);
  });

  test('ModelCheckpoint: every epoch by default, best only when asked; atomic (rename) and loadable', () => {
    const file = path.join(tmp, 'ck', 'epoch-{epoch}.safetensors');
    const every = new ModelCheckpoint({ path: file, monitor: 'test_acc' });
    const tr = trainer({ epochs: 2, callbacks: [every] });
    tr.train();
    expect(every.saved).toEqual([1, 2].map((e) => path.join(tmp, 'ck', `epoch-${e}.safetensors`)));
    const loaded = loadModel(every.saved[1]);
    expectSameWeights(weightsOf(loaded), weightsOf(tr.network));

    const bestFile = path.join(tmp, 'best.safetensors');
    const best = new ModelCheckpoint({ path: bestFile, monitor: 'val_acc', saveBestOnly: true });
    const ctl = control();
    // Each save goes through the real Trainer.saveCheckpoint. A reader holding the previous file open keeps
    // reading the complete previous file: the new one replaced it by rename, it was not rewritten in place.
    const open: { fd: number; ino: number; bytes: Buffer }[] = [];
    let saves = 0;
    ctl.saveCheckpoint = (p: string) => {
      new Trainer(smallMlp(10 + saves++), data.x, data.t, null, null, { epochs: 1 }).saveCheckpoint(p);
      const fd = fs.openSync(p, 'r');
      open.push({ fd, ino: fs.fstatSync(fd).ino, bytes: fs.readFileSync(p) });
    };
    const accs = [0.5, 0.7, 0.6, 0.8, 0.8];
    accs.forEach((a, e) => best.onEpochEnd({ epoch: e, logs: logs({ val_acc: a }) }, ctl));
    expect(best.saved).toHaveLength(3); // epochs 0, 1, 3
    expect(best.lastSavedEpoch).toBe(3);
    expect(best.best).toBe(0.8);
    expect(new Set(open.map((o) => o.ino)).size).toBe(3);
    for (const o of open) {
      const again = Buffer.alloc(o.bytes.length + 1);
      expect(fs.readSync(o.fd, again, 0, again.length, 0)).toBe(o.bytes.length);
      expect(again.subarray(0, o.bytes.length).equals(o.bytes)).toBe(true);
      fs.closeSync(o.fd);
    }
    expect(open[0].bytes.equals(open[2].bytes)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('ModelCheckpoint written during fit() holds the weights of that epoch', async () => {
    const file = path.join(tmp, 'fit-{epoch}.safetensors');
    const ck = new ModelCheckpoint({ path: file, monitor: 'loss' });
    const snaps: Record<string, Float32Array>[] = [];
    const keep = new LambdaCallback({ onEpochEnd: (_i, tr) => void snaps.push(weightsOf(tr.network)) });
    await trainer({ epochs: 2, callbacks: [keep, ck] }).fit();
    expectSameWeights(weightsOf(loadModel(ck.saved[0])), snaps[0]);
    expectSameWeights(weightsOf(loadModel(ck.saved[1])), snaps[1]);
    expect(weightsDiffer(snaps[0], snaps[1])).toBe(true);
  });

  test('ReduceLROnPlateau: multiplies the rate by factor after patience epochs, not below minLr', () => {
    const ctl = control();
    const rl = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 1, minLr: 0.03 });
    rl.onTrainBegin();
    const vals = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99];
    const lrs = vals.map((v, e) => {
      rl.onEpochEnd({ epoch: e, logs: logs({ val_loss: v }) }, ctl);
      return ctl.lr;
    });
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.03, 0.03, 0.03, 0.03]); // 0.05 · 0.5 is below minLr
    expect(rl.reductions.map((r) => r.epoch)).toEqual([2, 3]);
  });

  test('ReduceLROnPlateau and lrSchedule change the rate the optimizer uses (history.lr)', () => {
    const sched = trainer({ epochs: 3, lrSchedule: stepDecay({ stepSize: 1, gamma: 0.5 }), optimizerParam: { lr: 0.08 } });
    expect(sched.train().history.lr).toEqual([0.08, 0.04, 0.02]);
    expect(sched.optimizer.lr).toBe(0.02);
    const rl = new ReduceLROnPlateau({ monitor: 'loss', mode: 'max', factor: 0.1, patience: 0 });
    const r = trainer({ epochs: 3, callbacks: [rl], optimizerParam: { lr: 0.05 } }).train();
    // epoch 0 is the first (best) value; epoch 1 does not improve -> epoch 2 trains with lr · 0.1
    expect(r.history.lr.slice(0, 2)).toEqual([0.05, 0.05]);
    expect(r.history.lr[2]).toBeCloseTo(0.005, 12);
  });

  test('stop() from a batch callback stops after that batch (train)', () => {
    const stopper = new LambdaCallback({ onBatchEnd: (b, tr) => { if (b.epoch === 1 && b.batch === 0) tr.stop(); } });
    const tr = trainer({ epochs: 3, callbacks: [stopper] });
    const r = tr.train();
    expect(r.stopped).toBe(true);
    expect(tr.trainLossList).toHaveLength(4);
    expect(r.history.loss).toHaveLength(1);
    expect(r.testAcc).not.toBeNull(); // the final test accuracy is still measured
  });

  test('fit(): AbortSignal / stop() end early; fitting again continues to the same weights as an uninterrupted run', async () => {
    const opts: TrainerOptions = { epochs: 3, miniBatchSize: 20, optimizer: 'adam', optimizerParam: { lr: 0.003 }, seed: 4 };
    const ref = smallMlp(9);
    trainer(opts, ref).train();

    const ctl = new AbortController();
    const stopAt = new LambdaCallback({ onBatchEnd: (b) => { if (b.iteration === 20) ctl.abort(); } });
    const net = smallMlp(9);
    const tr = trainer({ ...opts, callbacks: [stopAt] }, net);
    const r1 = await tr.fit({ signal: ctl.signal });
    expect(r1.stopped).toBe(true);
    expect(r1.iterations).toBeGreaterThanOrEqual(20);
    expect(r1.iterations).toBeLessThan(45);
    expect(tr.trainLossList).toHaveLength(r1.iterations);
    const r2 = await tr.fit(); // no signal this time: runs to the end
    expect(r2.stopped).toBe(false);
    expect(r2.iterations).toBe(45);
    expectSameWeights(weightsOf(net), weightsOf(ref));
  });

  test('an already aborted signal trains nothing', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const tr = trainer({});
    const before = weightsOf(tr.network);
    const r = await tr.fit({ signal: ctl.signal });
    expect(r.stopped).toBe(true);
    expect(r.iterations).toBe(0);
    expectSameWeights(weightsOf(tr.network), before);
  });

  test('bad callback options are TypeErrors/RangeErrors naming the option', () => {
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(/EarlyStopping patience/);
    expect(() => new EarlyStopping({ mode: 'up' as never })).toThrow(/EarlyStopping mode/);
    expect(() => new ModelCheckpoint({} as never)).toThrow(/ModelCheckpoint path/);
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(/ReduceLROnPlateau factor/);
    expect(() => new ReduceLROnPlateau({ minLr: -1 })).toThrow(/minLr/);
  });
});
