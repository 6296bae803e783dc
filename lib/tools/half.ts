/**
 * Half-precision (IEEE binary16) storage of a network, like the book's ch08/half_float_network.py: every
 * weight is rounded to float16 (round-to-nearest-even, `backend.toHalf`) and stored as its 16-bit pattern;
 * computation still runs in float32 on the values expanded back (`backend.fromHalf`), which are exactly the
 * rounded weights. Halves the size of the weights; on MNIST the accuracy does not move.
 */
import { getBackend } from '../backend';
import type { Backend } from '../backend/types';
import { checkInt, invalidType } from '../validate';
import type { Target } from '../layers/layer';
import { networkFromConfig } from '../nets';
import { Network } from '../nets/network';
import { Tensor } from '../tensor';
import { readOptions } from '../validate';

/** One parameter stored in half precision: its IEEE binary16 bit patterns and its shape. */
export interface HalfParam {
  data: Uint16Array;
  shape: number[];
}

/** The half-precision parameters of a network and what they take in memory. */
export interface HalfParams {
  /** name (W1, b1, …) -> bit patterns and shape */
  params: Record<string, HalfParam>;
  /** bytes of all the half-precision parameters (2 per value) */
  bytes: number;
  /** bytes the same parameters take in float32 (4 per value) */
  float32Bytes: number;
}

/** A network whose parameters hold float16-rounded values, with their 16-bit storage. */
export type HalfNetwork<T extends Network = Network> = T & {
  /** The parameters as IEEE half bit patterns (recomputed from the current values at each call). */
  halfParams(): HalfParams;
};

export interface ToFloat16Options {
  /** Round the given network's parameters in place (as the book's script does) instead of a copy (default false). */
  inPlace?: boolean;
  /** Backend for the conversions (default: the network's backend). */
  backend?: Backend;
}

function checkNet(net: unknown): Network {
  if (!(net instanceof Network)) throw invalidType('net', 'a Network', net);
  return net;
}

/** Rounds `x` through float16 into a new Float32Array (and returns the half bits too). */
function roundThroughHalf(backend: Backend, x: Float32Array): { half: Uint16Array; value: Float32Array } {
  const half = new Uint16Array(x.length);
  backend.toHalf(x, half);
  const value = new Float32Array(x.length);
  backend.fromHalf(half, value);
  return { half, value };
}

/**
 * A copy of `net` (or `net` itself with `inPlace`) whose parameters (W, b, gamma, beta) are rounded to IEEE
 * half precision, plus `halfParams()` giving their 16-bit storage. Buffers (BatchNorm running statistics) are
 * copied unchanged, as in the book, where only `network.params` are cast. Values beyond ±65504 become ±Infinity
 * (float16's range), as in NumPy's astype(np.float16).
 *
 * @example
 * const half = toFloat16(net);
 * half.halfParams().bytes;                       // half of net.paramCount() * 4
 * half.accuracy(castInputToHalf(xTest), tTest);  // the book: unchanged on MNIST
 * @throws {TypeError} net is not a Network
 */
export function toFloat16<T extends Network>(net: T, opts: ToFloat16Options = {}): HalfNetwork<T> {
  checkNet(net);
  if (opts === null || typeof opts !== 'object') throw invalidType('toFloat16 options', 'an object', opts);
  opts = readOptions<ToFloat16Options>('toFloat16', opts, ['inPlace', 'backend']);
  const backend = opts.backend ?? net.backend;
  let out: Network = net;
  if (!opts.inPlace) {
    out = networkFromConfig(net.config(), { backend: net.backend });
    const src = net.namedBuffers();
    for (const [k, b] of Object.entries(out.namedBuffers())) b.data.set(src[k].data);
    out.rng.setState(net.rng.getState());
  }
  const srcParams = net.namedParams();
  for (const [k, p] of Object.entries(out.namedParams())) {
    p.value.data.set(roundThroughHalf(backend, srcParams[k].value.data).value);
  }
  const halfParams = (): HalfParams => {
    const params: Record<string, HalfParam> = {};
    let count = 0;
    for (const [k, p] of Object.entries(out.namedParams())) {
      const data = new Uint16Array(p.value.size);
      backend.toHalf(p.value.data, data);
      params[k] = { data, shape: [...p.value.shape] };
      count += p.value.size;
    }
    return { params, bytes: 2 * count, float32Bytes: 4 * count };
  };
  Object.defineProperty(out, 'halfParams', { value: halfParams, enumerable: false, configurable: true, writable: true });
  return out as HalfNetwork<T>;
}

/**
 * `x` with every value rounded through float16 (a new tensor; the book's x_test.astype(np.float16)).
 *
 * @example
 * const xh = castInputToHalf(xTest);
 * @throws {TypeError} x is not a Tensor
 */
export function castInputToHalf(x: Tensor, backend: Backend = getBackend()): Tensor {
  if (!(x instanceof Tensor)) throw invalidType('x', 'a Tensor', x);
  return new Tensor(roundThroughHalf(backend, x.data).value, x.shape);
}

/** What `compareHalfAccuracy` measures. */
export interface HalfAccuracyReport {
  /** accuracy of the network as it is (float32 weights and inputs) */
  float32: number;
  /** accuracy with weights and inputs rounded to float16 */
  float16: number;
  /** bytes of the parameters in float32 */
  float32Bytes: number;
  /** bytes of the parameters in float16 */
  float16Bytes: number;
}

/**
 * The book's half_float_network.py as a function: the accuracy of `net` on (x, t), then the accuracy after
 * casting its weights and the inputs to float16 (on a copy: `net` is unchanged).
 *
 * @example
 * const r = compareHalfAccuracy(net, xTest, tTest);
 * console.log(`float32 ${r.float32}  float16 ${r.float16}`);
 * @throws {TypeError|RangeError} bad network, inputs or batch size
 */
export function compareHalfAccuracy(net: Network, x: Tensor, t: Target, batchSize = 100): HalfAccuracyReport {
  checkNet(net);
  checkInt('batchSize', batchSize, 1);
  const float32 = net.accuracy(x, t, batchSize);
  const half = toFloat16(net);
  const float16 = half.accuracy(castInputToHalf(x, net.backend), t, batchSize);
  const { bytes, float32Bytes } = half.halfParams();
  return { float32, float16, float32Bytes, float16Bytes: bytes };
}
