/**
 * A minimal ZIP reader and writer, enough for .npz archives (NumPy's np.savez / np.savez_compressed).
 *
 *   [local header | name | extra | data]*  central directory  [ZIP64 end record | ZIP64 locator]  end record
 *
 * Reading: methods 0 (stored) and 8 (deflate), ZIP64 sizes/offsets/counts, CRC-32 verified. Every size and
 * offset read from the file is bounded by the file length before anything is allocated; a deflate entry
 * claiming more than deflate can produce from its compressed bytes is rejected up front, and inflation
 * itself is capped at the declared size. Errors: RangeError "<label>: … truncated at …" for structure
 * problems, Error for CRC mismatch / corrupt deflate data. Encrypted, multi-disk and other methods are
 * rejected.
 *
 * Writing: stored or deflated entries, fixed timestamp (1980-01-01) so the same arrays give the same bytes,
 * ZIP64 records only where sizes, offsets or counts need them.
 */
import * as zlib from 'zlib';
import { crc32, inflateBounded, maxInflatedSize } from './bytes';
import { checkInt, invalidType } from '../validate';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

/** One file of an archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

class Reader {
  readonly dv: DataView;
  constructor(readonly buf: Uint8Array, readonly label: string) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(msg: string): never {
    throw new RangeError(`${this.label}: ${msg}`);
  }

  /** Asserts [off, off + len) lies inside the file; `what` names the region for the error. */
  need(off: number, len: number, what: string): void {
    if (!Number.isSafeInteger(off) || off < 0 || len < 0 || off + len > this.buf.length) {
      this.fail(`${what} truncated at byte ${this.buf.length} (needs bytes ${off}..${off + len})`);
    }
  }

  u16(off: number): number {
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  /** A u64 as a number; values past 2^53 cannot describe bytes of a file held in memory, so they fail. */
  u64(off: number, what: string): number {
    const v = this.dv.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} ${v} is out of range`);
    return Number(v);
  }
}

function decodeName(bytes: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8').decode(bytes);
  // CP437 names: ASCII is all NumPy ever writes; map other bytes through latin1 so they stay distinct.
  return Buffer.from(bytes).toString('latin1');
}

/** Locates the end-of-central-directory record and returns where the central directory is. */
function readEnd(r: Reader): { cdOffset: number; cdSize: number; count: number } {
  const buf = r.buf;
  if (buf.length < 22) r.fail(`not a zip file or truncated at byte ${buf.length} (no end-of-central-directory record)`);
  const stop = Math.max(0, buf.length - 22 - U16_MAX);
  let eocd = -1;
  for (let p = buf.length - 22; p >= stop; p--) {
    if (buf[p] === 0x50 && buf[p + 1] === 0x4b && r.u32(p) === SIG_EOCD && p + 22 + r.u16(p + 20) === buf.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) r.fail(`not a zip file or truncated at byte ${buf.length} (no end-of-central-directory record)`);
  if (r.u16(eocd + 4) !== 0 || r.u16(eocd + 6) !== 0) r.fail('multi-disk archives are not supported');
  let count = r.u16(eocd + 10);
  let cdSize = r.u32(eocd + 12);
  let cdOffset = r.u32(eocd + 16);
  if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - 20;
    if (loc < 0 || r.u32(loc) !== SIG_ZIP64_LOCATOR) r.fail('ZIP64 end-of-central-directory locator missing or truncated');
    const z = r.u64(loc + 8, 'ZIP64 end record offset');
    r.need(z, 56, 'ZIP64 end-of-central-directory record');
    if (r.u32(z) !== SIG_ZIP64_EOCD) r.fail(`bad ZIP64 end-of-central-directory signature at byte ${z}`);
    count = r.u64(z + 32, 'entry count');
    cdSize = r.u64(z + 40, 'central directory size');
    cdOffset = r.u64(z + 48, 'central directory offset');
  }
  r.need(cdOffset, cdSize, 'central directory');
  // Each central entry takes at least 46 bytes: a count the directory cannot hold is a lie.
  if (count * 46 > cdSize) r.fail(`central directory truncated: ${count} entries cannot fit in ${cdSize} bytes`);
  return { cdOffset, cdSize, count };
}

/**
 * Reads the central directory of a zip archive held in memory.
 * @throws {RangeError} not a zip, truncated, inconsistent, multi-disk or encrypted
 */
export function readZipDirectory(buf: Uint8Array, label = 'zip'): ZipEntry[] {
  if (!(buf instanceof Uint8Array)) throw invalidType('buf', 'a Uint8Array', buf);
  const r: Reader = new Reader(buf, label);
  const { cdOffset, cdSize, count } = readEnd(r);
  const end = cdOffset + cdSize;
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > end) r.fail(`central directory truncated at byte ${Math.min(end, buf.length)} (entry ${k} of ${count})`);
    if (r.u32(p) !== SIG_CENTRAL) r.fail(`bad central directory signature at byte ${p} (entry ${k})`);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const crc = r.u32(p + 16);
    let csize = r.u32(p + 20);
    let usize = r.u32(p + 24);
    const nameLen = r.u16(p + 28);
    const extraLen = r.u16(p + 30);
    const commentLen = r.u16(p + 32);
    const disk = r.u16(p + 34);
    let local = r.u32(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) r.fail(`central directory truncated at byte ${Math.min(end, buf.length)} (entry ${k} of ${count})`);
    const name = decodeName(buf.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    // ZIP64 extended information: present fields are exactly those whose 32-bit value is saturated.
    if (usize === U32_MAX || csize === U32_MAX || local === U32_MAX) {
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      let found = false;
      while (x + 4 <= xEnd) {
        const id = r.u16(x);
        const size = r.u16(x + 2);
        if (x + 4 + size > xEnd) break;
        if (id === 0x0001) {
          let f = x + 4;
          const take = (what: string): number => {
            if (f + 8 > x + 4 + size) r.fail(`ZIP64 extra field of ${JSON.stringify(name)} truncated (${what})`);
            const v = r.u64(f, what);
            f += 8;
            return v;
          };
          if (usize === U32_MAX) usize = take('uncompressed size');
          if (csize === U32_MAX) csize = take('compressed size');
          if (local === U32_MAX) local = take('local header offset');
          found = true;
          break;
        }
        x += 4 + size;
      }
      if (!found) r.fail(`entry ${JSON.stringify(name)} has saturated sizes but no ZIP64 extra field`);
    }
    if (disk !== 0 && disk !== U16_MAX) r.fail('multi-disk archives are not supported');
    if (flags & 0x1) r.fail(`entry ${JSON.stringify(name)} is encrypted`);
    entries.push({ name, method, flags, crc32: crc, compressedSize: csize, uncompressedSize: usize, localHeaderOffset: local });
    p = next;
  }
  return entries;
}

/**
 * The uncompressed bytes of one entry, CRC-checked. Stored entries are returned as a view of `buf`.
 * @throws {RangeError} truncated/inconsistent headers, impossible sizes, unsupported method
 * @throws {Error} CRC mismatch or corrupt deflate data
 */
export function extractZipEntry(buf: Uint8Array, entry: ZipEntry, label = 'zip'): Uint8Array {
  const r: Reader = new Reader(buf, label);
  const what = JSON.stringify(entry.name);
  const lh = entry.localHeaderOffset;
  r.need(lh, 30, `local header of ${what}`);
  if (r.u32(lh) !== SIG_LOCAL) r.fail(`bad local header signature at byte ${lh} (${what})`);
  const dataStart = lh + 30 + r.u16(lh + 26) + r.u16(lh + 28);
  r.need(lh + 30, dataStart - lh - 30, `local header of ${what}`);
  r.need(dataStart, entry.compressedSize, `data of ${what}`);
  const raw = buf.subarray(dataStart, dataStart + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) {
    if (entry.uncompressedSize !== entry.compressedSize) {
      r.fail(`stored entry ${what} declares ${entry.uncompressedSize} bytes but holds ${entry.compressedSize}`);
    }
    out = raw;
  } else if (entry.method === 8) {
    const cap = maxInflatedSize(entry.compressedSize);
    if (entry.uncompressedSize > cap) {
      r.fail(`entry ${what} claims ${entry.uncompressedSize} bytes uncompressed from ${entry.compressedSize} compressed bytes (at most ${cap} possible)`);
    }
    out = inflateBounded(raw, 'raw', entry.uncompressedSize, `${label}: entry ${what}`);
    if (out.length !== entry.uncompressedSize) {
      r.fail(`entry ${what} inflates to ${out.length} bytes, header says ${entry.uncompressedSize}`);
    }
  } else {
    r.fail(`entry ${what} uses compression method ${entry.method} (only 0 stored and 8 deflate are supported)`);
  }
  const got = crc32(out);
  if (got !== entry.crc32) {
    throw new RangeError(`${label}: CRC mismatch in ${what} (stored 0x${entry.crc32.toString(16).padStart(8, '0')}, computed 0x${got.toString(16).padStart(8, '0')})`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** An entry to write: its name and its bytes (one array or a list of chunks, concatenated). */
export interface ZipInput {
  name: string;
  data: Uint8Array | readonly Uint8Array[];
}

export interface ZipWriteOptions {
  /** Deflate entries (true, or a zlib level 1–9) or store them (false, default). */
  compress?: boolean | number;
  /** Write ZIP64 records even when nothing needs them (for tests and tools that insist). */
  forceZip64?: boolean;
}

const DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const DOS_TIME_0 = 0;

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Builds a zip archive as a list of byte chunks (the entries' data are not copied when stored), ready for
 * writeFileAtomic or concatenation.
 * @throws {TypeError} an entry without a string name or byte data
 */
export function zipChunks(inputs: readonly ZipInput[], opts: ZipWriteOptions = {}): Uint8Array[] {
  const level = opts.compress === true ? 6 : typeof opts.compress === 'number' ? checkInt('compress', opts.compress, 0, 9) : 0;
  const force = opts.forceZip64 === true;
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  inputs.forEach((inp, idx) => {
    if (typeof inp?.name !== 'string' || inp.name.length === 0) throw invalidType(`entries[${idx}].name`, 'a non-empty string', inp?.name);
    const chunks = inp.data instanceof Uint8Array ? [inp.data] : inp.data;
    if (!Array.isArray(chunks) || !chunks.every((c) => c instanceof Uint8Array)) {
      throw invalidType(`entries[${idx}].data`, 'a Uint8Array or an array of Uint8Array', inp.data);
    }
    let crc = 0;
    let usize = 0;
    for (const c of chunks) {
      crc = crc32(c, crc);
      usize += c.length;
    }
    let payload: readonly Uint8Array[] = chunks;
    let csize = usize;
    const method = level > 0 ? 8 : 0;
    if (method === 8) {
      const z = zlib.deflateRawSync(concat(chunks), { level });
      payload = [new Uint8Array(z.buffer, z.byteOffset, z.byteLength)];
      csize = z.byteLength;
    }
    const name = enc.encode(inp.name);
    const utf8 = /[^\x20-\x7e]/.test(inp.name);
    const flags = utf8 ? 0x800 : 0;
    const zip64Sizes = force || usize >= U32_MAX || csize >= U32_MAX;
    const zip64Offset = force || offset >= U32_MAX;
    const version = zip64Sizes || zip64Offset ? 45 : 20;

    const localExtra = zip64Sizes ? 20 : 0;
    const lh = new Uint8Array(30 + name.length + localExtra);
    const l = new DataView(lh.buffer);
    l.setUint32(0, SIG_LOCAL, true);
    l.setUint16(4, version, true);
    l.setUint16(6, flags, true);
    l.setUint16(8, method, true);
    l.setUint16(10, DOS_TIME_0, true);
    l.setUint16(12, DOS_DATE_1980, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, zip64Sizes ? U32_MAX : csize, true);
    l.setUint32(22, zip64Sizes ? U32_MAX : usize, true);
    l.setUint16(26, name.length, true);
    l.setUint16(28, localExtra, true);
    lh.set(name, 30);
    if (zip64Sizes) {
      const x = 30 + name.length;
      l.setUint16(x, 1, true);
      l.setUint16(x + 2, 16, true);
      l.setBigUint64(x + 4, BigInt(usize), true);
      l.setBigUint64(x + 12, BigInt(csize), true);
    }

    const cdExtra = (zip64Sizes ? 16 : 0) + (zip64Offset ? 8 : 0);
    const ch = new Uint8Array(46 + name.length + (cdExtra ? 4 + cdExtra : 0));
    const c = new DataView(ch.buffer);
    c.setUint32(0, SIG_CENTRAL, true);
    c.setUint16(4, (3 << 8) | version, true); // made by: unix
    c.setUint16(6, version, true);
    c.setUint16(8, flags, true);
    c.setUint16(10, method, true);
    c.setUint16(12, DOS_TIME_0, true);
    c.setUint16(14, DOS_DATE_1980, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, zip64Sizes ? U32_MAX : csize, true);
    c.setUint32(24, zip64Sizes ? U32_MAX : usize, true);
    c.setUint16(28, name.length, true);
    c.setUint16(30, cdExtra ? 4 + cdExtra : 0, true);
    c.setUint32(38, (0o100644 << 16) >>> 0, true); // regular file, rw-r--r--
    c.setUint32(42, zip64Offset ? U32_MAX : offset, true);
    ch.set(name, 46);
    if (cdExtra) {
      let x = 46 + name.length;
      c.setUint16(x, 1, true);
      c.setUint16(x + 2, cdExtra, true);
      x += 4;
      if (zip64Sizes) {
        c.setBigUint64(x, BigInt(usize), true);
        c.setBigUint64(x + 8, BigInt(csize), true);
        x += 16;
      }
      if (zip64Offset) c.setBigUint64(x, BigInt(offset), true);
    }
    central.push(ch);
    out.push(lh, ...payload);
    offset += lh.length + csize;
  });

  const cdOffset = offset;
  let cdSize = 0;
  for (const ch of central) cdSize += ch.length;
  out.push(...central);
  const count = inputs.length;
  const zip64End = force || count >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX;
  if (zip64End) {
    const z = new Uint8Array(56 + 20);
    const d = new DataView(z.buffer);
    d.setUint32(0, SIG_ZIP64_EOCD, true);
    d.setBigUint64(4, 44n, true); // size of the rest of this record
    d.setUint16(12, (3 << 8) | 45, true);
    d.setUint16(14, 45, true);
    d.setBigUint64(24, BigInt(count), true);
    d.setBigUint64(32, BigInt(count), true);
    d.setBigUint64(40, BigInt(cdSize), true);
    d.setBigUint64(48, BigInt(cdOffset), true);
    d.setUint32(56, SIG_ZIP64_LOCATOR, true);
    d.setBigUint64(64, BigInt(cdOffset + cdSize), true);
    d.setUint32(72, 1, true); // total disks
    out.push(z);
  }
  const e = new Uint8Array(22);
  const d = new DataView(e.buffer);
  d.setUint32(0, SIG_EOCD, true);
  d.setUint16(8, zip64End ? U16_MAX : count, true);
  d.setUint16(10, zip64End ? U16_MAX : count, true);
  d.setUint32(12, zip64End ? U32_MAX : cdSize, true);
  d.setUint32(16, zip64End ? U32_MAX : cdOffset, true);
  out.push(e);
  return out;
}

/** Builds a zip archive in one buffer. */
export function encodeZip(inputs: readonly ZipInput[], opts: ZipWriteOptions = {}): Uint8Array {
  return concat(zipChunks(inputs, opts));
}
