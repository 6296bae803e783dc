/**
 * The worker-thread side of `fit()`: rebuilds the network, optimizer and loop from the init message, then runs
 * commands from the main thread (lib/train/remote.ts) one at a time. A `runEpoch` runs synchronously; the main
 * thread stops it between two batches through a shared flag, not a message (this thread's event loop is busy).
 * Batch logs are sent in groups (every 20 ms at most, and before the epoch's reply).
 */
import { parentPort } from 'worker_threads';
import { useBackend } from '../backend';
import { networkFromConfig } from '../nets';
import type { Network } from '../nets/network';
import { createOptimizer } from '../optimizers';
import type { Optimizer } from '../optimizers/optimizer';
import { TrainLoop, type BatchLogs } from './loop';
import { Prefetcher } from '../data/stream/prefetch';
import { applySnapshot, pairFromWire, takeSnapshot, type EndEpochResult, type InitPayload, type Request, type WorkerMessage } from './protocol';

interface Session {
  net: Network;
  opt: Optimizer;
  loop: TrainLoop;
  control: Int32Array;
}

let session: Session | null = null;

/** Longest wait before batch logs are sent to the main thread. */
const FLUSH_MS = 20;

function init(p: InitPayload): null {
  useBackend(p.backend);
  let net: Network;
  let opt: Optimizer;
  try {
    net = networkFromConfig(p.network);
    opt = createOptimizer(p.snapshot.optimizer.name);
  } catch (err) {
    const e = err as Error;
    e.message = `fit(): the worker thread rebuilds the network from its config() and the optimizer by name, and could not: ` +
      `${e.message} (train() or fit({ worker: false }) train on this thread without rebuilding)`;
    throw e;
  }
  const data = {
    train: pairFromWire(p.data.train),
    val: p.data.val ? pairFromWire(p.data.val) : null,
    test: p.data.test ? pairFromWire(p.data.test) : null,
  };
  const loop = new TrainLoop(net, opt, data, p.settings);
  if (p.stream) loop.useStream(new Prefetcher(p.stream));
  applySnapshot(p.snapshot, net, opt, loop);
  session = { net, opt, loop, control: new Int32Array(p.control) };
  return null;
}

function run(req: Request): unknown {
  if (req.cmd === 'init') return init(req.init);
  if (!session) throw new Error('fit worker: not initialized');
  const { net, opt, loop, control } = session;
  switch (req.cmd) {
    case 'runEpoch': {
      loop.setLearningRate(req.lr);
      // Batch logs go out in groups, at most every FLUSH_MS: one message per batch would keep the main thread
      // busy with thousands of messages a second on small, fast networks.
      let pending: BatchLogs[] = [];
      let last = Date.now();
      const flush = () => {
        if (pending.length) post({ kind: 'batches', logs: pending });
        pending = [];
        last = Date.now();
      };
      try {
        return loop.runEpoch(
          (logs) => {
            pending.push(logs);
            if (Date.now() - last >= FLUSH_MS) flush();
          },
          () => Atomics.load(control, 0) !== 0,
        );
      } finally {
        flush();
      }
    }
    case 'endEpoch': {
      const logs = loop.endEpoch();
      const out: EndEpochResult = { logs, snapshot: takeSnapshot(net, opt, loop) };
      return out;
    }
    case 'finalTest':
      return loop.finalTestAccuracy();
    case 'snapshot':
      return takeSnapshot(net, opt, loop);
    case 'streamStats': {
      const p = loop.prefetcher;
      return p ? { maxHeld: p.maxHeld, depth: p.depth, taken: p.taken, hits: p.hits } : null;
    }
    default:
      throw new Error(`fit worker: unknown command ${JSON.stringify((req as { cmd: unknown }).cmd)}`);
  }
}

function post(m: WorkerMessage): void {
  parentPort!.postMessage(m);
}

if (parentPort) {
  parentPort.on('message', (req: Request) => {
    try {
      post({ kind: 'reply', id: req.id, ok: true, result: run(req) });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ kind: 'reply', id: req.id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
    }
  });
}
