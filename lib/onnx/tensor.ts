/**
 * ONNX tensors (TensorProto) to and from simdnet's Float32Arrays.
 *
 * Writing: float32 (raw little-endian bytes), float16 (IEEE binary16 through the backend's toHalf), int64.
 * Reading: FLOAT, FLOAT16, DOUBLE and INT64, from raw_data, the typed repeated fields, or external data in a file
 * beside the model. Every size is checked before anything is allocated: the element count the dims declare must
 * equal the elements the data holds (which are bounded by the file's size), external data must lie inside the
 * model's folder and inside the data file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Backend } from '../backend/types';
import { DataType, toInt, type TensorProto } from './proto';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Most elements one tensor may declare (2^31 − 1, a Float32Array's practical limit here). */
export const MAX_TENSOR_ELEMENTS = 0x7fffffff;

function rawBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function checkHost(): void {
  if (!LITTLE_ENDIAN) throw new Error('simdnet: ONNX raw tensor data is little-endian; this host is big-endian');
}

/** A float32 initializer (raw little-endian bytes, copied). */
export function float32Tensor(name: string, shape: readonly number[], data: Float32Array): TensorProto {
  checkHost();
  return { name, dims: [...shape], dataType: DataType.FLOAT, rawData: rawBytes(data).slice() };
}

/** A float16 initializer: the values rounded to IEEE half (round-to-nearest-even) by `backend.toHalf`. */
export function float16Tensor(name: string, shape: readonly number[], data: Float32Array, backend: Backend): TensorProto {
  checkHost();
  const half = new Uint16Array(data.length);
  backend.toHalf(data, half);
  return { name, dims: [...shape], dataType: DataType.FLOAT16, rawData: rawBytes(half).slice() };
}

/** An int64 initializer (e.g. a Reshape target shape). */
export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  return { name, dims: [values.length], dataType: DataType.INT64, int64Data: [...values] };
}

/** Where a tensor's external data may be read from: the model's folder (null when the model came as bytes). */
export interface ExternalDataContext {
  baseDir: string | null;
}

/** A tensor read from a model: dims and values (float32; INT64 values as numbers in `ints`). */
export interface ReadTensor {
  dims: number[];
  data: Float32Array | null;
  ints: number[] | null;
}

const ELEMENT_BYTES: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.DOUBLE]: 8, [DataType.INT64]: 8 };
const TYPE_NAMES: Record<number, string> = { 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 16: 'BFLOAT16' };

export function typeName(t: number | undefined): string {
  return TYPE_NAMES[t ?? 0] ?? `data type ${t ?? 0}`;
}

/** The dims of a tensor and their element count, checked (each >= 0, the product <= MAX_TENSOR_ELEMENTS). */
export function checkedDims(label: string, dims: readonly unknown[] | undefined): { dims: number[]; count: number } {
  const out: number[] = [];
  let count = 1;
  for (const [i, d] of (dims ?? []).entries()) {
    const n = toInt(d as number, `${label} dims[${i}]`);
    if (n < 0) throw new RangeError(`${label}: dims[${i}] is ${n}, expected a size >= 0`);
    out.push(n);
    count *= n;
    if (count > MAX_TENSOR_ELEMENTS) {
      throw new RangeError(`${label}: dims [${(dims ?? []).map(String).join(', ')}] declare more than ${MAX_TENSOR_ELEMENTS} elements`);
    }
  }
  return { dims: out, count };
}

/**
 * Reads a TensorProto. FLOAT, FLOAT16 and DOUBLE come back as float32 `data`, INT64 as `ints`.
 * @throws {RangeError} another data type, dims out of range, data shorter or longer than the dims declare,
 *   external data outside the model's folder or the data file (every message names `label`)
 */
export function readTensor(t: TensorProto, label: string, backend: Backend, ext: ExternalDataContext): ReadTensor {
  const type = t.dataType ?? 0;
  const { dims, count } = checkedDims(label, t.dims);
  const esize = ELEMENT_BYTES[type];
  if (esize === undefined) {
    throw new RangeError(`${label}: data type ${typeName(type)} is not supported (FLOAT, FLOAT16, DOUBLE or INT64)`);
  }
  let raw: Uint8Array | null = null;
  if (t.dataLocation === 1) raw = readExternal(t, label, count * esize, ext);
  else if (t.rawData && t.rawData.length > 0) raw = t.rawData;
  const mismatch = (have: number): RangeError =>
    new RangeError(
      `${label}: its data holds ${have} elements but its dims [${dims.join(', ')}] declare ${count}` +
        (have < count ? ' (tensor data shorter than its shape)' : ''),
    );
  if (raw !== null) {
    if (raw.length !== count * esize) {
      const have = Math.floor(raw.length / esize);
      if (raw.length % esize !== 0) throw new RangeError(`${label}: raw data of ${raw.length} bytes is not a whole number of ${typeName(type)} elements`);
      throw mismatch(have);
    }
    checkHost();
    const bytes = new Uint8Array(raw); // an aligned copy (a Buffer's slice() would be a view)
    if (type === DataType.FLOAT) return { dims, data: new Float32Array(bytes.buffer, 0, count), ints: null };
    if (type === DataType.DOUBLE) return { dims, data: Float32Array.from(new Float64Array(bytes.buffer, 0, count)), ints: null };
    if (type === DataType.FLOAT16) {
      const out = new Float32Array(count);
      backend.fromHalf(new Uint16Array(bytes.buffer, 0, count), out);
      return { dims, data: out, ints: null };
    }
    const big = new BigInt64Array(bytes.buffer, 0, count);
    return { dims, data: null, ints: Array.from(big, bigToInt) };
  }
  if (type === DataType.FLOAT) {
    const f = t.floatData ?? [];
    if (f.length !== count) throw mismatch(f.length);
    return { dims, data: Float32Array.from(f), ints: null };
  }
  if (type === DataType.DOUBLE) {
    const f = t.doubleData ?? [];
    if (f.length !== count) throw mismatch(f.length);
    return { dims, data: Float32Array.from(f), ints: null };
  }
  if (type === DataType.FLOAT16) {
    // float16 values are stored in int32_data, one 16-bit pattern per element
    const f = t.int32Data ?? [];
    if (f.length !== count) throw mismatch(f.length);
    const out = new Float32Array(count);
    backend.fromHalf(Uint16Array.from(f), out);
    return { dims, data: out, ints: null };
  }
  const f = t.int64Data ?? [];
  if (f.length !== count) throw mismatch(f.length);
  return { dims, data: null, ints: f.map((v) => (typeof v === 'number' ? bigToInt(BigInt(Math.trunc(v))) : bigToInt(BigInt(v.toString())))) };
}

/**
 * An INT64 value as a number; beyond ±(2^53 − 1) it is clamped there (exporters write INT64_MAX for "to the end"
 * in Slice; no size simdnet accepts comes near either bound).
 */
function bigToInt(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

/**
 * The bytes of external data: `location` relative to the model's folder and inside it (no absolute path, no
 * `..` escape, no symbolic link leading out), `offset` and `length` inside the file, `length` equal to what
 * the dims declare. Reads only that range.
 */
function readExternal(t: TensorProto, label: string, expectedBytes: number, ext: ExternalDataContext): Uint8Array {
  const kv: Record<string, string> = {};
  for (const e of t.externalData ?? []) kv[e.key ?? ''] = e.value ?? '';
  const loc = kv.location;
  if (ext.baseDir === null) {
    throw new RangeError(`${label}: its data is external ('${loc}'), which needs the model's folder: load the model from a file path, not from bytes`);
  }
  if (!loc) throw new RangeError(`${label}: external data without a 'location'`);
  const intOf = (k: string): number | null => {
    if (kv[k] === undefined) return null;
    if (!/^\d{1,15}$/.test(kv[k])) throw new RangeError(`${label}: external data '${k}' is '${kv[k]}', expected a byte count`);
    return Number(kv[k]);
  };
  const offset = intOf('offset') ?? 0;
  const length = intOf('length');
  if (path.isAbsolute(loc) || loc.includes('\0') || /^[a-zA-Z]:/.test(loc)) {
    throw new RangeError(`${label}: external data location '${loc}' is an absolute path; only files inside the model's folder are read`);
  }
  const base = fs.realpathSync(ext.baseDir);
  const target = path.resolve(base, loc);
  const inside = (p: string): boolean => p.startsWith(base + path.sep);
  if (!inside(target)) throw new RangeError(`${label}: external data location '${loc}' is outside the model's folder; only files inside it are read`);
  let real: string;
  try {
    real = fs.realpathSync(target);
  } catch {
    throw new RangeError(`${label}: external data file '${loc}' does not exist beside the model`);
  }
  if (!inside(real)) throw new RangeError(`${label}: external data location '${loc}' leads outside the model's folder (a symbolic link); only files inside it are read`);
  if (length !== null && length !== expectedBytes) {
    throw new RangeError(`${label}: external data length ${length} bytes, but its dims declare ${expectedBytes} bytes`);
  }
  const fd = fs.openSync(real, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new RangeError(`${label}: external data location '${loc}' is not a regular file`);
    if (offset + expectedBytes > st.size) {
      throw new RangeError(`${label}: external data '${loc}' has ${st.size} bytes; offset ${offset} + ${expectedBytes} bytes runs past its end (tensor data shorter than its shape)`);
    }
    const out = new Uint8Array(expectedBytes);
    let done = 0;
    while (done < expectedBytes) {
      const n = fs.readSync(fd, out, done, expectedBytes - done, offset + done);
      if (n <= 0) throw new RangeError(`${label}: external data '${loc}' ended early`);
      done += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}
