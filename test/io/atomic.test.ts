import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { makeDirs, removeStaleTemps, writeFileAtomic, writeFileAtomicAsync } from '../../lib/io/atomic';

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

/** The pid of a process that has exited (a child run to completion). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

describe('temporary files of interrupted saves', () => {
  test('are named after their target, and the next save to that target removes those whose writer is gone', () => {
    const f = path.join(dir, 'model.bin');
    const dead = deadPid();
    const stale = `.model.bin.tmp-${dead}-0123456789ab`;
    const staleOld = `.model.bin.${dead}.0123456789ab.tmp`; // the naming before this version
    const live = `.model.bin.tmp-${process.ppid}-0123456789ab`; // a live writer (the test runner's parent)
    const other = `.other.bin.tmp-${dead}-0123456789ab`; // another target's
    const lookalike = `.model.bin.tmp-${dead}-notmine`;
    for (const n of [stale, staleOld, live, other, lookalike]) fs.writeFileSync(path.join(dir, n), 'partial');
    writeFileAtomic(f, 'new');
    expect(fs.readdirSync(dir).sort()).toEqual([live, other, lookalike, 'model.bin'].sort());
  });

  test('of this pid but not being written by this process are stale too (a reused pid); async saves clean as well', async () => {
    const f = path.join(dir, 'm.npz');
    const mine = `.m.npz.tmp-${process.pid}-aaaaaaaaaaaa`;
    fs.writeFileSync(path.join(dir, mine), 'x');
    await writeFileAtomicAsync(f, 'new');
    expect(fs.readdirSync(dir)).toEqual(['m.npz']);
  });

  test('a live writer untouched for more than a day is taken as a reused pid', () => {
    const f = path.join(dir, 'a');
    const t = path.join(dir, `.a.tmp-${process.ppid}-bbbbbbbbbbbb`);
    fs.writeFileSync(t, 'x');
    const old = new Date(Date.now() - 25 * 3600 * 1000);
    fs.utimesSync(t, old, old);
    expect(removeStaleTemps(f)).toEqual([t]);
  });

  test('a save in progress is never removed by a concurrent save of the same target', async () => {
    const f = path.join(dir, 'c.bin');
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10).fill(1);
      await gate;
      yield new Uint8Array(10).fill(2);
    }
    const first = writeFileAtomicAsync(f, slow());
    await new Promise((r) => setTimeout(r, 20));
    writeFileAtomic(f, 'second'); // cleans stale temps of c.bin: must keep the first's
    release();
    await first;
    expect(fs.readFileSync(f).length).toBe(20);
    expect(fs.readdirSync(dir)).toEqual(['c.bin']);
  });
});

describe('errors of a failed save', () => {
  test('name the target, not the hidden temporary file, and keep the code', async () => {
    const missing = path.join(dir, 'nope', 'model.safetensors');
    let err: NodeJS.ErrnoException | undefined;
    try {
      writeFileAtomic(missing, 'x');
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.message).toContain(missing);
    expect(err?.message).not.toMatch(/\.tmp/);
    expect(err?.code).toBe('ENOENT');
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    await expect(writeFileAtomicAsync(sub, 'x')).rejects.toThrow(new RegExp(`cannot save ${sub}: .*${sub}`));
    await expect(writeFileAtomicAsync(sub, 'x')).rejects.not.toThrow(/\.tmp-/);
  });
});

describe('makeDirs', () => {
  test('creates missing parents, accepts an existing directory', () => {
    const d = path.join(dir, 'a', 'b', 'c');
    makeDirs(d);
    makeDirs(d);
    expect(fs.statSync(d).isDirectory()).toBe(true);
  });

  // where fs.mkdirSync(recursive) never returns: a hang fails through the test's timeout
  test('fails under /proc, where fs.mkdirSync(recursive) never returns, naming the directory', () => {
    expect(() => makeDirs('/proc/simdnet-x/y')).toThrow(/cannot create directory \/proc\/simdnet-x\/y: ENOENT/);
  }, 30_000);

  test('a file in the way is ENOTDIR naming the directory; a bad argument is a TypeError', () => {
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    expect(() => makeDirs(path.join(dir, 'f', 'g'))).toThrow(/cannot create directory .*f\/g: ENOTDIR/);
    expect(() => makeDirs('' as string)).toThrow(TypeError);
  });
});
