/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 *   magic "\x93NUMPY" | major | minor | header length (u16 LE for 1.0, u32 LE for 2.0/3.0) |
 *   header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
 *   spaces and '\n' so the data starts on a 64-byte boundary | data, C order.
 *
 * Policy: little-endian ('<') and byte-less ('|') dtypes are read as they are; big-endian ('>') data is
 * byte-swapped into native (little-endian) order; fortran_order True, object, string, complex and
 * structured dtypes are rejected with a RangeError. Float16 data is returned as its raw bits (Uint16Array);
 * `toFloat32` converts any array.
 */
import { invalidRange, invalidType } from '../validate';
import { halfToFloat32 } from '../float16';
import { byteSwapInPlace, bytesOf, copyTyped, TypedArray, TypedArrayConstructor } from './bytes';

/** Element types .npy files may hold here (NumPy's kind + itemsize, without the byte-order character). */
export type NpyDtype = 'f4' | 'f8' | 'i4' | 'i8' | 'u1' | 'i1' | 'f2' | 'u2' | 'i2' | 'u4' | 'u8' | 'b1';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array;

/** A decoded array: C-order data in native byte order. `f2` data are raw IEEE half bits; `b1` are 0/1 bytes. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
  fortranOrder: false;
}

const CTORS: Record<NpyDtype, TypedArrayConstructor> = {
  f4: Float32Array,
  f8: Float64Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u8: BigUint64Array,
  u1: Uint8Array,
  i1: Int8Array,
  f2: Uint16Array,
  u2: Uint16Array,
  i2: Int16Array,
  u4: Uint32Array,
  b1: Uint8Array,
};

export const NPY_DTYPES = Object.keys(CTORS) as NpyDtype[];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Bytes per element of a dtype. */
export function npyItemsize(dtype: NpyDtype): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** The dtype a typed array is written as when none is given (Uint16Array -> 'u2'; pass 'f2' for half data). */
export function npyDtypeOf(data: unknown): NpyDtype {
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Float64Array) return 'f8';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof BigInt64Array) return 'i8';
  if (data instanceof BigUint64Array) return 'u8';
  if (data instanceof Uint8Array) return 'u1';
  if (data instanceof Int8Array) return 'i1';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Uint32Array) return 'u4';
  throw invalidType('data', 'a typed array (Float32Array, Float64Array, Int32Array, Uint8Array, …)', data);
}

// ---------------------------------------------------------------------------------------------
// Header: a tiny parser for the Python literal subset NumPy writes (no eval).

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

/** Nesting NumPy never writes deeper than 2 ({'shape': (…)}); a hostile header must not overflow the stack. */
const MAX_HEADER_DEPTH = 16;
/** NumPy's np.load refuses headers over 10,000 bytes by default (max_header_size); we allow more, but bounded. */
export const MAX_NPY_HEADER_BYTES = 1 << 16;

class LiteralParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string, private readonly fail: (msg: string) => never) {}

  parseTop(): PyValue {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail(`unexpected ${JSON.stringify(this.s[this.i])} at header position ${this.i}`);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('header ends inside a value');
    if (c === "'" || c === '"') return this.str(c);
    if (c === '{' || c === '(' || c === '[') {
      if (++this.depth > MAX_HEADER_DEPTH) this.fail(`nested deeper than ${MAX_HEADER_DEPTH} levels at header position ${this.i}`);
      const v = c === '{' ? this.dict() : this.seq(c === '(' ? ')' : ']');
      this.depth--;
      return v;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(this.s.slice(this.i, this.i + 32));
    if (!m) this.fail(`unexpected ${JSON.stringify(c)} at header position ${this.i}`);
    this.i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace('L', ''));
  }

  private str(q: string): string {
    let out = '';
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\') this.i++;
      out += this.s[this.i++] ?? '';
    }
    if (this.i >= this.s.length) this.fail('unterminated string in header');
    this.i++;
    return out;
  }

  private seq(close: string): PyValue[] {
    const out: PyValue[] = [];
    this.i++;
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail(`expected ',' or '${close}' at header position ${this.i}`);
    }
  }

  private dict(): { [k: string]: PyValue } {
    const out: { [k: string]: PyValue } = Object.create(null); // a '__proto__' key is a key, not a prototype
    this.i++;
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      if (typeof k !== 'string') this.fail('header dict keys must be strings');
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected ':' at header position ${this.i}`);
      this.i++;
      out[k] = this.value();
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail(`expected ',' or '}' at header position ${this.i}`);
    }
  }
}

/** Maps a NumPy descr ('<f4', '|u1', '>i8', '<?' …) to a dtype and whether it needs byte swapping. */
function parseDescr(descr: PyValue, fail: (msg: string) => never): { dtype: NpyDtype; swap: boolean } {
  if (typeof descr !== 'string') fail(`structured dtypes are not supported (descr ${JSON.stringify(descr)})`);
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)$/.exec(descr);
  if (!m) fail(`unsupported dtype ${JSON.stringify(descr)}`);
  const [, order, kindRaw, sizeRaw] = m;
  let key: string;
  if (kindRaw === '?') key = 'b1';
  else if (kindRaw === 'b' && sizeRaw === '') key = 'i1';
  else if (kindRaw === 'B' && sizeRaw === '') key = 'u1';
  else key = kindRaw + sizeRaw;
  if (!(key in CTORS)) {
    const why = kindRaw === 'O' ? 'object arrays cannot be read without pickle' : 'only bool, int, uint and float dtypes are supported';
    fail(`unsupported dtype ${JSON.stringify(descr)} (${why})`);
  }
  const dtype = key as NpyDtype;
  const swap = order === '>' && CTORS[dtype].BYTES_PER_ELEMENT > 1;
  return { dtype, swap };
}

/**
 * Decodes a .npy file. The data is copied out of `buf` (aligned, and independent of it).
 *
 * @example
 * const a = parseNpy(fs.readFileSync('W1.npy'), 'W1.npy');   // { dtype: 'f8', shape: [30, 1, 5, 5], data: Float64Array }
 * @throws {TypeError} buf is not a Uint8Array
 * @throws {RangeError} bad magic/version, truncated header or data, unsupported dtype, fortran_order True
 */
export function parseNpy(buf: Uint8Array, name = '<buffer>'): NpyArray {
  if (!(buf instanceof Uint8Array)) throw invalidType('buf', 'a Uint8Array', buf);
  const fail = (msg: string): never => {
    throw new RangeError(`npy: ${name}: ${msg}`);
  };
  if (buf.length < 10) fail(`truncated at byte ${buf.length} (file shorter than the 10-byte preamble)`);
  for (let k = 0; k < 6; k++) if (buf[k] !== MAGIC[k]) fail('not a .npy file (bad magic)');
  const major = buf[6];
  const minor = buf[7];
  if (major < 1 || major > 3 || minor !== 0) fail(`unsupported format version ${major}.${minor} (1.0, 2.0, 3.0 are)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else {
    if (buf.length < 12) fail(`truncated at byte ${buf.length} (inside the header length)`);
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  }
  if (headerLen > MAX_NPY_HEADER_BYTES) fail(`header of ${headerLen} bytes exceeds the ${MAX_NPY_HEADER_BYTES}-byte limit`);
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) fail(`header truncated at byte ${buf.length} (header declares ${headerLen} bytes ending at ${dataStart})`);
  const headerBytes = buf.subarray(headerStart, dataStart);
  const header = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : Buffer.from(headerBytes).toString('latin1');

  const dict = new LiteralParser(header, (m) => fail(`bad header: ${m}`)).parseTop();
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) fail('bad header: not a dict');
  const d = dict as { [k: string]: PyValue };
  for (const k of ['descr', 'fortran_order', 'shape']) if (!(k in d)) fail(`bad header: missing '${k}'`);
  const { dtype, swap } = parseDescr(d.descr, fail);
  if (typeof d.fortran_order !== 'boolean') fail('bad header: fortran_order is not a bool');
  if (d.fortran_order) {
    fail('fortran_order True is not supported (save a C-order array: np.save(f, np.ascontiguousarray(a)))');
  }
  if (!Array.isArray(d.shape)) fail('bad header: shape is not a tuple');
  const shape = (d.shape as PyValue[]).map((x, i) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail(`bad header: shape[${i}] = ${JSON.stringify(x)}`);
    return x as number;
  });

  const ctor = CTORS[dtype];
  let count = 1;
  for (const s of shape) count *= s;
  const need = count * ctor.BYTES_PER_ELEMENT;
  const have = buf.length - dataStart;
  if (!Number.isSafeInteger(need) || need > have) {
    fail(`data truncated at byte ${buf.length}: shape (${shape.join(', ')}) of ${dtype} needs ${need} bytes from byte ${dataStart}, ${have} present`);
  }
  if (need < have) fail(`${have - need} unexpected bytes after the data (shape (${shape.join(', ')}) of ${dtype} needs ${need})`);
  const data = copyTyped(ctor, buf, dataStart, count) as NpyData;
  if (swap) byteSwapInPlace(bytesOf(data), ctor.BYTES_PER_ELEMENT);
  return { dtype, shape, data, fortranOrder: false };
}

/** What `encodeNpy` takes: an NpyArray, or data + shape with the dtype inferred from the typed array. */
export interface NpyInput {
  dtype?: NpyDtype;
  shape: readonly number[];
  data: TypedArray;
  fortranOrder?: false;
}

/** Validates an NpyInput; returns its dtype. */
export function checkNpyInput(arr: NpyInput, name = 'arr'): NpyDtype {
  if (typeof arr !== 'object' || arr === null) throw invalidType(name, 'an object { dtype?, shape, data }', arr);
  const inferred = npyDtypeOf(arr.data);
  const dtype = arr.dtype ?? inferred;
  if (!(dtype in CTORS)) throw invalidRange(`${name}.dtype`, `one of ${NPY_DTYPES.join(', ')}`, String(dtype));
  if (!(arr.data instanceof CTORS[dtype])) throw invalidType(`${name}.data`, `a ${CTORS[dtype].name} for dtype '${dtype}'`, arr.data);
  if (!Array.isArray(arr.shape)) throw invalidType(`${name}.shape`, 'an array of dimensions', arr.shape);
  let count = 1;
  arr.shape.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw invalidRange(`${name}.shape[${i}]`, 'a non-negative integer', s);
    count *= s;
  });
  if (count !== arr.data.length) {
    throw invalidRange(`${name}.shape`, `a shape whose size equals data.length ${arr.data.length}`, `(${arr.shape.join(', ')})`);
  }
  if ((arr as { fortranOrder?: unknown }).fortranOrder) throw invalidRange(`${name}.fortranOrder`, 'false (C order)', 'true');
  return dtype;
}

/** The .npy header (magic, version, length, padded dict) for an array; the data bytes follow it. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const order = npyItemsize(dtype) === 1 ? '|' : '<';
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${order}${dtype}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  let pre = 10;
  let total = pre + dict.length + 1;
  let padded = Math.ceil(total / 64) * 64;
  if (padded - pre > 0xffff) {
    pre = 12; // version 2.0: 4-byte header length
    total = pre + dict.length + 1;
    padded = Math.ceil(total / 64) * 64;
  }
  const out = new Uint8Array(padded);
  out.set(MAGIC, 0);
  out[6] = pre === 10 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  const hlen = padded - pre;
  if (pre === 10) dv.setUint16(8, hlen, true);
  else dv.setUint32(8, hlen, true);
  const text = dict + ' '.repeat(padded - total) + '\n';
  for (let k = 0; k < text.length; k++) out[pre + k] = text.charCodeAt(k);
  return out;
}

/** The .npy file as [header, data bytes] (the data bytes are a view of the array, not a copy). */
export function npyChunks(arr: NpyInput, name = 'arr'): [Uint8Array, Uint8Array] {
  const dtype = checkNpyInput(arr, name);
  return [npyHeader(dtype, arr.shape), bytesOf(arr.data)];
}

/**
 * Encodes a C-order array as a .npy file (version 1.0, or 2.0 when the header needs it).
 *
 * @example
 * fs.writeFileSync('x.npy', encodeNpy({ shape: [2, 3], data: new Float32Array(6) }));
 * @throws {TypeError} data is not a typed array matching dtype
 * @throws {RangeError} shape does not match data.length
 */
export function encodeNpy(arr: NpyInput): Uint8Array {
  const [h, d] = npyChunks(arr);
  const out = new Uint8Array(h.length + d.length);
  out.set(h, 0);
  out.set(d, h.length);
  return out;
}

/**
 * Converts any NpyArray's data to float32 (f2 decoded from half bits, integers and bools by value; a copy).
 *
 * @example
 * const w = toFloat32(parseNpy(fs.readFileSync('W1.npy')));
 * @throws {TypeError} arr is not an { dtype, data } object, data not the typed array of its dtype
 * @throws {RangeError} an unknown dtype
 */
export function toFloat32(arr: NpyArray): Float32Array {
  if (arr === null || typeof arr !== 'object') throw invalidType('arr', 'an NpyArray { dtype, shape, data }', arr);
  if (typeof arr.dtype !== 'string' || !Object.prototype.hasOwnProperty.call(CTORS, arr.dtype)) {
    throw invalidRange('arr.dtype', `one of ${NPY_DTYPES.join(', ')}`, typeof arr.dtype === 'string' ? `'${arr.dtype}'` : arr.dtype);
  }
  const src = arr.data;
  if (!(src instanceof CTORS[arr.dtype])) throw invalidType('arr.data', `a ${CTORS[arr.dtype].name} (dtype '${arr.dtype}')`, src);
  if (src instanceof Float32Array) return src.slice();
  const out = new Float32Array(src.length);
  if (arr.dtype === 'f2') {
    halfToFloat32(src as Uint16Array, out);
  } else if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  } else {
    out.set(src as ArrayLike<number>);
  }
  return out;
}
