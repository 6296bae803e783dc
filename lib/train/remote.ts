/**
 * The main-thread side of `fit()`: a worker thread runs the training loop (lib/train/worker.ts) on the same
 * network config, weights, optimizer state, loop position and data (shared memory, not copied), and this thread
 * only handles its messages, so its event loop stays responsive. Per-batch logs arrive as events (grouped, at
 * most every 20 ms; onBatchEnd still runs once per batch, in order); at every epoch
 * end the worker's weights, optimizer state and position are copied back here (so callbacks such as
 * ModelCheckpoint and EarlyStopping see the network as it is), and once more at the end.
 *
 * The worker script: dist/lib/train/worker.js when running compiled code; lib/train/worker.ts through
 * scripts/ts-worker.js when running the TypeScript sources (see startTrainingWorker).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Worker, type MessagePort } from 'worker_threads';
import type { PoolEndpoint } from '../data/stream/pool';
import { packageRoot } from '../package-root';
import type { Network } from '../nets/network';
import type { Optimizer } from '../optimizers/optimizer';
import type { DataPair } from './data';
import type { BatchLogs, EpochLogs, LoopSettings, TrainLoop } from './loop';
import {
  applySnapshot, errorFromWire, pairToWire, takeSnapshot,
  type EndEpochResult, type InitPayload, type Request, type Snapshot, type StreamStats, type WorkerMessage,
} from './protocol';
import type { Engine } from './engines';

type RequestBody = Request extends infer T ? (T extends Request ? Omit<T, 'id'> : never) : never;

/**
 * Starts the worker thread running lib/train/worker: the compiled worker.js beside this file; when this file runs
 * from the TypeScript sources (ts-jest, development), scripts/ts-worker.js, a development helper outside the
 * package, which transpiles the sources with the `typescript` dev dependency (so tests never run a stale build).
 * @throws {Error} running from the sources without scripts/ts-worker.js (not a development checkout)
 */
export function startTrainingWorker(): Worker {
  const ext = path.extname(__filename);
  if (ext !== '.ts') return new Worker(path.join(__dirname, `worker${ext}`));
  const loader = path.join(packageRoot(), 'scripts', 'ts-worker.js');
  if (!fs.existsSync(loader)) {
    throw new Error(`fit(): running from TypeScript sources (${__filename}) needs ${loader} to start the worker; build with \`npm run build\` and use dist/`);
  }
  return new Worker(loader, { argv: [path.join(__dirname, 'worker.ts')] });
}

/**
 * Runs a Trainer's loop in a worker (see the module comment). Not for direct use: `Trainer.fit()` makes one.
 */
export class RemoteEngine implements Engine {
  private readonly worker: Worker;
  private readonly control = new SharedArrayBuffer(4);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private onBatch: ((b: BatchLogs) => void) | null = null;
  private dead: Error | null = null;
  /** What an onBatchEnd callback threw (the epoch is cut short and fit() rejects with it). */
  private batchError: Error | null = null;
  private readonly ready: Promise<unknown>;
  /** Streaming data: the worker's prefetch counters, read at a successful finish (else null). */
  streamStats: StreamStats | null = null;

  constructor(
    private readonly network: Network,
    private readonly optimizer: Optimizer,
    private readonly loop: TrainLoop,
    data: { train: DataPair; val: DataPair | null; test: DataPair | null },
    settings: LoopSettings,
    stream: PoolEndpoint | null = null,
  ) {
    const init: InitPayload = {
      backend: network.backend.name,
      network: network.config(),
      settings,
      data: {
        train: pairToWire(data.train),
        val: data.val ? pairToWire(data.val) : null,
        test: data.test ? pairToWire(data.test) : null,
      },
      snapshot: takeSnapshot(network, optimizer, loop),
      control: this.control,
      stream,
    };
    this.worker = startTrainingWorker();
    this.worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`fit(): the training worker exited (code ${code})`)));
    this.ready = this.request({ cmd: 'init', init }, stream ? stream.ports : []);
    this.ready.catch(() => undefined); // observed by the first real request
  }

  /** Asks the worker to stop after its current batch. */
  stop(): void {
    Atomics.store(new Int32Array(this.control), 0, 1);
  }

  async runEpoch(onBatch: (b: BatchLogs) => void): Promise<boolean> {
    await this.ready;
    this.onBatch = onBatch;
    try {
      const complete = (await this.request({ cmd: 'runEpoch', lr: this.loop.lr })) as boolean;
      if (this.batchError) throw this.batchError;
      return complete;
    } finally {
      this.onBatch = null;
    }
  }

  async endEpoch(): Promise<EpochLogs> {
    await this.ready;
    const r = (await this.request({ cmd: 'endEpoch' })) as EndEpochResult;
    applySnapshot(r.snapshot, this.network, this.optimizer, this.loop);
    return r.logs;
  }

  async finalTestAccuracy(): Promise<number | null> {
    await this.ready;
    return (await this.request({ cmd: 'finalTest' })) as number | null;
  }

  async finish(ok: boolean): Promise<void> {
    try {
      if (ok) {
        await this.ready;
        const s = (await this.request({ cmd: 'snapshot' })) as Snapshot;
        applySnapshot(s, this.network, this.optimizer, this.loop);
        this.streamStats = (await this.request({ cmd: 'streamStats' })) as StreamStats | null;
      }
    } finally {
      this.dead ??= new Error('fit(): the training worker was closed');
      await this.worker.terminate();
    }
  }

  private request(body: RequestBody, transfer: MessagePort[] = []): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as Request, transfer);
    });
  }

  private onMessage(m: WorkerMessage): void {
    if (m.kind === 'batches') {
      if (this.batchError) return;
      try {
        for (const logs of m.logs) this.onBatch?.(logs);
      } catch (err) {
        this.batchError = err instanceof Error ? err : new Error(String(err));
        this.stop(); // the worker ends the epoch early; runEpoch then rethrows
      }
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(errorFromWire(m.error));
  }

  private fail(err: Error): void {
    if (!this.dead) this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
