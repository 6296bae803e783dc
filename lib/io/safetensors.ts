/**
 * The safetensors format (Hugging Face):
 *
 *   u64 LE header length N | N bytes of JSON header, padded with spaces so the data starts 8-byte aligned | data
 *   header: {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …}
 *   offsets are relative to the start of the data; the tensors tile the data exactly, without gaps or overlap.
 *
 * Writing lays tensors out by element size (largest first) then name, so every tensor is naturally aligned;
 * header keys are sorted. Reading validates everything before touching the data and returns typed arrays
 * that are views of the buffer when aligned, copies otherwise. F16/BF16 data are raw 16-bit patterns
 * (Uint16Array), BOOL is bytes (Uint8Array).
 */
import * as fs from 'fs';
import { invalidRange, invalidType } from '../validate';
import { writeFileAtomic } from './atomic';
import { halfToFloat32 } from '../float16';
import { bfloat16ToFloat, bytesOf, concatBytes, TypedArray, TypedArrayConstructor, viewOrCopyTyped } from './bytes';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

export interface SafeTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TypedArray;
}

/** What the encoder accepts for each tensor (shape may be readonly). */
export interface SafeTensorInput {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: TypedArray;
}

const DTYPES: Record<SafetensorsDtype, TypedArrayConstructor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

export const SAFETENSORS_DTYPES = Object.keys(DTYPES) as SafetensorsDtype[];

/** The header may not exceed this (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** obj[key] = value as an own property, even for names like "__proto__". */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function prod(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function checkTensor(name: string, t: SafeTensorInput): void {
  const where = `tensors[${JSON.stringify(name)}]`;
  if (typeof t !== 'object' || t === null) throw invalidType(where, 'an object { dtype, shape, data }', t);
  if (!(t.dtype in DTYPES)) throw invalidRange(`${where}.dtype`, `one of ${SAFETENSORS_DTYPES.join(', ')}`, String(t.dtype));
  const ctor = DTYPES[t.dtype];
  if (!(t.data instanceof ctor)) throw invalidType(`${where}.data`, `a ${ctor.name} for dtype ${t.dtype}`, t.data);
  if (!Array.isArray(t.shape)) throw invalidType(`${where}.shape`, 'an array of dimensions', t.shape);
  t.shape.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw invalidRange(`${where}.shape[${i}]`, 'a non-negative integer', s);
  });
  if (prod(t.shape) !== t.data.length) {
    throw invalidRange(`${where}.shape`, `a shape whose size equals data.length ${t.data.length}`, `[${t.shape.join(', ')}]`);
  }
}

/** The file as chunks [length + header, data…] (tensor data are views, not copies). */
export function safetensorsChunks(tensors: Record<string, SafeTensorInput>, metadata?: Record<string, string>): Uint8Array[] {
  if (typeof tensors !== 'object' || tensors === null) throw invalidType('tensors', 'an object mapping names to tensors', tensors);
  const names = Object.keys(tensors);
  for (const n of names) {
    if (n === '__metadata__') throw invalidRange('tensors', 'no tensor named "__metadata__"', '"__metadata__"');
    checkTensor(n, tensors[n]);
  }
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) throw invalidType('metadata', 'an object of strings', metadata);
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw invalidType(`metadata[${JSON.stringify(k)}]`, 'a string', v);
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const layout = [...names].sort(
    (a, b) => DTYPES[tensors[b].dtype].BYTES_PER_ELEMENT - DTYPES[tensors[a].dtype].BYTES_PER_ELEMENT || byName(a, b),
  );
  const offsets = new Map<string, [number, number]>();
  let off = 0;
  for (const n of layout) {
    const len = tensors[n].data.byteLength;
    offsets.set(n, [off, off + len]);
    off += len;
  }
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(byName);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  for (const n of [...names].sort(byName)) {
    const t = tensors[n];
    parts.push(`${JSON.stringify(n)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offsets.get(n)!.join(',')}]}`);
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...layout.map((n) => bytesOf(tensors[n].data))];
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file.
 *
 * @example
 * const bytes = encodeSafetensors({ 'fc.W': { dtype: 'F32', shape: [784, 10], data: w } }, { format: 'pt' });
 * @throws {TypeError} data not matching its dtype, non-string metadata
 * @throws {RangeError} unknown dtype, shape not matching data.length
 */
export function encodeSafetensors(tensors: Record<string, SafeTensorInput>, metadata?: Record<string, string>): Uint8Array {
  return concatBytes(safetensorsChunks(tensors, metadata));
}

/**
 * Decodes a safetensors file held in memory. Tensor data are views of `buf` when aligned, else copies.
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(fs.readFileSync('model.safetensors'));
 * @throws {TypeError} buf is not a Uint8Array
 * @throws {RangeError} header length out of bounds, bad JSON, unknown dtype, offsets outside the data,
 *   gaps/overlaps, size not equal to prod(shape)·itemsize (message starts "safetensors: <name>")
 */
export function decodeSafetensors(buf: Uint8Array, name = '<buffer>'): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  if (!(buf instanceof Uint8Array)) throw invalidType('buf', 'a Uint8Array', buf);
  const fail = (msg: string): never => {
    throw new RangeError(`safetensors: ${name}: ${msg}`);
  };
  if (buf.length < 8) fail(`truncated at byte ${buf.length} (no 8-byte header length)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(buf.length - 8)) fail(`header length ${n64} exceeds the ${buf.length - 8} bytes after it (truncated?)`);
  const n = Number(n64);
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (err) {
    fail(`header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const h = header as Record<string, unknown>;
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;

  const metadata: Record<string, string> = {};
  if ('__metadata__' in h) {
    const m = h.__metadata__;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) fail('__metadata__ is not an object');
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`__metadata__[${JSON.stringify(k)}] is not a string`);
      setOwn(metadata, k, v as string);
    }
  }

  type Info = { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number };
  const infos: Info[] = [];
  for (const [key, v] of Object.entries(h)) {
    if (key === '__metadata__') continue;
    const where = `tensor ${JSON.stringify(key)}`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} is not an object`);
    const t = v as Record<string, unknown>;
    if (typeof t.dtype !== 'string' || !(t.dtype in DTYPES)) fail(`${where} has unknown dtype ${JSON.stringify(t.dtype)}`);
    const dtype = t.dtype as SafetensorsDtype;
    if (!Array.isArray(t.shape) || !t.shape.every((s) => Number.isSafeInteger(s) && (s as number) >= 0)) {
      fail(`${where} has a bad shape ${JSON.stringify(t.shape)}`);
    }
    const shape = t.shape as number[];
    const o = t.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x) && (x as number) >= 0) || o[0] > o[1]) {
      fail(`${where} has bad data_offsets ${JSON.stringify(o)}`);
    }
    const [begin, end] = o as number[];
    if (end > dataLen) fail(`${where} data_offsets [${begin}, ${end}] extend past the ${dataLen} data bytes (truncated?)`);
    const need = prod(shape) * DTYPES[dtype].BYTES_PER_ELEMENT;
    if (end - begin !== need) fail(`${where} spans ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${need}`);
    infos.push({ name: key, dtype, shape, begin, end });
  }
  const sorted = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of sorted) {
    if (t.begin < cursor) fail(`tensor ${JSON.stringify(t.name)} overlaps the previous tensor (begins at ${t.begin}, previous ends at ${cursor})`);
    if (t.begin > cursor) fail(`gap in the data before tensor ${JSON.stringify(t.name)} (bytes ${cursor}..${t.begin} unused)`);
    cursor = t.end;
  }
  if (cursor !== dataLen) fail(`tensors cover ${cursor} of ${dataLen} data bytes`);

  const tensors: Record<string, SafeTensor> = {};
  for (const t of infos) {
    const ctor = DTYPES[t.dtype];
    const data = viewOrCopyTyped(ctor, buf, dataStart + t.begin, (t.end - t.begin) / ctor.BYTES_PER_ELEMENT);
    setOwn(tensors, t.name, { dtype: t.dtype, shape: t.shape, data });
  }
  return { tensors, metadata };
}

/** Writes a safetensors file atomically. */
export function saveSafetensors(path: string, tensors: Record<string, SafeTensorInput>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, safetensorsChunks(tensors, metadata));
}

/** Reads a safetensors file (tensor data are views of the file's buffer). */
export function loadSafetensors(path: string): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a file path', path);
  return decodeSafetensors(fs.readFileSync(path), path);
}

/** A tensor's values as float32: F16/BF16 decoded from their bits, integers and bools by value (a copy). */
export function safetensorToFloat32(t: SafeTensor): Float32Array {
  const src = t.data;
  const out = new Float32Array(src.length);
  if (t.dtype === 'F16') halfToFloat32(src as Uint16Array, out);
  else if (t.dtype === 'BF16') for (let i = 0; i < src.length; i++) out[i] = bfloat16ToFloat((src as Uint16Array)[i]);
  else if (src instanceof BigInt64Array || src instanceof BigUint64Array) for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
  else out.set(src as ArrayLike<number>);
  return out;
}
