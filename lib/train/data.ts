/**
 * Training data as the training loop sees it: inputs x[N, …] and targets (Int32Array class indices [N] or a
 * Tensor [N, …], usually one-hot [N, C]); row gathers for mini-batches; zero-copy row ranges; and shared-memory
 * copies so a worker thread can read the same bytes without a per-fit copy.
 */
import { invalidRange, invalidType } from '../validate';
import type { Target } from '../layers/layer';
import { Tensor } from '../tensor';
import { isStreaming, type StreamingDataset } from '../data/stream/dataset';

/** Inputs and targets of one data set; row i of `t` belongs to row i of `x` (a tensor, or rows streamed from disk). */
export interface DataPair {
  x: Tensor | StreamingDataset;
  t: Target;
}

/** Rows `idx` of a target (a copy). */
export function gatherTarget(t: Target, idx: ArrayLike<number>): Target {
  if (t instanceof Int32Array) return Int32Array.from(idx as ArrayLike<number>, (i) => t[i]);
  const per = t.size / t.shape[0];
  const out = new Float32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) out.set(t.data.subarray(idx[k] * per, idx[k] * per + per), k * per);
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

/** Number of rows of a target (labels: its length; tensors: the first dimension). */
export function targetRows(t: Target): number {
  return t instanceof Int32Array ? t.length : t.shape[0];
}

/**
 * Checks a pair: x a Tensor of rank ≥ 2, t an Int32Array or Tensor with as many rows as x.
 * @throws {TypeError|RangeError} naming `name`
 */
export function checkPair(name: string, x: unknown, t: unknown): DataPair {
  if (!(x instanceof Tensor) && !isStreaming(x)) throw invalidType(`${name} x`, 'a Tensor [N, …] or a StreamingDataset', x);
  if (x.rank < 2) throw invalidRange(`${name} x`, 'a tensor of rank ≥ 2 [N, …]', `shape [${x.shape.join(', ')}]`);
  if (!(t instanceof Int32Array) && !(t instanceof Tensor)) {
    throw invalidType(`${name} t`, 'an Int32Array of class indices or a Tensor [N, …] (one-hot)', t);
  }
  const n = targetRows(t);
  if (n !== x.shape[0]) throw invalidRange(`${name} t`, `${x.shape[0]} rows (one per row of x)`, `${n} rows`);
  return { x, t };
}

/** Rows [start, end) of x as a view (no copy). */
export function sliceRows(x: Tensor, start: number, end: number): Tensor {
  const per = x.size / x.shape[0];
  return new Tensor(x.data.subarray(start * per, end * per), [end - start, ...x.shape.slice(1)]);
}

/** Rows [start, end) of a target as a view (no copy). */
export function sliceTarget(t: Target, start: number, end: number): Target {
  return t instanceof Int32Array ? t.subarray(start, end) : sliceRows(t, start, end);
}

/**
 * Reusable gather buffers: `gather(idx, n)` copies rows idx[0..n) of x and t into arrays that are kept while the
 * batch size repeats (the last, smaller batch of an epoch gets its own).
 */
export class BatchGatherer {
  private xBuf: Tensor | null = null;
  private tBuf: Target | null = null;
  private readonly xPer: number;
  private readonly tPer: number;

  constructor(private readonly data: { x: Tensor; t: Target }) {
    this.xPer = data.x.size / data.x.shape[0];
    this.tPer = data.t instanceof Int32Array ? 1 : data.t.size / data.t.shape[0];
  }

  gather(idx: ArrayLike<number>, n: number): { x: Tensor; t: Target } {
    const { x, t } = this.data;
    if (!this.xBuf || this.xBuf.shape[0] !== n) {
      this.xBuf = new Tensor(new Float32Array(n * this.xPer), [n, ...x.shape.slice(1)]);
      this.tBuf = t instanceof Int32Array ? new Int32Array(n) : new Tensor(new Float32Array(n * this.tPer), [n, ...t.shape.slice(1)]);
    }
    const xd = this.xBuf.data;
    const xs = x.data;
    const xp = this.xPer;
    for (let i = 0; i < n; i++) {
      const r = idx[i];
      xd.set(xs.subarray(r * xp, r * xp + xp), i * xp);
    }
    if (t instanceof Int32Array) {
      const td = this.tBuf as Int32Array;
      for (let i = 0; i < n; i++) td[i] = t[idx[i]];
    } else {
      const td = (this.tBuf as Tensor).data;
      const tp = this.tPer;
      for (let i = 0; i < n; i++) {
        const r = idx[i];
        td.set(t.data.subarray(r * tp, r * tp + tp), i * tp);
      }
    }
    return { x: this.xBuf, t: this.tBuf! };
  }
}

/** True when the array's memory is a SharedArrayBuffer (a worker can read it without a copy). */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** The same values in shared memory: `a` itself when it already is, else a copy into a new SharedArrayBuffer. */
export function sharedArray<T extends Float32Array | Int32Array>(a: T): T {
  if (isShared(a)) return a;
  const Ctor = a.constructor as { new (buf: SharedArrayBuffer, off: number, len: number): T };
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength), 0, a.length);
  copy.set(a);
  return copy;
}

/**
 * A tensor over shared memory with the same values and shape (`t` itself when already shared). `fit()` copies
 * data that is not shared once per call; load a large data set, share it once and train on the shared tensor,
 * and every `fit()` hands its worker the same bytes with no copy.
 *
 * @example
 * const xTrain = shareTensor(mnist.xTrain);  // one copy; drop the original
 */
export function shareTensor(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw invalidType('tensor', 'a Tensor', t);
  return isShared(t.data) ? t : new Tensor(sharedArray(t.data), t.shape);
}

/** A target in shared memory (labels or tensor), see shareTensor. */
export function shareTarget(t: Target): Target {
  return t instanceof Int32Array ? sharedArray(t) : shareTensor(t);
}
