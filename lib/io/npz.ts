/**
 * NumPy .npz archives: a zip of .npy files, one per array (np.savez stores, np.savez_compressed deflates).
 * Keys are the entry names without '.npy'; entries not ending in '.npy' (and directories) are skipped.
 */
import * as fs from 'fs';
import { invalidType } from '../validate';
import { writeFileAtomic } from './atomic';
import { concatBytes } from './bytes';
import { NpyArray, NpyInput, npyChunks, parseNpy } from './npy';
import { extractZipEntry, readZipDirectory, ZipInput, zipChunks } from './zip';

export interface NpzWriteOptions {
  /** Deflate the arrays like np.savez_compressed (true, or a zlib level 1–9); default false (np.savez). */
  compress?: boolean | number;
  /** Always write ZIP64 records (NumPy does for its local headers); default: only when needed. */
  forceZip64?: boolean;
}

function loadBytes(pathOrBuffer: string | Uint8Array, what: string): { buf: Uint8Array; label: string } {
  if (typeof pathOrBuffer === 'string') return { buf: fs.readFileSync(pathOrBuffer), label: `npz: ${pathOrBuffer}` };
  if (pathOrBuffer instanceof Uint8Array) return { buf: pathOrBuffer, label: 'npz: <buffer>' };
  throw invalidType(what, 'a file path or a Uint8Array', pathOrBuffer);
}

/**
 * Reads every array of a .npz archive.
 *
 * @example
 * const p = readNpz('simple_convnet_params.npz');
 * p.W1.shape;   // [30, 1, 5, 5]
 * @throws {TypeError} the argument is neither a path nor bytes
 * @throws {RangeError} truncated or inconsistent archive, impossible sizes, unsupported array, an array named like a
 *   property of every JavaScript object (`__proto__`, `constructor`, …) (message starts "npz: <file>")
 * @throws {RangeError} also a CRC mismatch or corrupt deflate data
 * @throws {Error} file-system errors
 */
export function readNpz(pathOrBuffer: string | Uint8Array): Record<string, NpyArray> {
  const { buf, label } = loadBytes(pathOrBuffer, 'pathOrBuffer');
  const out: Record<string, NpyArray> = Object.create(null);
  for (const entry of readZipDirectory(buf, label)) {
    if (entry.name.endsWith('/') || !entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    // A name every JavaScript object already has (__proto__, constructor, toString, …) would be ambiguous in the
    // record returned (and a prototype-pollution vector for code that copies it): refused.
    if (key in Object.prototype) throw new RangeError(`${label}: array name ${JSON.stringify(key)} is not allowed (a property of every JavaScript object)`);
    if (key in out) throw new RangeError(`${label}: duplicate entry ${JSON.stringify(entry.name)}`);
    const bytes = extractZipEntry(buf, entry, label);
    try {
      out[key] = parseNpy(bytes, entry.name);
    } catch (err) {
      if (err instanceof RangeError) throw new RangeError(`${label}: ${err.message}`);
      throw err;
    }
  }
  return { ...out };
}

/** The names of the arrays in an archive, without reading them. */
export function listNpz(pathOrBuffer: string | Uint8Array): string[] {
  const { buf, label } = loadBytes(pathOrBuffer, 'pathOrBuffer');
  return readZipDirectory(buf, label)
    .filter((e) => e.name.endsWith('.npy'))
    .map((e) => e.name.slice(0, -4));
}

function npzEntries(arrays: Record<string, NpyInput>): ZipInput[] {
  if (typeof arrays !== 'object' || arrays === null || Array.isArray(arrays)) {
    throw invalidType('arrays', 'an object mapping names to arrays', arrays);
  }
  return Object.keys(arrays).map((key) => {
    if (key.length === 0) throw invalidType('arrays key', 'a non-empty name', key);
    return { name: `${key}.npy`, data: npyChunks(arrays[key], `arrays.${key}`) };
  });
}

/** Encodes arrays as a .npz archive in memory. */
export function encodeNpz(arrays: Record<string, NpyInput>, opts: NpzWriteOptions = {}): Uint8Array {
  return concatBytes(zipChunks(npzEntries(arrays), opts));
}

/**
 * Writes arrays as a .npz archive, atomically (the old file survives any failure). Stored by default;
 * `{ compress: true }` deflates like np.savez_compressed. np.load reads the result.
 *
 * @example
 * writeNpz('params.npz', { W1: { shape: [30, 1, 5, 5], data: w1 }, b1: { shape: [30], data: b1 } });
 * @throws {TypeError} an array whose data is not a typed array
 * @throws {RangeError} a shape that does not match its data
 */
export function writeNpz(path: string, arrays: Record<string, NpyInput>, opts: NpzWriteOptions = {}): void {
  writeFileAtomic(path, zipChunks(npzEntries(arrays), opts));
}
