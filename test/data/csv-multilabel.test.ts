/**
 * Multi-label targets from a CSV file (loadCsv's labelColumns): several 0/1 columns become targets [N, K] for a
 * network of K sigmoid outputs; the Trainer trains on them (per-label accuracy); bad values and option mixes are
 * refused naming the line or the option.
 */
import { parseCsv } from '../../lib/data/csv';
import { Affine, Relu, SigmoidWithLoss } from '../../lib/layers';
import { Sequential } from '../../lib/nets';
import { Rng } from '../../lib/rng';
import { Trainer } from '../../lib/train/trainer';

function text(n: number): string {
  const rng = new Rng(2);
  const rows = ['x1,cat,x2,dog,x3'];
  for (let i = 0; i < n; i++) {
    const cat = i % 2;
    const dog = (i >> 1) % 2;
    rows.push(`${(cat * 2 + rng.uniform()).toFixed(3)},${cat},${(dog * 2 + rng.uniform()).toFixed(3)},${dog},${rng.uniform().toFixed(3)}`);
  }
  return rows.join('\n');
}

describe('CSV multi-label targets', () => {
  test('labelColumns by name or index give targets [N, K] in that order; the split keeps rows and targets together', () => {
    const d = parseCsv(text(8), { labelColumns: ['dog', 'cat'] });
    expect(d.train.images.shape).toEqual([8, 3]);
    expect(d.train.targets!.shape).toEqual([8, 2]);
    expect(Array.from(d.train.targets!.data.subarray(0, 8))).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(d.train.labels)).toEqual(new Array(8).fill(-1));
    expect(d.classCount).toBe(2);
    const byIndex = parseCsv(text(8), { labelColumns: [3, -4] });
    expect(byIndex.train.targets!.data).toEqual(d.train.targets!.data);
    const s = parseCsv(text(40), { labelColumns: ['cat', 'dog'], validationSplit: 0.25, seed: 1 });
    expect(s.train.targets!.shape).toEqual([30, 2]);
    expect(s.validation!.targets!.shape).toEqual([10, 2]);
    // each row keeps its own targets: cat is feature x1 > 1
    for (const part of [s.train, s.validation!]) {
      for (let i = 0; i < part.images.shape[0]; i++) expect(part.targets!.data[2 * i]).toBe(part.images.data[3 * i] > 1.5 ? 1 : 0);
    }
  });

  test('a network of sigmoid outputs trains on them (per-label accuracy)', () => {
    const d = parseCsv(text(200), { labelColumns: ['cat', 'dog'], validationSplit: 0.2, seed: 1 });
    const net = new Sequential([new Affine(3, 16), new Relu(), new Affine(16, 2), new SigmoidWithLoss()], { inputShape: [3], seed: 1 });
    expect(net.accuracyKind).toBe('multi-label');
    const r = new Trainer(net, d.train.images, d.train.targets!, d.validation!.images, d.validation!.targets!, {
      epochs: 30, miniBatchSize: 20, optimizer: 'adam', optimizerParam: { lr: 0.03 }, seed: 1,
    }).train();
    expect(r.testAcc).toBeGreaterThan(0.95);
  });

  test('values other than 0/1, both options, repeated or unknown columns are refused', () => {
    expect(() => parseCsv('a,b\n1,2\n', { labelColumns: [1] })).toThrow(/line 2: column 2: label 2 is not 0 or 1/);
    expect(() => parseCsv(text(4), { labelColumns: ['cat'], labelColumn: 0 })).toThrow(/labelColumn: expected absent when labelColumns is given/);
    expect(() => parseCsv(text(4), { labelColumns: ['cat', 1] })).toThrow(/labelColumns\[1\]: expected a column not listed before/);
    expect(() => parseCsv(text(4), { labelColumns: ['cow'] })).toThrow(/labelColumns\[0\]: expected one of the header's columns, got 'cow'/);
    expect(() => parseCsv(text(4), { labelColumns: [] })).toThrow(/labelColumns: expected a non-empty array/);
  });
});
