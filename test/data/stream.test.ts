/**
 * The streaming image dataset (lib/data/stream): a run on a StreamingDataset gives the same weights, bit for bit,
 * as the same run on loadImageFolder's tensors, whatever the number of decode workers and the prefetch depth, with
 * augmentation, validation and a resume; the queue never holds more than the prefetch depth (counted by the
 * prefetcher, not timed); a corrupt image or one of another size fails the run with an error naming the file; no
 * decode worker outlives train()/fit(), whether it resolves, rejects or stops early.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import { loadImageFolder } from '../../lib/data/images';
import { streamImageFolder, StreamingDataset } from '../../lib/data/stream/dataset';
import { DecodePool, liveDecodeWorkers } from '../../lib/data/stream/pool';
import { Prefetcher, type BatchRequest } from '../../lib/data/stream/prefetch';
import { Affine, Convolution, Dropout, Pooling, Relu, SoftmaxWithLoss, Flatten } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import type { Network } from '../../lib/nets/network';
import { Rng } from '../../lib/rng';
import { EarlyStopping } from '../../lib/train/callbacks';
import { Trainer, type TrainerOptions } from '../../lib/train/trainer';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-stream-'));
const dir = path.join(tmp, 'folder');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writePng(file: string, rng: Rng, tint: number, side = 12): void {
  const png = new PNG({ width: side, height: side });
  for (let i = 0; i < side * side; i++) {
    png.data[4 * i] = (tint * 200 + rng.int(56)) & 255;
    png.data[4 * i + 1] = rng.int(256);
    png.data[4 * i + 2] = ((1 - tint) * 200 + rng.int(56)) & 255;
    png.data[4 * i + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(png));
}

beforeAll(() => {
  const rng = new Rng(5);
  const counts = { a: 37, b: 23 };
  for (const [cls, n] of Object.entries(counts)) {
    fs.mkdirSync(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < n; i++) writePng(path.join(dir, cls, `${String(i).padStart(3, '0')}.png`), rng, cls === 'a' ? 1 : 0);
  }
});

function makeNet(): Network {
  return new Sequential(
    [new Convolution(3, 4, 3, { pad: 1 }), new Relu(), new Pooling(2, 2, { stride: 2 }), new Flatten(), new Affine(4 * 6 * 6, 8), new Relu(),
      new Dropout(0.2, { mode: 'inverted' }), new Affine(8, 2), new SoftmaxWithLoss()],
    { inputShape: [3, 12, 12], seed: 3 },
  );
}

const OPTS: TrainerOptions = {
  epochs: 3, miniBatchSize: 7, optimizer: 'adam', optimizerParam: { lr: 0.01 }, seed: 4,
  augment: { flipHorizontal: true, shift: 0.1, rotation: 10 }, evaluateSampleNumPerEpoch: 20, stream: true,
};

function weights(net: Network): Float32Array[] {
  return Object.values(net.namedParams()).map((p) => p.value.data.slice());
}

async function inMemory(opts: TrainerOptions = OPTS) {
  const d = await loadImageFolder(dir, { validationSplit: 0.2, seed: 1 });
  const net = makeNet();
  const tr = new Trainer(net, d.train.images, d.train.labels, null, null, { ...opts, validationData: [d.validation!.images, d.validation!.labels] });
  const r = tr.train();
  return { r, w: weights(net) };
}

describe('streaming image folder', () => {
  test('lists the same rows as loadImageFolder, and load() decodes them the same', async () => {
    const m = await loadImageFolder(dir, { validationSplit: 0.2, seed: 1 });
    const s = await streamImageFolder(dir, { validationSplit: 0.2, seed: 1, workers: 2 });
    expect(s.train.files).toEqual(m.train.files);
    expect(Array.from(s.train.labels)).toEqual(Array.from(m.train.labels));
    expect(s.validation!.files).toEqual(m.validation!.files);
    expect(s.train.shape).toEqual(m.train.images.shape);
    expect(Array.from(s.train.load().data)).toEqual(Array.from(m.train.images.data));
  });

  test.each([
    ['train(), 1 worker, depth 1', 1, 1, 'train'],
    ['train(), 3 workers, depth 5', 3, 5, 'train'],
    ['fit() in a worker thread, 2 workers', 2, 3, 'fit'],
    ['fit({ worker: false }), 2 workers', 2, 4, 'here'],
  ] as const)('bit-identical to the in-memory run with augmentation and validation: %s', async (_name, workers, prefetch, how) => {
    const ref = await inMemory();
    const s = await streamImageFolder(dir, { validationSplit: 0.2, seed: 1, workers, prefetch });
    const net = makeNet();
    const tr = new Trainer(net, s.train, s.train.labels, null, null, { ...OPTS, validationData: [s.validation!, s.validation!.labels] });
    const r = how === 'train' ? tr.train() : await tr.fit({ worker: how === 'fit' });
    expect(r.history).toEqual({ ...ref.r.history, epochTimeMs: r.history.epochTimeMs });
    expect(weights(net)).toEqual(ref.w);
    {
      const st = tr.lastStreamStats!; // fit(): read back from its training worker
      expect(st.depth).toBe(prefetch);
      expect(st.maxHeld).toBeLessThanOrEqual(prefetch); // the bound: counted by the prefetcher, never exceeded
      expect(st.maxHeld).toBe(prefetch); // and the depth is used (3 epochs of 7 batches ahead)
      expect(st.taken).toBeGreaterThan(0);
    }
  }, 60000);

  test('a streamed run stopped mid-epoch and resumed from its checkpoint ends with the uninterrupted weights', async () => {
    const ref = await inMemory();
    const s = await streamImageFolder(dir, { validationSplit: 0.2, seed: 1, workers: 2 });
    const opts = { ...OPTS, validationData: [s.validation!, s.validation!.labels] as [StreamingDataset, Int32Array] };
    const first = new Trainer(makeNet(), s.train, s.train.labels, null, null, { ...opts, callbacks: [{ onBatchEnd: (b) => { if (b.iteration === 10) first.stop(); } }] });
    expect((await first.fit()).stopped).toBe(true);
    const ck = path.join(tmp, 'mid.safetensors');
    first.saveCheckpoint(ck);
    const net = makeNet();
    const r = await new Trainer(net, s.train, s.train.labels, null, null, opts).fit({ resumeFrom: ck });
    expect(r.epochs).toBe(3);
    expect(weights(net)).toEqual(ref.w);
  }, 60000);

  test('sampling with replacement and validationSplit through the Trainer match too', async () => {
    const opts: TrainerOptions = { ...OPTS, sampling: 'replacement', validationSplit: 0.25 };
    const d = await loadImageFolder(dir, { seed: 1 });
    const n1 = makeNet();
    new Trainer(n1, d.train.images, d.train.labels, null, null, opts).train();
    const s = await streamImageFolder(dir, { seed: 1, workers: 2, prefetch: 3 });
    const n2 = makeNet();
    const tr = new Trainer(n2, s.train, s.train.labels, null, null, opts);
    expect(tr.data.val!.x).toBeInstanceOf(StreamingDataset); // the held-out part is streamed as well
    tr.train();
    expect(weights(n2)).toEqual(weights(n1));
  }, 60000);

  test("the Trainer streams above streamAboveMB ('auto'), loads at or below it; stream: true/false force it", async () => {
    const ref = await inMemory();
    const s = await streamImageFolder(dir, { validationSplit: 0.2, seed: 1, workers: 2 });
    // 60 images of 3×12×12 floats: 0.099 MiB
    const run = (o: TrainerOptions) => {
      const net = makeNet();
      const tr = new Trainer(net, s.train, s.train.labels, null, null, { ...OPTS, validationData: [s.validation!, s.validation!.labels], ...o });
      tr.train();
      expect(weights(net)).toEqual(ref.w);
      return tr;
    };
    const auto = run({ stream: 'auto' }); // default threshold 1024 MiB: loaded
    expect(auto.data.train.x).not.toBeInstanceOf(StreamingDataset);
    expect(auto.data.val!.x).not.toBeInstanceOf(StreamingDataset);
    expect(auto.lastStreamStats).toBeNull();
    const above = run({ stream: 'auto', streamAboveMB: 0.05 });
    expect(above.data.train.x).toBeInstanceOf(StreamingDataset);
    expect(above.lastStreamStats!.taken).toBeGreaterThan(0);
    expect(run({ stream: 'auto', streamAboveMB: 0.1 }).data.train.x).not.toBeInstanceOf(StreamingDataset);
    expect(run({ stream: false, streamAboveMB: 0 }).data.train.x).not.toBeInstanceOf(StreamingDataset);
    expect(() => new Trainer(makeNet(), s.train, s.train.labels, null, null, { stream: 'yes' as never })).toThrow(/stream: expected 'auto' or a boolean/);
    expect(() => new Trainer(makeNet(), s.train, s.train.labels, null, null, { streamAboveMB: -1 })).toThrow(/streamAboveMB/);
  }, 60000);

  test('the prefetcher never holds more than its depth, also when requests are dropped', async () => {
    const s = await streamImageFolder(dir, { seed: 1 });
    const pool = new DecodePool(2, 3, 'ts');
    const p = new Prefetcher(pool.endpoint());
    try {
      const req = (k: number, from: number): BatchRequest => ({ key: `k${k}`, files: s.train.files.slice(from, from + 4), spec: s.train.spec, aug: null });
      for (let k = 0; k < 10; k++) {
        const ahead = [1, 2, 3, 4, 5].map((j) => req(k + j, k + j));
        const x = p.take(req(k, k), ahead);
        expect(x.length).toBe(4 * 3 * 12 * 12);
        expect(Array.from(x)).toEqual(Array.from(s.train.load(k, k + 4).data));
        expect(p.held).toBeLessThanOrEqual(3);
      }
      // a request that is not the prefetched one under its key (other files): dropped, decoded anew
      const other = p.take({ key: 'k10', files: s.train.files.slice(0, 4), spec: s.train.spec, aug: null }, []);
      expect(Array.from(other)).toEqual(Array.from(s.train.load(0, 4).data));
      expect(p.maxHeld).toBe(3);
    } finally {
      p.close();
      await pool.close();
    }
    expect(liveDecodeWorkers()).toBe(0);
  }, 30000);
});

describe('streaming errors and cleanup', () => {
  const bad = path.join(tmp, 'bad');
  const odd = path.join(tmp, 'odd');
  beforeAll(() => {
    fs.cpSync(dir, bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'b', '010.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    fs.cpSync(dir, odd, { recursive: true });
    const rng = new Rng(1);
    writePng(path.join(odd, 'a', '020.png'), rng, 1, 10);
  });

  test.each([
    ['a corrupt image', () => bad, /images: .*bad\/b\/010\.png: cannot decode/],
    ['an image of another size', () => odd, /images: .*odd\/a\/020\.png is 10x10 \(HxW\), but .* is 12x12/],
  ])('%s fails train() and fit() naming the file, and leaves no worker', async (_name, folder, message) => {
    const s = await streamImageFolder(folder(), { seed: 1, workers: 2 });
    const opts = { epochs: 2, miniBatchSize: 8, seed: 1, stream: true };
    expect(() => new Trainer(makeNet(), s.train, s.train.labels, null, null, opts).train()).toThrow(message);
    await expect(new Trainer(makeNet(), s.train, s.train.labels, null, null, opts).fit({ worker: false })).rejects.toThrow(message);
    await expect(new Trainer(makeNet(), s.train, s.train.labels, null, null, opts).fit()).rejects.toThrow(message);
    await new Promise((r) => setTimeout(r, 50)); // train() cannot wait for the exits; they follow within a turn or two
    expect(liveDecodeWorkers()).toBe(0);
  }, 60000);

  test('no decode worker outlives fit(), also when EarlyStopping ends it or it is aborted', async () => {
    const s = await streamImageFolder(dir, { seed: 1, workers: 3 });
    const threads = () => fs.readdirSync('/proc/self/task').length;
    const before = threads();
    const es = new EarlyStopping({ monitor: 'loss', patience: 0, minDelta: 1e9 });
    const r = await new Trainer(makeNet(), s.train, s.train.labels, null, null, { epochs: 5, miniBatchSize: 8, callbacks: [es], stream: true }).fit({ worker: false });
    expect(r.stopped).toBe(true);
    expect(liveDecodeWorkers()).toBe(0);
    const ctl = new AbortController();
    const tr = new Trainer(makeNet(), s.train, s.train.labels, null, null, { epochs: 5, miniBatchSize: 8, callbacks: [{ onBatchEnd: () => ctl.abort() }], stream: true });
    const r2 = await tr.fit({ signal: ctl.signal });
    expect(r2.stopped).toBe(true);
    expect(liveDecodeWorkers()).toBe(0);
    expect(threads()).toBeLessThanOrEqual(before); // the training worker and its decode workers have all exited
  }, 60000);
});

describe('StreamingDataset arguments', () => {
  const spec = { size: [2, 2] as [number, number], colorMode: 'rgb' as const, interpolation: 'bilinear' as const, alpha: 'drop' as const, resize: true, sizeFrom: '', decode: {} };
  test('files, labels, stream options and row shape are checked', () => {
    expect(() => new StreamingDataset('a' as never, new Int32Array(1), spec)).toThrow(/files: expected an array of file paths/);
    expect(() => new StreamingDataset(['a'], [0] as never, spec)).toThrow(/labels: expected an Int32Array/);
    expect(() => new StreamingDataset(['a'], new Int32Array(2), spec)).toThrow(/labels: expected 1 labels \(one per file\), got 2/);
    expect(() => new StreamingDataset(['a'], new Int32Array(1), spec, { workers: 0 })).toThrow(RangeError);
    expect(() => new StreamingDataset(['a'], new Int32Array(1), spec, { prefetch: 1.5 })).toThrow(/prefetch/);
    expect(() => new StreamingDataset(['a'], new Int32Array(1), spec, {}, [5])).toThrow(/rowShape: expected 12 values per row/);
    expect(new StreamingDataset(['a'], new Int32Array(1), spec, {}, [12]).shape).toEqual([1, 12]);
  });
});
