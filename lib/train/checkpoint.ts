/**
 * Training checkpoints: the network, the optimizer state and the loop's exact position in one safetensors
 * file (lib/io/model.ts), and restoring all three so a run continues bit-identically
 * (Trainer.saveCheckpoint / Trainer.resume / fit({ resumeFrom }), ModelCheckpoint).
 */
import * as path from 'path';
import { makeDirs } from '../io/atomic';
import { loadCheckpoint, saveModel } from '../io/model';
import type { Network } from '../nets/network';
import type { Optimizer } from '../optimizers';
import { invalidRange, invalidType } from '../validate';
import type { LoopState, TrainLoop } from './loop';

/**
 * Writes the network, the optimizer state and the loop position to `file` (atomic write; parent directories made),
 * with `metadata` (JSON) as `extra.metadata` unless it is null.
 * @throws {TypeError} file is not a non-empty string
 * @throws {Error} file-system errors
 */
export function saveTrainingCheckpoint(file: string, network: Network, optimizer: Optimizer, loop: TrainLoop, metadata: unknown = null): void {
  if (typeof file !== 'string' || file === '') throw invalidType('path', 'a file path', file);
  makeDirs(path.dirname(path.resolve(file)));
  const extra: Record<string, unknown> = { trainer: loop.getState() };
  if (metadata !== null) extra.metadata = metadata;
  saveModel(network, file, { optimizer, extra });
}

/**
 * Restores weights, buffers, optimizer state and loop position from `file` into the given objects. Everything
 * is checked before anything changes.
 * @throws {RangeError} not a training checkpoint, another architecture, another optimizer, or a training state
 *   made with another data size / batch size / sampling / seed
 */
export function restoreTrainingCheckpoint(file: string, network: Network, optimizer: Optimizer, loop: TrainLoop): void {
  const ck = loadCheckpoint(file, { backend: network.backend });
  const extra = ck.extra as { trainer?: LoopState } | null;
  if (!extra || typeof extra !== 'object' || !extra.trainer) {
    throw invalidRange('checkpoint', 'a training checkpoint (written by saveCheckpoint or ModelCheckpoint)', `${file} (no training state)`);
  }
  const mine = network.namedParams();
  const theirs = ck.net.namedParams();
  const names = (o: object) => Object.keys(o).join(', ');
  if (ck.net.type !== network.type || names(mine) !== names(theirs)) {
    throw invalidRange('checkpoint', `a ${network.type} with parameters ${names(mine)}`, `${file}: a ${ck.net.type} with ${names(theirs)}`);
  }
  for (const [k, p] of Object.entries(theirs)) {
    if (p.value.size !== mine[k].value.size) throw invalidRange(`checkpoint parameter ${k}`, `${mine[k].value.size} elements`, `${p.value.size}`);
  }
  if (!ck.optimizerState) throw invalidRange('checkpoint', 'a checkpoint with optimizer state', `${file} (none saved)`);
  if (ck.optimizerState.name !== optimizer.name) {
    throw invalidRange('checkpoint optimizer', `'${optimizer.name}' (this trainer's)`, `'${ck.optimizerState.name}'`);
  }
  loop.setState(extra.trainer); // validates before anything below changes
  for (const [k, p] of Object.entries(theirs)) mine[k].value.data.set(p.value.data);
  const buffers = network.namedBuffers();
  for (const [k, b] of Object.entries(ck.net.namedBuffers())) buffers[k].data.set(b.data);
  optimizer.setState(ck.optimizerState);
  loop.lr = optimizer.lr;
}
