/**
 * IDX files (the MNIST / Fashion-MNIST format), raw or gzipped.
 *
 *   0x00 0x00 | type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64) | ndim |
 *   ndim big-endian u32 dimensions | data, big-endian, C order
 *
 * Gzipped files (magic 1f 8b) are inflated with a bound derived from the header of the compressed data,
 * never past what deflate can produce nor past what the caller allows.
 */
import * as fs from 'fs';
import { checkInt, invalidType } from '../validate';
import { byteSwapInPlace, bytesOf, copyTyped, inflateBounded, maxInflatedSize, TypedArrayConstructor } from '../io/bytes';
import { writeFileAtomic } from '../io/atomic';
import * as zlib from 'zlib';

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dims: number[];
  dtype: IdxDtype;
  data: IdxData;
}

const TYPES: { code: number; dtype: IdxDtype; ctor: TypedArrayConstructor }[] = [
  { code: 0x08, dtype: 'u8', ctor: Uint8Array },
  { code: 0x09, dtype: 'i8', ctor: Int8Array },
  { code: 0x0b, dtype: 'i16', ctor: Int16Array },
  { code: 0x0c, dtype: 'i32', ctor: Int32Array },
  { code: 0x0d, dtype: 'f32', ctor: Float32Array },
  { code: 0x0e, dtype: 'f64', ctor: Float64Array },
];

export interface IdxReadOptions {
  /** Refuse files whose (decompressed) size would exceed this many bytes (default: what Node can allocate). */
  maxBytes?: number;
}

function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * Decodes IDX bytes (raw or gzip). `name` appears in error messages.
 * @throws {RangeError} bad magic, unknown type, truncated, or a size that is not prod(dims)·itemsize
 */
export function parseIdx(buf: Uint8Array, name = '<buffer>', opts: IdxReadOptions = {}): IdxArray {
  if (!(buf instanceof Uint8Array)) throw invalidType('buf', 'a Uint8Array', buf);
  const fail = (msg: string): never => {
    throw new RangeError(`idx: ${name}: ${msg}`);
  };
  if (isGzip(buf)) {
    // ISIZE (the last 4 bytes) is the size mod 2^32: a hint, not a bound; the bound is deflate's ratio.
    const limit = Math.min(maxInflatedSize(buf.length), opts.maxBytes ?? Infinity);
    try {
      buf = inflateBounded(buf, 'gzip', limit, `idx: ${name}`);
    } catch (err) {
      const m = (err as Error).message;
      if (/decompressed data exceeds/.test(m)) throw err;
      fail(`corrupt or truncated gzip data (${m.replace(/^.*corrupt gzip data \((.*)\)$/, '$1')})`);
    }
  }
  if (buf.length < 4) fail(`truncated at byte ${buf.length} (no 4-byte magic)`);
  if (buf[0] !== 0 || buf[1] !== 0) fail(`not an IDX file (magic ${Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  const type = TYPES.find((t) => t.code === buf[2]);
  if (!type) fail(`unknown IDX data type 0x${buf[2].toString(16).padStart(2, '0')}`);
  const ndim = buf[3];
  const dataStart = 4 + 4 * ndim;
  if (buf.length < dataStart) fail(`truncated at byte ${buf.length} (header with ${ndim} dimensions needs ${dataStart} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let k = 0; k < ndim; k++) {
    const d = dv.getUint32(4 + 4 * k, false);
    dims.push(d);
    count *= d;
  }
  const { ctor, dtype } = type!;
  const need = count * ctor.BYTES_PER_ELEMENT;
  const have = buf.length - dataStart;
  if (need !== have) {
    const what = need > have ? 'truncated' : 'has extra bytes';
    fail(`${what}: dims [${dims.join(', ')}] of ${dtype} need ${need} data bytes, file has ${have}`);
  }
  if (opts.maxBytes !== undefined && need > opts.maxBytes) fail(`${need} data bytes exceed maxBytes ${opts.maxBytes}`);
  const data = copyTyped(ctor, buf, dataStart, count) as IdxData;
  byteSwapInPlace(bytesOf(data), ctor.BYTES_PER_ELEMENT);
  return { dims, dtype, data };
}

/**
 * Reads an IDX file (raw or .gz) from a path or from bytes.
 *
 * @example
 * const { dims, data } = readIdx('t10k-labels-idx1-ubyte');   // dims [10000], Uint8Array
 * @throws {RangeError} truncated or inconsistent file (the message names it)
 */
export function readIdx(pathOrBuffer: string | Uint8Array, opts: IdxReadOptions = {}): IdxArray {
  if (typeof pathOrBuffer === 'string') return parseIdx(fs.readFileSync(pathOrBuffer), pathOrBuffer, opts);
  if (pathOrBuffer instanceof Uint8Array) return parseIdx(pathOrBuffer, '<buffer>', opts);
  throw invalidType('pathOrBuffer', 'a file path or a Uint8Array', pathOrBuffer);
}

/**
 * Encodes an array as IDX bytes (gzipped when `gzip`).
 *
 * @example
 * fs.writeFileSync('labels-idx1-ubyte', encodeIdx({ dims: [3], data: Uint8Array.from([0, 7, 2]) }));
 * @throws {TypeError} arr is not an { dims, data } object, data not a typed array of an IDX type
 * @throws {RangeError} dims not integers in [0, 2^32) or not filled by data
 */
export function encodeIdx(arr: { dims: readonly number[]; data: IdxData; dtype?: IdxDtype }, gzip = false): Uint8Array {
  if (arr === null || typeof arr !== 'object') throw invalidType('arr', 'an IDX array { dims, data }', arr);
  if (!Array.isArray(arr.dims) || arr.dims.length > 255) throw invalidType('arr.dims', 'an array of at most 255 dimensions', arr.dims);
  arr.dims.forEach((d, k) => checkInt(`arr.dims[${k}]`, d, 0, 0xffffffff));
  const type = arr.dtype ? TYPES.find((t) => t.dtype === arr.dtype) : TYPES.find((t) => arr.data instanceof t.ctor);
  if (!type || !(arr.data instanceof type.ctor)) throw invalidType('arr.data', 'a typed array matching an IDX type', arr.data);
  const count = arr.dims.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) throw new RangeError(`arr.dims: expected a size equal to data.length ${arr.data.length}, got [${arr.dims.join(', ')}]`);
  const head = 4 + 4 * arr.dims.length;
  const out = new Uint8Array(head + arr.data.byteLength);
  const dv = new DataView(out.buffer);
  out[2] = type.code;
  out[3] = arr.dims.length;
  arr.dims.forEach((d, k) => dv.setUint32(4 + 4 * k, d, false));
  const body = out.subarray(head);
  body.set(bytesOf(arr.data));
  byteSwapInPlace(body, type.ctor.BYTES_PER_ELEMENT);
  if (!gzip) return out;
  const z = zlib.gzipSync(out);
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

/** Writes an IDX file atomically (gzipped when the path ends in .gz). */
export function writeIdx(path: string, arr: { dims: readonly number[]; data: IdxData; dtype?: IdxDtype }): void {
  writeFileAtomic(path, encodeIdx(arr, path.endsWith('.gz')));
}
