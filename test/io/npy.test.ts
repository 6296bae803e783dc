import * as fs from 'fs';
import * as path from 'path';
import { encodeNpy, npyHeader, parseNpy, toFloat32 } from '../../lib/io/npy';

const fixture = (name: string): Buffer => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'io', name));

/** The fixtures' values: (i - 5) * 0.25 (see test/fixtures/io/make_fixtures.py). */
function ramp(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i - 5) * 0.25);
}

describe('parseNpy on NumPy-written files', () => {
  test('f4 C order, version 1.0', () => {
    const a = parseNpy(fixture('f4_v1.npy'), 'f4_v1.npy');
    expect(a.dtype).toBe('f4');
    expect(a.shape).toEqual([3, 4]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect([...a.data]).toEqual(ramp(12));
    expect(a.fortranOrder).toBe(false);
  });

  test('f8, i4, u1, i8, b1, scalar', () => {
    const f8 = parseNpy(fixture('f8_v1.npy'));
    expect(f8.shape).toEqual([2, 3, 2]);
    expect(f8.data).toBeInstanceOf(Float64Array);
    expect([...f8.data]).toEqual(ramp(12));
    const i4 = parseNpy(fixture('i4_v1.npy'));
    expect(i4.data).toBeInstanceOf(Int32Array);
    expect([...i4.data]).toEqual(Array.from({ length: 10 }, (_, i) => (i - 3) * 1000003));
    const u1 = parseNpy(fixture('u1_v1.npy'));
    expect(u1.dtype).toBe('u1');
    expect(u1.shape).toEqual([16, 16]);
    expect(u1.data[255]).toBe(255);
    const i8 = parseNpy(fixture('i8_v1.npy'));
    expect(i8.data).toBeInstanceOf(BigInt64Array);
    expect([...(i8.data as BigInt64Array)]).toEqual([-(2n ** 40n), -1n, 0n, 2n ** 53n + 1n]);
    const b1 = parseNpy(fixture('b1_v1.npy'));
    expect(b1.dtype).toBe('b1');
    expect([...b1.data]).toEqual([1, 0, 1]);
    const s = parseNpy(fixture('scalar.npy'));
    expect(s.shape).toEqual([]);
    expect([...s.data]).toEqual([3.5]);
  });

  test('versions 2.0 and 3.0', () => {
    const v2 = parseNpy(fixture('f4_v2.npy'));
    expect(fixture('f4_v2.npy')[6]).toBe(2);
    expect(v2.shape).toEqual([5]);
    expect([...v2.data]).toEqual(ramp(5));
    const v3 = parseNpy(fixture('f4_v3.npy'));
    expect(fixture('f4_v3.npy')[6]).toBe(3);
    expect([...v3.data]).toEqual(ramp(4));
  });

  test('big-endian data is converted to native order', () => {
    const a = parseNpy(fixture('f8_be.npy'));
    expect(a.dtype).toBe('f8');
    expect([...a.data]).toEqual(ramp(4));
  });

  test('f2 is returned as half bits; toFloat32 decodes it', () => {
    const a = parseNpy(fixture('f2_v1.npy'));
    expect(a.dtype).toBe('f2');
    expect(a.data).toBeInstanceOf(Uint16Array);
    expect([...toFloat32(a)]).toEqual([0.5, -2, 65504, Infinity]);
    expect([...toFloat32(parseNpy(fixture('f8_v1.npy')))]).toEqual(ramp(12));
    expect([...toFloat32(parseNpy(fixture('i8_v1.npy')))].slice(0, 3)).toEqual([-(2 ** 40), -1, 0]);
  });

  test('fortran_order True and object arrays are rejected with RangeError', () => {
    expect(() => parseNpy(fixture('fortran.npy'), 'fortran.npy')).toThrow(RangeError);
    expect(() => parseNpy(fixture('fortran.npy'), 'fortran.npy')).toThrow(/npy: fortran\.npy: fortran_order True is not supported/);
    expect(() => parseNpy(fixture('object.npy'))).toThrow(/unsupported dtype "\|O" \(object arrays/);
  });
});

describe('parseNpy on bad input', () => {
  const good = fixture('f4_v1.npy');

  test('truncation anywhere is a RangeError naming the file and the byte', () => {
    for (let cut = 0; cut < good.length; cut++) {
      const msg = (() => {
        try {
          parseNpy(good.subarray(0, cut), 'x.npy');
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
          return (e as Error).message;
        }
        return 'no error';
      })();
      expect(msg).toMatch(/^npy: x\.npy: .*truncated at byte \d+/);
    }
  });

  test('bad magic, version, header, trailing bytes', () => {
    const b = Uint8Array.from(good);
    b[1] = 0;
    expect(() => parseNpy(b)).toThrow(/bad magic/);
    const v = Uint8Array.from(good);
    v[6] = 9;
    expect(() => parseNpy(v)).toThrow(/unsupported format version 9\.0/);
    const h = Uint8Array.from(good);
    h.set(Buffer.from("{'descr': <f4"), 10);
    expect(() => parseNpy(h)).toThrow(/bad header/);
    const extra = new Uint8Array(good.length + 3);
    extra.set(good);
    expect(() => parseNpy(extra)).toThrow(/3 unexpected bytes after the data/);
    expect(() => parseNpy('nope' as unknown as Uint8Array)).toThrow(TypeError);
  });

  test('a header claiming a huge shape fails before allocating', () => {
    const hdr = npyHeader('f8', [1e6, 1e6]);
    expect(() => parseNpy(hdr)).toThrow(/data truncated/);
  });
});

describe('encodeNpy', () => {
  test('round trips every dtype, bit-exact', () => {
    const f32 = new Float32Array([1.5, -0, NaN, Infinity, 1e-45]);
    const cases = [
      { shape: [5], data: f32 },
      { shape: [2, 2], data: new Float64Array([1, 2, 3, -0]) },
      { shape: [3], data: new Int32Array([-1, 0, 2 ** 31 - 1]) },
      { shape: [2], data: new BigInt64Array([-5n, 2n ** 62n]) },
      { shape: [1, 2], data: new Uint8Array([0, 255]) },
      { shape: [2], data: new Int8Array([-128, 127]) },
      { shape: [2], data: new Uint16Array([1, 65535]) },
      { shape: [2], data: new Int16Array([-32768, 5]) },
      { shape: [2], data: new Uint32Array([2 ** 32 - 1, 0]) },
      { dtype: 'f2' as const, shape: [1], data: new Uint16Array([0x3c00]) },
      { dtype: 'b1' as const, shape: [], data: new Uint8Array([1]) },
    ];
    for (const c of cases) {
      const bytes = encodeNpy(c);
      expect((bytes.length - c.data.byteLength) % 64).toBe(0); // data starts 64-byte aligned
      const back = parseNpy(bytes);
      expect(back.shape).toEqual(c.shape);
      expect(back.data.constructor).toBe(c.data.constructor);
      expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(c.data.buffer))).toBe(true);
    }
    expect(parseNpy(encodeNpy({ dtype: 'f2', shape: [1], data: new Uint16Array([0x3c00]) })).dtype).toBe('f2');
  });

  test('the header is 64-byte aligned and matches what NumPy writes', () => {
    const bytes = encodeNpy({ shape: [3, 4], data: new Float32Array(ramp(12)) });
    expect(Buffer.from(bytes).equals(fixture('f4_v1.npy'))).toBe(true);
    const u1 = parseNpy(fixture('u1_v1.npy'));
    expect(Buffer.from(encodeNpy(u1)).equals(fixture('u1_v1.npy'))).toBe(true);
  });

  test('bad input: shape mismatch, wrong array type', () => {
    expect(() => encodeNpy({ shape: [2, 2], data: new Float32Array(3) })).toThrow(/arr\.shape: expected a shape whose size equals data\.length 3/);
    expect(() => encodeNpy({ dtype: 'f8', shape: [3], data: new Float32Array(3) })).toThrow(TypeError);
    expect(() => encodeNpy({ shape: [2], data: [1, 2] as unknown as Float32Array })).toThrow(TypeError);
  });
});

describe('toFloat32 on bad input', () => {
  test('refuses an unknown dtype and data that is not the typed array of its dtype', () => {
    const data = new Float32Array(1);
    expect(() => toFloat32({ dtype: 'q9', shape: [1], data } as never)).toThrow(/^arr\.dtype: expected one of f4, /);
    expect(() => toFloat32({ dtype: 'f4', shape: [1], data: new Float64Array(1) } as never)).toThrow(TypeError);
    expect(() => toFloat32({ dtype: 'f2', shape: [1], data } as never)).toThrow(/^arr\.data: expected a Uint16Array \(dtype 'f2'\), got Float32Array\(1\)$/);
  });
});
