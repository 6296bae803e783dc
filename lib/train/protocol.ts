/**
 * The messages between `fit()` (main thread, lib/train/remote.ts) and its worker (lib/train/worker.ts), and the
 * helpers both sides use to move data and state. Requests carry an id and get exactly one reply; the worker also
 * sends `batches` events (the logs of one or more mini-batches, in order) before the reply of the `runEpoch`
 * request that produced them.
 *
 * Data sets travel as typed arrays over SharedArrayBuffers (shared, never copied); weights, optimizer state and
 * the loop position are small and are copied (structured clone) at start, at every epoch end and at the end.
 */
import type { Target } from '../layers/layer';
import type { Network, NetworkConfig } from '../nets/network';
import type { Optimizer, OptimizerState } from '../optimizers/optimizer';
import { Tensor } from '../tensor';
import { isStreaming, StreamingDataset } from '../data/stream/dataset';
import type { RowSpec } from '../data/stream/prepare';
import type { PoolEndpoint } from '../data/stream/pool';
import { sharedArray, type DataPair } from './data';
import type { BatchLogs, EpochLogs, LoopSettings, LoopState, TrainLoop } from './loop';

/** A data set in messages: arrays over shared memory plus shapes. */
export interface WirePair {
  /** In memory (shared), or the description of a StreamingDataset (file names, spec: read by decode workers). */
  x: { data: Float32Array; shape: number[] } | { files: string[]; labels: Int32Array; spec: RowSpec; shape: number[]; workers: number; prefetch: number };
  t: { labels: Int32Array } | { data: Float32Array; shape: number[] };
}

/** Weights, buffers, optimizer state and loop position at one moment. */
export interface Snapshot {
  params: Record<string, Float32Array>;
  buffers: Record<string, Float32Array>;
  optimizer: OptimizerState;
  loop: LoopState;
}

export interface InitPayload {
  backend: 'native' | 'ts';
  network: NetworkConfig;
  settings: LoopSettings;
  data: { train: WirePair; val: WirePair | null; test: WirePair | null };
  snapshot: Snapshot;
  /** Int32Array over this: [0] = stop requested. */
  control: SharedArrayBuffer;
  /** The decode workers' consumer side, when some data is streamed (the ports are transferred). */
  stream: PoolEndpoint | null;
}

export type Request =
  | { id: number; cmd: 'init'; init: InitPayload }
  | { id: number; cmd: 'runEpoch'; lr: number }
  | { id: number; cmd: 'endEpoch' }
  | { id: number; cmd: 'finalTest' }
  | { id: number; cmd: 'snapshot' }
  | { id: number; cmd: 'streamStats' };

/** A streaming run's prefetch counters (lib/data/stream/prefetch.ts). */
export interface StreamStats {
  maxHeld: number;
  depth: number;
  taken: number;
  hits: number;
}

export interface EndEpochResult {
  logs: EpochLogs;
  snapshot: Snapshot;
}

export type WorkerMessage =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { name: string; message: string; stack?: string } }
  | { kind: 'batches'; logs: BatchLogs[] };

export function pairToWire(p: DataPair): WirePair {
  const x = isStreaming(p.x)
    ? { files: [...p.x.files], labels: p.x.labels, spec: p.x.spec, shape: [...p.x.shape], workers: p.x.workers, prefetch: p.x.prefetch }
    : { data: sharedArray(p.x.data), shape: [...p.x.shape] };
  const t = p.t instanceof Int32Array ? { labels: sharedArray(p.t) } : { data: sharedArray(p.t.data), shape: [...p.t.shape] };
  return { x, t };
}

export function pairFromWire(w: WirePair): DataPair {
  const t: Target = 'labels' in w.t ? w.t.labels : new Tensor(w.t.data, w.t.shape);
  if ('files' in w.x) {
    const s = w.x;
    const ds = new StreamingDataset(s.files, new Int32Array(s.labels), s.spec, { workers: s.workers, prefetch: s.prefetch }, s.shape.slice(1));
    return { x: ds, t };
  }
  return { x: new Tensor(w.x.data, w.x.shape), t };
}

/** Copies of everything that changes while training. */
export function takeSnapshot(net: Network, opt: Optimizer, loop: TrainLoop): Snapshot {
  const params: Record<string, Float32Array> = {};
  for (const [k, p] of Object.entries(net.namedParams())) params[k] = p.value.data.slice();
  const buffers: Record<string, Float32Array> = {};
  for (const [k, b] of Object.entries(net.namedBuffers())) buffers[k] = b.data.slice();
  return { params, buffers, optimizer: opt.getState(), loop: loop.getState() };
}

/**
 * This realm's Float32Array over the same memory. Arrays that arrive in a message are made by the thread's main
 * realm; where code runs in another realm (jest's vm contexts), `instanceof Float32Array` would reject them.
 */
function local(a: Float32Array): Float32Array {
  if (a instanceof Float32Array) return a;
  const v = a as ArrayBufferView & { length: number };
  return new Float32Array(v.buffer, v.byteOffset, v.length);
}

/** Puts a snapshot into a network, optimizer and loop (same architecture and optimizer). */
export function applySnapshot(s: Snapshot, net: Network, opt: Optimizer, loop: TrainLoop): void {
  const params = net.namedParams();
  for (const [k, data] of Object.entries(s.params)) params[k].value.data.set(local(data));
  const buffers = net.namedBuffers();
  for (const [k, data] of Object.entries(s.buffers)) buffers[k].data.set(local(data));
  const slots: OptimizerState['slots'] = {};
  for (const [k, st] of Object.entries(s.optimizer.slots)) {
    slots[k] = Object.fromEntries(Object.entries(st).map(([name, a]) => [name, local(a)]));
  }
  opt.setState({ ...s.optimizer, slots });
  loop.setState(s.loop);
}

/** An Error of the same class and message as one thrown in the worker. */
export function errorFromWire(e: { name: string; message: string; stack?: string }): Error {
  const Ctor = e.name === 'TypeError' ? TypeError : e.name === 'RangeError' ? RangeError : Error;
  const err = new Ctor(e.message);
  if (e.stack) err.stack = `${err.name}: ${e.message}\n    (in the fit() worker thread)\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}
