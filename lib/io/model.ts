/**
 * Model files: one safetensors file per model (or training checkpoint).
 *
 *   tensors   W1, b1, …, gamma1, beta1, …        the network's parameters (F32, their own shapes)
 *             running_mean1, running_var1, …      its buffers (F32)
 *             optim.<slot>.<param>                optimizer state, when saved (e.g. optim.m.W1; F32, the param's shape)
 *   metadata  format 'simdnet', version '1', config JSON(net.config()), rng JSON(the network's Rng state),
 *             optimizer JSON({ name, hyper, t, params: [names with state] }) or 'null', extra JSON(extra) or 'null'
 *
 * Loading rebuilds the network with `networkFromConfig`, checks every tensor against it (present, F32, same
 * shape; nothing unexpected) and copies the bytes: a round trip is bit-exact. Writes are atomic.
 * Also the book's weight files: `loadNpzWeights` / `saveNpzWeights` (.npz of arrays named W1, b1, …).
 */
import { invalidRange, invalidType } from '../validate';
import { networkFromConfig } from '../nets';
import { withAllocationBudget } from '../tensor';
import { Network, type NetworkConfig } from '../nets/network';
import { createOptimizer, Optimizer, type OptimizerState } from '../optimizers';
import type { Backend } from '../backend/types';
import { checkBackend } from '../backend/check';
import type { RngState } from '../rng';
import { readNpz, writeNpz } from './npz';
import { type NpyArray, type NpyInput, toFloat32 } from './npy';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, safetensorsChunks, safetensorToFloat32, type SafeTensor, type SafeTensorInput } from './safetensors';
import { float32ToHalf } from '../float16';
import { writeFileAtomic } from './atomic';
import { readOptions } from '../validate';

export const MODEL_FORMAT = 'simdnet';
export const MODEL_VERSION = '1';
const OPTIM_PREFIX = 'optim.';

export interface SaveModelOptions {
  /** An optimizer (or its `getState()`) to save with the model, so training resumes exactly. */
  optimizer?: Optimizer | OptimizerState;
  /** Anything JSON-serializable (epoch, history, class names …), returned by `loadCheckpoint`. */
  extra?: unknown;
  /**
   * For deployment: the weights, buffers and config only: no optimizer state (giving `optimizer` too is refused)
   * and no random-stream state. loadModel reads it; Trainer.resume refuses it. Default false.
   */
  weightsOnly?: boolean;
  /**
   * 'f32' (default) or 'f16': parameters and buffers stored as IEEE binary16 (half the bytes; each value rounded to
   * nearest-even, loaded back as float32). Values beyond ±65504 are refused, naming the tensor. Optimizer state stays F32.
   */
  dtype?: 'f32' | 'f16';
}

const SAVE_MODEL_KEYS = ['optimizer', 'extra', 'weightsOnly', 'dtype'];
/** The largest finite binary16 value. */
const HALF_MAX = 65504;

/** A float32 tensor as stored: itself (F32), or its halves (F16; a value beyond ±65504 is refused naming the tensor). */
function stored(key: string, shape: readonly number[], data: Float32Array, dtype: 'f32' | 'f16'): SafeTensorInput {
  if (dtype === 'f32') return { dtype: 'F32', shape, data };
  for (let i = 0; i < data.length; i++) {
    if (Math.abs(data[i]) > HALF_MAX) throw invalidRange(`saveModel dtype 'f16': tensor '${key}'`, `values within ±${HALF_MAX} (binary16)`, `${data[i]} at index ${i}`);
  }
  const h = new Uint16Array(data.length);
  float32ToHalf(data, h);
  return { dtype: 'F16', shape, data: h };
}

export interface LoadModelOptions {
  /** Backend of the rebuilt network (default: getBackend()). */
  backend?: Backend;
  /**
   * Load tensors holding NaN or ±Infinity (default false: such a file is refused with a RangeError naming the
   * tensor, since a network with a non-finite weight predicts nothing useful and trains no further).
   */
  allowNonFinite?: boolean;
}

/** The index and value of the first NaN/±Infinity in `a`, or null. */
function firstNonFinite(a: Float32Array): { i: number; v: number } | null {
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) return { i, v };
  }
  return null;
}

function nonFiniteError(where: string, bad: { i: number; v: number }): RangeError {
  return new RangeError(`${where} holds ${bad.v} at index ${bad.i} (pass { allowNonFinite: true } to load non-finite weights)`);
}

function checkLoadOptions(opts: unknown): { allowNonFinite: boolean } {
  if (opts === null || typeof opts !== 'object') throw invalidType('loadModel options', 'an object', opts);
  opts = readOptions<LoadModelOptions>('loadModel', opts, ['backend', 'allowNonFinite']);
  const o = opts as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'backend' && k !== 'allowNonFinite') throw invalidRange('loadModel options', "only 'backend' and 'allowNonFinite'", `'${k}'`);
  if (o.allowNonFinite !== undefined && typeof o.allowNonFinite !== 'boolean') throw invalidType('allowNonFinite', 'a boolean', o.allowNonFinite);
  if (o.backend !== undefined) checkBackend('loadModel options backend', o.backend);
  return { allowNonFinite: o.allowNonFinite === true };
}

/** What `loadCheckpoint` returns. */
export interface Checkpoint {
  net: Network;
  /** The saved optimizer state (null when none was saved); `createOptimizer(s.name).setState(s)` resumes it. */
  optimizerState: OptimizerState | null;
  /** The `extra` value given to saveModel (null when none). */
  extra: unknown;
}

function checkNet(net: unknown): Network {
  if (!(net instanceof Network)) throw invalidType('net', 'a Network', net);
  return net;
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function jsonOf(name: string, v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (err) {
    throw invalidType(name, `a JSON-serializable value (${(err as Error).message})`, v);
  }
  return s === undefined ? 'null' : s;
}

/** The tensors and metadata of a model file (tensor data are views of the live arrays, not copies). */
function modelContents(net: Network, opts: SaveModelOptions): { tensors: Record<string, SafeTensorInput>; metadata: Record<string, string> } {
  checkNet(net);
  if (opts === null || typeof opts !== 'object') throw invalidType('saveModel options', 'an object', opts);
  opts = readOptions<SaveModelOptions>('saveModel', opts, SAVE_MODEL_KEYS);
  const weightsOnly = opts.weightsOnly ?? false;
  if (typeof weightsOnly !== 'boolean') throw invalidType('weightsOnly', 'a boolean', weightsOnly);
  const dtype = opts.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw invalidRange('dtype', "'f32' or 'f16'", typeof dtype === 'string' ? `'${dtype}'` : dtype);
  if (weightsOnly && opts.optimizer !== undefined) throw invalidRange('optimizer', 'no optimizer with weightsOnly: true (a weights-only file has no optimizer state)', 'an optimizer');
  const tensors: Record<string, SafeTensorInput> = {};
  const params = net.namedParams();
  for (const [k, p] of Object.entries(params)) tensors[k] = stored(k, p.value.shape, p.value.data, dtype);
  for (const [k, b] of Object.entries(net.namedBuffers())) tensors[k] = stored(k, b.shape, b.data, dtype);
  let optimizerMeta = 'null';
  if (opts.optimizer !== undefined) {
    const st = opts.optimizer instanceof Optimizer ? opts.optimizer.getState() : opts.optimizer;
    if (st === null || typeof st !== 'object' || typeof st.name !== 'string' || st.slots === null || typeof st.slots !== 'object') {
      throw invalidType('optimizer', 'an Optimizer or an OptimizerState', opts.optimizer);
    }
    const names = Object.keys(st.slots);
    for (const pname of names) {
      const p = params[pname];
      if (!p) throw invalidRange('optimizer state', `state only for parameters of the network (${Object.keys(params).join(', ')})`, `'${pname}'`);
      for (const [slot, arr] of Object.entries(st.slots[pname])) {
        if (!(arr instanceof Float32Array) || arr.length !== p.value.size) {
          throw invalidRange(`optimizer state '${slot}' of '${pname}'`, `a Float32Array of ${p.value.size} elements`, arr);
        }
        tensors[`${OPTIM_PREFIX}${slot}.${pname}`] = { dtype: 'F32', shape: p.value.shape, data: arr };
      }
    }
    optimizerMeta = jsonOf('optimizer', { name: st.name, hyper: st.hyper, t: st.t, params: names });
  }
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    config: jsonOf('config', net.config()),
    optimizer: optimizerMeta,
    extra: jsonOf('extra', opts.extra),
  };
  if (!weightsOnly) metadata.rng = jsonOf('rng', net.rng.getState());
  return { tensors, metadata };
}

/**
 * Encodes a model (and optionally its optimizer state and extra data) as safetensors bytes.
 * @throws {TypeError|RangeError} see saveModel
 */
export function encodeModel(net: Network, opts: SaveModelOptions = {}): Uint8Array {
  const { tensors, metadata } = modelContents(net, opts);
  return encodeSafetensors(tensors, metadata);
}

/**
 * Saves a network to ONE safetensors file, atomically (a failed save leaves the old file as it was): its
 * parameters and buffers, its config, and optionally an optimizer's state and `extra` JSON.
 *
 * @example
 * saveModel(net, 'out/model.safetensors');
 * saveModel(net, 'out/checkpoint.safetensors', { optimizer: opt, extra: { epoch: 3 } });
 * saveModel(net, 'out/deploy.safetensors', { weightsOnly: true, dtype: 'f16' });   // half the weights' bytes
 * @throws {TypeError} net is not a Network, extra is not JSON-serializable, optimizer is not an optimizer (state)
 * @throws {RangeError} optimizer state for a parameter the network lacks, or of the wrong size
 * @throws {Error} file-system errors
 */
export function saveModel(net: Network, path: string, opts: SaveModelOptions = {}): void {
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a file path', path);
  const { tensors, metadata } = modelContents(net, opts);
  writeFileAtomic(path, safetensorsChunks(tensors, metadata));
}

function parseJson(label: string, key: string, text: string | undefined): unknown {
  if (text === undefined) throw new RangeError(`${label}: metadata '${key}' is missing`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RangeError(`${label}: metadata '${key}' is not valid JSON (${(err as Error).message})`);
  }
}

/** A file tensor for a destination array, after checking dtype, shape and (unless allowed) finiteness. */
function take(label: string, tensors: Record<string, SafeTensor>, key: string, shape: readonly number[], what: string, allowNonFinite: boolean): Float32Array {
  const t = Object.hasOwn(tensors, key) ? tensors[key] : undefined;
  if (!t) throw new RangeError(`${label}: missing tensor '${key}' (${what} of shape ${shapeStr(shape)})`);
  if (t.dtype !== 'F32' && t.dtype !== 'F16') throw new RangeError(`${label}: tensor '${key}' has dtype ${t.dtype}, expected F32 or F16`);
  if (!sameShape(t.shape, shape)) {
    throw new RangeError(`${label}: tensor '${key}' has shape ${shapeStr(t.shape)}, the network's ${what} has shape ${shapeStr(shape)}`);
  }
  const data = t.dtype === 'F16' ? safetensorToFloat32(t) : (t.data as Float32Array);
  const bad = allowNonFinite ? null : firstNonFinite(data);
  if (bad) throw nonFiniteError(`${label}: tensor '${key}'`, bad);
  return data;
}

function checkRngState(label: string, v: unknown): RngState {
  const o = v as Record<string, unknown>;
  const u32 = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
  if (
    o === null || typeof o !== 'object' || !u32(o.seed) || !u32(o.counter) ||
    typeof o.index !== 'number' || !Number.isInteger(o.index) || o.index < 0 ||
    !(o.spare === null || (typeof o.spare === 'number' && Number.isFinite(o.spare)))
  ) {
    throw new RangeError(`${label}: metadata 'rng' is not an Rng state { seed, counter, index, spare }`);
  }
  return o as unknown as RngState;
}

/** Rebuilds network, optimizer state and extra from decoded safetensors contents. */
function checkpointFrom(
  label: string,
  contents: { tensors: Record<string, SafeTensor>; metadata: Record<string, string> },
  opts: LoadModelOptions,
): Checkpoint {
  const { allowNonFinite } = checkLoadOptions(opts);
  const { tensors, metadata } = contents;
  if (metadata.format !== MODEL_FORMAT) {
    throw new RangeError(`${label}: not a simdnet model file (metadata 'format' is ${JSON.stringify(metadata.format)}, expected '${MODEL_FORMAT}')`);
  }
  if (metadata.version !== MODEL_VERSION) {
    throw new RangeError(`${label}: unsupported model file version ${JSON.stringify(metadata.version)} (this simdnet reads version '${MODEL_VERSION}')`);
  }
  const cfg = parseJson(label, 'config', metadata.config) as NetworkConfig;
  let net: Network;
  try {
    // Parameters (value + grad) and buffers can need at most twice the elements the file holds, plus slack.
    let stored = 0;
    for (const t of Object.values(tensors)) stored += t.data.length;
    net = withAllocationBudget(2 * stored + 4096, 'the network the config describes', () => networkFromConfig(cfg, { backend: opts.backend }));
  } catch (err) {
    const e = err as Error;
    const Ctor = e instanceof TypeError ? TypeError : RangeError;
    throw new Ctor(`${label}: metadata 'config' does not describe a network: ${e.message}`);
  }
  if (!net.built) throw new RangeError(`${label}: metadata 'config' describes a ${net.type} without an input shape (a saved network is always built)`);
  const used = new Set<string>();
  const params = net.namedParams();
  for (const [k, p] of Object.entries(params)) {
    p.value.data.set(take(label, tensors, k, p.value.shape, 'parameter', allowNonFinite));
    used.add(k);
  }
  for (const [k, b] of Object.entries(net.namedBuffers())) {
    b.data.set(take(label, tensors, k, b.shape, 'buffer', allowNonFinite));
    used.add(k);
  }
  if (metadata.rng !== undefined) net.rng.setState(checkRngState(label, parseJson(label, 'rng', metadata.rng)));

  let optimizerState: OptimizerState | null = null;
  const om = metadata.optimizer === undefined ? null : parseJson(label, 'optimizer', metadata.optimizer);
  if (om !== null) {
    const o = om as { name?: unknown; hyper?: unknown; t?: unknown; params?: unknown };
    if (typeof o !== 'object' || typeof o.name !== 'string' || !Array.isArray(o.params)) {
      throw new RangeError(`${label}: metadata 'optimizer' is not { name, hyper, t, params }`);
    }
    let opt: Optimizer;
    try {
      opt = createOptimizer(o.name);
    } catch (err) {
      throw new RangeError(`${label}: metadata 'optimizer': ${(err as Error).message}`);
    }
    const slots: Record<string, Record<string, Float32Array>> = {};
    for (const pname of o.params) {
      if (typeof pname !== 'string' || !Object.hasOwn(params, pname)) {
        throw new RangeError(`${label}: metadata 'optimizer' names state for ${JSON.stringify(pname)}, which is not a parameter of the network`);
      }
      slots[pname] = {};
      for (const slot of opt.slotNames) {
        const key = `${OPTIM_PREFIX}${slot}.${pname}`;
        slots[pname][slot] = take(label, tensors, key, params[pname].value.shape, `optimizer state '${slot}' of parameter`, allowNonFinite).slice();
        used.add(key);
      }
    }
    const state = { name: o.name, hyper: o.hyper, t: o.t, slots } as OptimizerState;
    try {
      opt.setState(state); // validates hyperparameters and t
    } catch (err) {
      throw new RangeError(`${label}: metadata 'optimizer': ${(err as Error).message}`);
    }
    optimizerState = opt.getState();
  }
  for (const k of Object.keys(tensors)) {
    if (!used.has(k)) throw new RangeError(`${label}: unexpected tensor '${k}' (not a parameter, buffer or optimizer state of this ${net.type})`);
  }
  const extra = metadata.extra === undefined ? null : parseJson(label, 'extra', metadata.extra);
  return { net, optimizerState, extra };
}

/**
 * Decodes model bytes (from `encodeModel` or a file) into the network, the optimizer state and extra.
 * @throws {TypeError|RangeError} see loadCheckpoint
 */
export function decodeCheckpoint(bytes: Uint8Array, opts: LoadModelOptions = {}, name = '<buffer>'): Checkpoint {
  return checkpointFrom(`model ${name}`, decodeSafetensors(bytes, name), opts);
}

/**
 * Loads a training checkpoint written by `saveModel`: the rebuilt network (bit-exact weights and buffers, and
 * its Rng state, so dropout masks continue as they would have), the optimizer state if one was saved, and extra.
 *
 * @example
 * const { net, optimizerState, extra } = loadCheckpoint('out/checkpoint.safetensors');
 * const opt = createOptimizer(optimizerState!.name);
 * opt.setState(optimizerState!);
 * @throws {RangeError} a truncated or corrupted file, not a simdnet model, an unknown version, a config that
 *   builds no network, a missing tensor, a tensor of the wrong dtype or shape, an unexpected tensor, a tensor
 *   holding NaN/±Infinity unless `allowNonFinite` (the message names the file and the key)
 * @throws {Error} file-system errors
 */
export function loadCheckpoint(path: string, opts: LoadModelOptions = {}): Checkpoint {
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a file path', path);
  if (opts === null || typeof opts !== 'object') throw invalidType('loadModel options', 'an object', opts);
  opts = readOptions<LoadModelOptions>('loadModel', opts, ['backend', 'allowNonFinite']); // before reading the file
  return checkpointFrom(`model ${path}`, loadSafetensors(path), opts);
}

/**
 * Loads a network saved with `saveModel` (any optimizer state in the file is checked, then ignored).
 *
 * @example
 * const net = loadModel('out/model.safetensors');
 * const probs = net.predict(x);
 * @throws {RangeError} see loadCheckpoint
 * @throws {Error} file-system errors
 */
export function loadModel(path: string, opts: LoadModelOptions = {}): Network {
  return loadCheckpoint(path, opts).net;
}

/** Arrays as `readNpz` returns them, or plain { shape, data } with float data. */
export type WeightArrays = Record<string, NpyArray | { shape: readonly number[]; data: Float32Array | Float64Array }>;

function arrayToF32(key: string, a: WeightArrays[string]): Float32Array {
  if (a === null || typeof a !== 'object') throw invalidType(`weights.${key}`, 'an array { shape, data }', a);
  if ('dtype' in a && typeof a.dtype === 'string') return toFloat32(a as NpyArray);
  if (a.data instanceof Float32Array) return a.data;
  if (a.data instanceof Float64Array) return Float32Array.from(a.data);
  throw invalidType(`weights.${key}.data`, 'a Float32Array or Float64Array', a.data);
}

/**
 * Loads the book's weights into `net`: a .npz archive (path or bytes; e.g. the book's params.pkl converted with
 * np.savez) or arrays, named like `net.namedParams()` (W1, b1, …, gamma1, beta1, …), float64 or float32 (rounded
 * to float32). Buffers (running_mean1, …) are loaded when present. Every shape is checked first: on any error
 * nothing is changed.
 *
 * @example
 * const net = new SimpleConvNet();
 * loadNpzWeights(net, 'simple_convnet_params.npz');
 * @throws {TypeError} a bad argument
 * @throws {RangeError} a missing or unexpected key, or an array whose shape differs from the network's
 *   (naming the key and both shapes); an array holding NaN/±Infinity unless `opts.allowNonFinite`; a corrupted archive
 */
export function loadNpzWeights(net: Network, pathOrArrays: string | Uint8Array | WeightArrays, opts: { allowNonFinite?: boolean } = {}): void {
  checkNet(net);
  if (opts === null || typeof opts !== 'object') throw invalidType('loadNpzWeights options', 'an object', opts);
  for (const k of Object.keys(opts)) if (k !== 'allowNonFinite') throw invalidRange('loadNpzWeights options', "only 'allowNonFinite'", `'${k}'`);
  if (opts.allowNonFinite !== undefined && typeof opts.allowNonFinite !== 'boolean') throw invalidType('allowNonFinite', 'a boolean', opts.allowNonFinite);
  let arrays: WeightArrays;
  if (typeof pathOrArrays === 'string' || pathOrArrays instanceof Uint8Array) arrays = readNpz(pathOrArrays);
  else if (pathOrArrays !== null && typeof pathOrArrays === 'object' && !Array.isArray(pathOrArrays)) arrays = pathOrArrays;
  else throw invalidType('pathOrArrays', 'a .npz path, .npz bytes or an object of arrays', pathOrArrays);
  const params = net.namedParams();
  const buffers = net.namedBuffers();
  const staged: [Float32Array, Float32Array][] = [];
  const stage = (key: string, dst: Float32Array, shape: readonly number[], required: boolean) => {
    const a = Object.hasOwn(arrays, key) ? arrays[key] : undefined;
    if (a === undefined) {
      if (required) throw invalidRange(`weights`, `an array '${key}' of shape ${shapeStr(shape)}`, `no '${key}' among ${Object.keys(arrays).join(', ') || 'no arrays'}`);
      return;
    }
    if (a === null || typeof a !== 'object' || !Array.isArray(a.shape)) throw invalidType(`weights.${key}`, 'an array { shape, data }', a);
    if (!sameShape(a.shape, shape)) {
      throw invalidRange(`weights.${key}`, `shape ${shapeStr(shape)} (the network's ${key})`, shapeStr(a.shape));
    }
    const src = arrayToF32(key, a);
    if (src.length !== dst.length) throw invalidRange(`weights.${key}.data`, `${dst.length} values`, `${src.length}`);
    const bad = opts.allowNonFinite ? null : firstNonFinite(src);
    if (bad) throw nonFiniteError(`weights.${key}`, bad);
    staged.push([dst, src]);
  };
  for (const [k, p] of Object.entries(params)) stage(k, p.value.data, p.value.shape, true);
  for (const [k, b] of Object.entries(buffers)) stage(k, b.data, b.shape, false);
  for (const k of Object.keys(arrays)) {
    if (!Object.hasOwn(params, k) && !Object.hasOwn(buffers, k)) {
      throw invalidRange('weights', `only arrays named like the network's parameters (${Object.keys(params).join(', ')})`, `unexpected '${k}'`);
    }
  }
  for (const [dst, src] of staged) dst.set(src);
}

export interface SaveNpzWeightsOptions {
  /** 'f4' (default) or 'f8' (float64, as the book's NumPy arrays are) */
  dtype?: 'f4' | 'f8';
  /** deflate like np.savez_compressed (default false) */
  compress?: boolean;
}

/**
 * The book's save_params as .npz: every parameter (and buffer) by its book name, readable with np.load.
 * Written atomically.
 *
 * @example
 * saveNpzWeights(net, 'params.npz');            // np.load('params.npz')['W1']
 * @throws {TypeError|RangeError} a bad argument; {Error} file-system errors
 */
export function saveNpzWeights(net: Network, path: string, opts: SaveNpzWeightsOptions = {}): void {
  checkNet(net);
  if (typeof path !== 'string' || path.length === 0) throw invalidType('path', 'a file path', path);
  if (opts === null || typeof opts !== 'object') throw invalidType('saveNpzWeights options', 'an object', opts);
  const dtype = opts.dtype ?? 'f4';
  if (dtype !== 'f4' && dtype !== 'f8') throw invalidRange('dtype', "'f4' or 'f8'", String(dtype));
  const arrays: Record<string, NpyInput> = {};
  const add = (k: string, shape: readonly number[], data: Float32Array) => {
    arrays[k] = dtype === 'f4' ? { dtype, shape, data } : { dtype, shape, data: Float64Array.from(data) };
  };
  for (const [k, p] of Object.entries(net.namedParams())) add(k, p.value.shape, p.value.data);
  for (const [k, b] of Object.entries(net.namedBuffers())) add(k, b.shape, b.data);
  writeNpz(path, arrays, { compress: opts.compress ?? false });
}
