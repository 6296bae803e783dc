/**
 * The decode workers of a streaming dataset, on the side that owns them: `DecodePool` starts `workers` threads
 * (lib/data/stream/worker.ts), each with its own MessageChannel, and hands out the consumer's end of them as a
 * `PoolEndpoint` (plain, transferable data) for a `Prefetcher` on any thread — the Trainer's thread for train(),
 * or fit()'s training worker. `close()` terminates every worker and resolves when their threads have exited.
 * Workers are unref'd, so a pool that was never closed cannot keep the process alive; a worker that dies (not
 * through close) sets the shared "dead" flag and wakes the consumer, which then throws instead of waiting forever.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, Worker, type MessagePort } from 'worker_threads';
import { packageRoot } from '../../package-root';
import type { DecodeWorkerData } from './worker';

/** What a consumer needs to use a pool: one port per worker, the shared signal, the prefetch depth. */
export interface PoolEndpoint {
  ports: MessagePort[];
  /** Int32Array view: [0] completed replies, [1] a worker died (1) or the pool was closed (2). */
  signal: SharedArrayBuffer;
  /** Most batches requested and not yet taken, at any time. */
  depth: number;
}

let liveWorkers = 0;

/** Decode workers started by pools of this thread and not yet exited (for tests and diagnostics). */
export function liveDecodeWorkers(): number {
  return liveWorkers;
}

/** Starts lib/data/stream/worker: the compiled .js beside this file, or the .ts through scripts/ts-worker.js. */
function startWorker(data: DecodeWorkerData): Worker {
  const ext = path.extname(__filename);
  const opts = { workerData: data, transferList: [data.port] as unknown as MessagePort[] };
  if (ext !== '.ts') return new Worker(path.join(__dirname, `worker${ext}`), opts);
  const loader = path.join(packageRoot(), 'scripts', 'ts-worker.js');
  if (!fs.existsSync(loader)) throw new Error(`streaming data: running from TypeScript sources needs ${loader}; build with \`npm run build\` and use dist/`);
  return new Worker(loader, { ...opts, argv: [path.join(__dirname, 'worker.ts')] });
}

/**
 * A pool of decode worker threads. Not for direct use: the Trainer makes one for a streaming dataset.
 *
 * @example
 * const pool = new DecodePool(2, 4, 'native');
 * const prefetch = new Prefetcher(pool.endpoint());
 * // … prefetch.take(…) …
 * await pool.close();
 * @throws {Error} a worker cannot be started
 */
export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly ends: MessagePort[] = [];
  private readonly signal = new SharedArrayBuffer(8);
  private closing: Promise<void> | null = null;
  private handedOut = false;

  constructor(count: number, readonly depth: number, backend: 'native' | 'ts') {
    const sig = new Int32Array(this.signal);
    try {
      for (let i = 0; i < count; i++) {
        const { port1, port2 } = new MessageChannel();
        const w = startWorker({ port: port2, signal: this.signal, backend });
        liveWorkers++;
        let exited = false;
        w.on('error', () => undefined); // the exit below follows; a request in flight fails through the flag
        w.once('exit', () => {
          if (!exited) liveWorkers--;
          exited = true;
          if (!this.closing) {
            Atomics.store(sig, 1, 1);
            Atomics.notify(sig, 0);
          }
        });
        w.unref();
        this.workers.push(w);
        this.ends.push(port1);
      }
    } catch (err) {
      void this.close();
      throw err;
    }
  }

  /** The consumer's side (once: its ports may be transferred to another thread). */
  endpoint(): PoolEndpoint {
    if (this.handedOut) throw new Error('DecodePool.endpoint: already handed out');
    this.handedOut = true;
    return { ports: this.ends, signal: this.signal, depth: this.depth };
  }

  /** Workers of this pool still running. */
  get size(): number {
    return this.workers.length;
  }

  /** Terminates every worker; resolves once their threads have exited. Safe to call more than once. */
  close(): Promise<void> {
    if (!this.closing) {
      const sig = new Int32Array(this.signal);
      Atomics.store(sig, 1, 2);
      Atomics.notify(sig, 0);
      this.closing = Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
      for (const p of this.ends) if (!this.handedOut) p.close();
    }
    return this.closing;
  }
}
