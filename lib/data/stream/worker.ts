/**
 * A decode worker of the streaming dataset (lib/data/stream/pool.ts starts it): takes batch requests on its
 * MessagePort, reads, decodes, prepares and augments the files of each, and posts the batch back (its buffer
 * transferred, not copied), then bumps the shared completion counter and wakes the consumer, which may be blocked
 * in Atomics.wait on any thread (lib/data/stream/prefetch.ts). Every error becomes a reply naming the file: the
 * consumer rethrows it when it takes that batch.
 */
import { workerData, type MessagePort } from 'worker_threads';
import { getBackend, useBackend } from '../../backend';
import { prepareFiles, type RowSpec } from './prepare';
import type { AugmentConfig } from '../../backend/types';

/** A request: the files of one batch, how to prepare them, and the augmentation stream it draws from (or none). */
export interface DecodeRequest {
  seq: number;
  files: string[];
  spec: RowSpec;
  /** The augmentation of the batch: config, stream, and the per-row shape [C, H, W] it applies to. */
  aug: { cfg: AugmentConfig; seed: number; counter: number; chw: number[] } | null;
}

export type DecodeReply =
  | { seq: number; ok: true; x: Float32Array }
  | { seq: number; ok: false; error: { name: string; message: string } };

export interface DecodeWorkerData {
  port: MessagePort;
  /** Int32Array view: [0] completed replies (the consumer waits on it), [1] a worker died. */
  signal: SharedArrayBuffer;
  backend: 'native' | 'ts';
}

function handle(req: DecodeRequest): { reply: DecodeReply; transfer: ArrayBuffer[] } {
  try {
    let x = prepareFiles(req.files, req.spec);
    if (req.aug) {
      const [c, h, w] = req.aug.chw;
      const y = new Float32Array(x.length);
      getBackend().augment(x, req.files.length, c, h, w, req.aug.cfg, req.aug.seed, req.aug.counter, y);
      x = y;
    }
    return { reply: { seq: req.seq, ok: true, x }, transfer: [x.buffer as ArrayBuffer] };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { reply: { seq: req.seq, ok: false, error: { name: e.name, message: e.message } }, transfer: [] };
  }
}

if (workerData && (workerData as DecodeWorkerData).port) {
  const { port, signal, backend } = workerData as DecodeWorkerData;
  const sig = new Int32Array(signal);
  useBackend(backend);
  port.on('message', (req: DecodeRequest) => {
    const { reply, transfer } = handle(req);
    port.postMessage(reply, transfer);
    Atomics.add(sig, 0, 1);
    Atomics.notify(sig, 0);
  });
}
