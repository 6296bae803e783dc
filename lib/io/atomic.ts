/**
 * Crash-safe file replacement: write a temporary file beside the target, fsync it, rename it over the
 * target, fsync the directory. A reader sees either the old file or the new one, never a torn mix; on any
 * error the temporary file is removed and the old file is left byte-identical.
 *
 * `data` may be a string (UTF-8), one byte array, or an iterable of byte arrays (written in order, never
 * concatenated — large archives are streamed without a second copy in memory).
 *
 * Temporary files are named `.<target>.tmp-<pid>-<random>` beside the target. A process killed mid-write
 * (kill -9, power loss) leaves its temporary behind; the next save to the same target removes the
 * temporaries of that target whose writer is gone (see `removeStaleTemps`). Errors name the target, never the
 * hidden temporary file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { invalidType } from '../validate';

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

/** The prefix of every temporary file of `target` (a basename): `.<target>.tmp-`. */
function tempPrefix(base: string): string {
  return `.${base}.tmp-`;
}

function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  const base = path.basename(target);
  return path.join(dir, `${tempPrefix(base)}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** The temporaries this process is writing now (absolute paths): never removed as stale. */
const inFlight = new Set<string>();

/**
 * Removes the temporaries being written when a signal ends the process (SIGINT, SIGTERM, SIGHUP: what a terminal
 * and mpirun send) — a synchronous write cannot run a JS handler before the process ends. Set by the MPI addon
 * when it loads (lib/dist/mpi.ts, native/dist/signals.h): distributed runs, which mpirun interrupts with SIGTERM.
 */
export interface TempGuard {
  /** Registers `file`; `ending`: bits of the signals that end this process now (1 SIGINT, 2 SIGTERM, 4 SIGHUP). */
  guard(file: string, ending: number): number;
  unguard(slot: number): void;
}

let tempGuard: TempGuard | null = null;

/** Installs (or, with null, removes) the process's TempGuard. */
export function setTempGuard(g: TempGuard | null): void {
  tempGuard = g;
}

/** Guards `tmp` for the duration of a write: the signals without a JS listener are the ones that end the process. */
function guardTemp(tmp: string): number {
  if (!tempGuard) return -1;
  const ending = (process.listenerCount('SIGINT') ? 0 : 1) | (process.listenerCount('SIGTERM') ? 0 : 2) | (process.listenerCount('SIGHUP') ? 0 : 4);
  return tempGuard.guard(tmp, ending);
}

function unguardTemp(slot: number): void {
  if (slot >= 0) tempGuard?.unguard(slot);
}

/**
 * A temporary whose writer is still alive but which has not been modified for this long is taken as left by a
 * dead process whose pid was reused (a live writer touches its file at least once per chunk).
 */
const STALE_AGE_MS = 24 * 3600 * 1000;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** The writer's pid if `name` is a temporary of `base` (this naming, or the older `.<base>.<pid>.<hex>.tmp`). */
function tempWriterPid(name: string, base: string): number | null {
  const prefix = tempPrefix(base);
  if (name.startsWith(prefix)) {
    const m = /^(\d+)-[0-9a-f]{12}$/.exec(name.slice(prefix.length));
    return m ? Number(m[1]) : null;
  }
  const old = `.${base}.`;
  if (name.startsWith(old)) {
    const m = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(old.length));
    return m ? Number(m[1]) : null;
  }
  return null;
}

/**
 * Removes the temporary files that earlier, interrupted saves of `target` left beside it: those whose writing
 * process is gone, those of this process's pid that this process is not writing (a reused pid), and those
 * untouched for a day. Temporaries of other targets, and of live writers, are left alone. Best effort: a
 * temporary that cannot be removed is skipped. Called by every atomic write; returns the removed paths.
 *
 * @example
 * removeStaleTemps('out/model.safetensors'); // after a kill -9 during a save
 * @throws {TypeError} target is not a non-empty path string
 */
export function removeStaleTemps(target: string): string[] {
  const file = checkTarget('path', target);
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const now = Date.now();
  for (const name of names) {
    const pid = tempWriterPid(name, base);
    if (pid === null) continue;
    const tmp = path.join(dir, name);
    if (inFlight.has(tmp)) continue;
    try {
      const st = fs.lstatSync(tmp);
      if (!st.isFile()) continue;
      const stale = pid === process.pid || !pidAlive(pid) || now - st.mtimeMs > STALE_AGE_MS;
      if (!stale) continue;
      fs.unlinkSync(tmp);
      removed.push(tmp);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/**
 * A file-system error of a save, reworded to name the target (the temporary file's name means nothing to the
 * user); `code`, `errno` and `syscall` are kept and the original error is the `cause`. Other errors (a failing
 * data source, a bad chunk) pass unchanged.
 */
function saveError(err: unknown, target: string, tmp: string): unknown {
  const e = err as NodeJS.ErrnoException;
  // not `instanceof Error`: system errors may come from another realm (vm contexts, jest)
  if (e === null || typeof e !== 'object' || typeof e.code !== 'string' || typeof e.message !== 'string') return err;
  const what = e.message.split(tmp).join(target);
  const out = new Error(`cannot save ${target}: ${what}`, { cause: err }) as NodeJS.ErrnoException;
  out.code = e.code;
  if (e.errno !== undefined) out.errno = e.errno;
  if (e.syscall !== undefined) out.syscall = e.syscall;
  out.path = target;
  return out;
}

/**
 * Creates `dir` and its missing parents, like `fs.mkdirSync(dir, { recursive: true })` but failing fast where
 * Node's recursive mkdir loops forever (a directory inside /proc or /sys: mkdir says ENOENT although the
 * parent exists). The error names `dir`.
 *
 * @example
 * makeDirs('out/deep-convnet');
 * @throws {TypeError} dir is not a non-empty path string
 * @throws {Error} the directory cannot be created (code ENOENT, EACCES, ENOTDIR, ...)
 */
export function makeDirs(dir: string): void {
  const abs = checkTarget('dir', dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw dirError(err, dir);
    }
    if (st) {
      if (!st.isDirectory()) throw dirError(Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${cur}'`), { code: 'ENOTDIR' }), dir);
      break;
    }
    missing.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      fs.mkdirSync(missing[i]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(missing[i]).isDirectory()) continue;
      throw dirError(err, dir);
    }
  }
}

function dirError(err: unknown, dir: string): Error {
  const e = err as NodeJS.ErrnoException;
  const out = new Error(`cannot create directory ${dir}: ${e.message}`, { cause: err }) as NodeJS.ErrnoException;
  if (e.code !== undefined) out.code = e.code;
  out.path = dir;
  return out;
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
 * @throws {Error} any file-system error, naming the target (the old file is untouched and no temporary file remains)
 */
export function writeFileAtomic(target: string, data: AtomicData, opts: AtomicWriteOptions = {}): void {
  const file = checkTarget('path', target);
  const doSync = opts.fsync !== false;
  const tmp = tempPathFor(file);
  const { mode, chmod } = targetMode(file, opts.mode);
  removeStaleTemps(file);
  inFlight.add(tmp);
  const slot = guardTemp(tmp);
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
    throw saveError(err, file, tmp);
  } finally {
    unguardTemp(slot);
    inFlight.delete(tmp);
  }
  if (doSync) fsyncDir(path.dirname(file));
}

/**
 * Replaces `target` with `data` atomically (asynchronous; `data` may also be an async iterable).
 *
 * @example
 * await writeFileAtomicAsync('checkpoint.npz', chunks);
 * @throws {TypeError} see writeFileAtomic
 * @throws {Error} any file-system error, naming the target (the old file is untouched and no temporary file remains)
 */
export async function writeFileAtomicAsync(target: string, data: AtomicDataAsync, opts: AtomicWriteOptions = {}): Promise<void> {
  const file = checkTarget('path', target);
  const doSync = opts.fsync !== false;
  const tmp = tempPathFor(file);
  const { mode, chmod } = targetMode(file, opts.mode);
  removeStaleTemps(file);
  inFlight.add(tmp);
  const slot = guardTemp(tmp);
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
    throw saveError(err, file, tmp);
  } finally {
    unguardTemp(slot);
    inFlight.delete(tmp);
  }
  if (doSync) await fsyncDirAsync(path.dirname(file));
}
