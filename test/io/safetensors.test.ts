import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  decodeSafetensors, encodeSafetensors, loadSafetensors, safetensorToFloat32, saveSafetensors, SafeTensorInput,
} from '../../lib/io/safetensors';

const bytes = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A file from a header object and raw data, the way another writer might lay it out. */
function craft(header: unknown, data: Uint8Array, pad = true): Uint8Array {
  let json = Buffer.from(JSON.stringify(header));
  if (pad) json = Buffer.concat([json, Buffer.alloc((8 - ((8 + json.length) % 8)) % 8, 0x20)]);
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors round trip', () => {
  // NaN with payloads and signs, -0, subnormals: the bytes must survive exactly.
  const f32bits = new Uint32Array([0x7fc00001, 0xffa12345, 0x80000000, 0x00000001, 0x7f800000, 0x3f800000]);
  const f64 = new Float64Array(3);
  new DataView(f64.buffer).setBigUint64(0, 0x7ff8000000000abcn, true);
  f64[1] = -0;
  f64[2] = Math.PI;
  const tensors: Record<string, SafeTensorInput> = {
    'conv1.W': { dtype: 'F32', shape: [2, 3], data: new Float32Array(f32bits.buffer) },
    'conv1.b': { dtype: 'F64', shape: [3], data: f64 },
    half: { dtype: 'F16', shape: [3], data: new Uint16Array([0x7e01, 0x8000, 0x3c00]) },
    idx: { dtype: 'I32', shape: [1, 2], data: new Int32Array([-1, 2 ** 31 - 1]) },
    pix: { dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 2, 254, 255]) },
    big: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([7]) },
  };

  test('bit-exact, with metadata, every tensor aligned', () => {
    const file = encodeSafetensors(tensors, { format: 'pt', epoch: '3' });
    const n = Number(Buffer.from(file).readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(file.subarray(8, 8 + n)).toString());
    expect(Object.keys(header)).toEqual(['__metadata__', ...Object.keys(tensors).sort()]);
    const { tensors: back, metadata } = decodeSafetensors(file);
    expect({ ...metadata }).toEqual({ format: 'pt', epoch: '3' });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      expect(back[k].dtype).toBe(t.dtype);
      expect(back[k].shape).toEqual(t.shape);
      expect(back[k].data.constructor).toBe(t.data.constructor);
      expect(bytes(back[k].data).equals(bytes(t.data))).toBe(true);
      expect(back[k].data.byteOffset % back[k].data.BYTES_PER_ELEMENT).toBe(0);
    }
    expect(Object.is((back['conv1.b'].data as Float64Array)[1], -0)).toBe(true);
  });

  test('unaligned tensors from another writer are copied into aligned arrays', () => {
    // F16 of 3 elements (6 bytes) first, then F32: the F32 data sits at an odd multiple of 2.
    const data = Buffer.alloc(6 + 8);
    data.writeUInt16LE(0x3c00, 0);
    data.writeFloatLE(1.5, 6);
    data.writeFloatLE(-2.25, 10);
    const file = craft({ a: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'F32', shape: [2], data_offsets: [6, 14] } }, data);
    const { tensors: t } = decodeSafetensors(file);
    expect(t.b.data).toBeInstanceOf(Float32Array);
    expect([...t.b.data]).toEqual([1.5, -2.25]);
    expect([...t.a.data]).toEqual([0x3c00, 0, 0]);
    // an unpadded header also works
    const raw = craft({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.from(new Float32Array([3]).buffer), false);
    expect([...decodeSafetensors(raw).tensors.x.data]).toEqual([3]);
  });

  test('saveSafetensors / loadSafetensors through the file system', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simdnet-st-'));
    try {
      const f = path.join(dir, 'model.safetensors');
      saveSafetensors(f, tensors);
      const { tensors: back, metadata } = loadSafetensors(f);
      expect(Object.keys(metadata)).toEqual([]);
      expect(bytes(back.half.data).equals(bytes(tensors.half.data))).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('safetensorToFloat32 decodes F16, BF16 and integers', () => {
    expect([...safetensorToFloat32({ dtype: 'F16', shape: [4], data: new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]) })]).toEqual([1, -2, 2 ** -24, Infinity]);
    expect([...safetensorToFloat32({ dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc0a0]) })]).toEqual([1, -5]);
    expect([...safetensorToFloat32({ dtype: 'I64', shape: [2], data: new BigInt64Array([-3n, 4n]) })]).toEqual([-3, 4]);
    expect([...safetensorToFloat32({ dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) })]).toEqual([0, 255]);
  });

  test('encoder input errors', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/tensors\["x"\]\.shape/);
    expect(() => encodeSafetensors({ x: { dtype: 'F64', shape: [2], data: new Float32Array(2) } })).toThrow(TypeError);
    expect(() => encodeSafetensors({ x: { dtype: 'Q8' as 'F32', shape: [2], data: new Float32Array(2) } })).toThrow(RangeError);
    expect(() => encodeSafetensors({}, { a: 1 as unknown as string })).toThrow(/metadata\["a"\]: expected a string/);
  });
});

describe('hostile safetensors headers', () => {
  const f4 = Buffer.from(new Float32Array([1, 2]).buffer);
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  test.each([
    ['too short', () => new Uint8Array(5), /truncated at byte 5/],
    ['header length past the end', () => {
      const b = Buffer.from(craft(ok, f4));
      b.writeBigUInt64LE(10n ** 12n, 0);
      return b;
    }, /header length 1000000000000 exceeds the \d+ bytes after it/],
    ['header length 2^64-1', () => {
      const b = Buffer.from(craft(ok, f4));
      b.writeBigUInt64LE(2n ** 64n - 1n, 0);
      return b;
    }, /header length 18446744073709551615 exceeds/],
    ['not JSON', () => {
      const b = Buffer.from(craft(ok, f4));
      b[8] = 0x5b;
      b[9] = 0x7b;
      return b;
    }, /header is not valid UTF-8 JSON/],
    ['JSON array', () => craft([1, 2], f4), /not a JSON object/],
    ['unknown dtype', () => craft({ x: { dtype: 'F128', shape: [2], data_offsets: [0, 8] } }, f4), /tensor "x" has unknown dtype "F128"/],
    ['negative dim', () => craft({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f4), /bad shape/],
    ['offsets past the data', () => craft({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f4), /extend past the 8 data bytes/],
    ['size not prod(shape)·itemsize', () => craft({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f4), /spans 8 bytes but shape \[3\] of F32 needs 12/],
    ['overlap', () => craft({
      x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
    }, f4), /overlaps/],
    ['gap', () => craft({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f4), /gap in the data before tensor "x"/],
    ['uncovered tail', () => craft({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f4), /tensors cover 4 of 8 data bytes/],
    ['reversed offsets', () => craft({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f4), /bad data_offsets/],
    ['huge offsets', () => craft({ x: { dtype: 'F32', shape: [1e300], data_offsets: [0, 1e300] } }, f4), /bad (shape|data_offsets)/],
    ['non-string metadata', () => craft({ __metadata__: { a: 1 }, ...ok }, f4), /__metadata__\["a"\] is not a string/],
    ['bad UTF-8', () => {
      const b = Buffer.from(craft({ 'xx': ok.x }, f4));
      b[10] = 0xff;
      return b;
    }, /not valid UTF-8 JSON/],
  ])('%s', (_name, make, re) => {
    let err: unknown;
    try {
      decodeSafetensors(make() as Uint8Array, 'm.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/^safetensors: m\.safetensors: /);
    expect((err as Error).message).toMatch(re);
  });

  test('truncation at every byte is a RangeError', () => {
    const file = encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(3) }, b: { dtype: 'U8', shape: [2], data: new Uint8Array(2) } });
    for (let cut = 0; cut < file.length; cut++) expect(() => decodeSafetensors(file.subarray(0, cut))).toThrow(RangeError);
  });

  test('a __proto__ tensor name stays an ordinary key', () => {
    const json = Buffer.from('{"__proto__":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    const file = Buffer.concat([Buffer.alloc(8), json, f4]);
    file.writeBigUInt64LE(BigInt(json.length), 0);
    const { tensors } = decodeSafetensors(file);
    expect(Object.keys(tensors)).toEqual(['__proto__']);
    expect([...Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value.data]).toEqual([1, 2]);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
  });
});
