/**
 * `simdnet train --resume FILE`: the run's settings come back from the checkpoint (saved by `simdnet train` in
 * extra.metadata.cli), so a resumed run needs no flags but the file. Flags that only change how the run is
 * watched or how long it goes (--epochs, --out, --patience, --threads, …) may be given; a flag that would make it
 * another run (--model, --batch, --lr, --val-split, the data, …) must agree with the checkpoint or is refused.
 */
import * as path from 'path';
import { loadCheckpoint } from '../io/model';
import type { Network } from '../nets/network';
import { UsageError } from './args';
import type { TrainArgs } from './train';

/** Settings that define the run: changing one on resume is refused. (key in TrainArgs, flag name) */
const FIXED: [keyof TrainArgs, string][] = [
  ['model', 'model'], ['batch', 'batch'], ['optimizer', 'optimizer'], ['lr', 'lr'], ['augment', 'augment'],
  ['source', 'data source'], ['dataPath', 'data'], ['size', 'size'], ['color', 'color'], ['shape', 'shape'],
  ['normalize', 'normalize'], ['seed', 'seed'], ['limit', 'limit'], ['valSplit', 'val-split'], ['sampling', 'sampling'],
  ['weightDecay', 'weight-decay'], ['lrSchedule', 'lr-schedule'], ['hidden', 'hidden'],
];
/** Settings restored when not given, that may be changed. */
const FREE: (keyof TrainArgs)[] = ['epochs', 'patience', 'evalSamples', 'testLimit', 'metrics', 'stream', 'streamAboveMB', 'workers', 'prefetch'];

/** The flag(s) that set a TrainArgs key. */
function flagsOf(key: keyof TrainArgs, a: TrainArgs): string[] {
  switch (key) {
    case 'source': return ['data', 'images', 'csv'];
    case 'dataPath': return [a.source === 'mnist' ? 'data' : a.source];
    case 'valSplit': return ['val-split'];
    case 'weightDecay': return ['weight-decay'];
    case 'lrSchedule': return ['lr-schedule'];
    case 'evalSamples': return ['eval-samples'];
    case 'testLimit': return ['test-limit'];
    case 'streamAboveMB': return ['stream-above'];
    default: return [key];
  }
}

export interface ResumePoint {
  file: string;
  net: Network;
  /** The saved settings, or null for a checkpoint written without them (by the API, or an older simdnet). */
  settings: Partial<TrainArgs> | null;
}

export function readResumePoint(file: string): ResumePoint {
  const ck = loadCheckpoint(file);
  const cli = (ck.extra as { metadata?: { cli?: Partial<TrainArgs> } } | null)?.metadata?.cli;
  return { file, net: ck.net, settings: cli && typeof cli === 'object' ? cli : null };
}

/** The settings of `simdnet train` worth saving with a checkpoint. */
export function savedSettings(a: TrainArgs): Partial<TrainArgs> {
  const out: Record<string, unknown> = {};
  for (const [k] of FIXED) out[k] = a[k];
  for (const k of FREE) out[k] = a[k];
  return out as Partial<TrainArgs>;
}

const show = (v: unknown) => (v === null || v === undefined ? 'none' : Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * The command line's settings completed from the checkpoint. The output folder defaults to the checkpoint's.
 * @throws {UsageError} a given flag contradicts the run saved in the checkpoint
 */
export function restoreSettings(a: TrainArgs, r: ResumePoint): TrainArgs {
  const out: TrainArgs = { ...a };
  if (!a.given.has('out')) out.out = path.dirname(r.file);
  if (!r.settings) return out; // not saved by `simdnet train`: the flags as given (the model is the checkpoint's)
  const saved = r.settings as Record<string, unknown>;
  const mutable = out as unknown as Record<string, unknown>;
  for (const [k, flag] of FIXED) {
    if (!(k in saved)) continue;
    const given = flagsOf(k, a).some((f) => a.given.has(f));
    if (given && JSON.stringify(a[k]) !== JSON.stringify(saved[k])) {
      throw new UsageError(
        `--${flag} ${show(a[k])} contradicts the run in ${r.file} (trained with ${flag} ${show(saved[k])}); ` +
        'drop the flag to continue that run, or start a new run without --resume',
      );
    }
    mutable[k] = saved[k];
  }
  for (const k of FREE) {
    if (k in saved && !flagsOf(k, a).some((f) => a.given.has(f))) mutable[k] = saved[k];
  }
  return out;
}
