/**
 * Byte-level helpers shared by the file formats: typed-array views, aligned copies, byte swapping,
 * half-precision decoding, CRC-32 and a bounded decompressor.
 * All formats here are little-endian on disk (IDX is the exception and swaps explicitly).
 */
import * as zlib from 'zlib';
import { constants as bufferConstants } from 'buffer';
import * as os from 'os';

if (os.endianness() !== 'LE') {
  // Typed arrays use the host byte order; every reader here assumes little-endian hosts (x86-64, arm64).
  throw new Error('simdnet io: big-endian hosts are not supported');
}

/** Every typed array the formats produce. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type TypedArrayConstructor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

/** The largest buffer Node can allocate; every size read from a file is checked against it and the file length. */
export const MAX_BUFFER = bufferConstants.MAX_LENGTH;

/** A Uint8Array view of a typed array's bytes (no copy). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * A typed array over `count` elements starting at `buf[offset]`: always a fresh copy, so it is correctly
 * aligned and does not keep a (possibly huge) file buffer alive.
 */
export function copyTyped(ctor: TypedArrayConstructor, buf: Uint8Array, offset: number, count: number): TypedArray {
  const out = new ctor(count);
  bytesOf(out).set(buf.subarray(offset, offset + count * ctor.BYTES_PER_ELEMENT));
  return out;
}

/**
 * A typed array over `count` elements at `buf[offset]`: a view when the offset is aligned for the element
 * type, otherwise a copy.
 */
export function viewOrCopyTyped(ctor: TypedArrayConstructor, buf: Uint8Array, offset: number, count: number): TypedArray {
  const abs = buf.byteOffset + offset;
  if (abs % ctor.BYTES_PER_ELEMENT === 0) return new ctor(buf.buffer as ArrayBuffer, abs, count);
  return copyTyped(ctor, buf, offset, count);
}

/** Reverses the byte order of every `itemsize`-byte element in place. */
export function byteSwapInPlace(bytes: Uint8Array, itemsize: number): void {
  if (itemsize <= 1) return;
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** bfloat16 bits -> number. */
export function bfloat16ToFloat(h: number): number {
  const u = new Uint32Array([h << 16]);
  return new Float32Array(u.buffer)[0];
}

let crcTable: Int32Array | undefined;

function makeCrcTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

type ZlibWithCrc = { crc32?: (data: Uint8Array, value?: number) => number };

/** CRC-32 (zip / gzip polynomial) of `data`, continuing from `crc` (default 0). */
export function crc32(data: Uint8Array, crc = 0): number {
  const native = (zlib as unknown as ZlibWithCrc).crc32; // Node >= 20.15 / 22.2
  if (typeof native === 'function') return native(data, crc) >>> 0;
  const t = (crcTable ??= makeCrcTable());
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Pure-TS CRC-32, exported so tests can check it against the native one. */
export function crc32Ts(data: Uint8Array, crc = 0): number {
  const t = (crcTable ??= makeCrcTable());
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * The most a deflate stream of `compressedBytes` can expand to (deflate's best ratio is 1032:1), capped by
 * what Node can allocate: a declared size above this is a lie, rejected before allocating anything.
 */
export function maxInflatedSize(compressedBytes: number): number {
  return Math.min(MAX_BUFFER, compressedBytes * 1032 + 1024);
}

/**
 * Inflates raw deflate (`raw`) or gzip (`gzip`) data, producing at most `limit` bytes; a stream that would
 * produce more throws a RangeError naming `label` instead of allocating.
 */
export function inflateBounded(data: Uint8Array, kind: 'raw' | 'gzip', limit: number, label: string): Uint8Array {
  const opts = { maxOutputLength: Math.max(1, Math.min(limit, MAX_BUFFER)) };
  try {
    const out = kind === 'raw' ? zlib.inflateRawSync(data, opts) : zlib.gunzipSync(data, opts);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e && (e.code === 'ERR_BUFFER_TOO_LARGE' || /larger than/i.test(String(e.message)))) {
      throw new RangeError(`${label}: decompressed data exceeds ${opts.maxOutputLength} bytes`);
    }
    throw new RangeError(`${label}: corrupt ${kind === 'raw' ? 'deflate' : 'gzip'} data (${e && e.message ? e.message : String(e)})`);
  }
}

/** The chunks joined into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
