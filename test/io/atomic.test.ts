import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic, writeFileAtomicAsync } from '../../lib/io/atomic';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const old = Buffer.from('the previous contents\n');

/** A data source that yields one chunk, then fails: a crash in the middle of the write. */
function* failingSource(): Generator<Uint8Array> {
  yield new Uint8Array(4096).fill(7);
  throw new Error('disk on fire');
}

async function* failingAsyncSource(): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(4096).fill(7);
  throw new Error('disk on fire');
}

describe('writeFileAtomic', () => {
  test('writes strings, bytes and chunk sequences', () => {
    const f = path.join(dir, 'a.txt');
    writeFileAtomic(f, 'héllo');
    expect(fs.readFileSync(f, 'utf8')).toBe('héllo');
    writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    expect([...fs.readFileSync(f)]).toEqual([1, 2, 3]);
    writeFileAtomic(f, [new Uint8Array([9]), new Uint8Array([8, 7])]);
    expect([...fs.readFileSync(f)]).toEqual([9, 8, 7]);
    expect(fs.readdirSync(dir)).toEqual(['a.txt']);
  });

  test('a failure mid-write leaves the previous file byte-identical and no temporary file', () => {
    const f = path.join(dir, 'model.bin');
    fs.writeFileSync(f, old);
    expect(() => writeFileAtomic(f, failingSource())).toThrow('disk on fire');
    expect(fs.readFileSync(f).equals(old)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['model.bin']);
  });

  test('a bad chunk is a TypeError and leaves the old file', () => {
    const f = path.join(dir, 'x');
    fs.writeFileSync(f, old);
    expect(() => writeFileAtomic(f, [new Uint8Array(3), 'nope' as unknown as Uint8Array])).toThrow(/data chunk 1: expected a Uint8Array/);
    expect(() => writeFileAtomic(f, 42 as unknown as string)).toThrow(TypeError);
    expect(fs.readFileSync(f).equals(old)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['x']);
  });

  test('a target that cannot be replaced (a directory) fails and cleans up', () => {
    const f = path.join(dir, 'sub');
    fs.mkdirSync(f);
    fs.writeFileSync(path.join(f, 'keep'), old);
    expect(() => writeFileAtomic(f, 'data')).toThrow();
    expect(fs.readFileSync(path.join(f, 'keep')).equals(old)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['sub']);
  });

  test('a missing directory fails without creating anything', () => {
    expect(() => writeFileAtomic(path.join(dir, 'nope', 'f'), 'x')).toThrow(/ENOENT/);
  });

  test('keeps the mode of the file it replaces', () => {
    const f = path.join(dir, 'm');
    fs.writeFileSync(f, old, { mode: 0o640 });
    fs.chmodSync(f, 0o640);
    writeFileAtomic(f, 'new');
    expect(fs.statSync(f).mode & 0o777).toBe(0o640);
  });
});

describe('writeFileAtomicAsync', () => {
  test('writes, and a failing async source leaves the old file intact', async () => {
    const f = path.join(dir, 'a.bin');
    await writeFileAtomicAsync(f, 'first');
    expect(fs.readFileSync(f, 'utf8')).toBe('first');
    await writeFileAtomicAsync(f, [new Uint8Array([1]), new Uint8Array([2])]);
    expect([...fs.readFileSync(f)]).toEqual([1, 2]);
    fs.writeFileSync(f, old);
    await expect(writeFileAtomicAsync(f, failingAsyncSource())).rejects.toThrow('disk on fire');
    await expect(writeFileAtomicAsync(f, failingSource())).rejects.toThrow('disk on fire');
    expect(fs.readFileSync(f).equals(old)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['a.bin']);
  });
});
