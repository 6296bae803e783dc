import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { encodeNpz, listNpz, readNpz, writeNpz } from '../../lib/io/npz';
import { encodeZip, extractZipEntry, readZipDirectory } from '../../lib/io/zip';
import * as bytes from '../../lib/io/bytes';
import { crc32, crc32Ts } from '../../lib/io/bytes';

const fixturePath = (name: string): string => path.join(__dirname, '..', 'fixtures', 'io', name);
const fixture = (name: string): Buffer => fs.readFileSync(fixturePath(name));
const referenceNpz = path.join(__dirname, '..', 'fixtures', 'reference', 'simple_convnet_params.npz');

const ramp = (n: number): number[] => Array.from({ length: n }, (_, i) => (i - 5) * 0.25);

/** The error thrown by fn, or fails the test if it does not throw. */
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('readNpz on NumPy archives', () => {
  test.each(['stored.npz', 'deflated.npz'])('%s (np.savez / np.savez_compressed)', (name) => {
    const a = readNpz(fixturePath(name));
    expect(Object.keys(a).sort()).toEqual(['W', 'b', 'idx', 'img']);
    expect(a.W.dtype).toBe('f4');
    expect(a.W.shape).toEqual([3, 4]);
    expect([...a.W.data]).toEqual(ramp(12));
    expect(a.b.data).toBeInstanceOf(Float64Array);
    expect([...a.b.data]).toEqual(ramp(4));
    expect([...a.idx.data]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(a.img.shape).toEqual([16, 16]);
    expect(a.img.data[200]).toBe(200);
    expect(listNpz(fixture(name)).sort()).toEqual(['W', 'b', 'idx', 'img']);
  });

  test('deflated entries really are deflated', () => {
    const methods = readZipDirectory(fixture('deflated.npz')).map((e) => e.method);
    expect(methods).toEqual([8, 8, 8, 8]);
    expect(readZipDirectory(fixture('stored.npz')).map((e) => e.method)).toEqual([0, 0, 0, 0]);
  });

  test('the reference SimpleConvNet weights load with the right keys and shapes', () => {
    const p = readNpz(referenceNpz);
    const shapes = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.shape]));
    expect(shapes).toEqual({ W1: [30, 1, 5, 5], b1: [30], W2: [4320, 100], b2: [100], W3: [100, 10], b3: [10] });
    for (const v of Object.values(p)) {
      expect(v.dtype).toBe('f8');
      expect(v.data).toBeInstanceOf(Float64Array);
      expect(v.data.every((x) => Number.isFinite(x as number))).toBe(true);
    }
  });
});

describe('writeNpz / encodeNpz', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-npz-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const arrays = {
    W: { shape: [3, 4], data: new Float32Array(ramp(12)) },
    b: { shape: [4], data: new Float64Array(ramp(4)) },
    idx: { shape: [7], data: Int32Array.from([0, 1, 2, 3, 4, 5, 6]) },
    'ü nicode': { shape: [2], data: new Uint8Array([1, 2]) },
  };

  test.each([
    ['stored', {}],
    ['deflated', { compress: true }],
    ['stored ZIP64', { forceZip64: true }],
    ['deflated ZIP64 level 9', { compress: 9, forceZip64: true }],
  ])('round trip, %s', (_label, opts) => {
    const f = path.join(dir, 'a.npz');
    writeNpz(f, arrays, opts);
    const back = readNpz(f);
    expect(Object.keys(back).sort()).toEqual(Object.keys(arrays).sort());
    for (const [k, v] of Object.entries(arrays)) {
      expect(back[k].shape).toEqual(v.shape);
      expect([...back[k].data]).toEqual([...v.data]);
    }
    expect(Buffer.from(encodeNpz(arrays, opts)).equals(fs.readFileSync(f))).toBe(true);
  });

  test('same arrays, same bytes; the same data NumPy stores', () => {
    expect(Buffer.from(encodeNpz(arrays)).equals(Buffer.from(encodeNpz(arrays)))).toBe(true);
    // Our stored entries carry the same .npy bytes NumPy wrote.
    const ours = encodeNpz({ W: arrays.W });
    const [e] = readZipDirectory(ours);
    const theirs = readZipDirectory(fixture('stored.npz')).find((x) => x.name === 'W.npy')!;
    expect(Buffer.from(extractZipEntry(ours, e)).equals(Buffer.from(extractZipEntry(fixture('stored.npz'), theirs)))).toBe(true);
  });

  test('ZIP64 end records are written when forced', () => {
    const z = encodeNpz(arrays, { forceZip64: true });
    const tail = Buffer.from(z.subarray(z.length - 22 - 20 - 56));
    expect(tail.readUInt32LE(0)).toBe(0x06064b50);
    expect(tail.readUInt32LE(56)).toBe(0x07064b50);
  });

  test('bad arrays are TypeError/RangeError', () => {
    expect(() => encodeNpz({ x: { shape: [3], data: new Float32Array(2) } })).toThrow(/arrays\.x\.shape/);
    expect(() => encodeNpz(null as unknown as Record<string, never>)).toThrow(TypeError);
  });
});

describe('hostile and damaged archives', () => {
  test.each(['stored.npz', 'deflated.npz'])('%s truncated at every byte: a clear error, never a crash', (name) => {
    const buf = fixture(name);
    for (let cut = 0; cut < buf.length; cut++) {
      const e = errorOf(() => readNpz(buf.subarray(0, cut)));
      expect(e.message).toMatch(/^npz: <buffer>: .*(truncated|not a zip)/);
    }
  });

  /** A stored archive and the offsets of its parts. */
  function layout(): { buf: Buffer; cd: number; lh: number; data: number } {
    const buf = Buffer.from(fixture('stored.npz'));
    const eocd = buf.length - 22;
    const cd = buf.readUInt32LE(eocd + 16);
    const lh = buf.readUInt32LE(cd + 42);
    const data = lh + 30 + buf.readUInt16LE(lh + 26) + buf.readUInt16LE(lh + 28);
    return { buf, cd, lh, data };
  }

  test('damaged local header, central directory, data', () => {
    let { buf, lh } = layout();
    buf.writeUInt32LE(0x12345678, lh);
    expect(() => readNpz(buf)).toThrow(/npz: <buffer>: bad local header signature at byte 0/);

    ({ buf, lh } = layout());
    buf.writeUInt16LE(0xffff, lh + 28); // name and extra field running past the end of the file
    buf.writeUInt16LE(0xffff, lh + 26);
    expect(() => readNpz(buf)).toThrow(/npz: <buffer>: local header of "W\.npy" truncated at byte 1330/);

    let cd: number;
    ({ buf, cd } = layout());
    buf.writeUInt32LE(buf.length - 10, cd + 42); // a local header that starts 10 bytes before the end
    expect(() => readNpz(buf)).toThrow(/local header of "W\.npy" truncated at byte 1330 \(needs bytes 1320\.\.1350\)/);

    ({ buf, cd } = layout());
    buf.writeUInt32LE(0, cd);
    expect(() => readNpz(buf)).toThrow(/bad central directory signature/);

    ({ buf, cd } = layout());
    buf.writeUInt32LE(buf.length, cd + 20); // compressed size past the end of the file
    buf.writeUInt32LE(buf.length, cd + 24);
    expect(() => readNpz(buf)).toThrow(/data of "W\.npy" truncated at byte \d+/);

    ({ buf, cd } = layout());
    buf.writeUInt16LE(999, buf.length - 22 + 10); // entry count beyond the central directory
    expect(() => readNpz(buf)).toThrow(/central directory truncated/);

    ({ buf, cd } = layout());
    buf.writeUInt16LE(12, cd + 10); // unsupported method
    expect(() => readNpz(buf)).toThrow(/compression method 12/);

    ({ buf, cd } = layout());
    buf.writeUInt16LE(1, cd + 8); // encrypted
    expect(() => readNpz(buf)).toThrow(/encrypted/);
  });

  test('CRC mismatch is an Error naming the entry', () => {
    const { buf, data } = layout();
    buf[data + 100] ^= 0x01;
    expect(() => readNpz(buf)).toThrow(/npz: <buffer>: CRC mismatch in "W\.npy" \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/);
  });

  test('a deflate entry claiming a huge size is rejected before inflating anything', () => {
    const inflate = jest.spyOn(bytes, 'inflateBounded');
    const zeros = new Uint8Array(2000);
    const z = Buffer.from(encodeZip([{ name: 'x.npy', data: zeros }], { compress: true }));
    expect(z.length).toBeLessThan(1024);
    const cd = z.readUInt32LE(z.length - 22 + 16);
    z.writeUInt32LE(0xfffffff0, cd + 24); // ~4 GB uncompressed
    expect(() => readZipDirectory(z) && extractZipEntry(z, readZipDirectory(z)[0], 'npz: hostile')).toThrow(
      /npz: hostile: entry "x\.npy" claims 4294967280 bytes uncompressed from \d+ compressed bytes/,
    );
    // and through ZIP64: 10 GB
    const z64 = Buffer.from(encodeZip([{ name: 'x.npy', data: zeros }], { compress: true, forceZip64: true }));
    const e = readZipDirectory(z64)[0];
    const cd64 = Number(z64.readBigUInt64LE(z64.length - 22 - 20 - 56 + 48));
    const extra = cd64 + 46 + 'x.npy'.length + 4;
    expect(z64.readBigUInt64LE(extra)).toBe(2000n);
    z64.writeBigUInt64LE(10_000_000_000n, extra);
    expect(() => readNpz(z64)).toThrow(/claims 10000000000 bytes uncompressed/);
    expect(e.uncompressedSize).toBe(2000);
    expect(inflate).not.toHaveBeenCalled(); // refused from the sizes alone: no buffer of the claimed size
    inflate.mockRestore();
  });

  test('a deflate stream longer than its declared size stops at the declared size', () => {
    const big = new Uint8Array(1 << 20); // compresses ~1000:1
    const z = Buffer.from(encodeZip([{ name: 'x.npy', data: big }], { compress: true }));
    const cd = z.readUInt32LE(z.length - 22 + 16);
    z.writeUInt32LE(1000, cd + 24);
    expect(() => readNpz(z)).toThrow(/decompressed data exceeds 1000 bytes/);
    z.writeUInt32LE((1 << 20) + 5, cd + 24);
    expect(() => readNpz(z)).toThrow(/inflates to 1048576 bytes, header says 1048581/);
  });

  test('corrupt deflate data, garbage, and bad .npy inside the archive', () => {
    const z = Buffer.from(encodeZip([{ name: 'x.npy', data: new Uint8Array(500).fill(3) }], { compress: true }));
    const data = 30 + 'x.npy'.length;
    z[data] = 0xff; // invalid block type
    expect(() => readNpz(z)).toThrow(/npz: <buffer>: entry "x\.npy": corrupt deflate data/);
    expect(() => readNpz(Buffer.from('PK not really a zip at all......'))).toThrow(/not a zip file/);
    const notNpy = encodeZip([{ name: 'x.npy', data: new Uint8Array(20) }]);
    expect(() => readNpz(notNpy)).toThrow(/npz: <buffer>: npy: x\.npy: not a \.npy file/);
  });

  test('crc32 matches zlib and the table implementation', () => {
    const d = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32(d)).toBe(0x414fa339);
    expect(crc32Ts(d)).toBe(0x414fa339);
    expect(crc32Ts(d.subarray(10), crc32Ts(d.subarray(0, 10)))).toBe(0x414fa339);
    expect(zlib.crc32 ? zlib.crc32(d) : 0x414fa339).toBe(0x414fa339);
  });
});
