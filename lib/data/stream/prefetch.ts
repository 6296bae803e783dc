/**
 * The consumer side of a decode pool: `take(request, ahead)` returns the prepared (and augmented) inputs of one
 * batch, after making sure the batches `ahead` are requested too, so the workers decode them while the caller
 * trains on this one (PyTorch DataLoader workers with prefetch_factor, tf.data prefetch). It is synchronous: it
 * waits with Atomics.wait on the pool's shared counter and reads replies with receiveMessageOnPort, so it works on
 * a thread whose event loop is busy (the training loop runs synchronously, on the main thread in train() or in
 * fit()'s worker).
 *
 * Bounded: at most `depth` batches are requested and not yet taken at any time (in a worker, in a port, or
 * decoded and waiting here); `maxHeld` records the most there ever were (tests assert it). A batch is identified
 * by its key and checked against the request (same files, same augmentation stream) before it is used, so a
 * prefetched batch that turns out not to be the one the loop needs (after a resume) is dropped, never used.
 */
import { receiveMessageOnPort } from 'worker_threads';
import type { PoolEndpoint } from './pool';
import type { DecodeReply, DecodeRequest } from './worker';

/** One batch to prepare: `key` names it (e.g. 'train:3:17'); the rest is what the worker does. */
export type BatchRequest = Omit<DecodeRequest, 'seq'> & { key: string };

interface Pending {
  req: BatchRequest;
  seq: number;
  worker: number;
  reply: DecodeReply | null;
}

function sameRequest(a: BatchRequest, b: BatchRequest): boolean {
  if (a.files.length !== b.files.length || a.spec !== b.spec && JSON.stringify(a.spec) !== JSON.stringify(b.spec)) return false;
  if ((a.aug === null) !== (b.aug === null)) return false;
  if (a.aug && b.aug && (a.aug.seed !== b.aug.seed || a.aug.counter !== b.aug.counter)) return false;
  for (let i = 0; i < a.files.length; i++) if (a.files[i] !== b.files[i]) return false;
  return true;
}

/**
 * Takes batches from a decode pool (see the module comment). Not for direct use: the training loop makes one.
 *
 * @example
 * const p = new Prefetcher(pool.endpoint());
 * const x = p.take(req, nextRequests);   // Float32Array of req.files.length rows
 * @throws {Error} (from take) a worker's error for this batch, naming the file; the pool closed or a worker died
 */
export class Prefetcher {
  private readonly sig: Int32Array;
  private readonly byKey = new Map<string, Pending>();
  /** Replies of requests that were dropped before they arrived (counted as held until they do). */
  private readonly dropped = new Set<number>();
  private readonly inFlight: number[];
  private nextSeq = 1;
  private seen = 0;
  /** Requested and not yet taken or discarded (≤ depth). */
  held = 0;
  /** The most batches ever held at once. */
  maxHeld = 0;
  /** Batches taken that were already decoded when asked for (no wait). */
  hits = 0;
  /** Batches taken. */
  taken = 0;

  constructor(private readonly ep: PoolEndpoint) {
    this.sig = new Int32Array(ep.signal);
    this.inFlight = ep.ports.map(() => 0);
  }

  get depth(): number {
    return this.ep.depth;
  }

  /**
   * The inputs of `req` (a new array, the caller's to keep); requests `ahead` (in order, as the depth allows)
   * before waiting.
   * @throws {Error} the worker's error for this batch (naming the file), or the pool closed / a worker died
   */
  take(req: BatchRequest, ahead: readonly BatchRequest[] = []): Float32Array {
    let p = this.byKey.get(req.key);
    if (p && !sameRequest(p.req, req)) {
      this.discard(p);
      p = undefined;
    }
    while (!p) {
      this.poll();
      if (this.held < this.depth) p = this.send(req);
      else if (!this.evictOne(req.key)) this.wait();
    }
    this.fill(ahead);
    if (p.reply) this.hits++;
    while (!p.reply) this.wait();
    this.byKey.delete(req.key);
    this.held--;
    this.taken++;
    this.fill(ahead);
    const r = p.reply;
    if (!r.ok) {
      const Ctor = r.error.name === 'RangeError' ? RangeError : r.error.name === 'TypeError' ? TypeError : Error;
      throw new Ctor(r.error.message);
    }
    return r.x instanceof Float32Array ? r.x : new Float32Array((r.x as Float32Array).buffer);
  }

  /** Requests what of `ahead` is not requested yet, while the depth allows. */
  private fill(ahead: readonly BatchRequest[]): void {
    for (const a of ahead) {
      if (this.held >= this.depth) return;
      const q = this.byKey.get(a.key);
      if (q && sameRequest(q.req, a)) continue;
      if (q) this.discard(q);
      this.send(a);
    }
  }

  /** Frees a slot held by a decoded batch nobody asked for in this call (not `keep`); false when none is. */
  private evictOne(keep: string): boolean {
    for (const [k, q] of this.byKey) {
      if (k !== keep && q.reply) {
        this.discard(q);
        return true;
      }
    }
    // in flight only: drop one anyway; its slot is freed when its reply arrives
    for (const [k, q] of this.byKey) {
      if (k !== keep) {
        this.discard(q);
        return false;
      }
    }
    return false;
  }

  private discard(p: Pending): void {
    this.byKey.delete(p.req.key);
    if (p.reply) this.held--;
    else this.dropped.add(p.seq);
  }

  private send(req: BatchRequest): Pending {
    let w = 0;
    for (let i = 1; i < this.inFlight.length; i++) if (this.inFlight[i] < this.inFlight[w]) w = i;
    const seq = this.nextSeq++;
    const p: Pending = { req, seq, worker: w, reply: null };
    this.byKey.set(req.key, p);
    this.inFlight[w]++;
    this.held++;
    if (this.held > this.maxHeld) this.maxHeld = this.held;
    const msg: DecodeRequest = { seq, files: req.files, spec: req.spec, aug: req.aug };
    this.ep.ports[w].postMessage(msg);
    return p;
  }

  /** Reads every reply that has arrived. */
  private poll(): void {
    this.seen = Atomics.load(this.sig, 0);
    for (let w = 0; w < this.ep.ports.length; w++) {
      for (let m = receiveMessageOnPort(this.ep.ports[w]); m; m = receiveMessageOnPort(this.ep.ports[w])) {
        const reply = m.message as DecodeReply;
        this.inFlight[w]--;
        if (this.dropped.delete(reply.seq)) {
          this.held--;
          continue;
        }
        for (const p of this.byKey.values()) {
          if (p.seq === reply.seq) {
            p.reply = reply;
            break;
          }
        }
      }
    }
  }

  /** Blocks until another reply arrives (then reads it). */
  private wait(): void {
    const state = Atomics.load(this.sig, 1);
    if (state === 2) throw new Error('streaming data: the decode workers were closed');
    if (state === 1) throw new Error('streaming data: a decode worker exited unexpectedly');
    if (Atomics.load(this.sig, 0) === this.seen) Atomics.wait(this.sig, 0, this.seen, 1000);
    this.poll();
  }

  /** Closes this side's ports (the pool's owner terminates the workers). */
  close(): void {
    for (const p of this.ep.ports) p.close();
  }
}
