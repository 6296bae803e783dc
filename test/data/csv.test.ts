import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCsv } from '../../lib/data/csv';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-csv-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('loadCsv', () => {
  test('the Kaggle digit-recognizer layout: header, label first, 784 pixels', () => {
    const rows = ['label,' + Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(',')];
    for (let n = 0; n < 6; n++) rows.push([n % 10, ...Array.from({ length: 784 }, (_, i) => (i * 7 + n) % 256)].join(','));
    const f = write('train.csv', rows.join('\r\n') + '\r\n');
    const { train, validation, classCount, columns } = loadCsv(f, { shape: [1, 28, 28], normalize: 255 });
    expect(train.images.shape).toEqual([6, 1, 28, 28]);
    expect([...train.labels]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(classCount).toBe(6);
    expect(validation).toBeUndefined();
    expect(columns![0]).toBe('label');
    expect(train.images.data[784 + 3]).toBe(Math.fround(((3 * 7 + 1) % 256) / 255));
  });

  test('label column by name, by negative index; no header; quoted fields; floats and exponents', () => {
    const f = write('a.csv', 'x,"y",cls\n0.5,-1e-3,2\n"7", 3 ,0\n\n');
    const byName = loadCsv(f, { labelColumn: 'cls' });
    expect(byName.train.images.shape).toEqual([2, 2]);
    expect([...byName.train.images.data]).toEqual([0.5, -1e-3, 7, 3].map(Math.fround));
    expect([...byName.train.labels]).toEqual([2, 0]);
    expect(loadCsv(f, { labelColumn: -1 }).train.labels).toEqual(byName.train.labels);
    const g = write('b.csv', '1,2,3\n4,5,6\n');
    const noHeader = loadCsv(g);
    expect([...noHeader.train.labels]).toEqual([1, 4]);
    expect(noHeader.columns).toBeUndefined();
    const unlabelled = loadCsv(g, { labelColumn: null, header: false });
    expect(unlabelled.train.images.shape).toEqual([2, 3]);
    expect(unlabelled.classCount).toBe(0);
    expect([...unlabelled.train.labels]).toEqual([-1, -1]);
    const forcedHeader = loadCsv(g, { header: true });
    expect(forcedHeader.train.images.shape).toEqual([1, 2]);
  });

  test('validation split is deterministic by seed and keeps file order in train', () => {
    const f = write('c.csv', Array.from({ length: 40 }, (_, i) => `${i % 4},${i}`).join('\n'));
    const a = loadCsv(f, { validationSplit: 0.25, seed: 9 });
    const b = loadCsv(f, { validationSplit: 0.25, seed: 9 });
    expect(a.train.images.shape).toEqual([30, 1]);
    expect(a.validation!.images.shape).toEqual([10, 1]);
    expect([...a.validation!.images.data]).toEqual([...b.validation!.images.data]);
    const trainRows = [...a.train.images.data];
    expect(trainRows).toEqual([...trainRows].sort((x, y) => x - y));
    expect(new Set([...trainRows, ...a.validation!.images.data]).size).toBe(40);
    a.train.images.data.forEach((v, k) => expect(a.train.labels[k]).toBe(v % 4));
    expect(a.classCount).toBe(4);
  });

  test('bad rows are RangeErrors with the line number', () => {
    const f = write('bad1.csv', 'label,a,b\n1,2,3\n\n4,5\n');
    expect(() => loadCsv(f)).toThrow(/csv: .*bad1\.csv: line 4: expected 3 columns, got 2/);
    const g = write('bad2.csv', '1,2,3\n4,x5,6\n');
    expect(() => loadCsv(g, { header: false })).toThrow(/line 2: column 2: "x5" is not a number/);
    const h = write('bad3.csv', '1,2\n-1,2\n');
    expect(() => loadCsv(h)).toThrow(/line 2: column 1: label -1 is not an integer ≥ 0/);
    const i = write('bad4.csv', '1.5,2\n');
    expect(() => loadCsv(i)).toThrow(/line 1: column 1: label 1\.5/);
    const j = write('bad5.csv', '1,2,3\n4,5,6,7\n');
    expect(() => loadCsv(j)).toThrow(/line 2: expected 3 columns, got more/);
    const k = write('bad6.csv', '1,2,\n');
    expect(() => loadCsv(k)).toThrow(/line 1: column 3: "" is not a number/);
  });

  test('bad options', () => {
    const f = write('d.csv', 'a,b,c\n1,2,3\n');
    expect(() => loadCsv(f, { shape: [1, 3] })).toThrow(/shape: expected a shape of size 2/);
    expect(() => loadCsv(f, { labelColumn: 'z' })).toThrow(/labelColumn/);
    expect(() => loadCsv(f, { labelColumn: 5 })).toThrow(RangeError);
    expect(() => loadCsv(f, { normalize: 0 })).toThrow(/normalize/);
    expect(() => loadCsv(write('e.csv', '\n\n'))).toThrow(/no rows/);
    expect(() => loadCsv(write('f.csv', 'a,b\n'))).toThrow(/a header but no data rows/);
  });
});
