/**
 * Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over the
 * target, fsync the directory. A reader sees either the old file or the new one, never a torn mix; on any
 * error the temporary file is removed and the old file is left byte-identical.
 *
 * `data` may be a string (UTF-8), one byte array, or an iterable of byte arrays (written in order, never
 * concatenated — large archives are streamed without a second copy in memory).
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { invalidType } from '../errors';

/** What `writeFileAtomic` accepts: text, bytes, or a sequence of byte chunks. */
export type AtomicData = Uint8Array | string | Iterable<Uint8Array>;

/** What `writeFileAtomicAsync` accepts: the above or an async sequence of byte chunks. */
export type AtomicDataAsync = AtomicData | AsyncIterable<Uint8Array>;

export interface AtomicWriteOptions {
  /** File mode for a new file (default 0o666 minus umask); an existing target keeps its mode. */
  mode?: number;
  /** fsync the file and its directory (default true). Turning it off keeps atomicity, not durability. */
  fsync?: boolean;
}

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** The mode for the new file, and whether it must be set explicitly (open's mode is masked by the umask). */
function targetMode(target: string, mode: number | undefined): { mode: number; chmod: boolean } {
  if (mode !== undefined) return { mode, chmod: false };
  try {
    return { mode: fs.statSync(target).mode & 0o7777, chmod: true }; // keep an existing file's mode
  } catch {
    return { mode: 0o666, chmod: false };
  }
}

function checkTarget(name: string, target: unknown): string {
  if (typeof target !== 'string' || target.length === 0) throw invalidType(name, 'a non-empty path string', target);
  return path.resolve(target);
}

/** fsync a directory so the rename itself is durable; not possible on every platform (Windows), so errors are ignored. */
function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // EISDIR/EPERM/EINVAL on platforms that cannot fsync directories: the rename is still atomic.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

async function fsyncDirAsync(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // see fsyncDir
  } finally {
    if (fh) await fh.close();
  }
}

function isChunk(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Replaces `target` with `data` atomically (synchronous).
 *
 * @example
 * writeFileAtomic('model.safetensors', bytes);
 * writeFileAtomic('log.json', JSON.stringify(log));
 * @throws {TypeError} target is not a path, data is not a string / Uint8Array / iterable of Uint8Array
 * @throws {Error} any file-system error (the old file is untouched and no temporary file remains)
 */
export function writeFileAtomic(target: string, data: AtomicData, opts: AtomicWriteOptions = {}): void {
  const file = checkTarget('path', target);
  const doSync = opts.fsync !== false;
  const tmp = tempPathFor(file);
  const { mode, chmod } = targetMode(file, opts.mode);
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'wx', mode);
    if (typeof data === 'string') {
      writeAllSync(fd, Buffer.from(data, 'utf8'));
    } else if (isChunk(data)) {
      writeAllSync(fd, data);
    } else if (data != null && typeof (data as Iterable<Uint8Array>)[Symbol.iterator] === 'function') {
      let i = 0;
      for (const chunk of data as Iterable<Uint8Array>) {
        if (!isChunk(chunk)) throw invalidType(`data chunk ${i}`, 'a Uint8Array', chunk);
        writeAllSync(fd, chunk);
        i++;
      }
    } else {
      throw invalidType('data', 'a string, Uint8Array or iterable of Uint8Array', data);
    }
    if (doSync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    if (chmod) fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never created, or already renamed */
    }
    throw err;
  }
  if (doSync) fsyncDir(path.dirname(file));
}

/**
 * Replaces `target` with `data` atomically (asynchronous; `data` may also be an async iterable).
 *
 * @example
 * await writeFileAtomicAsync('checkpoint.npz', chunks);
 * @throws {TypeError} see writeFileAtomic
 * @throws {Error} any file-system error (the old file is untouched and no temporary file remains)
 */
export async function writeFileAtomicAsync(target: string, data: AtomicDataAsync, opts: AtomicWriteOptions = {}): Promise<void> {
  const file = checkTarget('path', target);
  const doSync = opts.fsync !== false;
  const tmp = tempPathFor(file);
  const { mode, chmod } = targetMode(file, opts.mode);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'wx', mode);
    if (typeof data === 'string') {
      await fh.writeFile(data, 'utf8');
    } else if (isChunk(data)) {
      await fh.writeFile(data);
    } else if (data != null && (typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function' ||
      typeof (data as Iterable<Uint8Array>)[Symbol.iterator] === 'function')) {
      let i = 0;
      for await (const chunk of data as AsyncIterable<Uint8Array>) {
        if (!isChunk(chunk)) throw invalidType(`data chunk ${i}`, 'a Uint8Array', chunk);
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        i++;
      }
    } else {
      throw invalidType('data', 'a string, Uint8Array or (async) iterable of Uint8Array', data);
    }
    if (doSync) await fh.sync();
    await fh.close();
    fh = undefined;
    if (chmod) await fs.promises.chmod(tmp, mode);
    await fs.promises.rename(tmp, file);
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (doSync) await fsyncDirAsync(path.dirname(file));
}
