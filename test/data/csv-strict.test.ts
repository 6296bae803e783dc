/**
 * CSV values that loaded silently wrong (issue 9): hexadecimal read as a number, values beyond float32 stored as
 * Infinity, a first row with a typo dropped as a header, a huge label making billions of classes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCsv } from '../../lib/data/csv';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-csv-strict-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
};

test('0x10, 0b1, 0o7, Infinity and NaN are not numbers', () => {
  for (const bad of ['0x10', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN', '1_000', '1e', '.']) {
    const f = write('h.csv', `1,2\n0,${bad}\n`);
    expect(() => loadCsv(f)).toThrow(new RegExp(`line 2: column 2: "${bad.replace('.', '\\.')}" is not a number`));
  }
  const ok = loadCsv(write('ok.csv', '0,+1.5\n1,-.25e1\n1,7.\n'));
  expect([...ok.train.images.data]).toEqual([1.5, -2.5, 7]);
});

test('a value beyond the float32 range is an error naming row and column, not Infinity', () => {
  expect(() => loadCsv(write('big.csv', '0,1\n1,1e39\n'))).toThrow(/big\.csv: line 2: column 2: "1e39" is beyond the float32 range/);
  expect(() => loadCsv(write('neg.csv', '0,-4e38\n'))).toThrow(/line 1: column 2: "-4e38" is beyond the float32 range/);
  expect(() => loadCsv(write('norm.csv', '0,3e38\n'), { normalize: 0.5 })).toThrow(/"3e38" \/ 0\.5 is beyond the float32 range/);
  expect(loadCsv(write('max.csv', '0,3.4e38\n')).train.images.data[0]).toBeCloseTo(3.4e38, -33);
});

test('a first row with a typo in one numeric field is an error, not a dropped header', () => {
  const f = write('typo.csv', '1,2,3O\n4,5,6\n');
  expect(() => loadCsv(f)).toThrow(RangeError);
  expect(() => loadCsv(f)).toThrow(/typo\.csv: line 1: column 3: "3O" is not a number \(the other fields of this first row are numbers, so it is not taken as a header; pass header: true/);
  expect(loadCsv(f, { header: true }).train.images.shape).toEqual([1, 2]); // explicit: it is a header
  expect(loadCsv(write('hdr.csv', 'label,a,b\n1,2,3\n')).columns).toEqual(['label', 'a', 'b']); // all text: a header
});

test('labels must be below maxClasses: 2^31 - 1 does not make 2^31 classes', () => {
  const f = write('lab.csv', '0,1\n2147483647,2\n');
  expect(() => loadCsv(f)).toThrow(/lab\.csv: line 2: column 1: label 2147483647 is not below maxClasses 65536/);
  expect(loadCsv(write('lab2.csv', '0,1\n70000,2\n'), { maxClasses: 70001 }).classCount).toBe(70001);
  expect(() => loadCsv(f, { maxClasses: 2 ** 31 })).toThrow(/maxClasses: expected an integer in \[1, 16777216\]/);
});

test('unknown options are refused', () => {
  expect(() => loadCsv(write('u.csv', '0,1\n'), { headers: true } as never)).toThrow(/loadCsv options: expected options among labelColumn, .*got unknown option 'headers' \(did you mean 'header'\?\)/);
});
