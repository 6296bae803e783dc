/**
 * Streaming CSV (lib/data/stream/csv.ts): the rows, labels, split and values are loadCsv's (BOM, header, CRLF,
 * blank lines, lines crossing block edges); training on it gives loadCsv's weights bit for bit; a bad row fails
 * at listing time naming the file and its line; options are checked.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCsv } from '../../lib/data/csv';
import { streamCsv } from '../../lib/data/stream/csv';
import { StreamingDataset } from '../../lib/data/stream/dataset';
import { Affine, Relu, SoftmaxWithLoss } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Trainer } from '../../lib/train/trainer';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-stream-csv-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const rng = new Rng(9);
const lines = ['\ufefflabel,a,b,c,d'];
for (let i = 0; i < 90; i++) {
  const y = i % 3;
  const f = [0, 1, 2, 3].map((k) => (k === y ? 5 + rng.int(200) / 7 : rng.int(100) / 3).toFixed(3));
  lines.push(`${y},${f.join(',')}`);
  if (i % 17 === 0) lines.push('   ');
}
const file = path.join(tmp, 'rows.csv');
fs.writeFileSync(file, `${lines.join('\r\n')}\r\n`);

describe('streamCsv', () => {
  test.each([8 << 20, 64, 7])('the rows and values of loadCsv (blocks of %i bytes)', async (block) => {
    const m = loadCsv(file, { normalize: 10, validationSplit: 0.2, seed: 3, shape: [4] });
    const s = await streamCsv(file, { normalize: 10, validationSplit: 0.2, seed: 3, shape: [4] }, block);
    expect(s.columns).toEqual(['label', 'a', 'b', 'c', 'd']);
    expect(s.classCount).toBe(3);
    expect(Array.from(s.train.labels)).toEqual(Array.from(m.train.labels));
    expect(Array.from(s.validation!.labels)).toEqual(Array.from(m.validation!.labels));
    expect(Array.from(s.train.load().data)).toEqual(Array.from(m.train.images.data));
    expect(Array.from(s.validation!.load().data)).toEqual(Array.from(m.validation!.images.data));
  });

  test('training on it through decode workers gives the loadCsv run, bit for bit', async () => {
    const net = () => new Sequential([new Affine(4, 8), new Relu(), new Affine(8, 3), new SoftmaxWithLoss()], { inputShape: [4], seed: 2 });
    const m = loadCsv(file, { normalize: 10 });
    const s = await streamCsv(file, { normalize: 10, workers: 2, prefetch: 3 });
    const opts = { epochs: 3, miniBatchSize: 16, optimizer: 'adam', optimizerParam: { lr: 0.01 }, seed: 5, validationSplit: 0.2, stream: true } as const;
    const a = net();
    new Trainer(a, m.train.images, m.train.labels, null, null, opts).train();
    const b = net();
    const tr = new Trainer(b, s.train, s.train.labels, null, null, opts);
    expect(tr.data.train.x).toBeInstanceOf(StreamingDataset);
    const r = await tr.fit();
    expect(r.epochs).toBe(3);
    expect(b.namedParams().W1.value.data).toEqual(a.namedParams().W1.value.data);
  }, 60000);

  test('a bad row fails naming the file and its line; options are checked', async () => {
    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, 'label,a,b\n0,1,2\n\n1,3,x\n');
    await expect(streamCsv(bad, {}, 5)).rejects.toThrow(/csv: .*bad\.csv: line 4: column 3: "x" is not a number/);
    fs.writeFileSync(bad, 'label,a,b\n0,1,2\n1,3\n');
    await expect(streamCsv(bad)).rejects.toThrow(/csv: .*bad\.csv: line 3: expected 3 columns, got 2/);
    fs.writeFileSync(bad, 'label,a,b\n');
    await expect(streamCsv(bad)).rejects.toThrow(/a header but no data rows/);
    await expect(streamCsv(file, { labelColumn: null as never })).rejects.toThrow(/labelColumn: expected a label column/);
    await expect(streamCsv(file, { shape: [3] })).rejects.toThrow(/shape: expected a shape of size 4/);
    await expect(streamCsv(file, { prefech: 2 } as never)).rejects.toThrow(/did you mean 'prefetch'/);
  });
});
