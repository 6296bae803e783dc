import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { encodeIdx, readIdx, writeIdx } from '../../lib/data/idx';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-idx-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readIdx', () => {
  test('hand-written u8 file: magic, big-endian dims', () => {
    const b = Buffer.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 255]);
    const a = readIdx(b);
    expect(a.dtype).toBe('u8');
    expect(a.dims).toEqual([2, 3]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 255]);
  });

  test('big-endian multi-byte data', () => {
    const b = Buffer.alloc(4 + 4 + 8);
    b.set([0, 0, 0x0b, 1, 0, 0, 0, 2]);
    b.writeInt16BE(-2, 8);
    b.writeInt16BE(300, 10);
    expect([...readIdx(b.subarray(0, 12)).data]).toEqual([-2, 300]);
    const f = Buffer.alloc(4 + 4 + 8);
    f.set([0, 0, 0x0d, 1, 0, 0, 0, 2]);
    f.writeFloatBE(1.5, 8);
    f.writeFloatBE(-0.25, 12);
    expect([...readIdx(f).data]).toEqual([1.5, -0.25]);
  });

  test.each([
    ['u8', new Uint8Array([0, 7, 255])],
    ['i8', new Int8Array([-128, 0, 127])],
    ['i16', new Int16Array([-32768, 1, 32767])],
    ['i32', new Int32Array([-(2 ** 31), 5, 2 ** 31 - 1])],
    ['f32', new Float32Array([1.25, -0, 3e38])],
    ['f64', new Float64Array([Math.PI, -1e300, 5e-324])],
  ] as const)('%s round trip, raw and .gz files', (dtype, data) => {
    for (const name of [`a-${dtype}`, `a-${dtype}.gz`]) {
      const f = path.join(dir, name);
      writeIdx(f, { dims: [1, 3], data });
      const raw = fs.readFileSync(f);
      expect(raw[0] === 0x1f).toBe(name.endsWith('.gz'));
      const a = readIdx(f);
      expect(a.dtype).toBe(dtype);
      expect(a.dims).toEqual([1, 3]);
      expect(a.data.constructor).toBe(data.constructor);
      expect([...a.data]).toEqual([...data]);
    }
  });

  test('truncated or mismatched files: RangeError naming the file', () => {
    const good = encodeIdx({ dims: [4, 5], data: new Uint8Array(20) });
    const f = path.join(dir, 'bad-idx');
    for (let cut = 0; cut < good.length; cut++) {
      fs.writeFileSync(f, good.subarray(0, cut));
      expect(() => readIdx(f)).toThrow(RangeError);
      expect(() => readIdx(f)).toThrow(new RegExp(`^idx: ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*(truncated|no 4-byte magic)`));
    }
    fs.writeFileSync(f, Buffer.concat([good, Buffer.from([1])]));
    expect(() => readIdx(f)).toThrow(/has extra bytes: dims \[4, 5\] of u8 need 20 data bytes, file has 21/);
    fs.writeFileSync(f, good.subarray(0, 15));
    expect(() => readIdx(f)).toThrow(/truncated: dims \[4, 5\] of u8 need 20 data bytes, file has 3/);
  });

  test('bad magic, unknown type, corrupt gzip, huge dims', () => {
    expect(() => readIdx(Buffer.from([1, 0, 8, 0]))).toThrow(/not an IDX file/);
    expect(() => readIdx(Buffer.from([0, 0, 7, 0]))).toThrow(/unknown IDX data type 0x07/);
    const gz = zlib.gzipSync(Buffer.from(encodeIdx({ dims: [100], data: new Uint8Array(100) })));
    expect(() => readIdx(gz.subarray(0, gz.length - 6))).toThrow(/idx: <buffer>: corrupt or truncated gzip data/);
    // dims claiming 2^32·2^32 elements in a 16-byte file: rejected by arithmetic, nothing allocated
    expect(() => readIdx(Buffer.from([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0]))).toThrow(/truncated/);
    // a gzip bomb beyond the caller's bound
    const bomb = zlib.gzipSync(Buffer.alloc(1 << 20));
    expect(() => readIdx(bomb, { maxBytes: 1000 })).toThrow(/decompressed data exceeds 1000 bytes/);
    expect(() => readIdx(42 as unknown as string)).toThrow(TypeError);
  });
});
